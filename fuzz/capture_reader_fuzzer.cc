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
  // Half the inputs get a valid header, so the fuzzer reaches the chunks.
  if (size > 0 && (data[0] & 1) != 0) {
    CaptureFileHeader header{};
    std::memcpy(header.magic, kCaptureMagic, sizeof(header.magic));
    header.version = kCaptureVersion;
    header.header_bytes = sizeof(header);
    header.slot_bytes = 64;
    std::fwrite(&header, sizeof(header), 1, f);
    ++data;
    --size;
  }
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  Ledger ledger;
  const ReplayResult result = ReplayCapture(path, ledger);
  if (result.opened && ledger.Validate()) __builtin_trap();
  return 0;
}
