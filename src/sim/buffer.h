// buffer.h — Buffer: an RAII device buffer, interleaved page by page over the
// banks of one memory region. It holds its address from Allocate until
// Deallocate, destruction or Leak, and reports through the device's hooks.
//
// Thread-safety: not thread-safe; one owner at a time, which may hand the
// Buffer to another thread (move it). The Device must outlive the Buffer.
#pragma once

#include <cstdint>
#include <optional>

#include "sim/bank_region.h"
#include "sim/device.h"

namespace memledger::sim {

class Buffer {
 public:
  // Allocates `size` bytes in `page_size` pages in the region of `type`;
  // nullopt when the region is out of memory, which callers handle (booked
  // as a failure unless `on_failure` is kQuiet: an attempt the caller will
  // retry after making room is no failure yet).
  static std::optional<Buffer> Allocate(Device& device, MemType type, std::uint64_t size, std::uint64_t page_size,
                                        OnFailure on_failure = OnFailure::kBook);

  Buffer(Buffer&& other) noexcept;
  Buffer& operator=(Buffer&& other) noexcept;  // deallocates what this held
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer();  // Deallocate()

  // Releases the memory and reports the free. Idempotent.
  void Deallocate();
  // Gives up ownership without deallocating: the memory stays allocated until
  // the process ends, a deliberate leak. Afterwards the Buffer is empty.
  void Leak();

  bool allocated() const { return device_ != nullptr; }
  std::uint64_t id() const { return allocation_.id; }
  std::uint64_t address() const { return allocation_.address; }
  std::uint64_t size() const { return allocation_.size; }
  std::uint64_t page_size() const { return page_size_; }
  MemType type() const { return allocation_.type; }
  // Where page `page` lives: bank and bank-local address. Requires allocated().
  PageLocation page_location(std::uint64_t page) const;

 private:
  Buffer(Device& device, const Allocation& allocation, std::uint64_t page_size);

  Device* device_;  // nullptr once deallocated, leaked or moved from
  Allocation allocation_;
  std::uint64_t page_size_;
};

}  // namespace memledger::sim
