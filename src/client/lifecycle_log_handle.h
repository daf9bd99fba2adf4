// lifecycle_log_handle.h — the lifecycle log (MEMLEDGER_LOG,
// report/lifecycle_log.h) as the client holds it: opened, written and
// closed through the report layer, which opening it loads
// (report_layer_loader.h).
//
// Not thread-safe: written by the consumer thread that applies the records.
#pragma once

#include <memory>
#include <string>

#include "report/report_layer.h"

namespace memledger {

class LifecycleLogHandle {
 public:
  // Null and *error when the report layer cannot be loaded or `path` cannot
  // be opened for writing.
  static std::unique_ptr<LifecycleLogHandle> Open(const std::string& path, std::string* error);
  ~LifecycleLogHandle() { layer_.close_log(log_); }
  LifecycleLogHandle(const LifecycleLogHandle&) = delete;
  LifecycleLogHandle& operator=(const LifecycleLogHandle&) = delete;

  // Logs `record` of `process` if it is a buffer event; `ledger` has applied it.
  void Write(const Ledger& ledger, ProcessIndex process, const Record& record) {
    layer_.write_log(*log_, ledger, process, record);
  }
  const std::string& path() const { return path_; }

 private:
  LifecycleLogHandle(const ReportLayer& layer, LifecycleLog* log, std::string path)
      : layer_(layer), log_(log), path_(std::move(path)) {}

  const ReportLayer& layer_;
  LifecycleLog* log_;  // the layer's; closed by it
  std::string path_;
};

}  // namespace memledger
