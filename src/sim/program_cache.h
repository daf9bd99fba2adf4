// program_cache.h — ProgramCache: a device's cache of loaded programs. A miss
// loads the program's kernel binaries into the KERNEL region (reported as
// kernel loads); when the region is full the least recently used programs are
// evicted (reported as unloads) until the new binaries fit. Clear() unloads
// everything (at device close).
//
// Thread-safety: thread-safe; one mutex serializes lookups, loads and
// evictions. The Device owns its cache and outlives it.
#pragma once

#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "sim/device.h"

namespace memledger::sim {

class Program;

class ProgramCache {
 public:
  explicit ProgramCache(Device& device);
  ProgramCache(const ProgramCache&) = delete;
  ProgramCache& operator=(const ProgramCache&) = delete;

  // Makes sure `program`'s kernel binaries are loaded on the device. False
  // when they do not fit even in an empty KERNEL region (only that last
  // attempt is booked as a failure; those that evict first are not).
  bool EnsureLoaded(const Program& program);
  // Unloads every program.
  void Clear();
  std::size_t size() const;

 private:
  struct Entry {
    std::string name;
    std::vector<Allocation> binaries;
  };
  void EvictLocked(std::list<Entry>::iterator entry);

  Device& device_;
  mutable std::mutex mutex_;
  std::list<Entry> programs_;  // most recently used first; protected by mutex_
  std::unordered_map<std::string, std::list<Entry>::iterator> by_name_;  // protected by mutex_
};

}  // namespace memledger::sim
