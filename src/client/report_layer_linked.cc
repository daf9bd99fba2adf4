// report_layer_linked.cc — report_layer_loader.h for libmemledger.a and the
// tests: the layer is linked in, of the same build, so it is always there.
#include "client/report_layer_loader.h"

namespace memledger {

const ReportLayer* ReportLayerOrNull(std::string* /*why*/) {
  const ReportLayerKey wanted = ReportLayerKeyOf(MEMLEDGER_VERSION);
  ReportLayerKey offered;
  return memledger_report_layer(&wanted, &offered);
}

}  // namespace memledger
