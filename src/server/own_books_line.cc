// own_books_line.cc — see own_books_line.h.
#include "server/own_books_line.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "report/printable_text.h"
#include "report/text_report.h"

namespace memledger {

std::string OwnBooksLine(const Ledger& ledger, std::uint32_t pid) {
  const std::vector<ProcessBooks>& processes = ledger.processes();
  const auto books = std::find_if(processes.rbegin(), processes.rend(),
                                  [&](const ProcessBooks& p) { return p.pid == pid; });
  if (books == processes.rend()) return fmt::format("the server holds no books of pid {}", pid);
  const ProcessBooks& p = *books;
  const std::uint64_t anomalies = std::accumulate(p.anomalies.begin(), p.anomalies.end(), std::uint64_t{0});
  std::string line = fmt::format("pid {} ({}) {}: ", p.pid, PrintableText(p.comm), ProcessStateName(p.state));
  line += p.leaked_buffers == 0 ? "no leaks"
                                : fmt::format("{} leaked ({})", Count(p.leaked_buffers, "buffer"), FormatBytes(p.leaked_bytes));
  if (anomalies == 0) {
    line += ", no anomalies";
  } else {
    std::string kinds;
    for (int i = 0; i < kAnomalyCount; ++i) {
      if (p.anomalies[i] != 0) {
        kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", AnomalyName(static_cast<Anomaly>(i)), p.anomalies[i]);
      }
    }
    line += fmt::format(", {} {} ({})", anomalies, anomalies == 1 ? "anomaly" : "anomalies", kinds);
  }
  if (p.alloc_failures != 0) line += fmt::format(", {}", Count(p.alloc_failures, "allocation failure"));
  if (p.dropped_events + p.lost_slots != 0) {
    line += fmt::format(", {} dropped or lost (the books are incomplete)", Count(p.dropped_events + p.lost_slots, "record"));
  }
  return line;
}

}  // namespace memledger
