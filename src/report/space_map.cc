// space_map.cc — see space_map.h.
#include "report/space_map.h"

#include <absl/container/flat_hash_map.h>
#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <optional>
#include <tuple>
#include <vector>

#include "report/failure_groups.h"
#include "report/failure_place.h"
#include "report/names.h"
#include "report/printable_text.h"
#include "report/text_report.h"

namespace memledger {
namespace {

template <typename... Args>
void AppendLine(std::string& out, fmt::format_string<Args...> format, Args&&... args) {
  fmt::format_to(std::back_inserter(out), format, std::forward<Args>(args)...);
  out += '\n';
}

struct MapBlock {
  std::uint64_t start;
  std::uint64_t end;
  std::size_t site;  // index into the sites, largest first once ranked
};

struct MapSite {
  std::uint32_t process;
  std::uint32_t stack;
  std::uint32_t tag;
  std::uint64_t bytes = 0;
  std::uint64_t buffers = 0;
};

// Live buffers of `type` on `device` (every process's), clipped to
// [base, end), with their sites, largest site first.
void Collect(const Ledger& ledger, std::uint16_t device, std::uint16_t type, std::uint64_t base, std::uint64_t end,
             std::vector<MapBlock>& blocks, std::vector<MapSite>& sites) {
  absl::flat_hash_map<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t>, std::size_t> index;
  ledger.ForEachLive([&](const LiveKey& key, const LiveBuffer& buffer) {
    const auto process = static_cast<ProcessIndex>(key.process);
    if (buffer.type != type || ledger.DeviceOf(process, key.device) != device || !ledger.InMaps(process, key.device)) {
      return;
    }
    const std::uint64_t start = std::max(buffer.address, base);
    const std::uint64_t stop = std::min(buffer.address + std::min(buffer.size, ~buffer.address), end);
    if (start >= stop) return;
    const auto [it, added] = index.try_emplace(std::tuple(key.process, buffer.stack, buffer.tag), sites.size());
    if (added) sites.push_back(MapSite{key.process, buffer.stack, buffer.tag});
    sites[it->second].bytes += stop - start;
    ++sites[it->second].buffers;
    blocks.push_back(MapBlock{start, stop, it->second});
  });
  std::vector<std::size_t> order(sites.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::tie(sites[b].bytes, sites[a].process, sites[a].stack, sites[a].tag) <
           std::tie(sites[a].bytes, sites[b].process, sites[b].stack, sites[b].tag);
  });
  std::vector<std::size_t> rank(sites.size());
  std::vector<MapSite> ranked;
  for (std::size_t i = 0; i < order.size(); ++i) {
    rank[order[i]] = i;
    ranked.push_back(sites[order[i]]);
  }
  sites = std::move(ranked);
  for (MapBlock& block : blocks) block.site = rank[block.site];
}

// One character per slice of [base, base + columns x slice).
std::string Line(const std::vector<MapBlock>& blocks, std::uint64_t base, std::uint64_t size, std::size_t columns,
                 bool by_site) {
  const std::uint64_t slice = (size + columns - 1) / columns;
  std::vector<std::uint64_t> covered(columns, 0);
  std::vector<std::size_t> site(columns, SIZE_MAX);  // SIZE_MAX: none yet; SIZE_MAX - 1: several
  for (const MapBlock& block : blocks) {
    for (std::uint64_t c = (block.start - base) / slice; c < columns && base + c * slice < block.end; ++c) {
      const std::uint64_t from = std::max(block.start, base + c * slice);
      const std::uint64_t to = std::min(block.end, base + (c + 1) * slice);
      covered[c] += to - from;
      site[c] = site[c] == SIZE_MAX || site[c] == block.site ? block.site : SIZE_MAX - 1;
    }
  }
  std::string line;
  for (std::size_t c = 0; c < columns; ++c) {
    const std::uint64_t width = std::min(slice, base + size - std::min(base + size, base + c * slice));
    if (site[c] == SIZE_MAX) {
      line += width == 0 ? ' ' : '.';
    } else if (!by_site) {
      line += covered[c] >= width ? '=' : '-';
    } else if (site[c] == SIZE_MAX - 1) {
      line += '#';
    } else if (site[c] >= kMapLegendLetters) {
      line += '+';
    } else {
      const char letter = static_cast<char>('A' + site[c]);
      line += covered[c] >= width ? letter : static_cast<char>(letter - 'A' + 'a');
    }
  }
  return line;
}

}  // namespace

std::string SpaceMapText(const Ledger& ledger, SiteStacks& stacks, std::uint16_t device, std::uint16_t type,
                         std::string_view instant, const AllocationFailure* failure, std::size_t columns) {
  std::string out;
  const std::string where = fmt::format("{} {}", PrintableText(DeviceLabel(ledger, device)),
                                        PrintableText(ledger.type_name(type)));
  const FreeSpaceMap* space = ledger.FreeSpace(device, type);
  if (space == nullptr) {
    AppendLine(out, "{}: no address space declared (memledger_address_space): no map to draw", where);
    return out;
  }
  const SpaceGeometry& g = space->geometry();
  const std::uint64_t slice = (g.size + columns - 1) / columns;
  AppendLine(out, "{} {}: [{:#x}, {:#x}), {}; a column is {}", where, instant, g.base, g.end(),
             BankedBytes(g.size, g.banks), FormatBytes(slice));
  std::vector<MapBlock> blocks;
  std::vector<MapSite> sites;
  Collect(ledger, device, type, g.base, g.end(), blocks, sites);
  AppendLine(out, "  |{}|", Line(blocks, g.base, g.size, columns, /*by_site=*/true));
  // The types placed within this one (circular buffers within L1): where their live buffers are.
  const DeviceBooks& books = ledger.devices()[device];
  for (std::size_t t = 0; t < ledger.type_count(); ++t) {
    if (books.spaces.PlacedWithin(static_cast<std::uint16_t>(t)) != type) continue;
    std::vector<MapBlock> within;
    std::vector<MapSite> within_sites;
    Collect(ledger, device, static_cast<std::uint16_t>(t), g.base, g.end(), within, within_sites);
    std::uint64_t region_end = g.base;
    for (const MapBlock& block : within) region_end = std::max(region_end, block.end);
    AppendLine(out, "  |{}| {} {}", Line(within, g.base, g.size, columns, /*by_site=*/false),
               PrintableText(ledger.type_name(t)),
               within.empty() ? std::string("none live")
                              : fmt::format("{} live, their region ends at {:#x}", Count(within.size(), "buffer"), region_end));
  }
  // Where the failing request would have gone.
  const auto place = failure != nullptr && failure->device == device && failure->space_type == type
                         ? FailurePlaceOf(*failure, g)
                         : std::nullopt;
  if (place) {
    const std::string what =
        place->region
            ? fmt::format("the failing {} region [{:#x}, {:#x})", PrintableText(ledger.type_name(failure->type)),
                          place->start, place->end)
            : fmt::format("the cheapest window for the failing {}: [{:#x}, {:#x})", FormatBytes(failure->extent),
                          place->start, place->end);
    AppendLine(out, "  |{}| {}", Line({MapBlock{place->start, place->drawn_end, 0}}, g.base, g.size, columns,
                                      /*by_site=*/false), what);
  }
  const bool with_pid = ledger.processes().size() > 1;
  // Every letter's site read before any is named: their headlines told apart.
  for (std::size_t i = 0; i < std::min(sites.size(), kMapLegendLetters); ++i) {
    stacks.Read(ledger.processes()[sites[i].process], sites[i].stack);
  }
  for (std::size_t i = 0; i < std::min(sites.size(), kMapLegendLetters); ++i) {
    const MapSite& site = sites[i];
    const ProcessBooks& owner = ledger.processes()[site.process];
    const std::string_view tag = ledger.tag_name(site.process, site.tag);
    AppendLine(out, "  {} {} in {}: {}{}{}", static_cast<char>('A' + i), FormatBytes(site.bytes),
               Count(site.buffers, "buffer"), PrintableText(stacks.Headline(stacks.Read(owner, site.stack))),
               tag.empty() ? "" : fmt::format(", tag {}", PrintableText(tag)),
               with_pid ? fmt::format(", pid {}", owner.pid) : "");
  }
  if (sites.size() > kMapLegendLetters) {
    std::uint64_t bytes = 0;
    for (std::size_t i = kMapLegendLetters; i < sites.size(); ++i) bytes += sites[i].bytes;
    AppendLine(out, "  + {} in {}", FormatBytes(bytes), Count(sites.size() - kMapLegendLetters, "more site"));
  }
  AppendLine(out, "  . free; a lower-case letter: that site and free space; # several sites");
  const SpaceFigures& figures = space->Figures();
  AppendLine(out, "  {}", FiguresText(figures, g.banks));
  if (figures.largest_free_block != 0) {
    AppendLine(out, "  the largest block: [{:#x}, {:#x})", figures.largest_free_start,
               figures.largest_free_start + figures.largest_free_block);
  }
  const auto holes = space->Holes(kMapHolesListed);
  std::string listed;
  for (const auto& [start, size] : holes) listed += fmt::format("{}[{:#x}, {:#x}) {}", listed.empty() ? "" : ", ", start, start + size, FormatBytes(size));
  if (!listed.empty()) {
    AppendLine(out, "  holes, lowest first: {}{}", listed, figures.holes > holes.size() ? fmt::format(", \u2026 {} more", figures.holes - holes.size()) : "");
  }
  if (space->coarse()) {
    AppendLine(out, "  (counted in {} granules: the space is too large for finer ones)", FormatBytes(space->granule()));
  }
  return out;
}

}  // namespace memledger
