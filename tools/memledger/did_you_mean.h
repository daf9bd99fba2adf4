// did_you_mean.h — what a mistyped command line probably meant: each word
// the command line parser refused (a subcommand or flag the command does not
// have) and the closest name the command does have, said as
// "did you mean `report`?" — or, with nothing close, where the names are
// listed.
//
// Thread-safe: no state.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace memledger {

// The name in `known` closest to `typed`, when near enough to be a typo:
// at most a third of its length edits apart (at least 1, at most 3; a swap
// of two neighbouring letters is one edit; case is not an edit), or the
// only name that `typed` (3 characters or more) begins. Ties go to the
// first in `known`; nullopt when nothing is near or `typed` is in `known`.
std::optional<std::string> ClosestName(std::string_view typed, const std::vector<std::string>& known);

// The names of `app`'s subcommands, in the order they were added.
std::vector<std::string> SubcommandNames(const CLI::App& app);

// For the words of a command line (argv without argv[0]) that `app` refused:
// a line for each subcommand or flag it does not know, naming it, with the
// closest one it knows or where they are listed. Words after `--` are the
// tracked program's, and never looked at. Empty when every subcommand and
// flag is known (the refusal was of something else: a missing or bad value).
std::vector<std::string> DidYouMean(const CLI::App& app, const std::vector<std::string>& args);

}  // namespace memledger
