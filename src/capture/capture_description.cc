// capture_description.cc — see capture_description.h.
#include "capture/capture_description.h"

#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstddef>

#include "capture/capture_format.h"
#include "event/event.h"
#include "event/json_text.h"

namespace memledger {
namespace {

using nlohmann::json;

json RecordLayout() {
  struct Field {
    const char* name;
    std::size_t offset;
    std::size_t bytes;
  };
  const Field fields[] = {
      {"seq", offsetof(Event, seq), sizeof(Event::seq)},
      {"time_ns", offsetof(Event, time_ns), sizeof(Event::time_ns)},
      {"buffer_id", offsetof(Event, buffer_id), sizeof(Event::buffer_id)},
      {"address", offsetof(Event, address), sizeof(Event::address)},
      {"size", offsetof(Event, size), sizeof(Event::size)},
      {"thread", offsetof(Event, thread), sizeof(Event::thread)},
      {"stack", offsetof(Event, stack), sizeof(Event::stack)},
      {"tag", offsetof(Event, tag), sizeof(Event::tag)},
      {"device", offsetof(Event, device), sizeof(Event::device)},
      {"kind", offsetof(Event, kind), sizeof(Event::kind)},
      {"type", offsetof(Event, type), sizeof(Event::type)},
      {"payload_bytes", offsetof(Event, payload_bytes), sizeof(Event::payload_bytes)},
  };
  json layout = json::array();
  for (const Field& f : fields) {
    layout.push_back({{"name", f.name}, {"offset", f.offset}, {"bytes", f.bytes}, {"encoding", "uint little-endian"}});
  }
  return layout;
}

const char* WriterName(CaptureWriterKind writer) {
  return writer == CaptureWriterKind::kServer ? "server" : "embedded";
}

}  // namespace

CaptureDescription LocalCaptureDescription(CaptureWriterKind writer) {
  CaptureDescription description;
  description.writer = writer;
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) == 0) description.host = host;
  description.producer = "memledger " MEMLEDGER_VERSION;
  return description;
}

std::string DescribeCapture(const CaptureDescription& description) {
  json d;
  d["schema"] = "memledger.capture/2";
  d["producer"] = description.producer;
  d["writer"] = WriterName(description.writer);
  d["process_identity"] = description.writer == CaptureWriterKind::kServer ? "peer credentials" : "self-reported";
  if (description.uid) d["uid"] = *description.uid;
  d["host"] = description.host;
  if (const auto& h = description.handover) {
    d["handover"] = {
        {"handovers", h->handovers}, {"records_elsewhere", h->records_elsewhere}, {"missed_frees", h->missed_frees}};
  }
  if (const auto& s = description.segment) {
    d["segment"] = {{"index", s->index}, {"run_start_unix_ns", s->run_start_unix_ns}};
    if (s->index > 1) {
      d["segment"]["first_seq"] = s->first_seq;
      d["segment"]["previous"] = s->previous;
    }
  }
  json kinds = json::object();
  for (std::uint8_t k = 1; k <= kLastEventKind; ++k) kinds[std::to_string(k)] = KindName(static_cast<EventKind>(k));
  json types = json::object();
  for (std::uint8_t t = 0; t < kBuiltinTypeCount; ++t) types[std::to_string(t)] = BuiltinTypeName(t);
  d["record"] = {{"bytes", kSlotBytes},
                 {"fields", RecordLayout()},
                 {"continuation", {{"payload_offset", sizeof(std::uint64_t)}, {"payload_bytes", kContinuationPayload}}},
                 {"kinds", kinds},
                 {"builtin_types", types}};
  d["chunks"] = {{"header_bytes", sizeof(ChunkHeader)},
                 {"magic", kChunkMagic},
                 {"codecs", {{std::to_string(kCodecZstd), "zstd"}, {std::to_string(kCodecColumns), "zstd of slot columns"}}},
                 {"flags", {{std::to_string(kChunkCarriedOver), "carried-over"}}},
                 {"max_slots", kMaxChunkSlots}};
  return JsonText(d);
}

std::optional<CaptureDescription> ParseCaptureDescription(std::string_view text, std::string* error) {
  const json d = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!d.is_object()) {
    *error = "its description is not a JSON object";
    return std::nullopt;
  }
  try {
    CaptureDescription description;
    const std::string writer = d.value("writer", std::string("embedded"));
    if (writer == "server") {
      description.writer = CaptureWriterKind::kServer;
    } else if (writer != "embedded") {
      *error = "its description names an unknown writer \"" + writer + "\"";
      return std::nullopt;
    }
    if (d.contains("uid")) description.uid = d.at("uid").get<std::uint32_t>();
    description.host = d.value("host", std::string());
    description.producer = d.value("producer", std::string());
    if (d.contains("handover")) {
      const json& h = d.at("handover");
      description.handover = Handover{.joined_late = true,
                                      .handovers = h.at("handovers").get<std::uint64_t>(),
                                      .records_elsewhere = h.at("records_elsewhere").get<std::uint64_t>(),
                                      .missed_frees = h.at("missed_frees").get<std::uint64_t>()};
    }
    if (d.contains("segment")) {
      const json& s = d.at("segment");
      CaptureSegment segment;
      segment.index = s.at("index").get<std::uint32_t>();
      segment.run_start_unix_ns = s.at("run_start_unix_ns").get<std::uint64_t>();
      if (segment.index == 0) {
        *error = "its description names segment 0 (segments count from 1)";
        return std::nullopt;
      }
      if (segment.index > 1) {
        segment.first_seq = s.at("first_seq").get<std::uint64_t>();
        segment.previous = s.value("previous", std::string());  // for people: readers go by index
      }
      description.segment = std::move(segment);
    }
    return description;
  } catch (const json::exception& e) {
    *error = std::string("its description has a bad member: ") + e.what();
    return std::nullopt;
  }
}

}  // namespace memledger
