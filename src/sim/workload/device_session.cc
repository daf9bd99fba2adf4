// device_session.cc — open, run, unload, take the truth, close.
#include "sim/workload/device_session.h"

namespace memledger::sim {

Truth RunOnDevices(const DeviceSpec& spec, const WorkloadOptions& options,
                   const std::function<void(const Devices&)>& body) {
  Devices devices;
  for (std::uint32_t id = 0; id < options.devices; ++id) {
    devices.push_back(
        std::make_unique<Device>(id, spec, options.hooks, DeviceUid(options, id), options.partition));
  }
  body(devices);
  for (const auto& device : devices) device->UnloadPrograms();
  const Truth truth = TakeTruth(devices);
  if (!options.truth_json.empty()) WriteTruthJson(truth, options.truth_json);
  for (const auto& device : devices) device->Close();
  return truth;
}

}  // namespace memledger::sim
