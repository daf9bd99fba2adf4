// capture_description.h — the JSON description a capture file (version 2 on)
// carries after its fixed header: who wrote the file and how far to trust
// the process's own words, how the books began (a resumed stream, a later
// segment of a capture cut into several), and the
// layout of what follows (record fields, kind and type names, chunk codec) so
// that a tool can read the file without memledger's headers.
// Schema: "memledger.capture/2"; see docs/capture-format.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "event/handover.h"

namespace memledger {

enum class CaptureWriterKind { kEmbedded, kServer };

// The file is one segment of a capture cut into several (capture_segments.h):
// which one, of which run. Its carried-over chunk holds the books as they
// were when it began, so that it replays alone; its records continue the
// segment before it's, so that a run of segments replays as one history.
struct CaptureSegment {
  std::uint32_t index = 1;              // from 1
  std::uint64_t run_start_unix_ns = 0;  // when the first segment began: with the pid, which run it is of
  std::uint64_t first_seq = 0;          // its first record's sequence number; 0 in the first segment
  std::string previous;                 // the segment before's file name (no directory); empty in the first
  bool operator==(const CaptureSegment&) const = default;
};

struct CaptureDescription {
  CaptureWriterKind writer = CaptureWriterKind::kEmbedded;
  // The server knows the process from the kernel (SO_PEERCRED): the stream's
  // own PROCESS record is then not trusted on replay.
  std::optional<std::uint32_t> uid;
  std::string host;
  std::string producer;  // "memledger 0.1.0"
  // The stream was resumed from another consumer: these books began part-way
  // (what came before: handovers, records_elsewhere, missed_frees), and the
  // file's carried-over chunk holds what was handed over.
  std::optional<Handover> handover;
  std::optional<CaptureSegment> segment;  // set when the capture is cut into segments
};

// A description of a file written here: this host's name, this memledger's
// version, `writer`; the rest left for the writer to fill.
CaptureDescription LocalCaptureDescription(CaptureWriterKind writer);
// The description as written into a file: the fields above plus the layout.
std::string DescribeCapture(const CaptureDescription& description);
// Reads a description back. Unknown members are ignored (later versions may
// add some); a malformed or mistyped one is an error.
std::optional<CaptureDescription> ParseCaptureDescription(std::string_view json, std::string* error);

}  // namespace memledger
