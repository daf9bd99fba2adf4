// device_session.h — RunOnDevices: the frame every workload runs in. Opens the
// devices, runs the workload body, and at the end unloads the programs, takes
// the Truth (so "leaked" is exactly what is live at close), writes it when
// asked, and closes the devices.
//
// Thread-safety: call from one thread; `body` may start threads of its own
// but must join them before returning.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "sim/device.h"
#include "sim/workload/workload.h"

namespace memledger::sim {

using Devices = std::vector<std::unique_ptr<Device>>;

// Opens options.devices devices of `spec` (ids 0 .. devices-1) with
// options.hooks and options.partition, runs `body` on them, and returns the truth taken at close.
Truth RunOnDevices(const DeviceSpec& spec, const WorkloadOptions& options,
                   const std::function<void(const Devices&)>& body);


}  // namespace memledger::sim
