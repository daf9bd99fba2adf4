// call_errors.cc — see call_errors.h.
#include "call_errors.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "python_text.h"

namespace py = pybind11;

namespace memledger::python {
namespace {

struct Parameter {
  std::string name;
  bool keyword_only = false;
  bool required = true;
};

// A function's signature, from the first line of its docstring.
struct Signature {
  std::string function;
  std::string text;  // "track_alloc(*, device: int, ...)"
  std::vector<Parameter> parameters;
};

std::string_view Trimmed(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

// The pieces of a parameter list between commas outside brackets.
std::vector<std::string_view> TopLevelPieces(std::string_view list) {
  std::vector<std::string_view> pieces;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= list.size(); ++i) {
    const char c = i < list.size() ? list[i] : ',';
    if (c == '[' || c == '(' || c == '{') ++depth;
    if (c == ']' || c == ')' || c == '}') --depth;
    if (c == ',' && depth == 0) {
      if (const std::string_view piece = Trimmed(list.substr(start, i - start)); !piece.empty()) {
        pieces.push_back(piece);
      }
      start = i + 1;
    }
  }
  return pieces;
}

Signature ParseSignature(std::string_view function, std::string_view doc) {
  Signature signature{std::string(function), std::string(doc.substr(0, doc.find('\n'))), {}};
  const std::string_view line = signature.text;
  const std::size_t open = line.find('(');
  if (open == std::string_view::npos) return signature;
  // The parameter list's closing parenthesis (not one of a return type's).
  std::size_t close = open + 1;
  for (int depth = 1; close < line.size(); ++close) {
    if (line[close] == '(') ++depth;
    if (line[close] == ')' && --depth == 0) break;
  }
  bool keyword_only = false;
  for (const std::string_view piece : TopLevelPieces(line.substr(open + 1, close - open - 1))) {
    if (piece == "*") {
      keyword_only = true;
      continue;
    }
    const std::size_t end = piece.find_first_of(":=");
    signature.parameters.push_back({std::string(Trimmed(piece.substr(0, end))), keyword_only,
                                    piece.find(" = ") == std::string_view::npos});
  }
  return signature;
}

std::string Quoted(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "'" : ", '") + name + "'";
  return out;
}

// What is wrong with a call of `s` with `positional` arguments and `keywords`, in Python's words.
std::string CallError(const Signature& s, std::size_t positional, const py::dict& keywords) {
  std::vector<std::string> by_position;
  std::vector<std::string> all;
  for (const Parameter& p : s.parameters) {
    if (!p.keyword_only) by_position.push_back(p.name);
    all.push_back(p.name);
  }
  if (positional > by_position.size()) {
    const std::string given = std::to_string(positional) + (positional == 1 ? " was" : " were") + " given";
    if (by_position.empty() && !all.empty()) {
      return s.function + "() takes keyword arguments only (" + Quoted(all) + "), but " + given +
             " by position: call it as " + s.text;
    }
    return s.function + "() takes " + std::to_string(by_position.size()) + " positional argument" +
           (by_position.size() == 1 ? "" : "s") + (by_position.empty() ? "" : " (" + Quoted(by_position) + ")") +
           " but " + given + ": call it as " + s.text;
  }
  std::vector<std::string> missing;
  for (std::size_t i = 0; i < s.parameters.size(); ++i) {
    const Parameter& p = s.parameters[i];
    const bool by_keyword = keywords.contains(py::str(p.name));
    const bool given_by_position = !p.keyword_only && i < positional;
    if (by_keyword && given_by_position) return s.function + "() got multiple values for argument '" + p.name + "'";
    if (p.required && !by_keyword && !given_by_position) missing.push_back(p.name);
  }
  for (const auto [key, value] : keywords) {
    const std::string name = py::str(key);
    if (std::find(all.begin(), all.end(), name) == all.end()) {
      return s.function + "() got an unexpected keyword argument '" + name + "'; its parameters are " + Quoted(all);
    }
  }
  if (!missing.empty()) {
    return s.function + "() missing required argument" + (missing.size() == 1 ? "" : "s") + ": " + Quoted(missing);
  }
  return s.function + "() cannot be called so: call it as " + s.text;
}

}  // namespace

void ExplainCallErrors(py::module_& m) {
  std::vector<std::string> names;
  for (const auto [key, value] : m.attr("__dict__").cast<py::dict>()) {
    const std::string name = py::str(key);
    if (!name.starts_with("_") && PyCFunction_Check(value.ptr())) names.push_back(name);
  }
  for (const std::string& name : names) {
    const py::object doc = m.attr(name.c_str()).attr("__doc__");
    const Signature signature = ParseSignature(name, doc.is_none() ? "" : doc.cast<std::string>());
    m.def(name.c_str(), [signature](const py::args& args, const py::kwargs& keywords) {
      RaiseWithText(PyExc_TypeError, CallError(signature, args.size(), keywords));
    });
  }
}

}  // namespace memledger::python
