// quantity_text.cc — see quantity_text.h.
#include "event/quantity_text.h"

#include <charconv>
#include <cmath>
#include <utility>

namespace memledger {

std::optional<std::uint64_t> ParseByteSize(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end == text.data()) return std::nullopt;
  const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  static constexpr std::pair<std::string_view, int> kUnits[] = {
      {"", 0}, {"K", 10}, {"k", 10}, {"KiB", 10}, {"M", 20}, {"m", 20}, {"MiB", 20}, {"G", 30}, {"g", 30}, {"GiB", 30}};
  for (const auto& [name, shift] : kUnits) {
    if (unit != name) continue;
    if (shift != 0 && value > (~std::uint64_t{0} >> shift)) return std::nullopt;
    return value << shift;
  }
  return std::nullopt;
}

std::optional<double> ParseSeconds(std::string_view text) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || !std::isfinite(value) || value < 0) return std::nullopt;
  const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {"", 1}, {"s", 1}, {"ms", 1e-3}, {"us", 1e-6}, {"m", 60}, {"min", 60}, {"h", 3600}};
  for (const auto& [name, scale] : kUnits) {
    if (unit != name) continue;
    const double seconds = value * scale;
    return std::isfinite(seconds) ? std::optional(seconds) : std::nullopt;  // 1e308h
  }
  return std::nullopt;
}

}  // namespace memledger
