// capture_file_name.h — the part of a capture's file name that comes from
// its process's comm (`memledger serve --capture`, `memledger run` over a
// process tree). The comm is the process's own choice: kept to
// [A-Za-z0-9_-], every other byte an underscore, "process" when empty.
#pragma once

#include <cctype>
#include <string>
#include <string_view>

namespace memledger {

inline std::string CommForFileName(std::string_view comm) {
  std::string name;
  for (const char c : comm) name += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_';
  return name.empty() ? "process" : name;
}

}  // namespace memledger
