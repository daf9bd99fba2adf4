// truth.cc — collecting the allocators' view and writing it as JSON.
#include "sim/truth.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "event/json_text.h"

namespace memledger::sim {

Truth TakeTruth(const std::vector<std::unique_ptr<Device>>& devices) {
  Truth truth;
  for (const auto& device : devices) {
    DeviceTruth& device_truth = truth.devices.emplace_back(DeviceTruth{device->id(), {}});
    for (const BankRegion& region : device->spec().regions) {
      const RegionUsage usage = device->allocator(region.type)->usage();
      device_truth.types.push_back({region.type, usage.live_bytes, usage.live_allocations});
      truth.allocs += usage.allocations;
      truth.frees += usage.deallocations;
      truth.leaked_buffers += usage.live_allocations;
      truth.leaked_bytes += usage.live_bytes;
    }
  }
  return truth;
}

std::string TruthJson(const Truth& truth) {
  nlohmann::ordered_json devices = nlohmann::ordered_json::array();
  for (const DeviceTruth& device : truth.devices) {
    nlohmann::ordered_json types = nlohmann::ordered_json::object();
    for (const TypeTruth& type : device.types) {
      types[TypeName(type.type)] = {
          {"live_bytes", type.live_bytes}, {"live_buffers", type.live_buffers}};
    }
    devices.push_back({{"device", device.device}, {"types", std::move(types)}});
  }
  const nlohmann::ordered_json json = {
      {"schema", "memledger.truth/1"},
      {"allocs", truth.allocs},
      {"frees", truth.frees},
      {"leaked", {{"buffers", truth.leaked_buffers}, {"bytes", truth.leaked_bytes}}},
      {"devices", std::move(devices)},
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
