// ring_ownership.h — who drains a ring: the epoch in the top 16 bits of its
// tail word (ring_layout.h). Exactly one consumer applies each record.
//
// A consumer owns the ring while the tail's epoch is its own. It commits a
// drained batch of whole records with one CAS of tail from (its epoch, old
// seq) to (its epoch, new seq) and applies the batch to its ledger only after
// that CAS succeeded; a failed CAS means another consumer took the ring: the
// batch is dropped unapplied and the consumer stops (RingConsumer::lost).
// Every change of owner is a CAS that raises the epoch, so a consumer that
// lost the ring can never commit again, even if it was stopped mid-drain and
// resumes at any instant:
//
//   TakeRing    any epoch e -> e + 2: the process takes its ring (its own
//               consumer; from a server that stopped draining, or went away)
//   OfferRing   e -> e + 1 = offered: the process hands its ring to a
//               server, whose Hello names `offered`; no one may drain now
//   AcceptRing  offered -> offered + 1: the server takes an offered ring,
//               before it applies anything of the handover
//   ReclaimRing offered -> offered + 2: the process takes an offer back
//               that no server accepted in time; fails once one did
//
// Epochs are 16 bits: a consumer that lost the ring 32,768 handovers ago
// could in theory see its epoch again.
#pragma once

#include <cstdint>

#include "ring/ring_layout.h"

namespace memledger {

// Returns the process's own new epoch.
std::uint16_t TakeRing(RingHeader& header);
// Returns the epoch offered (the owner must not be draining).
std::uint16_t OfferRing(RingHeader& header);
// True (and *owned set) when `offered` was still on offer.
bool AcceptRing(RingHeader& header, std::uint16_t offered, std::uint16_t* owned);
// True (and *owned set) when no one accepted `offered`.
bool ReclaimRing(RingHeader& header, std::uint16_t offered, std::uint16_t* owned);

}  // namespace memledger
