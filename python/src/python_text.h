// python_text.h — text crossing between C++ and Python without raising.
//
// C++ to Python: names in the ledger are valid UTF-8 by construction
// (event/record.h), but every std::string handed to Python that can hold a
// name, a path or a message decodes with errors="replace", so no ill-formed
// byte (a path from the environment, a capture from an older writer) turns a
// result into UnicodeDecodeError. Python to C++: a str with lone surrogates
// (os.fsdecode of a non-UTF-8 file name) encodes with errors="surrogateescape",
// back to the bytes it stands for; the decoders then make them valid.
//
// Call with the GIL held.
#pragma once

#include <pybind11/pybind11.h>

#include <string>
#include <string_view>

namespace memledger::python {

// `text` as a str; ill-formed UTF-8 as U+FFFD.
inline pybind11::str PythonText(std::string_view text) {
  PyObject* decoded = PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()), "replace");
  if (decoded == nullptr) throw pybind11::error_already_set();  // out of memory
  return pybind11::reinterpret_steal<pybind11::str>(decoded);
}

// Raises Python's `type` (e.g. PyExc_ValueError) with `message` as PythonText.
[[noreturn]] inline void RaiseWithText(PyObject* type, std::string_view message) {
  PyErr_SetObject(type, PythonText(message).ptr());
  throw pybind11::error_already_set();
}

// The bytes of `text`, a str: UTF-8, lone surrogates as surrogateescape's
// bytes. False, with Python's error set, when it is not a str or holds a
// surrogate surrogateescape does not map (U+D800–U+DC7F). Does not throw.
inline bool EncodeUtf8Bytes(PyObject* text, std::string* out) {
  PyObject* encoded = PyUnicode_AsEncodedString(text, "utf-8", "surrogateescape");
  if (encoded == nullptr) return false;
  out->assign(PyBytes_AS_STRING(encoded), static_cast<std::size_t>(PyBytes_GET_SIZE(encoded)));
  Py_DECREF(encoded);
  return true;
}

// As EncodeUtf8Bytes; Python's error raised as a C++ exception.
inline std::string Utf8Bytes(pybind11::handle text) {
  std::string out;
  if (!EncodeUtf8Bytes(text.ptr(), &out)) throw pybind11::error_already_set();
  return out;
}

}  // namespace memledger::python
