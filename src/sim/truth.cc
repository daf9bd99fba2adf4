// truth.cc — collecting the allocators' view and writing it as JSON.
#include "sim/truth.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "event/json_text.h"

namespace memledger::sim {

namespace {

void AddUsage(Truth& truth, DeviceTruth& device, MemType type, const RegionUsage& usage,
              std::optional<RegionSnapshot> space = std::nullopt) {
  device.types.push_back({type, usage.live_bytes, usage.live_allocations, std::move(space)});
  truth.allocs += usage.allocations;
  truth.frees += usage.deallocations;
  truth.leaked_buffers += usage.live_allocations;
  truth.leaked_bytes += usage.live_bytes;
}

nlohmann::ordered_json BlocksJson(const std::vector<LiveBlock>& blocks) {
  nlohmann::ordered_json json = nlohmann::ordered_json::array();
  for (const LiveBlock& block : blocks) {
    json.push_back({{"address", block.address}, {"size", block.size}, {"site", block.site}});
  }
  return json;
}

// A region's state: "managed" ... "holders" (truth.h).
nlohmann::ordered_json RegionJson(const RegionSnapshot& region) {
  nlohmann::ordered_json free_blocks = nlohmann::ordered_json::array();
  for (const Hole& hole : region.holes) free_blocks.push_back({hole.start, hole.size});
  return {
      {"managed", {region.managed_start, region.managed_size}},
      {"free_bytes", region.free_bytes},
      {"largest_free_block", region.largest_free_block},
      {"holes", region.hole_count},
      {"free_blocks", std::move(free_blocks)},
      {"live_bytes", region.live_bytes},
      {"holders_total", region.live_count},
      {"holders", BlocksJson(region.live)},
  };
}

nlohmann::ordered_json FailureJson(const FailureTruth& failure) {
  nlohmann::ordered_json json = {
      {"device", failure.device},
      {"type", TypeName(failure.type)},
      {"size", failure.size},
      {"extent", failure.extent},
      {"verdict", VerdictName(failure.verdict)},
  };
  json.update(RegionJson(failure.region));
  if (failure.type == MemType::kCb) {
    json["cb_region_end"] = failure.cb_region_end;
    json["below_total"] = failure.below_count;
    json["below"] = BlocksJson(failure.below);
  }
  return json;
}

}  // namespace

Truth TakeTruth(const std::vector<std::unique_ptr<Device>>& devices) {
  Truth truth;
  for (const auto& device : devices) {
    DeviceTruth& device_truth = truth.devices.emplace_back(DeviceTruth{device->id(), {}});
    for (const BankRegion& region : device->spec().regions) {
      const BankAllocator* allocator = device->allocator(region.type);
      AddUsage(truth, device_truth, region.type, allocator->usage(), allocator->Snapshot());
    }
    if (device->allocator(MemType::kL1) != nullptr) {
      AddUsage(truth, device_truth, MemType::kCb, device->circular_buffer_usage());
    }
    truth.failures_total += device->failure_count();
    const std::vector<FailureTruth> failures = device->failures();
    truth.failures.insert(truth.failures.end(), failures.begin(), failures.end());
  }
  std::sort(truth.failures.begin(), truth.failures.end(),
            [](const FailureTruth& a, const FailureTruth& b) { return a.sequence < b.sequence; });
  if (truth.failures.size() > kFailuresKept) truth.failures.resize(kFailuresKept);
  return truth;
}

std::string TruthJson(const Truth& truth) {
  nlohmann::ordered_json devices = nlohmann::ordered_json::array();
  for (const DeviceTruth& device : truth.devices) {
    nlohmann::ordered_json types = nlohmann::ordered_json::object();
    for (const TypeTruth& type : device.types) {
      nlohmann::ordered_json& entry = types[TypeName(type.type)] = {
          {"live_bytes", type.live_bytes}, {"live_buffers", type.live_buffers}};
      if (type.space) entry["space"] = RegionJson(*type.space);
    }
    devices.push_back({{"device", device.device}, {"types", std::move(types)}});
  }
  nlohmann::ordered_json failures = nlohmann::ordered_json::array();
  for (const FailureTruth& failure : truth.failures) failures.push_back(FailureJson(failure));
  const nlohmann::ordered_json json = {
      {"schema", "memledger.truth/2"},
      {"allocs", truth.allocs},
      {"frees", truth.frees},
      {"leaked", {{"buffers", truth.leaked_buffers}, {"bytes", truth.leaked_bytes}}},
      {"devices", std::move(devices)},
      {"list_cap", kSnapshotListCap},
      {"failures_total", truth.failures_total},
      {"failures", std::move(failures)},
  };
  return memledger::JsonText(json) + "\n";
}

void WriteTruthJson(const Truth& truth, const std::string& path) {
  std::ofstream out(path, std::ios::trunc);
  if (out) out << TruthJson(truth);
  if (!out || !out.flush()) {
    throw std::runtime_error(fmt::format("cannot write the truth JSON to {}: {}", path, std::strerror(errno)));
  }
}

}  // namespace memledger::sim
