// spacemap.js — the address-space view: one declared space (device × memory
// type, a selector) at one instant — a pool's peak (first shown), the pinned
// instant, or an allocation failure (its marker on the timeline) — as the
// text map (`memledger report --map`, space_map.h) shows it, drawn: the
// live blocks along the address axis (per-bank offsets when banked),
// coloured by site (by tag when the charts are by tag), the holes as the
// hatched gaps between them (each edged, at least 2 px wide); for a space
// others are placed within (L1 and its circular buffers) a row of those
// with where their region ends; at a
// failure, a row where its request would have gone (the failing region, or
// a fragmented request's cheapest window: the writer's FailurePlace); the
// free figures; and the sites by bytes. Hovering a block says its site,
// size, address and since when. The facts come from AddressSpaces
// (blocks.js); the data-* attributes carry them exactly, for tests. A map
// asked for (the peak at first, a pin, a failure) is drawn while the section
// is in view, else when it comes into view: the page's load never decodes
// an address, and a pin on the charts with the map scrolled away costs
// nothing (a map of a large space is a replay of its changes).
'use strict';

const MAP_SITE_COLORS = 12;           // the largest sites get a palette color each; the rest OTHER_SITE_COLOR
const OTHER_SITE_COLOR = '#bab0ac';
const MAP_MAX_ELEMENTS = 4000;        // more blocks than this: touching ones of a color are drawn as one
const MAP_LEGEND_SITES = 20;
const MAP_HOLES_LISTED = 8;           // as the text map (space_map.h kMapHolesListed)

function hex(n) {
  return `0x${n.toString(16)}`;
}

// "1 site", "2,048 sites".
function counted(n, what) {
  return `${formatCount(n)} ${what}${n === 1 ? '' : 's'}`;
}

class SpaceMap {
  // peakOf(device, type): that pool's highest peak (a meta.peaks entry) or null.
  constructor(container, model, peakOf) {
    this.model = model;
    this.spaces = new AddressSpaces(model);
    this.peakOf = peakOf;
    this.container = container;
    this.mode = 'type';
    this.state = null;  // the map asked for: {host, kind: 'peak'|'instant'|'failure', time, end (a change index), failure}
    this.drawn = null;  // the state drawn
    if (!this.spaces.hosts.length) {
      container.replaceChildren(el('p', { className: 'muted' },
        'No address space was declared (memledger_address_space): no map to draw.'));
      return;
    }
    this.select = el('select', { id: 'map-space', ariaLabel: 'address space' }, ...this.spaces.hosts.map((h, i) =>
      el('option', { value: i }, `${h.type} · ${deviceLabel(h.device, h.device_name)}`)));
    this.select.addEventListener('change', () => this.#switchTo(this.spaces.hosts[this.select.value]));
    this.peakButton = el('button', { type: 'button', className: 'link' }, 'its peak');
    this.peakButton.addEventListener('click', () => this.showPeak(this.state?.host ?? this.spaces.hosts[0]));
    this.heading = el('p', { className: 'map-heading' });
    this.body = el('div', { className: 'map-body' });
    this.hover = el('p', { className: 'map-hover muted' }, 'Hover over a block to see its site, size and address.');
    container.replaceChildren(el('div', { className: 'map-choices' }, 'Space ', this.select, ' · ', this.peakButton),
                              this.heading, this.body);
    this.visible = false;
    new IntersectionObserver((entries) => {
      this.visible = entries[entries.length - 1].isIntersecting;
      if (this.visible && this.drawn !== this.state) this.#draw();
    }).observe(container);
    this.showPeak(this.spaces.hosts[0]);
  }

  showPeak(host) {
    const peak = this.peakOf(host.device, host.type);
    const time = peak ? peak.time_ns : this.model.end;
    this.#ask({ host, kind: 'peak', time, end: this.model.indexAfter(time), failure: null });
  }

  // The pinned instant `time` of pool (device, type): that pool's space, or
  // the one shown when it has none.
  showInstant(device, type, time) {
    const host = this.spaces.hostOf(device, type) ?? this.state?.host;
    if (host) this.#ask({ host, kind: 'instant', time, end: this.model.indexAfter(time), failure: null });
  }

  // A failure (a meta.failures entry): the space it was judged in, as it saw it.
  showFailure(failure) {
    const host = this.spaces.hostOf(failure.device, failure.space_type);
    if (!host) return false;
    this.#ask({ host, kind: 'failure', time: failure.time_ns, end: failure.change, failure });
    return true;
  }

  setColorBy(mode) {
    this.mode = mode;
    if (this.state) this.#ask({ ...this.state });
  }

  #switchTo(host) {
    const { kind, time } = this.state ?? { kind: 'peak' };
    if (kind === 'peak') this.showPeak(host);
    else this.#ask({ host, kind: 'instant', time, end: this.model.indexAfter(time), failure: null });
  }

  #ask(state) {
    this.state = state;
    if (this.visible) this.#draw();
  }

  #draw() {
    const state = this.state;
    this.drawn = state;
    const { host, kind, time, failure } = state;
    this.select.value = this.spaces.hosts.indexOf(host);
    const facts = this.spaces.at(host, state.end);
    const sites = this.#sites(facts.blocks);
    const what = kind === 'peak' ? 'at its peak'
      : kind === 'instant' ? 'at the pinned instant'
        : `at failure ${failure.number} (${failure.verdict}: ${formatBytes(failure.size)} of ${failure.type})`;
    this.heading.replaceChildren(
      el('strong', null, `${host.type} on ${deviceLabel(host.device, host.device_name)}`),
      ` ${what}, ${formatTime(time)}: ${counted(facts.blocks.length, 'live block')} of ${counted(sites.length, 'site')}`);
    // A bounded page keeps blocks only inside its detail windows.
    const kept = failure ? failure.in_detail !== false : this.model.exactAt(time);
    if (!kept) {
      const at = failure ? `failure:${failure.number}` : (time / 1e9).toFixed(9).replace(/\.?0+$/, '');
      this.heading.append(el('p', { className: 'detail-note' },
        'Between this page\'s detail windows: it keeps no blocks here. The map then: ',
        el('code', null, `memledger report ${captureName(this.model.meta)} --map ${host.device}:${host.type}@${at}`)));
    }
    const own = `${host.type}: ${formatCount(facts.blocks.length)} live`;
    // Every hole is drawn (at least 2 px: never lost between blocks), and the
    // request's place over the space's own blocks too: what it would have reached.
    const over = facts.figures.holeList.slice(0, MAP_MAX_ELEMENTS).map((h) => this.#hole(host, h));
    if (failure?.place) over.push(this.#placeBox(host, failure));
    const rows = [this.#axis(host), this.#row(own, host, this.#ownBlocks(facts.blocks, sites), 'own', over)];
    for (const within of facts.within) rows.push(this.#withinRow(host, within));
    if (failure?.place) rows.push(this.#placeRow(host, failure));
    this.body.replaceChildren(...rows, this.hover, this.#figures(host, facts.figures), this.#legend(sites));
    Object.assign(this.container.dataset, { kind, device: host.device, type: host.type, end: state.end,
                                            failure: failure ? failure.number : '' });
  }

  // The sites of `blocks`, largest first: [{site, tags, bytes, buffers, color}].
  #sites(blocks) {
    const bySite = new Map();
    for (const b of blocks) {
      const site = bySite.get(b.site) ?? { site: b.site, bytes: 0, buffers: 0, tags: new Set() };
      site.bytes += b.end - b.start;
      site.buffers++;
      site.tags.add(this.model.seriesInfo[b.series].tag);
      bySite.set(b.site, site);
    }
    const sites = [...bySite.values()].sort((a, b) => b.bytes - a.bytes || a.site - b.site);
    sites.forEach((s, rank) => { s.color = rank < MAP_SITE_COLORS ? PALETTE[rank] : OTHER_SITE_COLOR; });
    return sites;
  }

  #ownBlocks(blocks, sites) {
    const color = new Map(sites.map((s) => [s.site, s.color]));
    return blocks.map((b) => ({
      ...b,
      color: this.mode === 'tag' ? layerColor('tag', this.model.seriesInfo[b.series].tag) : color.get(b.site),
    }));
  }

  // Per-bank offsets of the space's start, middle and end.
  #axis(host) {
    const perBank = host.size / host.banks;
    const ticks = [0, perBank / 2, perBank].map((offset, i) => {
      const tick = el('span', { className: 'map-tick' }, hex(Math.round(offset)));
      tick.style.left = `${i * 50}%`;
      return tick;
    });
    const label = host.banks > 1 ? `offset in each of ${host.banks} banks` : `offset from ${hex(host.base)}`;
    return el('div', { className: 'map-row map-axis' }, el('span', { className: 'map-label muted' }, label),
              el('div', { className: 'map-ticks' }, ...ticks));
  }

  // A bar of `blocks` ({start, end, color, ...}) across `host`.
  #row(label, host, blocks, kind, extra = []) {
    const bar = el('div', { className: `map-bar ${kind}` });
    bar.append(...this.#coalesce(blocks).map((b) => this.#block(host, b)), ...extra);
    const row = el('div', { className: `map-row ${kind}` }, el('span', { className: 'map-label' }, label), bar);
    row.dataset.blocks = blocks.length;
    return row;
  }

  // Past MAP_MAX_ELEMENTS, touching neighbours of one color drawn as one.
  #coalesce(blocks) {
    if (blocks.length <= MAP_MAX_ELEMENTS) return blocks.map((b) => ({ ...b, count: 1 }));
    const out = [];
    for (const b of blocks) {
      const last = out[out.length - 1];
      if (last && last.color === b.color && b.start <= last.end) {
        last.end = Math.max(last.end, b.end);
        last.count++;
      } else {
        out.push({ ...b, count: 1 });
      }
    }
    return out;
  }

  #block(host, b) {
    const div = el('div', { className: 'map-block' });
    const left = (b.start - host.base) / host.size;
    const width = (b.end - b.start) / host.size;
    Object.assign(div.style, { left: `${left * 100}%`, width: `${width * 100}%`, background: b.color });
    Object.assign(div.dataset, { site: b.site, start: b.start, bytes: b.end - b.start, count: b.count });
    const offset = Math.floor((b.start - host.base) / host.banks);
    const where = host.banks > 1 ? `${hex(b.address)} (bank offset ${hex(offset)})` : hex(b.address);
    const what = b.count > 1 ? `${formatCount(b.count)} blocks, ${formatBytes(b.end - b.start)} from ${hex(b.start)}`
      : `${formatBytes(b.size)} at ${where}, live since ${formatTime(b.since)}`;
    const tag = this.model.seriesInfo[b.series].tag;
    div.title = `${this.model.siteLabel(b.site)}${tag ? ` · tag ${tag}` : ''}\n${what}`;
    div.addEventListener('mouseenter', () => {
      this.hover.replaceChildren(el('strong', null, this.model.siteLabel(b.site)), tag ? ` · tag ${tag}` : '',
                                 ` · ${what}`);
    });
    return div;
  }

  // The types placed within this space: their live buffers, and where their region ends.
  #withinRow(host, within) {
    const color = TYPE_COLORS[within.type] ?? PALETTE[2];
    const blocks = within.blocks.map((b) => ({ ...b, color }));
    const extra = [];
    let label = `${within.type}: none live`;
    if (within.blocks.length) {
      extra.push(this.#edge(host, within.regionEnd));
      label = `${within.type}: ${formatCount(within.blocks.length)} live, region ends ${hex(within.regionEnd)}`;
    }
    const row = this.#row(label, host, blocks, 'within', extra);
    row.dataset.regionEnd = within.blocks.length ? within.regionEnd : '';
    return row;
  }

  // Where the failed request would have gone.
  #placeRow(host, failure) {
    const { place } = failure;
    const box = this.#placeBox(host, failure);
    const past = place.end > host.base + host.size ? `, past the end of ${host.type}` : '';
    const label = place.region
      ? `the failing ${failure.type} region [${hex(place.start)}, ${hex(place.end)})${past}`
      : `the cheapest window for ${formatBytes(failure.extent)}: [${hex(place.start)}, ${hex(place.end)})`;
    const row = el('div', { className: 'map-row place' }, el('span', { className: 'map-label' }, 'request'),
                   el('div', { className: 'map-bar place' }, box), el('span', { className: 'map-place-text' }, label));
    Object.assign(row.dataset, { start: place.start, end: place.end });
    return row;
  }

  #hole(host, hole) {
    const div = el('div', { className: 'map-hole' });
    div.style.left = `${((hole.start - host.base) / host.size) * 100}%`;
    div.style.width = `${(hole.bytes / host.size) * 100}%`;
    div.title = `free: [${hex(hole.start)}, ${hex(hole.start + hole.bytes)}) ${formatBytes(hole.bytes)}`;
    return div;
  }

  #placeBox(host, failure) {
    const { place } = failure;
    const box = el('div', { className: 'map-place' });
    box.style.left = `${((place.start - host.base) / host.size) * 100}%`;
    box.style.width = `${((place.drawn_end - place.start) / host.size) * 100}%`;
    box.style.borderColor = VERDICT_COLORS[failure.verdict] ?? VERDICT_COLORS.unexplained;
    return box;
  }

  #edge(host, address) {
    const edge = el('div', { className: 'map-edge' });
    edge.style.left = `${(Math.min(1, (address - host.base) / host.size)) * 100}%`;
    return edge;
  }

  // The figures as the text map words them, and its first holes.
  #figures(host, figures) {
    const perBank = (bytes) => (host.banks > 1 ? ` (${formatBytes(bytes / host.banks)} per bank)` : '');
    const p = el('p', { className: 'map-figures' },
      el('strong', null, formatBytes(figures.free)), `${perBank(figures.free)} free in ${counted(figures.holes, 'hole')}`
      + ', the largest block '
      + `${formatBytes(figures.largest)}${perBank(figures.largest)}`
      + (figures.largest ? ` at ${hex(figures.largestStart)}` : ''));
    Object.assign(p.dataset, { free: figures.free, holes: figures.holes, largest: figures.largest,
                               holeStarts: figures.holeList.map((h) => h.start).join(' ') });
    const listed = figures.holeList.slice(0, MAP_HOLES_LISTED)
      .map((h) => `[${hex(h.start)}, ${hex(h.start + h.bytes)}) ${formatBytes(h.bytes)}`).join(', ');
    const more = figures.holes > MAP_HOLES_LISTED ? `, … ${formatCount(figures.holes - MAP_HOLES_LISTED)} more` : '';
    const holes = el('p', { className: 'map-holes' },
      listed ? `holes, lowest first: ${listed}${more}` : 'no hole: full');
    return el('div', null, p, holes);
  }

  #legend(sites) {
    const rows = sites.slice(0, MAP_LEGEND_SITES).map((s) => {
      const swatch = el('span', { className: 'swatch' });
      swatch.style.background = this.mode === 'tag' && s.tags.size === 1 ? layerColor('tag', [...s.tags][0]) : s.color;
      const row = [[swatch], [formatBytes(s.bytes), 'num'], [formatCount(s.buffers), 'num'],
                   [[...s.tags].map(tagLabel).join(', ')], [siteDetails(this.model, s.site)]];
      return row;
    });
    const more = sites.length > MAP_LEGEND_SITES
      ? el('p', { className: 'muted' }, `and ${formatCount(sites.length - MAP_LEGEND_SITES)} more sites`) : null;
    const legend = el('div', { className: 'map-legend' },
      table([[''], ['bytes', 'num'], ['buffers', 'num'], ['tag'], ['allocated at']], rows, 'Nothing was live.'), more);
    legend.querySelectorAll('tbody tr').forEach((tr, i) => {
      Object.assign(tr.dataset, { site: sites[i].site, bytes: sites[i].bytes, buffers: sites[i].buffers });
    });
    return legend;
  }
}
