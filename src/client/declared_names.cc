// declared_names.cc — see declared_names.h.
#include "client/declared_names.h"

#include <cstring>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "client/hook_core.h"
#include "event/record.h"
#include "event/utf8.h"

namespace memledger {
namespace {

constinit std::mutex g_names_mutex;
// Protected by g_names_mutex.
constinit std::unordered_map<std::string, std::uint32_t>* g_tag_ids = nullptr;
constinit std::unordered_map<std::string, int>* g_pool_ids = nullptr;

// What DeclaredNames hands a consumer taking the ring over (the header says
// when each name goes in).
struct DeclaredNamesCopy {
  std::vector<std::string> modules;                                  // MODULE payloads
  std::vector<std::pair<std::uint64_t, std::string>> language_frames;  // (value, payload)
  std::map<int, std::string> pools;                                  // by id
  std::map<std::uint32_t, std::string> tags;                         // by id
  std::map<std::uint32_t, std::string> open_devices;                 // description payloads
  std::vector<std::string> skip_frames;                              // SKIP_FRAMES payloads, in order
};
constinit std::mutex g_declared_mutex;
constinit DeclaredNamesCopy* g_declared = nullptr;  // protected by g_declared_mutex

template <typename Update>
void UpdateDeclared(Update update) {
  std::lock_guard lock(g_declared_mutex);
  if (g_declared == nullptr) g_declared = new DeclaredNamesCopy();
  update(*g_declared);
}

}  // namespace

std::string BoundedName(const char* name, std::size_t max_bytes) {
  if (name == nullptr) return std::string();
  // One byte past the limit tells whether a character continues across it.
  return std::string(Utf8Prefix(std::string_view(name, strnlen(name, max_bytes + 1)), max_bytes));
}

std::uint32_t InternTag(const std::string& name) {
  std::lock_guard lock(g_names_mutex);
  if (g_tag_ids == nullptr) g_tag_ids = new std::unordered_map<std::string, std::uint32_t>();
  auto [it, inserted] = g_tag_ids->try_emplace(name, static_cast<std::uint32_t>(g_tag_ids->size() + 1));
  const std::uint32_t id = it->second;
  if (inserted) {
    UpdateDeclared([&](DeclaredNamesCopy& declared) { declared.tags[id] = name; });
    Event e = MakeEvent(EventKind::kTag, 0, 0, 0, 0, 0);
    e.tag = id;
    EmitWithPayload(e, name);
  }
  return id;
}

int RegisterPool(const std::string& name, bool active) {
  std::lock_guard lock(g_names_mutex);
  if (g_pool_ids == nullptr) g_pool_ids = new std::unordered_map<std::string, int>();
  auto it = g_pool_ids->find(name);
  if (it != g_pool_ids->end()) return it->second;
  const int id = MEMLEDGER_FIRST_POOL + static_cast<int>(g_pool_ids->size());
  if (id >= MEMLEDGER_MAX_TYPES) return -1;
  g_pool_ids->emplace(name, id);
  if (active) {
    UpdateDeclared([&](DeclaredNamesCopy& declared) { declared.pools[id] = name; });
    EmitWithPayload(MakeEvent(EventKind::kPool, 0, static_cast<std::uint8_t>(id), 0, 0, 0), name);
  }
  return id;
}

void DeclareDeviceOpen(std::uint32_t device, std::string description) {
  // Published, then remembered (the header says why in that order).
  std::lock_guard lock(g_names_mutex);
  EmitWithPayload(MakeEvent(EventKind::kDeviceOpen, device, 0, 0, 0, 0), description);
  UpdateDeclared([&](DeclaredNamesCopy& declared) { declared.open_devices[device] = std::move(description); });
}

void DeclareDeviceClose(std::uint32_t device) {
  std::lock_guard lock(g_names_mutex);
  Emit(MakeEvent(EventKind::kDeviceClose, device, 0, 0, 0, 0));
  UpdateDeclared([&](DeclaredNamesCopy& declared) { declared.open_devices.erase(device); });
}

void DeclareSkipFrames(std::string pattern) {
  std::lock_guard lock(g_names_mutex);
  UpdateDeclared([&](DeclaredNamesCopy& declared) { declared.skip_frames.push_back(pattern); });
  EmitWithPayload(MakeEvent(EventKind::kSkipFrames, 0, 0, 0, 0, 0), pattern);
}

void RememberModules(const std::vector<std::string>& payloads) {
  UpdateDeclared([&](DeclaredNamesCopy& declared) {
    declared.modules.insert(declared.modules.end(), payloads.begin(), payloads.end());
  });
}

void RememberLanguageFrame(std::uint64_t value, const std::string& payload) {
  UpdateDeclared([&](DeclaredNamesCopy& declared) { declared.language_frames.emplace_back(value, payload); });
}

void AppendDeviceOpens(std::vector<Event>& slots, const std::map<std::uint32_t, std::string>& open_devices) {
  for (const auto& [device, description] : open_devices) {
    AppendRecord(slots, MakeEvent(EventKind::kDeviceOpen, device, 0, 0, 0, 0), description);
  }
}

DeclaredSlots DeclaredNames(const StackTable* stacks_table) {
  DeclaredSlots declared_slots;
  std::vector<Event>& slots = declared_slots.names;
  std::lock_guard lock(g_declared_mutex);
  if (g_declared == nullptr) g_declared = new DeclaredNamesCopy();
  const DeclaredNamesCopy& declared = *g_declared;
  for (const std::string& payload : declared.modules) {
    AppendRecord(slots, MakeEvent(EventKind::kModule, 0, 0, 0, 0, 0), payload);
  }
  for (const auto& [value, payload] : declared.language_frames) {
    AppendRecord(slots, MakeEvent(EventKind::kLanguageFrame, 0, 0, 0, value, 0), payload);
  }
  if (stacks_table != nullptr) {
    const auto stacks = stacks_table->Stacks();  // its own lock, never held across an emit
    for (std::uint32_t id = 1; id < stacks.size(); ++id) {
      if (stacks[id].empty()) continue;
      Event e = MakeEvent(EventKind::kStack, 0, 0, 0, 0, 0);
      e.stack = id;
      AppendRecord(slots, e, EncodeStack(stacks[id]));
    }
  }
  for (const auto& [id, name] : declared.pools) {  // in id order, as they were registered
    AppendRecord(slots, MakeEvent(EventKind::kPool, 0, static_cast<std::uint8_t>(id), 0, 0, 0), name);
  }
  for (const auto& [id, name] : declared.tags) {
    Event e = MakeEvent(EventKind::kTag, 0, 0, 0, 0, 0);
    e.tag = id;
    AppendRecord(slots, e, name);
  }
  for (const std::string& pattern : declared.skip_frames) {
    AppendRecord(slots, MakeEvent(EventKind::kSkipFrames, 0, 0, 0, 0, 0), pattern);
  }
  declared_slots.open_devices = declared.open_devices;
  return declared_slots;
}

void LockNamesForFork() { g_names_mutex.lock(); }
void UnlockNamesAfterFork() { g_names_mutex.unlock(); }

}  // namespace memledger
