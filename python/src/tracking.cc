// tracking.cc — see tracking.h.
#include "tracking.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "event/event.h"
#include "ledger/address_spaces.h"
#include "memledger/memledger.h"
#include "python_text.h"

namespace py = pybind11;

namespace memledger::python {
namespace {

// Pools registered through register_pool, by name. Protected by the GIL.
std::map<std::string, std::uint8_t>& Pools() {
  static auto* pools = new std::map<std::string, std::uint8_t>();  // never freed: used until the process ends
  return *pools;
}

std::string TypeName(py::handle value) { return py::str(value.get_type().attr("__name__")); }

// An integer argument in [0, max]: an int or anything with __index__ (a numpy
// integer), but not a bool. Negative or above 2**64 - 1 is out of range, never wrapped.
std::uint64_t Unsigned(py::handle value, const char* what, std::uint64_t max) {
  if (PyBool_Check(value.ptr()) || !PyIndex_Check(value.ptr())) {
    throw py::type_error(std::string(what) + " must be an int, not " + TypeName(value));
  }
  const auto number = py::reinterpret_steal<py::int_>(PyNumber_Index(value.ptr()));
  if (!number) throw py::error_already_set();
  const unsigned long long result = PyLong_AsUnsignedLongLong(number.ptr());
  const bool overflow = result == static_cast<unsigned long long>(-1) && PyErr_Occurred() != nullptr;
  if (overflow) PyErr_Clear();
  if (overflow || result > max) {
    throw py::value_error(std::string(what) + " must be between 0 and " + std::to_string(max) + ", got " +
                          std::string(py::repr(number)));
  }
  return result;
}

std::uint32_t Device(py::handle device) {
  return static_cast<std::uint32_t>(Unsigned(device, "device", kMaxDevices - 1));
}

std::string KnownTypes() {
  std::string names;
  for (std::uint8_t t = 0; t < kBuiltinTypeCount; ++t) {
    names += std::string(t == 0 ? "" : ", ") + std::string(BuiltinTypeName(t));
  }
  for (const auto& [name, id] : Pools()) names += ", " + name;
  return names;
}

// A memory type: its number (0..63), a built-in name ("DRAM", ...) or the
// name of a pool registered with register_pool.
memledger_mem_type MemoryType(py::handle type) {
  if (PyUnicode_Check(type.ptr())) {
    const std::string name = Utf8Bytes(type);
    if (const auto builtin = BuiltinTypeFromName(name)) return *builtin;
    if (const auto pool = Pools().find(name); pool != Pools().end()) return pool->second;
    RaiseWithText(PyExc_ValueError, "unknown memory type '" + name + "': known are " + KnownTypes() +
                                        " (register a pool with memledger.register_pool(name) first)");
  }
  if (PyBool_Check(type.ptr()) || !PyIndex_Check(type.ptr())) {
    throw py::type_error("type must be a memory type name (str) or number (int), not " + TypeName(type));
  }
  return static_cast<memledger_mem_type>(Unsigned(type, "type", MEMLEDGER_MAX_TYPES - 1));
}

std::string Text(py::handle text, const char* what) {
  if (!PyUnicode_Check(text.ptr())) {
    throw py::type_error(std::string(what) + " must be a str, not " + TypeName(text));
  }
  return Utf8Bytes(text);
}

constexpr std::uint64_t kU64 = ~0ULL;
constexpr std::uint64_t kU32 = 0xffffffffULL;

// One address space of open_device(address_spaces=[...]): a mapping with the
// keys of memledger_address_space (memledger.h), `within` None for a space
// of its own. `where` names it in errors ("address_spaces[1]").
memledger_address_space AddressSpace(py::handle spec, const std::string& where) {
  constexpr std::string_view kKeyNames[] = {"type", "base", "size", "banks", "alignment", "within"};
  constexpr const char* kKeys = "type, base, size, banks, alignment, within";
  if (!py::hasattr(spec, "items")) {
    throw py::type_error(where + " must be a mapping with the keys " + kKeys + ", e.g. {\"type\": \"L1\", "
                         "\"base\": 0, \"size\": 1 << 20}, not " + TypeName(spec));
  }
  std::map<std::string, py::object> fields;
  for (const auto item : py::reinterpret_borrow<py::object>(spec).attr("items")()) {
    const py::tuple pair = py::reinterpret_borrow<py::tuple>(item);
    const std::string key = PyUnicode_Check(pair[0].ptr()) ? Utf8Bytes(pair[0]) : std::string();
    if (std::find(std::begin(kKeyNames), std::end(kKeyNames), key) == std::end(kKeyNames)) {
      throw py::type_error(where + " has no key " + std::string(py::repr(pair[0])) + ": its keys are " + kKeys);
    }
    fields[key] = pair[1];
  }
  const auto field = [&](const char* key) { return fields.count(key) != 0 ? fields[key] : py::object(py::none()); };
  if (field("type").is_none()) throw py::type_error(where + " needs a \"type\"");
  memledger_address_space space{};
  space.type = MemoryType(field("type"));
  space.within = field("within").is_none() ? space.type : MemoryType(field("within"));
  const bool own_space = space.within == space.type;
  const std::string base_what = where + "[\"base\"]";
  const std::string size_what = where + "[\"size\"]";
  if (own_space && (field("base").is_none() || field("size").is_none())) {
    throw py::type_error(where + " needs a \"base\" and a \"size\" (or \"within\": the type whose space holds it)");
  }
  space.base = field("base").is_none() ? 0 : Unsigned(field("base"), base_what.c_str(), kU64);
  space.size = field("size").is_none() ? 0 : Unsigned(field("size"), size_what.c_str(), kU64);
  if (!own_space && (space.base != 0 || space.size != 0)) {
    throw py::value_error(where + " lies within another type's space: its base and size are that space's, not "
                          "its own (leave them out)");
  }
  const std::string banks_what = where + "[\"banks\"]";
  const std::string alignment_what = where + "[\"alignment\"]";
  space.banks =
      field("banks").is_none() ? 1 : static_cast<std::uint32_t>(Unsigned(field("banks"), banks_what.c_str(), kU32));
  space.alignment = field("alignment").is_none()
                        ? 1
                        : static_cast<std::uint32_t>(Unsigned(field("alignment"), alignment_what.c_str(), kU32));
  // The ledger's own rules for a space (what it would refuse to map).
  if (const std::string problem = SpaceProblem(space); !problem.empty()) {
    throw py::value_error(where + " has " + problem + ": see memledger.h, memledger_address_space");
  }
  return space;
}

// open_device's address_spaces: a sequence of spaces, at most one per type.
std::vector<memledger_address_space> AddressSpaces(py::handle spaces) {
  std::vector<memledger_address_space> result;
  if (spaces.is_none()) return result;
  if (PyUnicode_Check(spaces.ptr()) || py::hasattr(spaces, "items") || !py::hasattr(spaces, "__iter__")) {
    throw py::type_error("address_spaces must be a sequence of mappings, one per memory type, not " +
                         TypeName(spaces));
  }
  for (const auto spec : spaces) {
    const std::string where = "address_spaces[" + std::to_string(result.size()) + "]";
    const memledger_address_space space = AddressSpace(spec, where);
    for (const memledger_address_space& other : result) {
      if (other.type == space.type) {
        throw py::value_error(where + " is a second space of its type: at most one per memory type");
      }
    }
    result.push_back(space);
  }
  return result;
}

void OpenDevice(py::handle device, py::handle name, py::handle capacity, py::handle uid, py::handle address_spaces) {
  const std::uint32_t id = Device(device);
  const std::string text = name.is_none() ? std::string() : Text(name, "name");
  const std::string uid_text = uid.is_none() ? std::string() : Text(uid, "uid");
  std::vector<memledger_capacity> capacities;
  if (!capacity.is_none()) {
    if (!py::hasattr(capacity, "items")) {
      throw py::type_error("capacity must be a mapping of memory type to bytes, e.g. {\"DRAM\": 12 << 30}");
    }
    for (const auto item : py::reinterpret_borrow<py::object>(capacity).attr("items")()) {
      const py::tuple pair = py::reinterpret_borrow<py::tuple>(item);
      capacities.push_back({MemoryType(pair[0]), Unsigned(pair[1], "a capacity", kU64)});
    }
  }
  const std::vector<memledger_address_space> spaces = AddressSpaces(address_spaces);
  memledger_device_description description{};
  description.struct_size = sizeof(description);
  description.name = text.c_str();
  description.capacities = capacities.data();
  description.capacity_count = capacities.size();
  description.uid = uid_text.c_str();
  description.address_spaces = spaces.data();
  description.address_space_count = spaces.size();
  memledger_device_open_described(id, &description);
}

void TrackAlloc(py::handle device, py::handle type, py::handle buffer_id, py::handle address, py::handle size) {
  memledger_alloc(Device(device), MemoryType(type), Unsigned(buffer_id, "buffer_id", kU64),
                  Unsigned(address, "address", kU64), Unsigned(size, "size", kU64));
}

void TrackFree(py::handle device, py::handle type, py::handle buffer_id, py::handle address) {
  memledger_free(Device(device), MemoryType(type), Unsigned(buffer_id, "buffer_id", kU64),
                 Unsigned(address, "address", kU64));
}

void AllocFailed(py::handle device, py::handle type, py::handle size, py::handle extent) {
  memledger_alloc_failed(Device(device), MemoryType(type), Unsigned(size, "size", kU64),
                         Unsigned(extent, "extent", kU64));
}

int RegisterPool(py::handle name) {
  const std::string text = Text(name, "name");
  if (text.empty() || BuiltinTypeFromName(text)) {
    RaiseWithText(PyExc_ValueError, "a pool needs a name of its own, not '" + text + "'");
  }
  const int id = memledger_register_pool(text.c_str());
  if (id < 0) {
    RaiseWithText(PyExc_ValueError, "cannot register pool '" + text + "': all " +
                                        std::to_string(MEMLEDGER_MAX_TYPES - MEMLEDGER_FIRST_POOL) +
                                        " pools are taken");
  }
  Pools()[text] = static_cast<std::uint8_t>(id);
  return id;
}

py::object SetStackDepth(py::handle depth) {
  const int previous = memledger_set_stack_depth(static_cast<int>(Unsigned(depth, "depth", MEMLEDGER_MAX_STACK_DEPTH)));
  if (previous < 0) return py::none();
  return py::int_(previous);
}

}  // namespace

void DefineTracking(py::module_& m) {
  m.def("open_device", &OpenDevice, py::arg("device"), py::kw_only(), py::arg("name") = py::none(),
        py::arg("capacity") = py::none(), py::arg("uid") = py::none(), py::arg("address_spaces") = py::none(),
        "open_device(device: int, *, name: str | None = None, capacity: Mapping[str | int, int] | None = None, "
        "uid: str | None = None, address_spaces: Sequence[Mapping[str, object]] | None = None)\n\n"
        "A device comes up: its name and capacity per memory type ({\"DRAM\": bytes, ...}), and what it is "
        "physically when known (uid: a GPU's UUID, a PCI bus id, a chip's unique id), so that processes that "
        "number it differently share its books. Reopening an open device closes it first.\n"
        "address_spaces: where each memory type's buffers are placed, at most one per type, each "
        "{\"type\": t, \"base\": b, \"size\": s, \"banks\": 1, \"alignment\": 1, \"within\": None} in the "
        "hooks' units (a banked space: bank-local base and size x banks); a type placed inside another's memory "
        "(CB within L1) gives \"within\" and no base or size. Then reports tell the space's holes and "
        "alloc_failed() why an allocation failed.");
  m.def("close_device", [](py::handle device) { memledger_device_close(Device(device)); }, py::arg("device"),
        "close_device(device: int)\n\nA device goes down: what this process still holds there becomes its leaks.");
  m.def("track_alloc", &TrackAlloc, py::kw_only(), py::arg("device"), py::arg("type"), py::arg("buffer_id") = 0,
        py::arg("address"), py::arg("size"),
        "track_alloc(*, device: int, type: str | int, buffer_id: int = 0, address: int, size: int)\n\n"
        "Records an allocation, after the allocator chose the address. buffer_id: unique while the buffer lives "
        "(0: the address is the identity). type: \"DRAM\", \"L1\", ..., a registered pool's name, or a number.");
  m.def("track_free", &TrackFree, py::kw_only(), py::arg("device"), py::arg("type"), py::arg("buffer_id") = 0,
        py::arg("address") = 0,
        "track_free(*, device: int, type: str | int, buffer_id: int = 0, address: int = 0)\n\n"
        "Records a free, before the allocator releases the address (matched by buffer_id, else by address).");
  m.def("alloc_failed", &AllocFailed, py::kw_only(), py::arg("device"), py::arg("type"), py::arg("size"),
        py::arg("extent") = 0,
        "alloc_failed(*, device: int, type: str | int, size: int, extent: int = 0)\n\n"
        "Records an allocation that failed: the allocator could not place `size` bytes of `type` (call it where "
        "the allocator reports out of memory, before raising). extent: what the request needed in the type's "
        "address space, in the hooks' units (0: the same as size). The ledger books it with the free space then, "
        "a verdict (exhausted, fragmented, cb_clash, ...) and who held the memory; it carries the tag and, with "
        "stacks on, the stack (Python frames too).");
  m.def(
      "track_cb_alloc",
      [](py::handle device, py::handle cb_id, py::handle address, py::handle size) {
        memledger_cb_alloc(Device(device), Unsigned(cb_id, "cb_id", kU64), Unsigned(address, "address", kU64),
                           Unsigned(size, "size", kU64));
      },
      py::kw_only(), py::arg("device"), py::arg("cb_id"), py::arg("address"), py::arg("size"),
      "track_cb_alloc(*, device: int, cb_id: int, address: int, size: int)\n\n"
      "Records a circular buffer's allocation (memory type CB).");
  m.def(
      "track_cb_free",
      [](py::handle device, py::handle cb_id, py::handle address) {
        memledger_cb_free(Device(device), Unsigned(cb_id, "cb_id", kU64), Unsigned(address, "address", kU64));
      },
      py::kw_only(), py::arg("device"), py::arg("cb_id"), py::arg("address") = 0,
      "track_cb_free(*, device: int, cb_id: int, address: int = 0)\n\nRecords a circular buffer's free.");
  m.def(
      "track_kernel_load",
      [](py::handle device, py::handle kernel_id, py::handle address, py::handle size) {
        memledger_kernel_load(Device(device), Unsigned(kernel_id, "kernel_id", kU64),
                              Unsigned(address, "address", kU64), Unsigned(size, "size", kU64));
      },
      py::kw_only(), py::arg("device"), py::arg("kernel_id"), py::arg("address"), py::arg("size"),
      "track_kernel_load(*, device: int, kernel_id: int, address: int, size: int)\n\n"
      "Records a kernel binary loaded into device memory (memory type KERNEL).");
  m.def(
      "track_kernel_unload",
      [](py::handle device, py::handle kernel_id, py::handle address) {
        memledger_kernel_unload(Device(device), Unsigned(kernel_id, "kernel_id", kU64),
                                Unsigned(address, "address", kU64));
      },
      py::kw_only(), py::arg("device"), py::arg("kernel_id"), py::arg("address") = 0,
      "track_kernel_unload(*, device: int, kernel_id: int, address: int = 0)\n\nRecords a kernel binary unloaded.");
  m.def("_tag_push", [](py::handle name) { memledger_tag_push(Text(name, "tag").c_str()); }, py::arg("name"));
  m.def("_tag_pop", &memledger_tag_pop);
  m.def("skip_frames", [](py::handle pattern) { memledger_skip_frames(Text(pattern, "pattern").c_str()); },
        py::arg("pattern"),
        "skip_frames(pattern: str)\n\nDeclares frames of this program's allocator: reports fold the frames whose "
        "function (a Python function as 'Class.method') or file the RE2 pattern matches, and name each allocation "
        "site by its first frame outside them.");
  m.def("mark", [](py::handle label) { memledger_mark(Text(label, "label").c_str()); }, py::arg("label"),
        "mark(label: str)\n\nA named point in time (a training step, a phase), shown on timelines.");
  m.def("register_pool", &RegisterPool, py::arg("name"),
        "register_pool(name: str) -> int\n\n"
        "Registers a named memory pool and returns its type number; its name is then a memory type. The same "
        "number for the same name, also when native code registered it.");
  m.def("enabled", [] { return memledger_enabled() != 0; },
        "enabled() -> bool\n\nTrue when tracking is on in this process (MEMLEDGER=1).");
  m.def("flush", &memledger_flush, py::call_guard<py::gil_scoped_release>(),
        "flush()\n\nWaits until every event recorded so far has reached the ledger.");
  m.def("set_stack_depth", &SetStackDepth, py::arg("depth"),
        "set_stack_depth(depth: int) -> int | None\n\n"
        "From now on every alloc and free carries its stack, up to `depth` frames (1..64; Python and native), or "
        "none (0). Returns the previous depth, or None when tracking is off.");
}

}  // namespace memledger::python
