// summary_view.h — what `memledger status` and `memledger top` both read
// from the summary JSON (memledger.summary/1) and how they word it: device
// headings, the order of a device's memory types (the text report's), the
// bytes a set of types holds, the largest free block and the allocation
// failures of a type, and counts of processes. One spelling for
// both. Names come from tracked processes: made printable here.
//
// Pure functions: thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace memledger {

// "device 0 (sim-wormhole_b0)", with " uid GPU-..." when the device has one (report/names.h).
std::string DeviceHeading(const nlohmann::json& device);

// A device's memory types (its "types" names, raw) in the text report's
// order: the fullest at its peak against its capacity first, types without
// a capacity last; ties in the ledger's order, the built-ins as memledger.h
// numbers them (DRAM first), then pools (by name: the summary does not say
// in which order they were registered).
std::vector<std::string> TypesInReportOrder(const nlohmann::json& device);

// The live bytes of a "types" object ({TYPE: {"live_bytes", ...}}), all types together.
std::uint64_t LiveBytes(const nlohmann::json& types);

// A type's largest free block ("6.0 KiB"), from its counters' free-space
// members; `none` ("—" or "-") when the device declared no address space for it.
std::string LargestFree(const nlohmann::json& counters, const std::string& none);

// The allocation failures booked on `device` (its "device" number) in
// `type` (a type's name; empty: every type), from the summary's
// "allocation_failures" counts; 0 when a server answered without them.
std::uint64_t FailureCount(const nlohmann::json& summary, std::uint64_t device, const std::string& type);

// "1 process", "3 processes".
std::string CountProcesses(std::uint64_t n);

}  // namespace memledger
