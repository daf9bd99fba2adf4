// main.cc — the memledger command: subcommands over the ledger.
#include <CLI/CLI.hpp>

#include "export_command.h"
#include "report_command.h"
#include "run_command.h"
#include "seconds_arg.h"
#include "serve_command.h"
#include "status_command.h"
#include "top_command.h"

int main(int argc, char** argv) {
  CLI::App app{"memledger — a ledger of accelerator device memory", "memledger"};
  app.require_subcommand(1);
  app.footer("Example: memledger run --summary-json summary.json -- memledger-sim llm");

  memledger::RunOptions run;
  CLI::App* run_cmd = app.add_subcommand("run", "Run a program with tracking on (embedded mode) and report its memory");
  run_cmd->add_option("--output,-o", run.output,
                      "Capture file (default: memledger.<program>.<pid>.mlcap); the other tracked processes the "
                      "program starts get theirs beside it, as <stem>.<comm>.<pid>.mlcap");
  run_cmd->add_option("--summary-json", run.summary_json, "Write the summary (schema memledger.summary/1) here");
  run_cmd->add_flag("--cuda", run.cuda,
                    "Track CUDA device memory: preload libmemledger_cuda.so (cudaMalloc, cuMemAlloc, cuMemCreate, ...)");
  run_cmd->add_option("command", run.command, "The program and its arguments, after --")->required();
  run_cmd->footer("Example: memledger run --output llm.mlcap -- memledger-sim llm --devices 2\n"
                  "         memledger run --cuda --summary-json train.json -- python3 train.py\n"
                  "         memledger run -o suite.mlcap --summary-json suite.json -- sh -c './test_a; ./test_b'");

  memledger::ServerOptions serve;
  CLI::App* serve_cmd = app.add_subcommand("serve", "Run the daemon: one ledger for every tracked process");
  serve_cmd->add_option("--socket", serve.socket_path, "Control socket (default $XDG_RUNTIME_DIR/memledger.sock when private, else /tmp/memledger-$UID/memledger.sock)");
  serve_cmd->add_option("--group", serve.group, "Let this group's members connect (socket mode 0660; default 0600)");
  serve_cmd->add_option("--legacy-socket", serve.legacy_socket,
                        "Also listen for clients of the legacy tracker (SOCK_STREAM), e.g. /tmp/tt_allocation_server.sock");
  serve_cmd->add_option("--metrics", serve.metrics_address, "Serve Prometheus /metrics on HOST:PORT, e.g. 127.0.0.1:9464");
  serve_cmd->add_option("--capture", serve.capture_dir,
                        "Write a capture file per tracked process into this directory (COMM.PID.UNIXMS.mlcap)");
  std::string legacy_protocol = "auto";
  serve_cmd->add_option("--legacy-protocol", legacy_protocol,
                        "Not needed: v1, v2 and v3 legacy clients are told apart per connection. The generation "
                        "assumed for bytes that fit none: auto (v3), v1, v2 or v3")
      ->check(CLI::IsMember({"auto", "v1", "v2", "v3", "1", "2", "3"}))
      ->capture_default_str();
  serve_cmd->footer("Example: memledger serve --socket /tmp/ml.sock & MEMLEDGER=1 MEMLEDGER_SOCKET=/tmp/ml.sock ./app");

  memledger::StatusOptions status;
  CLI::App* status_cmd = app.add_subcommand("status", "Show a running server's books: devices, memory types, processes");
  status_cmd->add_option("--socket", status.socket, "The server's socket (default as for serve)");
  status_cmd->add_flag("--json", status.json, "Print the summary JSON (schema memledger.summary/1 plus \"server\")");
  status_cmd->footer("Example: memledger status --json | jq .devices");

  memledger::TopOptions top;
  CLI::App* top_cmd = app.add_subcommand("top", "A live view of a running server: devices, processes, history");
  top_cmd->add_option("--socket", top.socket, "The server's socket (default as for serve)");
  top_cmd->add_option("--interval", top.interval_ms, "Refresh period in ms")->check(CLI::Range(20, 10000));
  top_cmd->footer("Keys: d/m sort by device memory, l by L1, p by pid, q quit.\nExample: memledger top --socket /tmp/ml.sock");

  memledger::ReportOptions report;
  CLI::App* report_cmd = app.add_subcommand("report", "Report the books of a capture file (memledger run --output)");
  report_cmd->add_option("capture", report.capture, "The capture file (.mlcap)")->required();
  report_cmd->add_flag("--leaks", report.leaks_only, "Only the leaks, by allocation site, with their stacks");
  report_cmd->add_flag("--json", report.json,
                       "Print the summary JSON (schema memledger.summary/1) with the window, peaks, top_sites, "
                       "growth and capture sections");
  report_cmd->add_option("--html", report.html,
                         "Write a self-contained HTML timeline here (memory over time per device, peaks, leaks)");
  const auto seconds = CLI::Validator(
      [](std::string& text) {
        return memledger::ParseSeconds(text) ? std::string() : "not a time: " + text + " (e.g. 12.5, 300ms, 2m)";
      },
      "TIME");
  report_cmd->add_option("--since", report.since, "Only from this time on (since the first record): 12.5, 300ms, 2m")
      ->check(seconds);
  report_cmd->add_option("--until", report.until, "Only up to this time (the books end there)")->check(seconds);
  report_cmd->add_option("--depth", report.stacks.depth,
                         "Frames of the program's own shown per stack, from the site's first one (default 6)")
      ->check(CLI::Range(1, 64));
  report_cmd->add_flag("--full-stacks", report.stacks.full,
                       "Every frame of every stack, names whole (runtime and allocator frames are folded otherwise)");
  report_cmd->add_option("--skip-frames", report.stacks.skip_patterns,
                         "Frames of an allocator to fold, as the program's memledger_skip_frames does: an RE2 pattern "
                         "searched in each frame's function and file (repeatable)");
  report_cmd->footer("Example: MEMLEDGER_STACKS=1 memledger run -o leaky.mlcap -- memledger-sim leaky --leaks 6\n"
                     "         memledger report leaky.mlcap --leaks\n"
                     "         memledger report llm.mlcap --since 2s --until 5s --html llm.html");

  memledger::ExportOptions export_options;
  CLI::App* export_cmd = app.add_subcommand("export", "Convert a capture file for other tools");
  export_cmd->add_option("capture", export_options.capture, "The capture file (.mlcap)")->required();
  export_cmd->add_option("--format", export_options.format,
                         "csv: a row per buffer event; collapsed: live bytes by stack for flame graphs; "
                         "chrome: a Chrome/Perfetto trace (counters per device and type, anomalies, marks)")
      ->required()
      ->check(CLI::IsMember({"csv", "collapsed", "chrome"}));
  export_cmd->add_option("--at", export_options.at, "collapsed: the live bytes at the end (leaks) or at the peak")
      ->check(CLI::IsMember({"end", "peak"}))
      ->capture_default_str();
  export_cmd->add_option("--output,-o", export_options.output, "Write here instead of standard output");
  export_cmd->footer("Example: memledger export run.mlcap --format collapsed --at peak | flamegraph.pl > peak.svg");

  CLI11_PARSE(app, argc, argv);
  if (export_cmd->parsed()) return memledger::ExportCommand(export_options);
  if (report_cmd->parsed()) return memledger::ReportCommand(report);
  if (run_cmd->parsed()) return memledger::RunCommand(run);
  if (serve_cmd->parsed()) {
    if (legacy_protocol != "auto") serve.legacy_version = *memledger::legacy::ParseLegacyVersion(legacy_protocol);
    return memledger::ServeCommand(serve);
  }
  if (status_cmd->parsed()) return memledger::StatusCommand(status);
  if (top_cmd->parsed()) return memledger::TopCommand(top);
  return 0;
}
