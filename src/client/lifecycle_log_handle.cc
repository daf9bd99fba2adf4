// lifecycle_log_handle.cc — see lifecycle_log_handle.h.
#include "client/lifecycle_log_handle.h"

#include "client/report_layer_loader.h"

namespace memledger {

std::unique_ptr<LifecycleLogHandle> LifecycleLogHandle::Open(const std::string& path, std::string* error) {
  std::string why;
  const ReportLayer* layer = ReportLayerOrNull(&why);
  if (layer == nullptr) {
    *error = "cannot write the lifecycle log " + path + " without the report layer: " + why;
    return nullptr;
  }
  LifecycleLog* log = layer->open_log(path, error);
  if (log == nullptr) return nullptr;
  return std::unique_ptr<LifecycleLogHandle>(new LifecycleLogHandle(*layer, log, path));
}

}  // namespace memledger
