// tracking.cc — see tracking.h.
#include "tracking.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "event/event.h"
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

void OpenDevice(py::handle device, py::handle name, py::handle capacity, py::handle uid) {
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
  memledger_device_description description{};
  description.struct_size = sizeof(description);
  description.name = text.c_str();
  description.capacities = capacities.data();
  description.capacity_count = capacities.size();
  description.uid = uid_text.c_str();
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
        py::arg("capacity") = py::none(), py::arg("uid") = py::none(),
        "open_device(device: int, *, name: str | None = None, capacity: Mapping[str | int, int] | None = None, "
        "uid: str | None = None)\n\n"
        "A device comes up: its name and capacity per memory type ({\"DRAM\": bytes, ...}), and what it is "
        "physically when known (uid: a GPU's UUID, a PCI bus id, a chip's unique id), so that processes that "
        "number it differently share its books. Reopening an open device closes it first.");
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
