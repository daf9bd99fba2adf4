// main.cc — the memledger command: subcommands over the ledger.
#include <CLI/CLI.hpp>

#include "run_command.h"

int main(int argc, char** argv) {
  CLI::App app{"memledger — a ledger of accelerator device memory", "memledger"};
  app.require_subcommand(1);
  app.footer("Example: memledger run --summary-json summary.json -- memledger-sim llm");

  memledger::RunOptions run;
  CLI::App* run_cmd = app.add_subcommand("run", "Run a program with tracking on (embedded mode) and report its memory");
  run_cmd->add_option("--output,-o", run.output, "Capture file (default: memledger.<program>.<pid>.mlcap)");
  run_cmd->add_option("--summary-json", run.summary_json, "Write the summary (schema memledger.summary/1) here");
  run_cmd->add_option("command", run.command, "The program and its arguments, after --")->required();
  run_cmd->footer("Example: memledger run --output llm.mlcap -- memledger-sim llm --devices 2");

  CLI11_PARSE(app, argc, argv);
  if (run_cmd->parsed()) return memledger::RunCommand(run);
  return 0;
}
