// checkpoint_report.cc — see checkpoint_report.h.
#include "report/checkpoint_report.h"

#include <fmt/format.h>

#include <iterator>
#include <nlohmann/json.hpp>

#include "event/json_text.h"
#include "ledger/checkpoint_totals.h"
#include "report/merged_sites.h"
#include "report/printable_text.h"
#include "report/text_report.h"

namespace memledger {
namespace {

using nlohmann::json;

std::string_view RoleName(FrameRole role) {
  switch (role) {
    case FrameRole::kUser: return "user";
    case FrameRole::kRuntime: return "runtime";
    case FrameRole::kAllocator: return "allocator";
  }
  return "user";
}

// The process's own number for ledger-wide `device` (what its hooks pass).
std::size_t LocalDevice(const ProcessBooks& books, std::size_t device) {
  for (std::size_t local = 0; local < books.device_ids.size(); ++local) {
    if (books.device_ids[local] == device) return local;
  }
  return device;
}

json FramesJson(const SiteStack& stack) {
  json frames = json::array();
  for (const SiteFrame& frame : stack.frames) {
    frames.push_back({{"function", frame.function},
                      {"place", frame.place},
                      {"role", RoleName(frame.role)},
                      {"language", frame.native ? "native" : "interpreted"}});
  }
  return frames;
}

json SiteJson(const Ledger& ledger, const ProcessBooks& books, SiteStacks& stacks, const MergedSite& site) {
  json places = json::array();
  for (const SitePlace& place : site.places) {
    places.push_back({{"device", LocalDevice(books, place.device)},
                      {"type", ledger.type_name(place.type)},
                      {"tag", ledger.tag_name(place.process, place.tag)},
                      {"buffers", place.buffers},
                      {"bytes", place.bytes}});
  }
  const SiteStack& stack = *site.stack;
  json out = {{"buffers", site.buffers}, {"bytes", site.bytes}, {"places", std::move(places)}};
  if (stack.frames.empty()) {
    out["headline"] = nullptr;
  } else {
    out["headline"] = stacks.Headline(stack);
  }
  // The headline's frame: the first in the user's code (null: none is).
  if (stack.first_user < stack.frames.size()) {
    out["site"] = stack.frames[stack.first_user].place;
  } else {
    out["site"] = nullptr;
  }
  out["frames"] = FramesJson(stack);
  out["stack"] = stacks.Lines(stack);
  return out;
}

}  // namespace

CheckpointAnswer CheckpointReport(const Ledger& ledger, ProcessIndex process, const CheckpointView& view,
                                  SiteStacks& stacks, std::size_t max_sites) {
  const ProcessBooks& books = ledger.process(process);
  const auto p = static_cast<std::uint32_t>(process);
  SiteMerger merger(ledger, stacks);
  for (const auto& [key, buffer] : view.live) {
    merger.Add(buffer.stack, SitePlace{p, ledger.DeviceOf(process, key.device), buffer.type, buffer.tag, buffer.size, 1});
  }
  const std::vector<MergedSite> sites = merger.Take(SiteOrder::kBytes);
  stacks.ForgetShown();
  const std::uint64_t bytes = TotalsOf(view).bytes;

  CheckpointAnswer answer;
  std::string& text = answer.text;
  if (sites.empty()) {
    text = "nothing allocated since the checkpoint is still live\n";
  } else {
    fmt::format_to(std::back_inserter(text), "{}, {}, allocated since the checkpoint and still live, from {}:\n",
                   Count(view.live.size(), "buffer"), FormatBytes(bytes), Count(sites.size(), "site"));
    for (std::size_t i = 0; i < sites.size() && i < max_sites; ++i) {
      AppendSite(text, ledger, stacks, sites[i],
                 fmt::format("{} in {}", FormatBytes(sites[i].bytes), Count(sites[i].buffers, "buffer")),
                 /*with_pid=*/false);
    }
    if (sites.size() > max_sites) {
      fmt::format_to(std::back_inserter(text), "  \u2026 {} (the JSON lists every one)\n",
                     Count(sites.size() - max_sites, "more site"));
    }
    AppendNoStacksHint(text, sites);
  }

  json out = {{"schema", "memledger.checkpoint/1"},
              {"checkpoint", view.checkpoint},
              {"pid", books.pid},
              {"buffers", view.live.size()},
              {"bytes", bytes}};
  json site_list = json::array();
  absl::flat_hash_map<std::string, std::size_t> site_of;  // identity -> index in site_list
  for (const MergedSite& site : sites) {
    site_of.emplace(site.stack->identity, site_list.size());
    site_list.push_back(SiteJson(ledger, books, stacks, site));
  }
  out["sites"] = std::move(site_list);
  json buffers = json::array();
  for (std::size_t i = 0; i < view.live.size() && i < kMaxListedBuffers; ++i) {
    const auto& [key, buffer] = view.live[i];
    const SiteStack& stack = stacks.Read(books, buffer.stack);
    const auto site = site_of.find(stack.identity);
    buffers.push_back({{"seq", buffer.seq},
                       {"device", key.device},
                       {"type", ledger.type_name(buffer.type)},
                       {"tag", ledger.tag_name(p, buffer.tag)},
                       {"address", buffer.address},
                       {"size", buffer.size},
                       {"site", site == site_of.end() ? json(nullptr) : json(site->second)}});
  }
  out["listed_buffers"] = buffers.size();
  out["buffer_list"] = std::move(buffers);
  json peaks = json::array();
  for (const CheckpointPeak& peak : view.peaks) {
    peaks.push_back({{"device", LocalDevice(books, peak.device)},
                     {"type", ledger.type_name(peak.type)},
                     {"at_begin", peak.at_begin},
                     {"peak", peak.peak},
                     {"now", peak.now},
                     {"peak_above_begin", peak.peak - peak.at_begin}});
  }
  out["peaks"] = std::move(peaks);
  answer.json = JsonText(out);
  return answer;
}

}  // namespace memledger
