// replay.h — feeds a capture file through a Ledger: the offline half of the
// one accounting path. A cut file replays what is whole; the process is then
// ended as killed (it left no clean end record) and the cut is reported.
#pragma once

#include <functional>
#include <string>

#include "capture/capture_reader.h"
#include "event/record.h"
#include "ledger/ledger.h"
#include "ledger/process_stream.h"

namespace memledger {

struct ReplayResult {
  bool opened = false;
  std::string error;      // why the file could not be opened at all
  std::string problem;    // what was cut or damaged (empty: whole)
  CaptureInfo info;
  ProcessIndex process{};
  std::uint64_t records = 0;
  bool clean_end = false; // the capture holds the process's end record
  AssemblerErrors stream_errors;
};

// Replays `path` into `ledger` as one new process. `observer`, when given,
// sees every record right after the ledger applied it (exports).
ReplayResult ReplayCapture(const std::string& path, Ledger& ledger,
                           ProcessStream::Observer observer = {});

}  // namespace memledger
