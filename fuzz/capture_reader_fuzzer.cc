// capture_reader_fuzzer.cc — arbitrary bytes after a valid capture header,
// and arbitrary whole files, through CaptureReader and ReplayCapture: no
// crash, no hang; damage is reported, never guessed past.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "capture/capture_format.h"
#include "capture/replay.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace memledger;
  static const std::string path = "/tmp/memledger-fuzz-capture-" + std::to_string(getpid()) + ".mlcap";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return 0;
  // The first byte picks the mode: odd, a valid header goes first so the
  // fuzzer reaches the chunks; even, the rest is the whole file.
  if (size == 0) return 0;
  const bool with_header = (data[0] & 1) != 0;
  ++data;
  --size;
  if (with_header) {
    CaptureFileHeader header{};
    std::memcpy(header.magic, kCaptureMagic, sizeof(header.magic));
    header.version = kCaptureVersion;
    header.header_bytes = sizeof(header);
    header.slot_bytes = 64;
    std::fwrite(&header, sizeof(header), 1, f);
  }
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  Ledger ledger;
  const ReplayResult result = ReplayCapture(path, ledger);
  if (result.opened && ledger.Validate()) __builtin_trap();
  return 0;
}
