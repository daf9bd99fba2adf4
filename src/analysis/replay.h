// replay.h — feeds a capture through a Ledger: the offline half of the one
// accounting path. A cut file replays what is whole and the cut is
// reported; a capture without the process's end record (cut, or still being
// written) leaves the process running in the books: what it holds there is
// live at the end of the capture, not leaked. Only the capture itself ends a
// process: its PROCESS_END record (the process's own, or the one a server
// writes for a client it saw end).
// A file the server wrote is replayed as the server booked it: the process
// is who the kernel said, its books may begin part-way (a resumed stream)
// with the carried-over buffers first.
//
// A capture cut into segments (capture/capture_segments.h) replays as one
// history from any run of consecutive segments of one process, given in any
// order: the first in index order with its carried-over books (when it is
// not the run's first segment: what was live and declared when it began),
// each later one's records continuing the stream, its carried-over chunk
// skipped (the books hold it already). Files of different runs, a file that
// is no segment among several, or a gap in the indexes are refused. A
// segment cut or damaged, or records missing between two segments (the
// next one's first record is not the one the books expect), end the books
// there (as within a file: they are not continued past a hole), and the
// problem says to read the rest apart.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "capture/capture_reader.h"
#include "event/record.h"
#include "ledger/ledger.h"
#include "ledger/process_stream.h"

namespace memledger {

struct ReplayOptions {
  // Sees every record right after the ledger applied it (exports, reports).
  ProcessStream::Observer observer{};
  // Asked before each record; true ends the replay there with the process
  // left running in the books (a report's --until).
  ProcessStream::StopBefore stop_before{};
  // Called after each chunk with the bytes read so far and the files' size.
  std::function<void(std::uint64_t bytes_read, std::uint64_t file_bytes)> progress{};
};

struct ReplayResult {
  bool opened = false;
  std::string error;      // why the capture could not be opened at all
  std::string problem;    // what was cut or damaged (empty: whole)
  CaptureInfo info;       // the first file's (in index order)
  // The files replayed, in order: the one, or the segments by index.
  std::vector<std::string> files;
  // A capture cut into segments: the first replayed (its index, its first
  // record) and the last one's index; nullopt for a capture of one file.
  std::optional<CaptureSegment> first_segment;
  std::uint32_t last_segment = 0;
  ProcessIndex process{};
  std::uint64_t records = 0;
  bool clean_end = false; // the capture holds the process's end record
  int write_error = 0;    // its writer said it could not write the rest (errno; problem says so)
  bool stopped = false;   // options.stop_before ended the replay
  std::uint64_t file_bytes = 0;
  AssemblerErrors stream_errors;
};

// Replays the capture in `files` (one file, or segments of one run) into
// `ledger` as one new process.
ReplayResult ReplayCapture(std::span<const std::string> files, Ledger& ledger, const ReplayOptions& options = {});
inline ReplayResult ReplayCapture(const std::string& path, Ledger& ledger, const ReplayOptions& options = {}) {
  return ReplayCapture(std::span(&path, 1), ledger, options);
}

}  // namespace memledger
