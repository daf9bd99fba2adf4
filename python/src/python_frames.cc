// python_frames.cc — see python_frames.h.
#include "python_frames.h"

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <string>
#include <utility>

#include "memledger/memledger.h"
#include "python_text.h"

namespace py = pybind11;

namespace memledger::python {
namespace {

// A call site: a code object and the offset of its instruction in progress.
using CodeSite = std::pair<const PyCodeObject*, int>;

// Protected by the GIL. Never freed: the provider may be called a moment
// after it was removed.
struct FrameCache {
  // Frame value by call site; 0: a frame left out. Each key holds a
  // reference to its code object.
  absl::flat_hash_map<CodeSite, std::uint64_t> values;
  std::vector<std::string> hidden_prefixes;  // files under them are memledger's own
};
constinit FrameCache* g_cache = nullptr;
// Call sites beyond this are interned on every sight instead of cached (a
// program that makes code objects without end, with exec).
constexpr std::size_t kMaxCachedSites = 1 << 18;

constinit thread_local bool tls_walking = false;

// Whether this thread holds the GIL: its own thread state (from thread-local
// storage) is the one running. Unlike PyGILState_Check this answers "no" when
// the check is turned off (sub-interpreters) and after finalization.
bool HoldsGil() {
  PyThreadState* mine = PyGILState_GetThisThreadState();
  return mine != nullptr && mine == _PyThreadState_UncheckedGet();
}

// A code object's name or file as bytes; a file name that is not UTF-8 holds
// lone surrogates (surrogateescape) and comes back as its own bytes.
std::string Utf8(PyObject* text) {
  Py_ssize_t size = 0;
  const char* bytes = text != nullptr && PyUnicode_Check(text) ? PyUnicode_AsUTF8AndSize(text, &size) : nullptr;
  if (bytes != nullptr) return std::string(bytes, static_cast<std::size_t>(size));
  PyErr_Clear();  // the caller saved the error indicator
  std::string escaped;
  if (text != nullptr && PyUnicode_Check(text) && EncodeUtf8Bytes(text, &escaped)) return escaped;
  PyErr_Clear();
  return "?";
}

// The value of a call site seen for the first time (0: left out).
std::uint64_t Describe(PyCodeObject* code, int lasti) {
  const std::string file = Utf8(code->co_filename);
  for (const std::string& prefix : g_cache->hidden_prefixes) {
    if (file.starts_with(prefix)) return 0;
  }
  const std::string function = Utf8(code->co_qualname);
  const int line = PyCode_Addr2Line(code, lasti);
  return memledger_intern_frame(function.c_str(), file.c_str(), line > 0 ? static_cast<std::uint32_t>(line) : 0);
}

// Takes the reference to `code`.
std::uint64_t FrameValue(PyCodeObject* code, int lasti) {
  const auto found = g_cache->values.find(CodeSite{code, lasti});
  if (found != g_cache->values.end()) {
    Py_DECREF(code);
    return found->second;
  }
  const std::uint64_t value = Describe(code, lasti);
  if (g_cache->values.size() < kMaxCachedSites) {
    g_cache->values.emplace(CodeSite{code, lasti}, value);  // keeps the reference
  } else {
    Py_DECREF(code);
  }
  return value;
}

// memledger_frame_provider: this thread's Python frames, innermost first.
std::size_t PythonFrames(std::uint64_t* frames, std::size_t capacity) {
  if (tls_walking || !HoldsGil()) return 0;
  tls_walking = true;
  PyObject *error_type, *error_value, *error_traceback;
  PyErr_Fetch(&error_type, &error_value, &error_traceback);  // the walk must not disturb a pending exception
  std::size_t n = 0;
  PyFrameObject* frame = PyEval_GetFrame();
  Py_XINCREF(frame);
  while (frame != nullptr && n < capacity) {
    if (const std::uint64_t value = FrameValue(PyFrame_GetCode(frame), PyFrame_GetLasti(frame)); value != 0) {
      frames[n++] = value;
    }
    PyFrameObject* back = PyFrame_GetBack(frame);
    Py_DECREF(frame);
    frame = back;
  }
  Py_XDECREF(frame);
  PyErr_Restore(error_type, error_value, error_traceback);
  tls_walking = false;
  return n;
}

void Install(const std::string& hidden_prefix) {
  if (g_cache == nullptr) g_cache = new FrameCache();
  g_cache->hidden_prefixes = {hidden_prefix};
  memledger_set_frame_provider(&PythonFrames, reinterpret_cast<const void*>(&PyEval_GetFrame));
}

}  // namespace

void DefinePythonFrames(py::module_& m) {
  m.def("_install_frame_provider", &Install, py::arg("hidden_prefix"),
        "_install_frame_provider(hidden_prefix: str)\n\nPython frames in stacks from now on; frames in files under "
        "hidden_prefix are left out.");
  m.def("_hide_frames_under",
        [](const std::string& prefix) {
          if (g_cache != nullptr && !prefix.empty()) g_cache->hidden_prefixes.push_back(prefix);
        },
        py::arg("prefix"),
        "_hide_frames_under(prefix: str)\n\nFrames in files under prefix are left out too (memledger's own "
        "code outside the package: the pytest plugin); for call sites not seen yet.");
  m.def("_remove_frame_provider", [] { memledger_set_frame_provider(nullptr, nullptr); },
        "_remove_frame_provider()\n\nNo Python frames in stacks from now on (at interpreter exit).");
}

}  // namespace memledger::python
