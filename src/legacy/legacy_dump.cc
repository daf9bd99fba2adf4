// legacy_dump.cc — the listing of DUMP_REMAINING and DUMP_KERNELS (legacy_dump.h).
#include "legacy/legacy_dump.h"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

namespace memledger::legacy {
namespace {

auto Order(const HeldBy& h) {
  return std::make_tuple(h.buffer.device, h.buffer.type, h.buffer.id, h.pid, h.buffer.size);
}

std::string TypeName(std::uint8_t type) {
  const std::string_view name = BuiltinTypeName(type);
  return name.empty() ? fmt::format("type {}", type) : std::string(name);
}

}  // namespace

std::string FormatDump(std::string_view request, pid_t requester, std::vector<HeldBy> held, std::size_t max_lines) {
  std::sort(held.begin(), held.end(), [](const HeldBy& a, const HeldBy& b) { return Order(a) < Order(b); });
  std::uint64_t total = 0;
  for (const HeldBy& h : held) total += h.buffer.size;
  std::string text = fmt::format("{} from pid {}: {} buffers ({} bytes) held by legacy clients\n", request, requester,
                                 held.size(), total);
  std::uint64_t unlisted_bytes = 0;
  for (std::size_t i = 0; i < held.size(); ++i) {
    const HeldBy& h = held[i];
    if (i >= max_lines) {
      unlisted_bytes += h.buffer.size;
      continue;
    }
    if (i == 0 || h.buffer.device != held[i - 1].buffer.device || h.buffer.type != held[i - 1].buffer.type) {
      text += fmt::format("  device {} {}:\n", h.buffer.device, TypeName(h.buffer.type));
    }
    text += fmt::format("    {:#x}: {} bytes, pid {}", h.buffer.id, h.buffer.size, h.pid);
    text += h.buffer.references > 1 ? fmt::format(", {} references\n", h.buffer.references) : "\n";
  }
  if (held.size() > max_lines) {
    text += fmt::format("  ... and {} more buffers ({} bytes), not listed\n", held.size() - max_lines, unlisted_bytes);
  }
  return text;
}

}  // namespace memledger::legacy
