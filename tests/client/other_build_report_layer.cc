// other_build_report_layer.cc — a stand-in for libmemledger_report.so of
// another memledger build (exit_report_test.py): its entry point offers a
// key of another version and layout, so it refuses every caller, as a real
// layer of another build would.
#include <cstring>

#include "report/report_layer.h"

extern "C" const memledger::ReportLayer* memledger_report_layer(const memledger::ReportLayerKey* /*wanted*/,
                                                                memledger::ReportLayerKey* offered) noexcept {
  *offered = memledger::ReportLayerKey{memledger::kReportLayerAbi, 1, 2, 3, {}};
  std::strcpy(offered->version, "9.8.7");
  return nullptr;
}
