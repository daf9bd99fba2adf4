// data.js — reads the timeline the page carries: the meta JSON block, and the
// changes block (base64 of one gzip member holding five columns of LEB128
// varints, in order: time delta, series, site, size code, address — written
// by src/report/html_report.cc, which says why). Each site has `recent_sizes`
// slots of sizes, empty at first; a size code is 2 × (the number of the slot
// holding the size, or recent_sizes + the size, which then takes the site's
// next slot in turn) + 1 for a free. Base64 and gzip are decoded natively
// (Uint8Array.fromBase64, else a data: URL; DecompressionStream); the varints
// and size codes by the loops below. The address column (a value only for
// the changes of series with an address space, meta.series[].space) is
// kept as bytes and decoded when the map first needs it (decodeAddresses).
'use strict';

// Each stage leaves a performance mark ("memledger:base64", ...) that the
// tests print.
async function loadEmbeddedTimeline() {
  const meta = JSON.parse(document.getElementById('ml-meta').textContent);
  const text = document.getElementById('ml-changes').textContent;
  performance.mark('memledger:text');
  const gzipped = await base64Bytes(text);
  performance.mark('memledger:base64');
  const bytes = await gunzip(gzipped, meta.changes.columns.reduce((sum, column) => sum + column.bytes, 0));
  performance.mark('memledger:gunzip');
  const changes = decodeChanges(bytes, meta);
  performance.mark('memledger:varints');
  return { meta, ...changes };
}

async function base64Bytes(text) {
  if (typeof Uint8Array.fromBase64 === 'function') return Uint8Array.fromBase64(text);
  const response = await fetch(`data:application/octet-stream;base64,${text}`);
  return new Uint8Array(await response.arrayBuffer());
}

// Inflates `bytes` (one gzip member) into an array of `size` bytes. The
// input goes in with one write and the output chunks are copied as they
// come: twice as fast as piping a Blob's stream through a Response (measured
// on 31 MB: 250 ms against 500 ms).
async function gunzip(bytes, size) {
  const stream = new DecompressionStream('gzip');
  const writer = stream.writable.getWriter();
  writer.write(bytes).catch(() => {});  // a damaged input fails the reads below
  writer.close().catch(() => {});
  const out = new Uint8Array(size);
  let at = 0;
  for (const reader = stream.readable.getReader(); ;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (at + value.length > size) {
      throw new Error(`the page's changes inflate to more than ${size} bytes: the file is damaged`);
    }
    out.set(value, at);
    at += value.length;
  }
  return out.subarray(0, at);
}

// The columns as typed arrays: times (ns, cumulative), series and site
// indexes, size deltas (bytes, signed). Doubles hold every time and size
// below 2^53 exactly (the writer refuses larger sizes).
function decodeChanges(bytes, meta) {
  const info = meta.changes;
  const n = info.count;
  const expected = info.columns.reduce((sum, column) => sum + column.bytes, 0);
  if (bytes.length !== expected) {
    throw new Error(`the page's changes hold ${bytes.length} bytes where its index says ${expected}: `
                    + 'the file is damaged');
  }
  const indexArray = (limit) => (limit <= 65536 ? new Uint16Array(n) : new Uint32Array(n));
  const times = new Float64Array(n);
  const series = indexArray(meta.series.length);
  const sites = indexArray(meta.sites.length);
  const deltas = new Float64Array(n);

  let at = 0;
  for (const [column, out] of [[info.columns[0], times], [info.columns[1], series], [info.columns[2], sites],
                               [info.columns[3], deltas]]) {
    const end = decodeVarints(bytes, at, n, out);
    if (end !== at + column.bytes) {
      throw new Error(`the page's ${column.name} column ends at byte ${end}, not ${at + column.bytes}: `
                      + 'the file is damaged');
    }
    at = end;
  }
  for (let i = 1; i < n; i++) times[i] += times[i - 1];
  decodeSizes(deltas, sites, meta.sites.length, info.recent_sizes);
  // A copy: the inflated columns can go.
  const addressBytes = bytes.slice(at, at + (info.columns[4]?.bytes ?? 0));
  return { times, series, sites, deltas, addressBytes };
}

// The address column: per change of a series with a space (meta.spaces),
// 2 × the zig-zag difference of its unit number (address_unit from
// address_base) from the previous aligned address's in that space, or, for
// an address not aligned to the unit, 2 × the zig-zag of its offset from
// address_base + 1. Per space: {index: its changes' indexes, address: their
// addresses}.
function decodeAddresses(bytes, meta, series) {
  const spaceOf = Int32Array.from(meta.series, (s) => s.space ?? -1);
  const spaces = meta.spaces.length;
  const counts = new Uint32Array(spaces);
  for (let i = 0; i < series.length; i++) {
    const s = spaceOf[series[i]];
    if (s >= 0) counts[s]++;
  }
  const values = new Float64Array(counts.reduce((sum, c) => sum + c, 0));
  if (decodeVarints(bytes, 0, values.length, values) !== bytes.length) {
    throw new Error("the page's address column does not match its changes: the file is damaged");
  }
  const out = Array.from(counts, (c) => ({ index: new Uint32Array(c), address: new Float64Array(c) }));
  const filled = new Uint32Array(spaces);
  const unitNumber = new Float64Array(spaces);
  const unzigzag = (z) => (z % 2 ? -(z + 1) / 2 : z / 2);
  for (let i = 0, k = 0; i < series.length; i++) {
    const s = spaceOf[series[i]];
    if (s < 0) continue;
    const v = values[k++];
    const { address_base: base, address_unit: unit } = meta.spaces[s];
    let address;
    if (v % 2) {
      address = base + unzigzag((v - 1) / 2);
    } else {
      unitNumber[s] += unzigzag(v / 2);
      address = base + unitNumber[s] * unit;
    }
    out[s].index[filled[s]] = i;
    out[s].address[filled[s]++] = address;
  }
  return out;
}

// Turns the size codes in `deltas` into signed sizes, in place. Codes below
// 2^31 (all but new sizes of a GiB or more) in int32 arithmetic.
function decodeSizes(deltas, sites, siteCount, recentSizes) {
  const slots = new Float64Array(siteCount * recentSizes);
  const next = new Uint32Array(siteCount);  // per site, the slot the next new size takes
  for (let i = 0; i < deltas.length; i++) {
    const code = deltas[i];
    let free;
    let value;
    if (code < 2147483648) {
      free = code & 1;
      value = code >>> 1;
    } else {
      free = code % 2;
      value = (code - free) / 2;
    }
    const site = sites[i];
    let size;
    if (value < recentSizes) {
      size = slots[site * recentSizes + value];
    } else {
      size = value - recentSizes;
      slots[site * recentSizes + next[site]] = size;
      next[site] = (next[site] + 1) % recentSizes;
    }
    deltas[i] = free ? -size : size;
  }
}

// Reads n unsigned LEB128 varints from bytes[at...] into out; returns where
// they end. Up to four bytes (28 bits) in int32 arithmetic, beyond that in
// doubles (exact below 2^53).
function decodeVarints(bytes, at, n, out) {
  let p = at;
  for (let i = 0; i < n; i++) {
    let b = bytes[p++];
    let v = b & 0x7f;
    if (b >= 0x80) {
      b = bytes[p++];
      v |= (b & 0x7f) << 7;
      if (b >= 0x80) {
        b = bytes[p++];
        v |= (b & 0x7f) << 14;
        if (b >= 0x80) {
          b = bytes[p++];
          v |= (b & 0x7f) << 21;
          let scale = 268435456;
          while (b >= 0x80) {
            b = bytes[p++];
            v += (b & 0x7f) * scale;
            scale *= 128;
          }
        }
      }
    }
    out[i] = v;
  }
  return p;
}
