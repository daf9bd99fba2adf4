// blocks.js — the address spaces the page carries (meta.spaces, declared per
// device × memory type: html_report.cc) and what lay in one at any change:
// the live blocks along its addresses (site, size, since when), the blocks of
// the types placed within it (circular buffers in L1) with where their
// region ends, and the free figures as the ledger's map counts them
// (free_space_map.h: a block occupies every granule it touches, clipped to
// the space; a hole is a maximal run of free granules). The address column
// is decoded on first use (data.js decodeAddresses): a page whose map is
// never opened pays nothing for it at load.
//
// Cost: a space's state at change i is a replay of that space's changes
// before i (a map of live addresses), no checkpoints: the map is opened by a
// click, not drawn per frame.
'use strict';

class AddressSpaces {
  constructor(model) {
    this.model = model;
    this.spaces = model.meta.spaces ?? [];
    // The spaces of their own (not placed within another), in the charts' order.
    this.hosts = this.spaces.map((space, index) => ({ ...space, index }))
      .filter((space) => space.within === '')
      .sort((a, b) => a.device - b.device || typeRank(a.type) - typeRank(b.type) || a.type.localeCompare(b.type));
    this.columns = null;  // per space: {index: change indexes, address}
  }

  // The host space of a device × type (placed within another: that one's), or undefined.
  hostOf(device, type) {
    const space = this.spaces.find((s) => s.device === device && s.type === type);
    if (!space) return undefined;
    const host = space.within === '' ? space.type : space.within;
    return this.hosts.find((h) => h.device === device && h.type === host);
  }

  // What lay in `host` (a hosts entry) before change `end`: {blocks (its own
  // type's, clipped to it, lowest first), within: [{type, blocks, regionEnd}],
  // figures: {free, holes, largest, largestStart, holeList}}.
  at(host, end) {
    this.columns ??= decodeAddresses(this.model.addressBytes, this.model.meta, this.model.series);
    const blocks = this.#live(host.index, end, host);
    const within = this.spaces.map((s, index) => ({ ...s, index }))
      .filter((s) => s.device === host.device && s.within === host.type)
      .map((s) => {
        const mine = this.#live(s.index, end, host);
        return { type: s.type, blocks: mine, regionEnd: mine.reduce((most, b) => Math.max(most, b.end), host.base) };
      });
    return { blocks, within, figures: spaceFigures(blocks, host) };
  }

  // The live blocks of space `s` before change `end`, clipped to `host`.
  #live(s, end, host) {
    const { times, sites, series, deltas } = this.model;
    const { index, address } = this.columns[s];
    const live = new Map();  // address -> blocks live there (overlaps are the ledger's to report)
    for (let k = 0; k < index.length && index[k] < end; k++) {
      const i = index[k];
      const at = address[k];
      const size = deltas[i];
      if (size > 0) {
        const block = { address: at, size, site: sites[i], series: series[i], since: times[i] };
        if (live.has(at)) live.get(at).push(block);
        else live.set(at, [block]);
        continue;
      }
      const here = live.get(at);
      if (!here) continue;
      const gone = here.findIndex((b) => b.series === series[i] && b.size === -size);
      here.splice(gone < 0 ? 0 : gone, 1);
      if (!here.length) live.delete(at);
    }
    const hostEnd = host.base + host.size;
    const blocks = [];
    for (const here of live.values()) {
      for (const b of here) {
        const start = Math.max(b.address, host.base);
        const stop = Math.min(b.address + b.size, hostEnd);
        if (start < stop) blocks.push({ ...b, start, end: stop });
      }
    }
    return blocks.sort((a, b) => a.start - b.start || a.end - b.end);
  }
}

// The free figures of `space` ({base, size, granule}) with `blocks` live,
// as FreeSpaceMap::Figures and Holes count them.
function spaceFigures(blocks, space) {
  const { base, size, granule } = space;
  const granules = Math.ceil(size / granule);
  const runs = blocks.map((b) => [Math.floor((b.start - base) / granule), Math.floor((b.end - 1 - base) / granule) + 1])
    .sort((a, b) => a[0] - b[0]);
  const figures = { free: 0, holes: 0, largest: 0, largestStart: 0, holeList: [] };
  const hole = (first, last) => {
    if (last <= first) return;
    const bytes = Math.min(last * granule, size) - first * granule;
    figures.free += bytes;
    figures.holes++;
    figures.holeList.push({ start: base + first * granule, bytes });
    if (bytes > figures.largest) Object.assign(figures, { largest: bytes, largestStart: base + first * granule });
  };
  let at = 0;
  for (const [first, last] of runs) {
    hole(at, first);
    at = Math.max(at, last);
  }
  hole(at, granules);
  return figures;
}
