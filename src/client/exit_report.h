// exit_report.h — what a tracked process says on stderr when it ends in
// embedded mode: its books (report/text_report.h, through the report layer:
// report_layer_loader.h), and where its lifecycle log and capture went.
// Should the layer not load, one line says why and each process's totals
// follow (events, leaked buffers and bytes, anomalies); the capture, if one
// is written, still holds everything. The only file of the client that
// formats a report.
//
// Thread-safety: called once, by the library's destructor, after the
// consumer stopped.
#pragma once

#include "client/config.h"
#include "client/embedded_consumer.h"

namespace memledger {

// Nothing when `config` says MEMLEDGER_REPORT=0. `consumer` must be stopped.
void PrintExitReport(const EmbeddedConsumer& consumer, const ClientConfig& config);

}  // namespace memledger
