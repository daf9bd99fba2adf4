// report_layer_dlopen.cc — report_layer_loader.h for libmemledger.so: the
// layer is libmemledger_report.so in memledger/ beside this library's own
// file (where the build tree and every install put it), found through
// dladdr — never through LD_LIBRARY_PATH, so that a library always gets the
// layer of its own install. It is loaded once (RTLD_LOCAL: its symbols stay
// its own) and never unloaded; a file of another build is refused by its key.
//
// Limit: a libmemledger.so loaded by a relative path (LD_PRELOAD=./lib/...)
// is known by that path only, so a program that changed its directory since
// finds no layer, and says so.
#include <dlfcn.h>
#include <fmt/format.h>

#include <cstring>
#include <string_view>

#include "client/report_layer_loader.h"

namespace memledger {
namespace {

constexpr const char* kLayerFile = "memledger/libmemledger_report.so";

struct LoadedLayer {
  const ReportLayer* layer = nullptr;
  std::string why;  // when layer is null
};

std::string Describe(const ReportLayerKey& key) {
  return fmt::format("memledger {}, layer {}, ledger {} B, books {} B, record {} B",
                     std::string_view(key.version, strnlen(key.version, sizeof(key.version))), key.abi,
                     key.ledger_bytes, key.books_bytes, key.record_bytes);
}

LoadedLayer Load() {
  LoadedLayer loaded;
  Dl_info self{};
  if (dladdr(reinterpret_cast<const void*>(&ReportLayerOrNull), &self) == 0 || self.dli_fname == nullptr) {
    loaded.why = fmt::format("libmemledger.so cannot tell where its own file is (dladdr), so not where {} is",
                             kLayerFile);
    return loaded;
  }
  const std::string own(self.dli_fname);
  const std::size_t slash = own.rfind('/');
  const std::string path = fmt::format("{}/{}", slash == std::string::npos ? "." : own.substr(0, slash), kLayerFile);
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* error = dlerror();
    loaded.why = error != nullptr ? error : fmt::format("cannot load {}", path);
    return loaded;
  }
  const auto entry = reinterpret_cast<decltype(&memledger_report_layer)>(dlsym(handle, "memledger_report_layer"));
  if (entry == nullptr) {
    loaded.why = fmt::format("{} has no memledger_report_layer: it is not memledger's report layer", path);
    dlclose(handle);
    return loaded;
  }
  const ReportLayerKey wanted = ReportLayerKeyOf(MEMLEDGER_VERSION);
  ReportLayerKey offered{};
  loaded.layer = entry(&wanted, &offered);
  if (loaded.layer == nullptr) {
    loaded.why = fmt::format("{} is of another build ({}) than this libmemledger.so ({})", path, Describe(offered),
                             Describe(wanted));
    dlclose(handle);
  }
  return loaded;
}

}  // namespace

const ReportLayer* ReportLayerOrNull(std::string* why) {
  // Made once, never destroyed: the exit report may want it while the
  // process's static objects are being destroyed.
  static const LoadedLayer* const loaded = new LoadedLayer(Load());
  if (loaded->layer == nullptr) *why = loaded->why;
  return loaded->layer;
}

}  // namespace memledger
