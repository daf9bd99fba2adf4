// capture_reader_fuzzer.cc — arbitrary bytes through CaptureReader,
// ReplayCapture and the analysis of memory over time: after a valid header
// and description (so the fuzzer reaches the chunks), as the description
// itself, or as whole files. No crash, no hang; damage is reported, never
// guessed past; the ledger's invariants hold, and what was live at every peak
// adds up to the peak, whatever the events say.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "analysis/capture_analysis.h"
#include "analysis/replay.h"
#include "capture/capture_description.h"
#include "capture/capture_format.h"

namespace {

void WriteHeader(std::FILE* f, std::string_view description) {
  using namespace memledger;
  CaptureFileHeader header{};
  std::memcpy(header.magic, kCaptureMagic, sizeof(header.magic));
  header.version = kCaptureVersion;
  header.header_bytes = static_cast<std::uint32_t>(sizeof(header) + description.size());
  header.slot_bytes = kSlotBytes;
  std::fwrite(&header, sizeof(header), 1, f);
  std::fwrite(description.data(), 1, description.size(), f);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace memledger;
  static const std::string path = "/tmp/memledger-fuzz-capture-" + std::to_string(getpid()) + ".mlcap";
  static const std::string server_description = [] {
    CaptureDescription d = LocalCaptureDescription(CaptureWriterKind::kServer);
    d.uid = 1000;
    d.handover = Handover{.joined_late = true, .handovers = 1, .records_elsewhere = 10, .missed_frees = 2};
    return DescribeCapture(d);
  }();
  if (size < 2) return 0;
  // The first byte picks the mode: 0, the rest is the whole file; 1, a valid
  // embedded header first; 2, a valid server header (resumed books, carried-
  // over chunks) first; 3, the next data[1] bytes are the description.
  const std::uint8_t mode = data[0] & 3;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return 0;
  if (mode == 1) WriteHeader(f, DescribeCapture(LocalCaptureDescription(CaptureWriterKind::kEmbedded)));
  if (mode == 2) WriteHeader(f, server_description);
  if (mode == 3) {
    const std::size_t n = std::min<std::size_t>(static_cast<std::uint8_t>(rest[0]), rest.size() - 1);
    WriteHeader(f, rest.substr(1, n));
    rest.remove_prefix(1 + n);
  }
  std::fwrite(rest.data(), 1, rest.size(), f);
  std::fclose(f);

  Ledger ledger;
  CaptureAnalysis analysis;
  const ReplayResult result = ReplayAnalyzed(path, ledger, analysis);
  if (!result.opened) return 0;
  if (ledger.Validate()) __builtin_trap();
  // Carried-over buffers are numbered by their own stream, which a hostile
  // file may number above its events: "allocated before the peak" then
  // cannot be told, so the sum is checked for files without them.
  const bool carried = ledger.process(result.process).handover.carried_buffers != 0;
  for (const SeriesPeak& peak : analysis.Peaks(ledger)) {
    if (carried) break;
    std::uint64_t live = 0;
    for (const SiteAmount& amount : peak.live) live += amount.bytes;
    if (live != peak.bytes) __builtin_trap();
  }
  analysis.TopByBytes(10);
  analysis.Growth();
  return 0;
}
