// top_command.cc — see top_command.h. The terminal side only: querying and
// drawing; what to draw is TopView's.
#include "top_command.h"

#include <curses.h>
#include <langinfo.h>

#include <algorithm>
#include <clocale>
#include <cstring>

#include "control/server_query.h"
#include "control/socket_path.h"
#include "top_view.h"

namespace memledger {

int TopCommand(const TopOptions& options) {
  const std::string path = options.socket.empty() ? DefaultSocketPath() : options.socket;
  std::setlocale(LC_ALL, "");
  TopView view(std::strcmp(nl_langinfo(CODESET), "UTF-8") == 0);
  initscr();
  cbreak();
  noecho();
  keypad(stdscr, TRUE);
  curs_set(0);
  timeout(options.interval_ms);
  for (;;) {
    std::string error;
    if (const auto json = QuerySummary(path, &error)) {
      // A reply that is not the summary is said, never thrown.
      const auto summary = nlohmann::json::parse(*json, nullptr, false);
      if (summary.is_object()) {
        view.Update(summary);
      } else {
        error = "the server's reply is not a summary";
      }
    }
    erase();
    // The error whole, however narrow the terminal, at the bottom.
    const std::vector<std::string> said =
        error.empty() ? std::vector<std::string>() : WrapText("memledger top: " + error, COLS);
    const int said_rows = std::min(static_cast<int>(said.size()), LINES);
    const std::vector<std::string> lines = view.Render(COLS, LINES - said_rows);
    for (std::size_t i = 0; i < lines.size(); ++i) mvaddstr(static_cast<int>(i), 0, lines[i].c_str());
    for (int i = 0; i < said_rows; ++i) mvaddnstr(LINES - said_rows + i, 0, said[static_cast<std::size_t>(i)].c_str(), COLS);
    refresh();
    const int key = getch();  // waits at most the interval; KEY_RESIZE: LINES and COLS are new
    if (key == 'q' || key == 'Q') break;
    if (key == 'd' || key == 'm') view.SetSort(TopSort::kDeviceMemory);
    if (key == 'l') view.SetSort(TopSort::kL1);
    if (key == 'p') view.SetSort(TopSort::kPid);
  }
  endwin();
  return 0;
}

}  // namespace memledger
