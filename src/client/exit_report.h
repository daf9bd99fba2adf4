// exit_report.h — what a tracked process says on stderr when it ends. In
// embedded mode: its books (report/text_report.h, through the report layer:
// report_layer_loader.h), and where its lifecycle log and capture went.
// Should the layer not load, one line says why and each process's totals
// follow (events, leaked buffers and bytes, anomalies); the capture, if one
// is written, still holds everything. In server mode: one line — the
// server's word on its books (leaks, anomalies; server/own_books_line.h) and
// the command that shows more. The only file of the client that formats a
// report.
//
// Thread-safety: called once, by the library's destructor, after the
// consumer stopped (embedded) or the end record was published (server).
#pragma once

#include <cstdint>
#include <string>

#include "client/config.h"
#include "client/embedded_consumer.h"

namespace memledger {

// Nothing when `config` says MEMLEDGER_REPORT=0. `consumer` must be stopped.
void PrintExitReport(const EmbeddedConsumer& consumer, const ClientConfig& config);

// The server at `socket_path` holds the books of this process (`pid`);
// `taken_in`: it has taken in every record the process published, so its
// books are whole (else the line says so, and asks nothing of a server that
// may be stopped). Waits at most a second for the server's answer.
// Nothing when `config` says MEMLEDGER_REPORT=0.
void PrintServerExitLine(const ClientConfig& config, const std::string& socket_path, std::uint32_t pid,
                         bool taken_in);

}  // namespace memledger
