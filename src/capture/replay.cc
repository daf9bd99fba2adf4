// replay.cc — see replay.h.
#include "capture/replay.h"

namespace memledger {

ReplayResult ReplayCapture(const std::string& path, Ledger& ledger) {
  ReplayResult result;
  auto reader = CaptureReader::Open(path, &result.error);
  if (!reader) return result;
  result.opened = true;
  result.info = reader->info();
  result.process = ledger.BeginProcess(result.info.pid, result.info.comm);

  RecordAssembler assembler;
  std::vector<Event> slots;
  while (!result.clean_end && reader->NextChunk(&slots)) {
    for (const Event& slot : slots) {
      const auto record = assembler.Push(slot);
      if (!record) continue;
      ++result.records;
      ledger.Apply(result.process, *record);
      if (record->kind() == EventKind::kProcessEnd) {
        result.clean_end = true;
        break;
      }
    }
  }
  result.problem = reader->problem();
  result.stream_errors = assembler.errors();
  ledger.CountLost(result.process, assembler.errors().missing_slots);
  if (!result.clean_end) ledger.EndProcess(result.process, ProcessState::kKilled, -1);
  return result;
}

}  // namespace memledger
