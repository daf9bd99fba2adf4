// slot_columns.h — the "columns" chunk codec's transform (capture_format.h:
// kCodecColumns), applied before zstd: a run of 64-byte slots rewritten as
// eight columns (the slots' eight 64-bit words, in slot order), each word
// coded against the same word of the slot before it, each column's codes
// stored as eight byte planes (every code's byte 0, then every code's byte
// 1, ...). Sequence numbers rise by one and times by a little: their
// differences (zigzag) are small, so their high planes are all zeros; the
// other words repeat or change in few bits from slot to slot (XOR). zstd
// then finds long runs where the slots themselves, side by side, had
// none: 0.5–0.7 bytes a slot against 7.5–8.6 (docs/benchmarks.md).
//
//   code[j][i] = zigzag(w[i][j] - w[i-1][j])  for j = 0 (seq), 1 (time_ns)
//   code[j][i] = w[i][j] XOR w[i-1][j]        for j = 2..7
//   with w[-1][j] = 0; byte b of code[j][i] at offset (8j + b)·n + i.
//
// Any bytes decode to some slots (the transform is a bijection on 64·n
// bytes): what they mean is the reader's to check, as for plain chunks.
// Thread-safe: pure functions.
#pragma once

#include <cstddef>
#include <span>

#include "event/event.h"

namespace memledger {

// Writes the columns of `slots` into `columns` (slots.size() × 64 bytes).
void SlotsToColumns(std::span<const Event> slots, std::span<unsigned char> columns);
// The inverse: `columns` (slots.size() × 64 bytes) back into `slots`.
void ColumnsToSlots(std::span<const unsigned char> columns, std::span<Event> slots);

}  // namespace memledger
