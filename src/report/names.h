// names.h — what every renderer calls a device and a site's place: one
// wording for the text report, its over-time sections, the HTML timeline's
// data and the status tools, so that a device reads the same everywhere;
// and what each anomaly means, in a sentence.
// Types and tags are named by the ledger itself (Ledger::type_name,
// tag_name); devices are numbered ledger-wide (a process's own number goes
// through Ledger::DeviceOf, or SeriesDevice for a series).
//
// The text is raw, as the processes declared it (it may be any bytes):
// text renderers print it through PrintableText; JSON and HTML escape it.
// Free functions; thread-safe as the ledger's readers are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/ledger.h"

namespace memledger {

// "device 0", "device 0 (n300)", "device 1 (H100) uid GPU-…": a device by
// its number, with its name and its stable identity when it has them.
std::string DeviceLabel(std::size_t device, std::string_view name, std::string_view uid);
// The ledger-wide device's label (DeviceLabel of its books).
std::string DeviceLabel(const Ledger& ledger, std::size_t device);
// What a chart titles a device with: its name ("device N" when it has
// none), with " uid X" when it has one.
std::string DeviceTitle(const Ledger& ledger, std::size_t device);
// Where a site's buffers are: "device 0 DRAM", ", tag kv_cache" when
// tagged, ", pid 12" when `with_pid`. `device` is ledger-wide; `type` the
// ledger-wide type; `tag` the process's own tag id.
std::string PlaceLabel(const Ledger& ledger, std::size_t device, std::size_t type, std::uint32_t process,
                       std::uint32_t tag, bool with_pid);
// What an anomaly means and what to look at, in one sentence (as a
// sanitizer explains each kind of error it reports).
std::string_view AnomalyMeaning(Anomaly anomaly);

}  // namespace memledger
