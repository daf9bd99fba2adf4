// device_table.h — the ledger's devices: physical things that processes
// share, each with one set of books. A process names a device by its own
// number (its "device 0" is whichever GPU CUDA_VISIBLE_DEVICES gave it); the
// table finds the ledger-wide device that number stands for:
//   - opened with a uid (a GPU's UUID, a PCI bus id, a chip's unique id): the
//     device of that uid, whatever number each process gives it — two
//     processes' device 0 with different uids are two devices, one
//     process's device 3 and another's device 0 with one uid are one;
//   - otherwise (opened without a uid, or used without an open): the device
//     of that number, shared by every process that names it so without a uid
//     (the first opener describes it; see DeviceBooks).
// A device's ledger-wide id is the number it was first named by when no
// device has that id yet, else the next id after every device so far: a
// process alone keeps its own numbers (its exit report speaks of them), and
// ids never change once given.
//
// Bounds: ids below kMaxLedgerDevices + kMaxDevices. Devices keyed by a
// number are at most kMaxDevices (numbers above are refused upstream);
// devices keyed by a uid are made only while the table holds fewer than
// kMaxLedgerDevices devices — a peer that invents uid after uid cannot grow
// it further — and past that a uid is not found (its opener falls back to
// the device of its number).
//
// Not thread-safe: owned by one Ledger.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/accounting.h"
#include "ledger/address_spaces.h"

namespace memledger {

// A process's device number not bound to any ledger-wide device yet.
inline constexpr std::uint16_t kNoDevice = 0xffff;
inline constexpr std::size_t kMaxLedgerDevices = 4096;

// A device as every process sees it. Its description (name, capacities) is
// its first opener's while any process has it open: another process cannot
// rename or resize it for everyone; an open that says otherwise counts a
// device_conflict for that opener and in `conflicts`, and is not adopted
// (one that only adds what was unknown is). Opened again when nobody else
// holds it, the device takes the new description.
struct DeviceBooks {
  bool seen = false;
  bool open = false;          // opened by a running process that has not closed it
  std::uint32_t openers = 0;  // running processes that have it open
  std::string name;
  std::string uid;            // the identity it is keyed by; empty: keyed by its number
  std::uint64_t conflicts = 0;  // opens that described it otherwise (not adopted)
  TypeTable<std::uint64_t> capacity;  // by ledger-wide type; 0: unknown
  TypeCounterTable types;             // by ledger-wide type, all processes together
  // Its memory types' address spaces and what every process's live buffers
  // cover there; adopted like the capacities (a conflict: declared
  // otherwise while others hold it).
  AddressSpaces spaces;
  // The first declaration refused (address_spaces.h says why); empty: none.
  std::string space_problem;
};

class DeviceTable {
 public:
  // The ledger-wide id of the device a process's `number` opened with `uid`
  // stands for (an empty uid: the device of that number), made on first
  // sight. nullopt only for a new uid once the table is full.
  std::optional<std::uint16_t> Find(std::string_view uid, std::uint16_t number);

  DeviceBooks& operator[](std::uint16_t id) { return devices_[id]; }
  // By ledger-wide id; ids no device has are there, not seen. A deque:
  // growing it never moves a device's books.
  const std::deque<DeviceBooks>& devices() const { return devices_; }

 private:
  // A new device: `preferred` when no device has that id, else the next id.
  std::uint16_t Make(std::uint16_t preferred);

  std::deque<DeviceBooks> devices_;
  absl::flat_hash_map<std::string, std::uint16_t> by_uid_;
  std::vector<std::uint16_t> by_number_;  // number -> id of the device keyed by it (kNoDevice: none yet)
};

}  // namespace memledger
