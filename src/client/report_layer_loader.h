// report_layer_loader.h — how the client reaches the report layer
// (report/report_layer.h: the exit report's books and the lifecycle log,
// with report/, analysis/, symbolize/ and libdw under them).
//
// libmemledger.so loads libmemledger_report.so from memledger/ in the
// directory its own file is in (report_layer_dlopen.cc), the first time the
// layer is wanted: a process that prints no exit report and writes no
// lifecycle log never maps it, and the library itself needs none of it.
// libmemledger.a and the tests link the layer in (report_layer_linked.cc).
// Each is a static library of its own; exactly one is linked with
// memledger_client_objects (src/client/CMakeLists.txt).
//
// Thread-safety: any thread; the first call loads, later ones give what it found.
#pragma once

#include <string>

#include "report/report_layer.h"

namespace memledger {

// The layer; or null, and *why in one clause (what was looked for where,
// and what went wrong there).
const ReportLayer* ReportLayerOrNull(std::string* why);

}  // namespace memledger
