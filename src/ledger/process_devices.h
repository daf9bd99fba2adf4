// process_devices.h — which devices a process uses, as the views show it
// (a device column like nvidia-smi's): the ledger-wide devices its own
// device numbers stand for (device_table.h), each with its number for it and
// whether it has it open.
#pragma once

#include <cstdint>
#include <vector>

#include "ledger/ledger.h"

namespace memledger {

struct ProcessDevice {
  std::uint16_t device;  // ledger-wide
  std::uint16_t local;   // the process's own number for it (the lowest, when it gave it two)
  bool open;             // under any of its numbers
};

// Every device the process has named (opened, or booked on), by ledger-wide id.
std::vector<ProcessDevice> DevicesOf(const ProcessBooks& books);

}  // namespace memledger
