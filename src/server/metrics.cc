// metrics.cc — see metrics.h.
#include "server/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <tuple>
#include <vector>

namespace memledger {
namespace {

// Label values escape backslash, double quote and newline.
std::string Escape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

std::string RenderMetrics(const Ledger& ledger, const MetricsCounters& counters, std::size_t max_processes) {
  std::string out;
  auto sample = [&out](std::string_view name, const std::string& labels, std::uint64_t value) {
    fmt::format_to(std::back_inserter(out), "{}{{{}}} {}\n", name, labels, value);
  };
  // Devices and types that have been used, with their label sets.
  struct Series {
    std::size_t device;
    std::size_t type;
    std::string labels;  // device, name, uid (when known), type
  };
  std::vector<Series> series;
  for (std::size_t d = 0; d < ledger.devices().size(); ++d) {
    const DeviceBooks& device = ledger.devices()[d];
    if (!device.seen) continue;
    std::vector<std::size_t> used;  // types with counters or a capacity, in type order
    for (const auto& [t, c] : device.types) {
      if (!c.empty()) used.push_back(t);
    }
    for (const auto& [t, bytes] : device.capacity) {
      if (bytes != 0) used.push_back(t);
    }
    std::sort(used.begin(), used.end());
    used.erase(std::unique(used.begin(), used.end()), used.end());
    const std::string uid = device.uid.empty() ? "" : fmt::format(R"(uid="{}",)", Escape(device.uid));
    for (const std::size_t t : used) {
      series.push_back({d, t, fmt::format(R"(device="{}",name="{}",{}type="{}")", d, Escape(device.name), uid,
                                          Escape(ledger.type_name(t)))});
    }
  }
  auto per_device = [&](std::string_view name, std::string_view help, auto value) {
    Family(out, name, "gauge", help);
    for (const Series& s : series) sample(name, s.labels, value(ledger.devices()[s.device], s.type));
  };
  per_device("memledger_device_used_bytes", "Bytes live on the device, by memory type, over all processes.",
             [](const DeviceBooks& d, std::size_t t) { return d.types[t].live_bytes; });
  per_device("memledger_device_capacity_bytes", "Capacity of the memory type, as the device reported it.",
             [](const DeviceBooks& d, std::size_t t) { return d.capacity[t]; });
  per_device("memledger_device_peak_bytes", "Highest live bytes seen on the device, by memory type.",
             [](const DeviceBooks& d, std::size_t t) { return d.types[t].peak_bytes; });

  // Free space of the types whose address space the device declared (memledger_address_space).
  struct SpaceSeries {
    std::string labels;  // device, type
    SpaceFigures figures;
  };
  std::vector<SpaceSeries> spaces;
  for (std::size_t d = 0; d < ledger.devices().size(); ++d) {
    if (!ledger.devices()[d].seen) continue;
    for (std::size_t t = 0; t < ledger.type_count(); ++t) {
      const FreeSpaceMap* space = ledger.FreeSpace(static_cast<std::uint16_t>(d), static_cast<std::uint16_t>(t));
      if (space == nullptr) continue;
      spaces.push_back({fmt::format(R"(device="{}",type="{}")", d, Escape(ledger.type_name(t))), space->Figures()});
    }
  }
  Family(out, "memledger_device_free_bytes", "gauge",
         "Bytes no live buffer covers in the memory type's declared address space, over all processes.");
  for (const SpaceSeries& s : spaces) sample("memledger_device_free_bytes", s.labels, s.figures.free_bytes);
  Family(out, "memledger_device_largest_free_block_bytes", "gauge",
         "The largest free block of the memory type's declared address space (per bank: divided by its banks).");
  for (const SpaceSeries& s : spaces) {
    sample("memledger_device_largest_free_block_bytes", s.labels, s.figures.largest_free_block);
  }
  Family(out, "memledger_allocation_failures_total", "counter",
         "Allocations the allocator could not place (memledger_alloc_failed), by verdict: exhausted, fragmented, "
         "cb_clash, unexplained, no_address_space.");
  for (const auto& [key, count] : ledger.failure_counts()) {
    sample("memledger_allocation_failures_total",
           fmt::format(R"(device="{}",type="{}",verdict="{}")", key.device, Escape(ledger.type_name(key.type)),
                       FailureVerdictName(key.verdict)),
           count);
  }

  Family(out, "memledger_live_buffers", "gauge", "Buffers live on the device, by memory type.");
  for (const Series& s : series) {
    sample("memledger_live_buffers",
           fmt::format(R"(device="{}",type="{}")", s.device, Escape(ledger.type_name(s.type))),
           ledger.devices()[s.device].types[s.type].live_buffers);
  }

  // Per process: running processes, largest first; beyond max_processes, one "other" series.
  std::vector<const ProcessBooks*> running;
  for (const ProcessBooks& p : ledger.processes()) {
    if (p.state == ProcessState::kRunning) running.push_back(&p);
  }
  auto total_of = [](const ProcessBooks& p) {
    std::uint64_t total = 0;
    for (std::size_t d = 0; d < p.devices.size(); ++d) {
      if (const TypeCounterTable* types = p.device(d)) {
        for (const auto& [t, c] : *types) total += c.live_bytes;
      }
    }
    return total;
  };
  std::stable_sort(running.begin(), running.end(),
                   [&](const ProcessBooks* a, const ProcessBooks* b) { return total_of(*a) > total_of(*b); });
  Family(out, "memledger_process_used_bytes", "gauge",
         "Bytes a running process holds, by device and memory type (the largest processes; the rest as pid=\"other\").");
  std::map<std::pair<std::size_t, std::size_t>, std::uint64_t> other;
  for (std::size_t i = 0; i < running.size(); ++i) {
    const ProcessBooks& p = *running[i];
    for (std::size_t d = 0; d < p.devices.size(); ++d) {
      const TypeCounterTable* types = p.device(d);
      if (types == nullptr) continue;
      for (const auto& [t, c] : *types) {
        if (c.empty()) continue;
        if (i < max_processes) {
          sample("memledger_process_used_bytes",
                 fmt::format(R"(pid="{}",comm="{}",device="{}",type="{}")", p.pid, Escape(p.comm), d,
                             Escape(ledger.type_name(t))),
                 c.live_bytes);
        } else {
          other[{d, t}] += c.live_bytes;
        }
      }
    }
  }
  for (const auto& [where, bytes] : other) {
    sample("memledger_process_used_bytes",
           fmt::format(R"(pid="other",comm="other",device="{}",type="{}")", where.first,
                       Escape(ledger.type_name(where.second))),
           bytes);
  }

  Family(out, "memledger_events_total", "counter", "Events booked, over all processes.");
  fmt::format_to(std::back_inserter(out), "memledger_events_total {}\n", ledger.events());
  Family(out, "memledger_dropped_events_total", "counter",
         "Events refused by full rings (MEMLEDGER_ON_FULL=drop), over all processes.");
  std::uint64_t dropped = counters.dropped_events;
  for (const ProcessBooks& p : ledger.processes()) dropped += p.dropped_events;
  fmt::format_to(std::back_inserter(out), "memledger_dropped_events_total {}\n", dropped);

  Family(out, "memledger_anomalies_total", "counter", "Misuse found: unknown and double frees, overlaps, ...");
  const AnomalyCounts anomalies = ledger.anomalies();
  for (int i = 0; i < kAnomalyCount; ++i) {
    sample("memledger_anomalies_total", fmt::format(R"(kind="{}")", AnomalyName(static_cast<Anomaly>(i))),
           anomalies[i]);
  }
  Family(out, "memledger_leaked_bytes_total", "counter",
         "Bytes still live when their device closed or their process ended.");
  for (const Series& s : series) {
    sample("memledger_leaked_bytes_total",
           fmt::format(R"(device="{}",type="{}")", s.device, Escape(ledger.type_name(s.type))),
           ledger.devices()[s.device].types[s.type].leaked_bytes);
  }
  return out;
}

}  // namespace memledger
