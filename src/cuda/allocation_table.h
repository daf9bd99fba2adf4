// allocation_table.h — the buffers with an address that the interposer booked
// and that are not yet freed: address -> identity, device, memory type, size.
// A free names only its address; the ledger needs the buffer's identity and
// device (a cudaFree may run while another device is current).
//
// Thread-safety: thread-safe. 64 shards by address, each under its own mutex:
// no lock is shared by all allocating threads.
#pragma once

#include <memledger/memledger.h>

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>

#include <absl/container/flat_hash_map.h>

namespace memledger::cuda {

struct BookedBuffer {
  std::uint64_t buffer_id;  // the identity the ledger knows it by
  std::uint32_t device;
  memledger_mem_type type;
  std::uint64_t size;
};

class AllocationTable {
 public:
  // Remembers `buffer` at `address`; returns the buffer it replaces there,
  // which was freed through a call the interposer does not see.
  std::optional<BookedBuffer> Insert(std::uint64_t address, const BookedBuffer& buffer);
  // Forgets the buffer at `address` and returns it; nullopt when none is booked there.
  std::optional<BookedBuffer> Remove(std::uint64_t address);

 private:
  static constexpr std::size_t kShards = 64;
  struct alignas(64) Shard {
    std::mutex mutex;
    absl::flat_hash_map<std::uint64_t, BookedBuffer> buffers;  // protected by mutex
  };
  Shard& ShardOf(std::uint64_t address);

  std::array<Shard, kShards> shards_;
};

}  // namespace memledger::cuda
