// declared_names.h — the names this process declares to the ledger (tags,
// pools, open devices, its allocator's frames; and the modules and language
// frames its stacks use)
// and the copy of them a consumer taking the ring over part-way begins its
// books with (carry_over.h): the records that defined them are in the books
// of the consumer before it.
//
// Two locks, never held the other way round:
//   g_names_mutex (the .cc) orders the TAG, POOL and DEVICE_OPEN/CLOSE
//     records with the tables that number them; held across the record's
//     emit. Fork takes it (LockNamesForFork) so a child's pool table is whole.
//   g_declared_mutex (the .cc) guards the copy; never held while a record is
//     emitted, so a takeover never waits for a producer that itself waits for
//     ring space (which only the consumer being started can free). Writers
//     take it briefly inside g_names_mutex or the stack mutex
//     (allocation_stacks.cc). A name goes in before its record is claimed (a
//     copy of a record that is also in the ring is harmless: the same name,
//     the same pool); an open device after its record (a second DEVICE_OPEN
//     would close the device), so a takeover may miss a device opened just
//     then: its description only, never an account.
// The tables and the copy are made on first use and never freed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "client/stack_table.h"
#include "event/event.h"

namespace memledger {

inline constexpr std::size_t kMaxNameBytes = 256;

// The first max_bytes bytes of `name` at most, cut on a UTF-8 character
// boundary (a character straddling the limit is left out whole). Other
// ill-formed bytes are sent as they are: the decoders make names valid.
std::string BoundedName(const char* name, std::size_t max_bytes = kMaxNameBytes);

// The tag's id, the same for the same name; a new one is sent as a TAG
// record. Tracking must be on.
std::uint32_t InternTag(const std::string& name);
// The pool's type id (MEMLEDGER_FIRST_POOL up), the same for the same name;
// -1 when the process's pool ids are used up. Sent as a POOL record when
// `active` (tracking on); pool ids are the same contract with tracking off.
int RegisterPool(const std::string& name, bool active);
// Sends DEVICE_OPEN with `description` (an encoded device description) and
// remembers the device as open; DEVICE_CLOSE and forgets it. Tracking must be on.
void DeclareDeviceOpen(std::uint32_t device, std::string description);
void DeclareDeviceClose(std::uint32_t device);
// Sends SKIP_FRAMES with `pattern` (reports fold the frames it matches) and
// remembers it for handovers. Tracking must be on.
void DeclareSkipFrames(std::string pattern);

// Remembered for handovers before each is sent (the caller holds the stack mutex).
void RememberModules(const std::vector<std::string>& payloads);
void RememberLanguageFrame(std::uint64_t value, const std::string& payload);

// The names this process has declared as slot streams: what a consumer
// taking the ring over part-way needs first. Apart, the devices open now: a
// handback sends them after the device closes its in-process books saw
// (carry_over.h), so that a device closed and reopened meanwhile ends open.
struct DeclaredSlots {
  std::vector<Event> names;                           // modules, language frames and stacks, pools, tags
  std::map<std::uint32_t, std::string> open_devices;  // description payloads, for AppendDeviceOpens
};
// With every stack `stacks` interned (may be null: no stacks). Takes no
// lock a producer holds while it waits for ring space.
DeclaredSlots DeclaredNames(const StackTable* stacks);
// A DEVICE_OPEN record for each of `open_devices` (DeclaredSlots).
void AppendDeviceOpens(std::vector<Event>& slots, const std::map<std::uint32_t, std::string>& open_devices);

// The fork handlers' part (tracking_lifecycle.cc): g_names_mutex is held
// across fork and released on both sides.
void LockNamesForFork();
void UnlockNamesAfterFork();

}  // namespace memledger
