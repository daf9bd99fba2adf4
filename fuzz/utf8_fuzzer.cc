// utf8_fuzzer.cc — arbitrary bytes as a name: ValidUtf8, Utf8Prefix,
// DecodeName and PrintableText never crash, and what they promise holds:
//   - ValidUtf8's output is valid, the input unchanged when it was valid, and
//     a second pass changes nothing;
//   - a cut of valid text at any limit is valid, within the limit, and leaves
//     out at most one character (3 bytes);
//   - a decoded name is valid and at most kMaxNameRecordBytes;
//   - printable text is valid and holds no C0 control or DEL byte.
// Input: the first byte is the cut's limit; the rest is the name.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "event/record.h"
#include "event/utf8.h"
#include "report/printable_text.h"

namespace {

void Check(bool holds, const char* what) {
  if (holds) return;
  std::fprintf(stderr, "utf8 fuzzer: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace memledger;
  if (size == 0) return 0;
  const std::size_t limit = data[0];
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);

  const std::string valid = ValidUtf8(bytes);
  Check(IsValidUtf8(valid), "ValidUtf8 gave ill-formed text");
  Check(!IsValidUtf8(bytes) || valid == bytes, "ValidUtf8 changed valid text");
  Check(ValidUtf8(valid) == valid, "ValidUtf8 is not stable");

  const std::string_view cut = Utf8Prefix(valid, limit);
  Check(cut.size() <= limit, "Utf8Prefix went over its limit");
  Check(cut.size() + 3 >= std::min(limit, valid.size()), "Utf8Prefix left out more than a character");
  Check(IsValidUtf8(cut), "Utf8Prefix split a character");
  Check(Utf8Prefix(bytes, limit).size() <= limit, "Utf8Prefix of raw bytes went over its limit");

  const std::string name = DecodeName(bytes);
  Check(name.size() <= kMaxNameRecordBytes && IsValidUtf8(name), "DecodeName gave a bad name");

  const std::string shown = PrintableText(bytes);
  Check(IsValidUtf8(shown), "PrintableText gave ill-formed text");
  for (const char c : shown) {
    const auto byte = static_cast<unsigned char>(c);
    Check(byte >= 0x20 && byte != 0x7f, "PrintableText let a control byte through");
  }
  return 0;
}
