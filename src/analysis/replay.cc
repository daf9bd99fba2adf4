// replay.cc — see replay.h.
#include "analysis/replay.h"

#include "capture/capture_format.h"
#include "ledger/carry_over.h"
#include "ledger/process_stream.h"

namespace memledger {

ReplayResult ReplayCapture(const std::string& path, Ledger& ledger, const ReplayOptions& options) {
  ReplayResult result;
  auto reader = CaptureReader::Open(path, &result.error);
  if (!reader) return result;
  result.opened = true;
  result.info = reader->info();
  result.file_bytes = reader->file_bytes();
  const CaptureDescription& description = result.info.description;
  const bool from_server = description.writer == CaptureWriterKind::kServer;
  result.process = ledger.BeginProcess(result.info.pid, result.info.comm, description.uid);
  if (description.handover) ledger.JoinLate(result.process, *description.handover);

  ProcessStream stream(result.process, from_server ? ProcessRecord::kIgnore : ProcessRecord::kApply);
  stream.set_observer(options.observer);
  stream.set_stop_before(options.stop_before);
  std::vector<Event> slots;
  std::vector<Event> carried;  // carried-over chunks, applied whole before the first event chunk
  std::uint32_t flags = 0;
  std::uint64_t missing_start = 0;
  while (!stream.ended() && reader->NextChunk(&slots, &flags)) {
    if (flags & kChunkCarriedOver) {
      carried.insert(carried.end(), slots.begin(), slots.end());
    } else {
      // The stream's first records are not in the file, and nothing says
      // another consumer had them: the books begin part-way, and say so.
      if (stream.records() == 0 && reader->missing_at_start() != 0 && !description.handover) {
        ledger.JoinLate(result.process, Handover{.records_elsewhere = reader->missing_at_start()});
        missing_start = reader->missing_at_start();
      }
      if (!carried.empty()) ApplyCarriedOver(ledger, result.process, carried);
      carried.clear();
      stream.Apply(ledger, slots, std::nullopt);
    }
    if (options.progress) options.progress(reader->bytes_read(), reader->file_bytes());
  }
  if (!carried.empty()) ApplyCarriedOver(ledger, result.process, carried);
  result.clean_end = stream.ended() && !stream.stopped();
  result.stopped = stream.stopped();
  result.records = stream.records();
  result.problem = reader->problem();
  result.write_error = reader->write_error();
  if (missing_start != 0) {
    result.problem = "the capture's first " + std::to_string(missing_start) +
                     " records are missing: its books begin part-way" +
                     (result.problem.empty() ? "" : "; " + result.problem);
  }
  if (result.problem.empty() && !stream.ended()) {
    result.problem = "the capture ends without the process's end record: the process was killed, the file was cut "
                     "at a chunk boundary, or it is still being written";
  }
  result.stream_errors = stream.errors();
  ledger.CountLost(result.process, stream.errors().missing_slots);
  return result;
}

}  // namespace memledger
