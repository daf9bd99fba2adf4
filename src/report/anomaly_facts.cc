// anomaly_facts.cc — see anomaly_facts.h.
#include "report/anomaly_facts.h"

#include <fmt/format.h>

#include "report/names.h"
#include "report/text_report.h"

namespace memledger {
namespace {

// "[0x1000, 0x2000) 4.0 KiB" when its size is known, "at 0x1000" when not.
std::string Range(const AnomalyBuffer& buffer) {
  if (buffer.size == 0) return fmt::format("at {:#x}", buffer.address);
  return fmt::format("[{:#x}, {:#x}) {}", buffer.address, buffer.address + buffer.size, FormatBytes(buffer.size));
}

// "buffer 7, [0x1000, 0x2000) 4.0 KiB", "buffer 7 at 0x1000": its id when it
// has one (else its address is its identity) and its range.
std::string Buffer(BufferClass cls, const AnomalyBuffer& buffer) {
  std::string text(BufferClassName(cls));
  const bool with_id = buffer.identity != buffer.address;
  if (with_id) text += fmt::format(" {}", buffer.identity);
  return text + (with_id && buffer.size != 0 ? ", " : " ") + Range(buffer);
}

// "device 0 DRAM, tag weights" (a device or type the process never declared: said so).
std::string Place(const Ledger& ledger, std::uint32_t process, const AnomalyExample& example,
                  const AnomalyBuffer& buffer) {
  if (example.device != kNoDevice && example.type != kNoType && example.type < ledger.type_count()) {
    return PlaceLabel(ledger, example.device, example.type, process, buffer.tag, false);
  }
  std::string label = example.device == kNoDevice ? "a device its process never used"
                                                  : fmt::format("device {}", example.device);
  label += example.type == kNoType ? ", a memory type its process never registered" : "";
  if (const std::string_view tag = ledger.tag_name(process, buffer.tag); !tag.empty()) {
    label += fmt::format(", tag {}", tag);
  }
  return label;
}

// The events of an overlap: the older buffer's allocation, the newer one's
// over it, and how the older one went.
void OverlapEvents(const AnomalySite& site, AnomalyFacts& facts) {
  const AnomalyExample& x = site.example;
  facts.events.push_back({"allocated", x.buffer.alloc_seq, x.buffer.alloc_stack});
  if (x.other.alloc_seq != 0) {
    facts.events.push_back({"the other allocated over it", x.other.alloc_seq, x.other.alloc_stack});
  }
  if (x.seq != 0) {
    facts.events.push_back({"freed", x.seq, site.key.stack});
  } else {
    facts.events.push_back({"still live when its process ended (a leak)", 0, 0});
  }
}

}  // namespace

AnomalyFacts FactsOf(const Ledger& ledger, const AnomalySite& site) {
  const AnomalyExample& x = site.example;
  const std::uint32_t process = site.key.process;
  const std::string buffer = Buffer(x.cls, x.buffer);
  const std::string place = Place(ledger, process, x, x.buffer);
  AnomalyFacts facts;
  switch (site.key.kind) {
    case Anomaly::kUnknownFree:
      facts.what = fmt::format("{} on {}: freed, never seen allocated", buffer, place);
      facts.events.push_back({"freed", x.seq, site.key.stack});
      break;
    case Anomaly::kDoubleFree:
      facts.what = fmt::format("{} on {}: freed twice", buffer, place);
      if (x.buffer.alloc_seq != 0) facts.events.push_back({"allocated", x.buffer.alloc_seq, x.buffer.alloc_stack});
      facts.events.push_back({"first freed", x.first_free_seq, x.first_free_stack});
      facts.events.push_back({"freed again", x.seq, site.key.stack});
      break;
    case Anomaly::kDoubleAlloc:
      facts.what = fmt::format("{} on {}: allocated again while live, as {}", buffer, place,
                               Range(x.other));
      facts.events.push_back({"allocated", x.buffer.alloc_seq, x.buffer.alloc_stack});
      facts.events.push_back({"allocated again", x.seq, site.key.stack});
      break;
    case Anomaly::kOverlap:
    case Anomaly::kLateFreeHook: {
      const std::string other = x.other.size != 0  // every allocated buffer has a size
                                    ? Buffer(x.cls, x.other)
                                    : std::string("a newer one (carried over: not known here)");
      const std::string more = x.overlapped_by > 1 ? fmt::format(" and {} more", x.overlapped_by - 1) : "";
      facts.what = fmt::format("{} on {}, overlapped by {}{}", buffer, place, other, more);
      OverlapEvents(site, facts);
      break;
    }
    case Anomaly::kOutsideAddressSpace:
      facts.what = fmt::format("{} on {}: outside the address space its device declared for it", buffer, place);
      facts.events.push_back({"allocated", x.buffer.alloc_seq, x.buffer.alloc_stack});
      break;
    case Anomaly::kInvalidEvent:
    case Anomaly::kDeviceConflict:
      facts.what = fmt::format("{} on {}", buffer, place);
      break;
  }
  return facts;
}

}  // namespace memledger
