// did_you_mean_test.cc — ClosestName and DidYouMean (tools/memledger/did_you_mean.h):
// a typo gets the closest name, a far-off or ambiguous word none, and the
// words of a command line are read as CLI11 reads them (option values and the
// tracked program's words are not flags to correct).
#include "did_you_mean.h"

#include <gtest/gtest.h>

namespace memledger {
namespace {

const std::vector<std::string> kSubcommands = {"run", "serve", "status", "top", "report", "export"};

TEST(ClosestName, ATypoGetsTheClosestName) {
  EXPECT_EQ(ClosestName("reprot", kSubcommands), "report") << "a swap of neighbours is one edit";
  EXPECT_EQ(ClosestName("stauts", kSubcommands), "status");
  EXPECT_EQ(ClosestName("exprt", kSubcommands), "export") << "a missing letter";
  EXPECT_EQ(ClosestName("Report", kSubcommands), "report") << "case is no edit";
  EXPECT_EQ(ClosestName("--leak", {"--leaks", "--json", "--html"}), "--leaks");
  EXPECT_EQ(ClosestName("-leaks", {"--leaks", "--json"}), "--leaks") << "dashes are not what was mistyped";
}

TEST(ClosestName, AFarOffOrKnownWordGetsNone) {
  EXPECT_EQ(ClosestName("frobnicate", kSubcommands), std::nullopt);
  EXPECT_EQ(ClosestName("report", kSubcommands), std::nullopt) << "known";
  EXPECT_EQ(ClosestName("xy", kSubcommands), std::nullopt);
  EXPECT_EQ(ClosestName("repxxx", kSubcommands), std::nullopt) << "3 edits in 6 letters is too many";
}

TEST(ClosestName, TheBeginningOfOneNameOnly) {
  EXPECT_EQ(ClosestName("--summary", {"--summary-json", "--output"}), "--summary-json");
  EXPECT_EQ(ClosestName("--sum", {"--summary-json", "--summing"}), std::nullopt) << "two names begin so: no guess";
}

struct Cli {
  CLI::App app{"test", "memledger"};
  std::string html, output;
  bool leaks = false;
  std::vector<std::string> command;
  Cli() {
    CLI::App* report = app.add_subcommand("report", "");
    report->add_option("--html", html);
    report->add_flag("--leaks", leaks);
    CLI::App* run = app.add_subcommand("run", "");
    run->add_option("--output,-o", output);
    run->add_option("command", command);
  }
};

TEST(DidYouMean, NamesEachUnknownWordWithTheClosest) {
  Cli cli;
  EXPECT_EQ(DidYouMean(cli.app, {"reprot", "x.mlcap"}),
            std::vector<std::string>{"memledger: no subcommand `reprot`; did you mean `memledger report`?"});
  EXPECT_EQ(DidYouMean(cli.app, {"report", "x.mlcap", "--leak", "--htlm", "x.html"}),
            (std::vector<std::string>{"memledger report: no flag --leak; did you mean --leaks?",
                                      "memledger report: no flag --htlm; did you mean --html?"}));
  EXPECT_EQ(DidYouMean(cli.app, {"run", "--outptu=x.mlcap", "--", "prog"}),
            std::vector<std::string>{"memledger run: no flag --outptu; did you mean --output?"});
}

TEST(DidYouMean, ValuesAndTheProgramsWordsAreNotFlags) {
  Cli cli;
  EXPECT_TRUE(DidYouMean(cli.app, {"report", "x.mlcap", "--html", "--leak.html"}).empty()) << "--html's value";
  EXPECT_TRUE(DidYouMean(cli.app, {"run", "-o", "-x.mlcap", "--", "prog", "--leak"}).empty());
  EXPECT_TRUE(DidYouMean(cli.app, {"run", "-ox.mlcap", "--", "prog"}).empty()) << "a value in the same word";
  EXPECT_TRUE(DidYouMean(cli.app, {"report", "x.mlcap", "--leaks"}).empty()) << "all known";
}

TEST(DidYouMean, AFarOffWordSaysWhereTheNamesAre) {
  Cli cli;
  EXPECT_EQ(DidYouMean(cli.app, {"frobnicate"}),
            std::vector<std::string>{"memledger: no subcommand `frobnicate` (the subcommands: report, run)"});
  EXPECT_EQ(DidYouMean(cli.app, {"run", "--devices", "2", "--", "prog"}),
            std::vector<std::string>{"memledger run: no flag --devices (`memledger run --help` lists them; the "
                                     "program's own flags go after --)"});
}

}  // namespace
}  // namespace memledger
