// top_command.cc — see top_command.h. The terminal side only: querying and
// drawing; what to draw is TopView's.
#include "top_command.h"

#include <curses.h>
#include <langinfo.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <clocale>
#include <cstdio>
#include <cstring>
#include <optional>

#include "control/server_query.h"
#include "control/socket_path.h"
#include "event/quantity_text.h"
#include "text_columns.h"
#include "top_view.h"

namespace memledger {

namespace {

// Asks the server once for its books: true when they came (the view has
// them); otherwise *error says why.
bool Ask(const std::string& path, TopView& view, std::string* error) {
  const auto json = QuerySummary(path, error);
  if (!json) return false;
  // A reply that is not the summary is said, never thrown.
  const auto summary = nlohmann::json::parse(*json, nullptr, false);
  if (!summary.is_object()) {
    *error = "the server's reply is not a summary";
    return false;
  }
  view.Update(summary, TopView::Clock::now());
  return true;
}

}  // namespace

int TopCommand(const TopOptions& options) {
  using Clock = std::chrono::steady_clock;
  const std::string path = options.socket.empty() ? DefaultSocketPath() : options.socket;
  // --wait (CLI11 checked it is a time); nullopt: for ever.
  std::optional<Clock::duration> wait;
  if (!options.wait.empty()) {
    wait = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(ParseSeconds(options.wait).value_or(0)));
  }
  std::setlocale(LC_ALL, "");
  TopView view(std::strcmp(nl_langinfo(CODESET), "UTF-8") == 0);
  std::string error;
  bool answered = Ask(path, view, &error);
  // --wait 0: one try, said on stderr, the terminal untouched.
  if (!answered && wait && *wait <= Clock::duration::zero()) {
    std::fprintf(stderr, "memledger top: %s (--wait %s: not waiting)\n", error.c_str(), options.wait.c_str());
    return 1;
  }
  const std::string waiting = fmt::format(
      " — waiting for a server there, asking every {} ms {}", options.interval_ms,
      wait ? fmt::format("for at most {} (--wait)", options.wait) : std::string("until q (or --wait TIME)"));
  initscr();
  cbreak();
  noecho();
  keypad(stdscr, TRUE);
  curs_set(0);
  timeout(options.interval_ms);
  Clock::time_point last_answer = Clock::now();
  for (;;) {
    if (answered) {
      last_answer = Clock::now();
    } else if (wait && Clock::now() - last_answer >= *wait) {
      endwin();
      std::fprintf(stderr, "memledger top: no server answered for %s (--wait): %s\n", options.wait.c_str(),
                   error.c_str());
      return 1;
    }
    erase();
    // The error whole (the socket's path in full), however narrow the terminal, at the bottom.
    const std::vector<std::string> said =
        answered ? std::vector<std::string>() : WrapText("memledger top: " + error + waiting, COLS);
    const int said_rows = std::min(static_cast<int>(said.size()), LINES);
    const std::vector<std::string> lines = view.Render(COLS, LINES - said_rows);
    for (std::size_t i = 0; i < lines.size(); ++i) mvaddstr(static_cast<int>(i), 0, lines[i].c_str());
    for (int i = 0; i < said_rows; ++i) mvaddnstr(LINES - said_rows + i, 0, said[static_cast<std::size_t>(i)].c_str(), COLS);
    refresh();
    const int key = getch();  // waits at most the interval; KEY_RESIZE: LINES and COLS are new
    if (key == 'q' || key == 'Q') break;
    for (const TopKey& sort_key : kTopKeys) {
      if (key == sort_key.key) view.SetOrder(sort_key.order);
    }
    answered = Ask(path, view, &error);
  }
  endwin();
  return 0;
}

}  // namespace memledger
