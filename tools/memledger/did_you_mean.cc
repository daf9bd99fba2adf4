// did_you_mean.cc — see did_you_mean.h.
#include "did_you_mean.h"

#include <algorithm>
#include <cctype>
#include <numeric>

namespace memledger {
namespace {

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// Optimal string alignment distance, ignoring case: insertions, deletions,
// substitutions and swaps of neighbours, one edit each.
std::size_t EditDistance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = Lower(a[i - 1]) == Lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && Lower(a[i - 1]) == Lower(b[j - 2]) && Lower(a[i - 2]) == Lower(b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

// `name` without its leading dashes: what the user spelt.
std::string_view Bare(std::string_view name) {
  while (name.starts_with('-')) name.remove_prefix(1);
  return name;
}

bool StartsWithIgnoringCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char x, char y) { return Lower(x) == Lower(y); });
}

// "--name" and "-n" for every flag and option of `command`.
std::vector<std::string> FlagNames(const CLI::App& command) {
  std::vector<std::string> names;
  for (const CLI::Option* option : command.get_options()) {
    for (const std::string& name : option->get_lnames()) names.push_back("--" + name);
    for (const std::string& name : option->get_snames()) names.push_back("-" + name);
  }
  return names;
}

// The option of `command` that `word` ("--name", "--name=value", "-n",
// "-nvalue") names; null when none.
const CLI::Option* OptionOf(const CLI::App& command, std::string_view word) {
  const bool is_long = word.starts_with("--");
  const std::string_view name = is_long ? word.substr(2, word.find('=') - 2) : word.substr(1, 1);
  for (const CLI::Option* option : command.get_options()) {
    const auto& names = is_long ? option->get_lnames() : option->get_snames();
    if (std::find(names.begin(), names.end(), name) != names.end()) return option;
  }
  return nullptr;
}

// "memledger" or "memledger report": the command as typed.
std::string CommandName(const CLI::App& app, const CLI::App& command) {
  return &command == &app ? app.get_name() : app.get_name() + " " + command.get_name();
}

std::string Joined(const std::vector<std::string>& names) {
  return std::accumulate(names.begin(), names.end(), std::string(), [](std::string all, const std::string& name) {
    return all.empty() ? name : all + ", " + name;
  });
}

}  // namespace

std::vector<std::string> SubcommandNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  return names;
}

std::optional<std::string> ClosestName(std::string_view typed, const std::vector<std::string>& known) {
  if (std::find(known.begin(), known.end(), typed) != known.end()) return std::nullopt;
  const std::string_view bare = Bare(typed);
  const std::size_t allowed = std::clamp<std::size_t>(bare.size() / 3, 1, 3);
  std::optional<std::string> best;
  std::size_t best_distance = allowed + 1;
  for (const std::string& name : known) {
    const std::size_t distance = EditDistance(bare, Bare(name));
    if (distance < best_distance) {
      best = name;
      best_distance = distance;
    }
  }
  if (best) return best;
  // A beginning of one name only ("--summary" for --summary-json).
  if (bare.size() < 3) return std::nullopt;
  for (const std::string& name : known) {
    if (!StartsWithIgnoringCase(Bare(name), bare)) continue;
    if (best) return std::nullopt;  // more than one: no guess
    best = name;
  }
  return best;
}

std::vector<std::string> DidYouMean(const CLI::App& app, const std::vector<std::string>& args) {
  std::vector<std::string> lines;
  const CLI::App* command = &app;  // the subcommand once it is named
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (word == "--") break;  // the tracked program's own words follow
    const bool is_number = word.size() > 1 && (std::isdigit(static_cast<unsigned char>(word[1])) || word[1] == '.');
    if (word.size() > 1 && word.starts_with('-') && !is_number) {
      if (const CLI::Option* option = OptionOf(*command, word)) {
        // Its value, when not in the same word, is the next one.
        const bool value_attached = word.starts_with("--") ? word.find('=') != std::string::npos : word.size() > 2;
        if (option->get_type_size_min() > 0 && !value_attached) ++i;
        continue;
      }
      const std::string flag = word.substr(0, word.find('='));
      const std::string name = CommandName(app, *command);
      if (const auto closest = ClosestName(flag, FlagNames(*command))) {
        lines.push_back(name + ": no flag " + flag + "; did you mean " + *closest + "?");
      } else {
        lines.push_back(name + ": no flag " + flag + " (`" + name + " --help` lists them" +
                        (command->get_name() == "run" ? "; the program's own flags go after --)" : ")"));
      }
      continue;
    }
    if (command != &app) continue;  // a subcommand's own words (its capture, its program)
    const std::vector<std::string> subcommands = SubcommandNames(app);
    if (const auto named = std::find(subcommands.begin(), subcommands.end(), word); named != subcommands.end()) {
      command = app.get_subcommand(*named);
      continue;
    }
    if (const auto closest = ClosestName(word, subcommands)) {
      lines.push_back(app.get_name() + ": no subcommand `" + word + "`; did you mean `" + app.get_name() + " " +
                      *closest + "`?");
    } else {
      lines.push_back(app.get_name() + ": no subcommand `" + word + "` (the subcommands: " + Joined(subcommands) + ")");
    }
    break;  // what follows an unknown subcommand cannot be read
  }
  return lines;
}

}  // namespace memledger
