# embed_assets.cmake — turns viewer files into C++ (run by CMake at build time,
# see src/report/CMakeLists.txt): the files named in INPUTS (separated by '|'),
# concatenated in that order, become
#   const std::string_view memledger::html_assets::NAME
# in the generated source OUTPUT, declared in src/report/html/assets.h.
#   cmake -DNAME=kViewerJs -DINPUTS="a.js|b.js" -DOUTPUT=out.cc -P embed_assets.cmake
string(REPLACE "|" ";" inputs "${INPUTS}")
set(hex "")
foreach(input IN LISTS inputs)
  file(READ "${input}" content HEX)
  string(APPEND hex "${content}")
endforeach()
# A line break every 16 bytes (CMake's regex has no {n}), then "0x..," per byte.
string(REPEAT "[0-9a-f]" 32 line)
string(REGEX REPLACE "(${line})" "\\1\n" hex "${hex}")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE "${OUTPUT}.tmp"
"// Generated from ${INPUTS} by embed_assets.cmake: do not edit.
#include \"report/html/assets.h\"

namespace memledger::html_assets {
namespace {
constexpr unsigned char kBytes[] = {
${bytes}0x00};
}  // namespace
const std::string_view ${NAME}(reinterpret_cast<const char*>(kBytes), sizeof(kBytes) - 1);
}  // namespace memledger::html_assets
")
# Only a changed source touches the output, so nothing rebuilds needlessly.
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
