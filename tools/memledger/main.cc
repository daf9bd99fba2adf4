// main.cc — the memledger command: subcommands over the ledger, its version,
// and its exit statuses (0 done, 1 an error, 2 a command line it cannot read —
// answered by did_you_mean.h — 3 --fail-on, fail_on.h).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <utility>

#include "compare_tests_command.h"
#include "did_you_mean.h"
#include "export_command.h"
#include "fail_on.h"
#include "report_command.h"
#include "run_command.h"
#include "event/quantity_text.h"
#include "segment_options.h"
#include "serve_command.h"
#include "status_command.h"
#include "top_command.h"

namespace {

constexpr const char* kVersion = "memledger " MEMLEDGER_VERSION;
// A command line memledger cannot read (CLI11's own codes are 100 and up).
constexpr int kUsageExitStatus = 2;

// A refused command line: what was probably meant when a subcommand or flag
// is unknown, else CLI11's own message; --help and --version exit 0.
int ExitOnParseError(const CLI::App& app, const CLI::ParseError& error, int argc, char** argv) {
  if (error.get_exit_code() == 0) return app.exit(error);
  const std::vector<std::string> lines = memledger::DidYouMean(app, std::vector<std::string>(argv + 1, argv + argc));
  if (lines.empty()) {
    app.exit(error);
  } else {
    for (const std::string& line : lines) std::fprintf(stderr, "%s\n", line.c_str());
  }
  return kUsageExitStatus;
}

// `memledger help [SUBCOMMAND]`: the same as --help.
int Help(const CLI::App& app, const std::string& subcommand) {
  if (subcommand.empty()) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  }
  const std::vector<std::string> names = memledger::SubcommandNames(app);
  if (std::find(names.begin(), names.end(), subcommand) != names.end()) {
    std::fputs(app.get_subcommand(subcommand)->help(app.get_name()).c_str(), stdout);
    return 0;
  }
  const auto closest = memledger::ClosestName(subcommand, names);
  std::fprintf(stderr, "memledger help: no subcommand `%s`%s\n", subcommand.c_str(),
               closest ? ("; did you mean `" + *closest + "`?").c_str() : "");
  return kUsageExitStatus;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"memledger — a ledger of accelerator device memory", "memledger"};
  app.require_subcommand(1);
  app.set_version_flag("--version,-V", kVersion, "Print memledger's version and exit");
  app.footer("Example: memledger run --summary-json summary.json -- memledger-sim llm\n"
             "Exit status: 0 done; 1 an error (said on stderr); 2 a command line memledger cannot read (a mistyped "
             "subcommand or flag gets the closest one it has); 3 --fail-on: the books show what it names; "
             "run: the program's own status when it is not 0.");

  const std::vector<std::string> fail_on_kinds(std::begin(memledger::kFailOnKinds), std::end(memledger::kFailOnKinds));
  const auto fail_on_help = [](const std::string& whose) {
    return "A gate for CI: exit with status " + std::to_string(memledger::kFailOnExitStatus) + " when " + whose +
           " show any of these, after the report, with a line on stderr for each: leaks (buffers held when their "
           "process ended), anomalies (any kind), dropped (events not in the books: a full ring under "
           "MEMLEDGER_ON_FULL=drop, or lost). Comma-separated, e.g. leaks,anomalies";
  };
  const auto seconds = CLI::Validator(
      [](std::string& text) {
        return memledger::ParseSeconds(text) ? std::string() : "not a time: " + text + " (e.g. 12.5, 300ms, 2m, 1h)";
      },
      "TIME");

  memledger::RunOptions run;
  CLI::App* run_cmd = app.add_subcommand("run", "Run a program with tracking on (embedded mode) and report its memory");
  run_cmd->add_option("--output,-o", run.output,
                      "Capture file (default: memledger.<program>.<pid>.mlcap); the other tracked processes the "
                      "program starts get theirs beside it, as <stem>.<comm>.<pid>.mlcap");
  run_cmd->add_option("--summary-json", run.summary_json, "Write the summary (schema memledger.summary/1) here");
  run_cmd->add_flag("--cuda", run.cuda,
                    "Track CUDA device memory: preload libmemledger_cuda.so (cudaMalloc, cuMemAlloc, cuMemCreate, ...)");
  std::vector<std::string> run_fail_on;
  run_cmd->add_option("--fail-on", run_fail_on, fail_on_help("the books of every tracked process") +
                                                      " (the program's own exit status comes first when not 0)")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->check(CLI::IsMember(fail_on_kinds));
  // Each process's capture cut into segments (OUTPUT.N.mlcap, ...), each beginning with the books as they are.
  memledger::AddSegmentOptions(run_cmd, run.segments, nullptr, "each process's capture");
  run_cmd->add_option("command", run.command, "The program and its arguments, after --")->required();
  run_cmd->footer("Example: memledger run --output llm.mlcap -- memledger-sim llm --devices 2\n"
                  "         memledger run --fail-on leaks,anomalies -- ./test_suite   # a gate for CI: exit status 3\n"
                  "         memledger run --cuda --summary-json train.json -- python3 train.py\n"
                  "         memledger run -o suite.mlcap --summary-json suite.json -- sh -c './test_a; ./test_b'");

  memledger::ServerOptions serve;
  CLI::App* serve_cmd = app.add_subcommand("serve", "Run the daemon: one ledger for every tracked process");
  serve_cmd->add_option("--socket", serve.socket_path, "Control socket (default $XDG_RUNTIME_DIR/memledger.sock when private, else /tmp/memledger-$UID/memledger.sock)");
  serve_cmd->add_option("--group", serve.group, "Let this group's members connect (socket mode 0660; default 0600)");
  serve_cmd->add_option("--legacy-socket", serve.legacy_socket,
                        "Also listen for clients of the legacy tracker (SOCK_STREAM), e.g. /tmp/tt_allocation_server.sock");
  serve_cmd->add_option("--metrics", serve.metrics_address, "Serve Prometheus /metrics on HOST:PORT, e.g. 127.0.0.1:9464");
  CLI::Option* capture_dir = serve_cmd->add_option("--capture", serve.capture_dir,
                        "Write a capture file per tracked process into this directory (COMM.PID.UNIXMS.mlcap)");
  // Each capture cut into segments (COMM.PID.UNIXMS.N.mlcap), each beginning with the books as they are.
  memledger::AddSegmentOptions(serve_cmd, serve.capture_segments, capture_dir, "each capture (with --capture)");
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
  top_cmd->add_option("--wait", top.wait,
                      "How long to wait for a server that does not answer (none yet, or it went away) before "
                      "giving up with exit status 1: 0 tries once; default: until q, asking every --interval and "
                      "saying where it waits")
      ->check(seconds);
  top_cmd->footer("Keys: d/m sort by device memory, l by L1, p by pid, q quit.\n"
                  "With no server answering, top says where it waits (the socket) and why, and asks again every "
                  "--interval until one answers, --wait runs out, or q.\n"
                  "Example: memledger top --socket /tmp/ml.sock\n"
                  "         memledger top --wait 30s   # exit status 1 when no server answered for 30 s");

  // How frames are named in a report's stacks and an export's collapsed ones.
  // Returns --full-stacks.
  const auto add_frame_options = [](CLI::App* command, memledger::StackOptions& stacks) {
    CLI::Option* full = command->add_flag(
        "--full-stacks", stacks.full,
        "Every frame of every stack, names whole (runtime and allocator frames are folded otherwise)");
    command->add_option("--skip-frames", stacks.skip_patterns,
                        "Frames of an allocator to fold, as the program's memledger_skip_frames does: an RE2 pattern "
                        "searched in each frame's function and file (repeatable)");
    return full;
  };
  // Which device and memory type a report's lists and an export show
  // (report_scope.h). Returns --device and --type.
  const auto add_scope_options = [](CLI::App* command, memledger::ReportScope& scope) {
    CLI::Option* device = command->add_option_function<std::size_t>(
        "--device", [&scope](const std::size_t& number) { scope.device = number; },
        "Only this device (its number in the report)");
    CLI::Option* type = command->add_option_function<std::string>(
        "--type", [&scope](const std::string& name) { scope.type = name; },
        "Only this memory type (DRAM, L1, CB, a pool's name...)");
    return std::pair{device, type};
  };
  memledger::ReportOptions report;
  CLI::App* report_cmd = app.add_subcommand("report", "Report the books of a capture file (memledger run --output)");
  report_cmd
      ->add_option("capture", report.capture,
                   "The capture file (.mlcap), or segments of one run cut into several (run.*.mlcap: read as one "
                   "history, in their order whatever the order given)")
      ->required();
  CLI::Option* leaks_flag =
      report_cmd->add_flag("--leaks", report.leaks_only, "Only the leaks, by allocation site, with their stacks");
  CLI::Option* json_flag =
      report_cmd->add_flag("--json", report.json,
                           "Print the summary JSON (schema memledger.summary/1) with the window, peaks, top_sites, "
                           "growth and capture sections: all of it, whatever the text report's options");
  report_cmd->add_option("--html", report.html,
                         "Write a self-contained HTML timeline here (memory over time per device, peaks, leaks)");
  report_cmd->add_option("--html-changes", report.html_changes,
                         "The most buffer changes the HTML page keeps whole (default 4000000); a longer history "
                         "makes a page that keeps every change only around peaks, failures and the end, and each "
                         "pool's exact lowest and highest elsewhere (the report reads the capture twice)")
      ->check(CLI::Range(std::uint64_t{1000}, std::uint64_t{1} << 40));
  report_cmd->add_option("--output,-o", report.output,
                         "Write the report (text, or JSON with --json) here instead of standard output, which then "
                         "says only where it went");
  report_cmd->add_option("--since", report.since, "Only from this time on (since the first record): 12.5, 300ms, 2m")
      ->check(seconds);
  report_cmd->add_option("--until", report.until, "Only up to this time (the books end there)")->check(seconds);
  CLI::Option* depth = report_cmd
                            ->add_option("--depth", report.stacks.depth,
                                         "Frames of the program's own shown per stack, from the site's first one "
                                         "(default 3)")
                            ->check(CLI::Range(1, 64));
  CLI::Option* full_stacks = add_frame_options(report_cmd, report.stacks);
  bool no_stacks = false;
  CLI::Option* no_stacks_flag =
      report_cmd->add_flag("--no-stacks", no_stacks, "Sites by their headline only, no stack beneath")
          ->excludes(depth)
          ->excludes(full_stacks);
  const auto [device_option, type_option] = add_scope_options(report_cmd, report.scope);
  CLI::Option* top_option = report_cmd->add_option("--top", report.scope.top,
                                                   "Sites per list, and pools whose peaks are shown (default 5)")
                                ->check(CLI::Range(1, 1000));
  for (CLI::Option* text_only : {leaks_flag, depth, no_stacks_flag, device_option, type_option, top_option}) {
    json_flag->excludes(text_only);
  }
  report_cmd
      ->add_option("--map", report.map,
                   "Only a text map of one address space at one instant: DEVICE:TYPE, at the capture's end, or "
                   "DEVICE:TYPE@TIME (2.5, 300ms) or DEVICE:TYPE@failure:N (the N-th allocation failure)")
      ->excludes(json_flag)
      ->excludes(leaks_flag);
  std::vector<std::string> report_fail_on;
  report_cmd->add_option("--fail-on", report_fail_on, fail_on_help("the capture's books"))
      ->delimiter(',')
      ->allow_extra_args(false)
      ->check(CLI::IsMember(fail_on_kinds));
  report_cmd->footer("Example: MEMLEDGER_STACKS=1 memledger run -o leaky.mlcap -- memledger-sim leaky --leaks 6\n"
                     "         memledger report leaky.mlcap --leaks\n"
                     "         memledger report llm.mlcap --since 2s --until 5s --html llm.html\n"
                     "         memledger report run.mlcap --fail-on leaks,anomalies   # exit status 3 when it has them\n"
                     "         memledger report run.mlcap --map 0:L1@failure:1          # L1 as the first failure saw it");

  memledger::ExportOptions export_options;
  CLI::App* export_cmd = app.add_subcommand("export", "Convert a capture file for other tools");
  export_cmd
      ->add_option("capture", export_options.capture,
                   "The capture file (.mlcap), or segments of one run cut into several (run.*.mlcap: read as one "
                   "history, in their order whatever the order given)")
      ->required();
  export_cmd->add_option("--format", export_options.format,
                         "csv: a row per buffer event; collapsed: live bytes by stack for flame graphs; "
                         "chrome: a Chrome/Perfetto trace (counters per device and type, a slice per buffer's "
                         "lifetime, anomalies with their facts, marks)")
      ->required()
      ->check(CLI::IsMember({"csv", "collapsed", "chrome"}));
  export_cmd->add_option("--at", export_options.at, "collapsed: the live bytes at the end (leaks) or at the peak")
      ->check(CLI::IsMember({"end", "peak"}))
      ->capture_default_str();
  export_cmd->add_option("--output,-o", export_options.output, "Write here instead of standard output");
  add_frame_options(export_cmd, export_options.stacks);
  add_scope_options(export_cmd, export_options.scope);
  export_cmd->add_option("--max-slices", export_options.max_slices,
                         "chrome: buffer lifetimes shown at most, the largest buffers (the trace's metadata and "
                         "stderr say how many were left out)")
      ->capture_default_str();
  export_cmd->footer("Example: memledger export run.mlcap --format collapsed --at peak | flamegraph.pl > peak.svg");

  memledger::CompareTestsOptions compare;
  CLI::App* compare_cmd = app.add_subcommand(
      "compare-tests", "Two runs of a test suite (pytest --memledger-json): the tests whose leaks or device peak grew");
  compare_cmd->add_option("before", compare.before, "The earlier run's records (memledger.tests/1)")->required();
  compare_cmd->add_option("after", compare.after, "The later run's records")->required();
  compare_cmd->add_option("--tolerance", compare.tolerance_percent,
                          "A peak grew only when higher than the earlier one by more than this percentage")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  std::vector<std::string> compare_fail_on;
  compare_cmd->add_option("--fail-on", compare_fail_on,
                          "growth: exit with status " + std::to_string(memledger::kFailOnExitStatus) +
                              " when a test's leaks or peak grew, with a line on stderr")
      ->check(CLI::IsMember({"growth"}));
  compare_cmd->footer("Example: memledger compare-tests main.json branch.json --tolerance 5 --fail-on growth");

  CLI::App* version_cmd = app.add_subcommand("version", "Print memledger's version (as --version, -V)");
  std::string help_topic;
  CLI::App* help_cmd = app.add_subcommand("help", "Print this help, or a subcommand's (as --help)");
  help_cmd->add_option("subcommand", help_topic, "The subcommand, e.g. report");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return ExitOnParseError(app, error, argc, argv);
  }
  run.fail_on = memledger::FailOnFrom(run_fail_on);
  report.fail_on = memledger::FailOnFrom(report_fail_on);
  if (version_cmd->parsed()) {
    std::printf("%s\n", kVersion);
    return 0;
  }
  if (help_cmd->parsed()) return Help(app, help_topic);
  if (export_cmd->parsed()) return memledger::ExportCommand(export_options);
  if (compare_cmd->parsed()) {
    compare.fail_on_growth = !compare_fail_on.empty();
    return memledger::CompareTestsCommand(compare);
  }
  if (report_cmd->parsed()) {
    if (no_stacks) report.stacks.depth = 0;
    return memledger::ReportCommand(report);
  }
  if (run_cmd->parsed()) {
    if (const std::string problem = memledger::SegmentOptionsProblem(run.segments); !problem.empty()) {
      std::fprintf(stderr, "memledger run: %s\n", problem.c_str());
      return 2;
    }
    return memledger::RunCommand(run);
  }
  if (serve_cmd->parsed()) {
    if (const std::string problem = memledger::SegmentOptionsProblem(serve.capture_segments); !problem.empty()) {
      std::fprintf(stderr, "memledger serve: %s\n", problem.c_str());
      return 2;
    }
    if (legacy_protocol != "auto") serve.legacy_version = *memledger::legacy::ParseLegacyVersion(legacy_protocol);
    return memledger::ServeCommand(serve);
  }
  if (status_cmd->parsed()) return memledger::StatusCommand(status);
  if (top_cmd->parsed()) return memledger::TopCommand(top);
  return 0;
}
