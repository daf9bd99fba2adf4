// summary_view.h — how `memledger status` and `memledger top` name devices
// from the summary JSON (memledger.summary/1): one spelling for both.
// Names come from tracked processes: made printable here.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace memledger {

// "device 0 (sim-wormhole_b0)", with " uid GPU-..." when the device has one (report/names.h).
std::string DeviceHeading(const nlohmann::json& device);

// The devices a process row uses, by ledger-wide id ("0,2"; "-": none), as
// nvidia-smi's GPU column: the process's own numbers for them may differ.
std::string DeviceColumn(const nlohmann::json& process);

}  // namespace memledger
