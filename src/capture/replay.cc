// replay.cc — see replay.h.
#include "capture/replay.h"

#include "ledger/process_stream.h"

namespace memledger {

ReplayResult ReplayCapture(const std::string& path, Ledger& ledger, ProcessStream::Observer observer) {
  ReplayResult result;
  auto reader = CaptureReader::Open(path, &result.error);
  if (!reader) return result;
  result.opened = true;
  result.info = reader->info();
  result.process = ledger.BeginProcess(result.info.pid, result.info.comm);

  ProcessStream stream(result.process, ProcessRecord::kApply);
  stream.set_observer(std::move(observer));
  std::vector<Event> slots;
  while (!stream.ended() && reader->NextChunk(&slots)) stream.Apply(ledger, slots, std::nullopt);
  result.clean_end = stream.ended();
  result.records = stream.records();
  result.problem = reader->problem();
  result.stream_errors = stream.errors();
  ledger.CountLost(result.process, stream.errors().missing_slots);
  if (!result.clean_end) ledger.EndProcess(result.process, ProcessState::kKilled, -1);
  return result;
}

}  // namespace memledger
