// metrics.h — the ledger in the Prometheus text exposition format (0.0.4):
// device usage, capacity and peaks per type, per-process usage (the largest
// `max_processes` processes, the rest summed into one pid="other" series, so
// the number of series stays bounded), free space and the largest free block
// of each declared address space, allocation failures by verdict, live
// buffers, events, drops, anomalies and leaks. A pure function of the books
// (read under the ledger's lock: a free-space figure may rebuild a map).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "ledger/ledger.h"

namespace memledger {

struct MetricsCounters {
  std::uint64_t dropped_events = 0;  // refused by full rings, over every client
};

std::string RenderMetrics(const Ledger& ledger, const MetricsCounters& counters, std::size_t max_processes = 20);

}  // namespace memledger
