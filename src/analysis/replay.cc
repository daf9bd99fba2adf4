// replay.cc — see replay.h.
#include "analysis/replay.h"

#include <algorithm>
#include <filesystem>

#include "capture/capture_format.h"
#include "capture/chunk_prefetcher.h"
#include "ledger/carry_over.h"
#include "ledger/process_stream.h"

namespace memledger {
namespace {

struct CaptureFile {
  std::string path;
  CaptureInfo info;
  std::uint64_t bytes = 0;
  std::uint32_t index() const { return info.description.segment ? info.description.segment->index : 0; }
};

std::string FileName(const std::string& path) { return std::filesystem::path(path).filename().string(); }

// Adds what else was cut, damaged or missing to what the result says.
void AddProblem(ReplayResult& result, const std::string& problem) {
  result.problem += (result.problem.empty() ? "" : "; ") + problem;
}

// `files` in the order they replay, checked to be one capture: one file, or
// consecutive segments of one run. False, with *error, when they are not.
bool OrderFiles(std::span<const std::string> files, std::vector<CaptureFile>* ordered, std::string* error) {
  if (files.empty()) {
    *error = "no capture file was given";
    return false;
  }
  for (const std::string& path : files) {
    const auto reader = CaptureReader::Open(path, error);
    if (!reader) return false;
    ordered->push_back({path, reader->info(), reader->file_bytes()});
  }
  if (ordered->size() == 1) return true;
  for (const CaptureFile& file : *ordered) {
    if (file.index() == 0) {
      *error = file.path + " is a capture of its own, not a segment of a capture cut into segments: report it alone";
      return false;
    }
  }
  std::stable_sort(ordered->begin(), ordered->end(),
                   [](const CaptureFile& a, const CaptureFile& b) { return a.index() < b.index(); });
  const CaptureFile& first = ordered->front();
  for (std::size_t i = 1; i < ordered->size(); ++i) {
    const CaptureFile& before = (*ordered)[i - 1];
    const CaptureFile& file = (*ordered)[i];
    if (file.info.pid != first.info.pid ||
        file.info.description.segment->run_start_unix_ns != first.info.description.segment->run_start_unix_ns) {
      *error = file.path + " and " + first.path + " are segments of different runs (pid " +
               std::to_string(file.info.pid) + " and pid " + std::to_string(first.info.pid) +
               ", or begun at other times): report one run at a time";
      return false;
    }
    if (file.index() == before.index()) {
      *error = file.path + " and " + before.path + " are both segment " + std::to_string(file.index()) + " of the run";
      return false;
    }
    if (file.index() != before.index() + 1) {
      const std::uint32_t from = before.index() + 1, to = file.index() - 1;
      *error = (from == to ? "segment " + std::to_string(from) + " of the run is"
                           : "segments " + std::to_string(from) + " to " + std::to_string(to) + " of the run are") +
               " missing (between " + before.path + " and " + file.path +
               "): read the segments on either side of the gap apart";
      return false;
    }
  }
  return true;
}

}  // namespace

ReplayResult ReplayCapture(std::span<const std::string> files, Ledger& ledger, const ReplayOptions& options) {
  ReplayResult result;
  std::vector<CaptureFile> ordered;
  if (!OrderFiles(files, &ordered, &result.error)) return result;
  result.opened = true;
  result.info = ordered.front().info;
  for (const CaptureFile& file : ordered) {
    result.files.push_back(file.path);
    result.file_bytes += file.bytes;
  }
  const CaptureDescription& description = result.info.description;
  if (description.segment) {
    result.first_segment = description.segment;
    result.last_segment = ordered.back().index();
  }
  // A later segment alone: its first records are in the segments before,
  // and its carried-over chunk holds all of the books they left.
  const bool later_segment = description.segment && description.segment->index > 1;
  const bool from_server = description.writer == CaptureWriterKind::kServer;
  result.process = ledger.BeginProcess(result.info.pid, result.info.comm, description.uid);
  if (description.handover) ledger.JoinLate(result.process, *description.handover);

  ProcessStream stream(result.process, from_server ? ProcessRecord::kIgnore : ProcessRecord::kApply);
  stream.set_observer(options.observer);
  stream.set_stop_before(options.stop_before);
  std::vector<Event> carried;  // the first file's carried-over chunks, applied whole before its first event chunk
  std::uint64_t missing_start = 0;
  std::uint64_t bytes_before = 0;  // of the files read whole
  for (std::size_t i = 0; i < ordered.size() && !stream.ended(); ++i) {
    std::string error;
    auto reader = CaptureReader::Open(ordered[i].path, &error);
    if (!reader) {  // it opened a moment ago
      AddProblem(result, error);
      break;
    }
    // Read and decompressed on a thread of its own, ahead of the books.
    ChunkPrefetcher chunks(std::move(reader));
    bool at_seam = i > 0;  // a later segment's first records must follow the ones before
    bool hole = false;
    while (!stream.ended()) {
      ChunkPrefetcher::Chunk* chunk = chunks.Next();
      if (chunk == nullptr) break;
      if (chunk->flags & kChunkCarriedOver) {
        // A later file's carried-over books are what the books hold already.
        if (i == 0) carried.insert(carried.end(), chunk->slots.begin(), chunk->slots.end());
      } else {
        if (at_seam && stream.next_seq() != 0 && chunk->slots.front().seq != stream.next_seq()) {
          // Records lost between the files (one cut at a chunk boundary): as
          // within a file, the books are not continued past the hole.
          AddProblem(result, "records " + std::to_string(stream.next_seq()) + " to " +
                                 std::to_string(chunk->slots.front().seq - 1) + " are missing between " +
                                 FileName(ordered[i - 1].path) + " and " + FileName(ordered[i].path) +
                                 ": the books stop there: read " + FileName(ordered[i].path) + " on apart");
          result.last_segment = ordered[i - 1].index();
          hole = true;
          break;
        }
        at_seam = false;
        // The stream's first records are not in the file, and nothing says
        // another consumer or an earlier segment had them: the books begin
        // part-way, and say so.
        if (stream.records() == 0 && chunk->missing_at_start != 0 && !description.handover && !later_segment) {
          ledger.JoinLate(result.process, Handover{.records_elsewhere = chunk->missing_at_start});
          missing_start = chunk->missing_at_start;
        }
        if (!carried.empty()) ApplyCarriedOver(ledger, result.process, carried);
        carried.clear();
        stream.Apply(ledger, chunk->slots, std::nullopt);
      }
      if (options.progress) options.progress(bytes_before + chunk->bytes_read, result.file_bytes);
    }
    if (hole) break;
    // Past the process's end (or the window's), what comes after is not read: no problem of it is said.
    if (chunks.write_error() != 0) result.write_error = chunks.write_error();
    bytes_before += ordered[i].bytes;
    if (!chunks.problem().empty()) {
      AddProblem(result, (ordered.size() > 1 ? FileName(ordered[i].path) + ": " : std::string()) + chunks.problem());
      // Not continued past a hole (a missing free, an invented overlap): the
      // next segment's own books are whole, read alone.
      if (i + 1 < ordered.size()) {
        result.problem += "; the books stop there: read " + FileName(ordered[i + 1].path) + " on apart";
        result.last_segment = ordered[i].index();
        break;
      }
    }
  }
  if (!carried.empty()) ApplyCarriedOver(ledger, result.process, carried);
  result.clean_end = stream.ended() && !stream.stopped();
  result.stopped = stream.stopped();
  result.records = stream.records();
  if (missing_start != 0) {
    result.problem = "the capture's first " + std::to_string(missing_start) +
                     " records are missing: its books begin part-way" +
                     (result.problem.empty() ? "" : "; " + result.problem);
  }
  if (result.problem.empty() && !stream.ended()) {
    result.problem = result.first_segment
                         ? "segment " + std::to_string(result.last_segment) +
                               " ends without the process's end record: the run goes on in segment " +
                               std::to_string(result.last_segment + 1) +
                               " (report them together), or the process was killed, or it is still being written"
                         : "the capture ends without the process's end record: the process was killed, the file was "
                           "cut at a chunk boundary, or it is still being written";
  }
  result.stream_errors = stream.errors();
  ledger.CountLost(result.process, stream.errors().missing_slots);
  return result;
}

}  // namespace memledger
