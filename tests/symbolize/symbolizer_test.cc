// symbolizer_test.cc — Symbolizer, BackgroundSymbolizer, ModuleFrames and
// FormatFrame on stacks captured in this process: return addresses recorded inside the fixture library, described by
// a module map read here with dl_iterate_phdr, as the client reads its own;
// and modules a hostile process could declare (a FIFO, a file it cannot read).
#include "symbolize/symbolizer.h"

#include <poll.h>

#include <elf.h>
#include <gtest/gtest.h>
#include <link.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "symbolize/background_symbolizer.h"
#include "symbolize_fixture.h"

namespace memledger {
namespace {

// The NT_GNU_BUILD_ID descriptor among the notes of a PT_NOTE segment, or "".
// Name and descriptor are padded to 4 bytes (8 in a segment aligned to 8).
std::string BuildIdIn(const char* notes, std::uint64_t size, std::uint64_t align) {
  const std::uint64_t pad = align == 8 ? 8 : 4;
  const auto padded = [pad](std::uint64_t n) { return (n + pad - 1) & ~(pad - 1); };
  std::uint64_t at = 0;
  while (at + sizeof(ElfW(Nhdr)) <= size) {
    ElfW(Nhdr) note;
    std::memcpy(&note, notes + at, sizeof(note));
    const char* name = notes + at + sizeof(note);
    if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0) {
      return std::string(name + padded(note.n_namesz), note.n_descsz);
    }
    at += sizeof(note) + padded(note.n_namesz) + padded(note.n_descsz);
  }
  return {};
}

ModuleDescription Describe(const dl_phdr_info& info) {
  ModuleDescription module;
  module.base = info.dlpi_addr;
  module.start = std::numeric_limits<std::uint64_t>::max();
  for (int i = 0; i < info.dlpi_phnum; ++i) {
    const ElfW(Phdr)& phdr = info.dlpi_phdr[i];
    const std::uint64_t begin = info.dlpi_addr + phdr.p_vaddr;
    if (phdr.p_type == PT_LOAD) {
      module.start = std::min(module.start, begin);
      module.end = std::max(module.end, begin + phdr.p_memsz);
    } else if (phdr.p_type == PT_NOTE && module.build_id.empty()) {
      module.build_id = BuildIdIn(reinterpret_cast<const char*>(begin), phdr.p_memsz, phdr.p_align);
    }
  }
  module.path = info.dlpi_name;  // the main program's is "", but only the fixture is looked up
  return module;
}

// The loaded object containing `address`, as the client's module map describes it.
ModuleDescription LoadedModuleContaining(std::uint64_t address) {
  struct Search {
    std::uint64_t address;
    ModuleDescription found;
  } search{address, {}};
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) {
        auto* search = static_cast<Search*>(data);
        ModuleDescription module = Describe(*info);
        if (search->address < module.start || search->address >= module.end) return 0;
        search->found = std::move(module);
        return 1;
      },
      &search);
  return search.found;
}

std::string Basename(const std::string& path) { return std::filesystem::path(path).filename().string(); }

constexpr const char* kFixtureSource = "symbolize_fixture.cc";
constexpr const char* kRecorder = "fixture_ns::RecordCallSite(FixtureCallSite*, int)";

// The stack of a call the fixture recorded: the callee's entry (innermost),
// then the return address in the caller.
std::vector<std::uint64_t> StackOf(const FixtureCallSite& site) { return {site.recorder, site.return_address}; }

TEST(Symbolizer, ReturnAddressResolvesToTheLineOfTheCall) {
  FixtureCallSite site;
  leaf_function(&site);
  const ModuleDescription fixture = LoadedModuleContaining(site.return_address);
  ASSERT_FALSE(fixture.path.empty());
  ASSERT_FALSE(fixture.build_id.empty());

  Symbolizer symbolizer;
  const std::vector<SymbolizedFrame> frames = symbolizer.Symbolize({&fixture, 1}, StackOf(site));
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].address, site.recorder);
  EXPECT_EQ(frames[0].function, kRecorder);
  EXPECT_EQ(Basename(frames[0].file), kFixtureSource);

  const SymbolizedFrame& caller = frames[1];
  EXPECT_EQ(caller.address, site.return_address);
  EXPECT_EQ(caller.function, "leaf_function");
  EXPECT_EQ(Basename(caller.file), kFixtureSource);
  EXPECT_EQ(caller.line, site.line);
  EXPECT_FALSE(caller.inlined);
  EXPECT_EQ(caller.module, fixture.path);
  EXPECT_EQ(caller.module_offset, site.return_address - fixture.base);
  EXPECT_EQ(FormatFrame(caller), "leaf_function at " + caller.file + ":" + std::to_string(site.line));

  // Again, from the caches: the same frames.
  EXPECT_EQ(symbolizer.Symbolize({&fixture, 1}, StackOf(site)), frames);
}

TEST(ModuleFrames, TellModuleAndOffsetWithoutReadingAFile) {
  FixtureCallSite site;
  leaf_function(&site);
  ModuleDescription fixture = LoadedModuleContaining(site.return_address);
  fixture.path = "/nonexistent/libfixture.so";  // never opened
  const std::vector<SymbolizedFrame> frames = ModuleFrames({&fixture, 1}, StackOf(site));
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[1], (SymbolizedFrame{.address = site.return_address,
                                        .module = fixture.path,
                                        .module_offset = site.return_address - fixture.base}));
  EXPECT_EQ(ModuleFrames({}, StackOf(site))[0], SymbolizedFrame{.address = site.recorder});
}

// The caller never reads a file: a stack not read yet is "not yet" and
// queued; the worker reads it and says so on ready_fd; then the frames
// are the ones a Symbolizer gives.
TEST(BackgroundSymbolizer, AnswersNotYetThenTheFramesItsThreadRead) {
  FixtureCallSite site;
  leaf_function(&site);
  const ModuleDescription fixture = LoadedModuleContaining(site.return_address);
  ASSERT_FALSE(fixture.path.empty());
  BackgroundSymbolizer background;
  EXPECT_TRUE(background.idle());
  EXPECT_EQ(background.Frames({&fixture, 1}, StackOf(site), std::nullopt), std::nullopt);
  // Asked again at once: "not yet" again, or — when the worker was quicker
  // than this thread (1 of ~300 runs) — already the frames.
  const bool read_already = background.Frames({&fixture, 1}, StackOf(site), std::nullopt).has_value();
  EXPECT_EQ(background.misses(), read_already ? 1u : 2u);

  pollfd ready{.fd = background.ready_fd(), .events = POLLIN, .revents = 0};
  ASSERT_EQ(poll(&ready, 1, 60'000), 1) << "the worker never read the stack";
  background.TakeReady();
  EXPECT_TRUE(background.idle());
  Symbolizer symbolizer;
  const auto frames = background.Frames({&fixture, 1}, StackOf(site), std::nullopt);
  ASSERT_TRUE(frames.has_value());
  EXPECT_EQ(*frames, symbolizer.Symbolize({&fixture, 1}, StackOf(site)));
  EXPECT_EQ((*frames)[1].function, "leaf_function");
  background.ResetMisses();
  EXPECT_EQ(background.misses(), 0u);

  // Another reader, or another module map, is another question.
  EXPECT_EQ(background.Frames({&fixture, 1}, StackOf(site), getuid() + 1), std::nullopt);
  EXPECT_EQ(background.Frames({}, StackOf(site), std::nullopt), std::nullopt);
}

TEST(Symbolizer, InlinedCallExpandsIntoOneFramePerFunction) {
  FixtureCallSite site;
  fixture_ns::Widget::make(&site);
  const ModuleDescription fixture = LoadedModuleContaining(site.return_address);

  const std::vector<SymbolizedFrame> frames = Symbolizer().Symbolize({&fixture, 1}, StackOf(site));
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].function, kRecorder);

  const SymbolizedFrame& helper = frames[1];
  EXPECT_EQ(helper.function, "fixture_ns::RecordFromHelper(FixtureCallSite*, int)");
  EXPECT_EQ(Basename(helper.file), kFixtureSource);
  EXPECT_EQ(helper.line, site.line);
  EXPECT_TRUE(helper.inlined);
  EXPECT_EQ(helper.address, site.return_address);

  const SymbolizedFrame& make = frames[2];
  EXPECT_EQ(make.function, "fixture_ns::Widget::make(FixtureCallSite*)");
  EXPECT_EQ(Basename(make.file), kFixtureSource);
  EXPECT_EQ(make.line, site.caller_line);
  EXPECT_FALSE(make.inlined);
  EXPECT_EQ(make.address, site.return_address);
  EXPECT_EQ(make.module_offset, site.return_address - fixture.base);
}

// GCC gives a lambda's operator() no linkage name: inlined or not, it is
// named as its symbol demangles, by the function it is in.
TEST(Symbolizer, LambdaIsNamedByTheFunctionItIsInInlinedOrNot) {
  FixtureCallSite inlined;
  FixtureCallSite out_of_line;
  fixture_ns::Widget::make_in_lambdas(&inlined, &out_of_line);
  const ModuleDescription fixture = LoadedModuleContaining(inlined.return_address);
  const std::string lambda = "fixture_ns::Widget::make_in_lambdas(FixtureCallSite*, FixtureCallSite*)::{lambda(…)}::operator()";

  const std::vector<SymbolizedFrame> in_line = Symbolizer().Symbolize({&fixture, 1}, StackOf(inlined));
  ASSERT_EQ(in_line.size(), 3u);
  EXPECT_EQ(in_line[1].function, lambda);
  EXPECT_TRUE(in_line[1].inlined);
  EXPECT_EQ(in_line[1].line, inlined.line);
  EXPECT_EQ(in_line[2].function, "fixture_ns::Widget::make_in_lambdas(FixtureCallSite*, FixtureCallSite*)");

  const std::vector<SymbolizedFrame> kept = Symbolizer().Symbolize({&fixture, 1}, StackOf(out_of_line));
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[1].function, lambda);
  EXPECT_FALSE(kept[1].inlined);
  EXPECT_EQ(kept[1].line, out_of_line.line);
}

// The frame of the function that made `site`'s call (the recorder's caller),
// symbolized; an empty frame (and a failure) when there is none.
SymbolizedFrame CallerOf(const FixtureCallSite& site) {
  const ModuleDescription fixture = LoadedModuleContaining(site.return_address);
  const std::vector<SymbolizedFrame> frames = Symbolizer().Symbolize({&fixture, 1}, StackOf(site));
  EXPECT_GE(frames.size(), 2u);
  return frames.size() >= 2 ? frames[1] : SymbolizedFrame{};
}

// A method of a class in an unnamed namespace has internal linkage, and GCC
// gives it no linkage name: it is named by its scopes, as its symbol demangles.
TEST(Symbolizer, MethodWithoutLinkageNameIsNamedByItsScopes) {
  FixtureCallSite site;
  fixture_ns::Widget::make_in_hidden_class(&site);
  const SymbolizedFrame caller = CallerOf(site);
  EXPECT_EQ(caller.function, "fixture_ns::(anonymous namespace)::Hidden_Test::TestBody");
  EXPECT_EQ(caller.line, site.line);
}

// A function of C linkage has no linkage name either, but its symbol is its
// bare name, wherever it is declared.
TEST(Symbolizer, CLinkageFunctionInANamespaceIsNamedAsItsSymbol) {
  FixtureCallSite site;
  fixture_ns::c_linkage_in_namespace(&site);
  const SymbolizedFrame caller = CallerOf(site);
  EXPECT_EQ(caller.function, "c_linkage_in_namespace");
  EXPECT_EQ(caller.line, site.line);
}

TEST(Symbolizer, ModuleWithoutBuildIdIsOpenedByPath) {
  FixtureCallSite site;
  leaf_function(&site);
  ModuleDescription fixture = LoadedModuleContaining(site.return_address);
  fixture.build_id.clear();

  const std::vector<SymbolizedFrame> frames = Symbolizer().Symbolize({&fixture, 1}, StackOf(site));
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[1].function, "leaf_function");
  EXPECT_EQ(frames[1].line, site.line);
}

// libdw 0.188 finds a CU by address only through .debug_aranges.
TEST(Symbolizer, FileWithoutDebugArangesIsSearchedCuByCu) {
  FixtureCallSite site;
  fixture_ns::Widget::make(&site);
  ModuleDescription fixture = LoadedModuleContaining(site.return_address);
  fixture.path = SYMBOLIZE_FIXTURE_NO_ARANGES;  // the same build (same build-id), its .debug_aranges removed

  const std::vector<SymbolizedFrame> frames = Symbolizer().Symbolize({&fixture, 1}, StackOf(site));
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].function, kRecorder);
  EXPECT_EQ(frames[1].line, site.line);
  EXPECT_TRUE(frames[1].inlined);
  EXPECT_EQ(frames[2].function, "fixture_ns::Widget::make(FixtureCallSite*)");
  EXPECT_EQ(frames[2].line, site.caller_line);
}

TEST(Symbolizer, AddressInNoModuleIsKeptBare) {
  FixtureCallSite site;
  leaf_function(&site);
  const ModuleDescription fixture = LoadedModuleContaining(site.return_address);
  const std::uint64_t stack[] = {0x10, 0x20};

  const std::vector<SymbolizedFrame> frames = Symbolizer().Symbolize({&fixture, 1}, stack);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0], SymbolizedFrame{.address = 0x10});
  EXPECT_EQ(frames[1], SymbolizedFrame{.address = 0x20});
  EXPECT_EQ(FormatFrame(frames[0]), "0x10");
}

// Both frames kept as module+offset, nothing else.
void ExpectModuleOffsetOnly(const std::vector<SymbolizedFrame>& frames, const FixtureCallSite& site,
                            const ModuleDescription& module) {
  ASSERT_EQ(frames.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const std::uint64_t address = StackOf(site)[i];
    EXPECT_EQ(frames[i], (SymbolizedFrame{.address = address, .module = module.path,
                                          .module_offset = address - module.base}));
  }
}

TEST(Symbolizer, ModuleWhoseFileIsMissingIsKeptAsModuleOffset) {
  FixtureCallSite site;
  leaf_function(&site);
  ModuleDescription gone = LoadedModuleContaining(site.return_address);
  gone.path = "/nonexistent/libsymbolize_fixture.so";

  const std::vector<SymbolizedFrame> frames = Symbolizer().Symbolize({&gone, 1}, StackOf(site));
  ExpectModuleOffsetOnly(frames, site, gone);
  char offset[32];
  std::snprintf(offset, sizeof(offset), "+%#llx", static_cast<unsigned long long>(frames[1].module_offset));
  EXPECT_EQ(FormatFrame(frames[1]), gone.path + offset);
}

TEST(Symbolizer, ModuleWhoseBuildIdDiffersFromTheFileIsKeptAsModuleOffset) {
  FixtureCallSite site;
  leaf_function(&site);
  ModuleDescription other_build = LoadedModuleContaining(site.return_address);
  ASSERT_FALSE(other_build.build_id.empty());
  other_build.build_id[0] = static_cast<char>(other_build.build_id[0] ^ 0x5a);

  ExpectModuleOffsetOnly(Symbolizer().Symbolize({&other_build, 1}, StackOf(site)), site, other_build);
}

// A module a hostile process declared at a FIFO: never opened for reading
// (an open that waits for a writer would hang a server), its frames kept as
// module+offset and saying why.
TEST(Symbolizer, ModuleAtAFifoIsNotReadAndSaysWhy) {
  FixtureCallSite site;
  leaf_function(&site);
  ModuleDescription fifo = LoadedModuleContaining(site.return_address);
  std::string dir = (std::filesystem::temp_directory_path() / "memledger-fifo-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  fifo.path = dir + "/module.so";
  ASSERT_EQ(mkfifo(fifo.path.c_str(), 0600), 0);
  for (const bool with_build_id : {true, false}) {
    if (!with_build_id) fifo.build_id.clear();
    const std::vector<SymbolizedFrame> frames = Symbolizer().Symbolize({&fifo, 1}, StackOf(site));
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[1].function, "");
    EXPECT_EQ(frames[1].unread_module, "module not a regular file");
    EXPECT_NE(FormatFrame(frames[1]).find(fifo.path + "+0x"), std::string::npos);
    EXPECT_TRUE(FormatFrame(frames[1]).ends_with(" (module not a regular file)")) << FormatFrame(frames[1]);
  }
  std::filesystem::remove_all(dir);
}

// For a process of another uid, a module file it could not read itself is
// not read; for this process's own uid (or an unknown one) it is.
TEST(Symbolizer, ModuleTheReaderCouldNotReadIsNotRead) {
  FixtureCallSite site;
  leaf_function(&site);
  ModuleDescription copy = LoadedModuleContaining(site.return_address);
  std::string dir = (std::filesystem::temp_directory_path() / "memledger-unreadable-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  const std::string original = copy.path;
  copy.path = dir + "/libprivate.so";
  std::filesystem::copy_file(original, copy.path);
  ASSERT_EQ(chmod(copy.path.c_str(), 0600), 0);
  constexpr uid_t kOther = 65534;

  std::vector<SymbolizedFrame> frames = Symbolizer().Symbolize({&copy, 1}, StackOf(site), kOther);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[1].function, "");
  EXPECT_EQ(frames[1].unread_module, "module not readable by uid 65534");

  EXPECT_EQ(Symbolizer().Symbolize({&copy, 1}, StackOf(site), geteuid())[1].function, "leaf_function");
  EXPECT_EQ(Symbolizer().Symbolize({&copy, 1}, StackOf(site))[1].function, "leaf_function");

  // Readable by everyone, but in a directory only its owner can enter.
  ASSERT_EQ(chmod(copy.path.c_str(), 0644), 0);
  ASSERT_EQ(chmod(dir.c_str(), 0700), 0);
  EXPECT_EQ(Symbolizer().Symbolize({&copy, 1}, StackOf(site), kOther)[1].unread_module,
            "module not readable by uid 65534");
  ASSERT_EQ(chmod(dir.c_str(), 0755), 0);
  EXPECT_EQ(Symbolizer().Symbolize({&copy, 1}, StackOf(site), kOther)[1].function, "leaf_function");
  std::filesystem::remove_all(dir);
}

TEST(FormatFrame, SaysWhatIsKnown) {
  EXPECT_EQ(FormatFrame({.address = 0x1234, .function = "ns::f(int)", .file = "/src/a.cc", .line = 12,
                         .module = "/lib/liba.so", .module_offset = 0x234}),
            "ns::f(int) at /src/a.cc:12");
  EXPECT_EQ(FormatFrame({.address = 0x1234, .function = "ns::f(int)", .module = "/lib/liba.so", .module_offset = 0x234}),
            "ns::f(int)");
  EXPECT_EQ(FormatFrame({.address = 0x1234, .module = "/lib/liba.so", .module_offset = 0x234}), "/lib/liba.so+0x234");
  EXPECT_EQ(FormatFrame({.address = 0x1234, .module = "/lib/liba.so", .module_offset = 0x234,
                         .unread_module = "module not a regular file"}),
            "/lib/liba.so+0x234 (module not a regular file)");
  EXPECT_EQ(FormatFrame({.address = 0x1234}), "0x1234");
}

}  // namespace
}  // namespace memledger
