// model.js — the timeline as the charts need it. Owns: the pools (a device ×
// memory type: one chart each) and their layers (a pool's series as one
// layer, or grouped by tag, stacked in a fixed order: a layer's "level" is
// the height of the stack's top at that layer; a stack never holds two memory
// types); the live bytes of every series before any change (checkpoints every
// 4,096 changes); the sites live in a pool at any instant (checkpoints made
// on first use); and, for a time range, either every column's min and max of
// each level — the envelope, computed from every change in the range, so no
// peak between two pixels is lost — or the exact steps.
//
// A bounded page (meta.detail: a history longer than the page's budget,
// src/report/timeline_plan.h) keeps every change only inside its detail
// windows; elsewhere each pool's series move at the changes that took its
// total to its lowest and highest in each bucket, on coarse stand-ins (one
// per series, stacked with it). Its changes at one instant are one step:
// a window opens by taking the coarse series to 0 and adding every buffer
// live then, at one instant, and no state between them was ever real. A
// whole page draws every change, as the books saw them.
'use strict';

const TYPE_ORDER = ['DRAM', 'L1', 'L1_SMALL', 'TRACE', 'SYSTEM_MEMORY', 'CB', 'KERNEL'];
const SERIES_CHECKPOINT_EVERY = 4096;
const SITE_CHECKPOINT_VALUES = 4e6;  // at most this many (device, site) values kept in site checkpoints
const SITE_CHECKPOINT_MIN_EVERY = 65536;

function poolKey(device, type) {
  return `${device}/${type}`;
}

function typeRank(type) {
  const rank = TYPE_ORDER.indexOf(type);
  return rank < 0 ? TYPE_ORDER.length : rank;
}

class TimelineModel {
  constructor({ meta, times, series, sites, deltas, addressBytes }) {
    Object.assign(this, { meta, times, series, sites, deltas, addressBytes });
    this.count = times.length;
    this.seriesInfo = meta.series;
    this.end = Math.max(meta.duration_ns, this.count ? times[this.count - 1] : 0, 1);
    // The report's window (--since): the page shows [start, end].
    this.start = Math.min(meta.since_ns || 0, this.end - 1);
    this.pools = TimelineModel.#pools(meta.series);
    const poolIndex = new Map(this.pools.map((pool) => [pool.key, pool.index]));
    this.poolOf = Uint32Array.from(meta.series, (s) => poolIndex.get(poolKey(s.device, s.type)));
    this.layouts = {
      type: this.#layout((s) => s.type),  // one layer: the pool's total
      tag: this.#layout((s) => s.tag),    // in the order the series first name them
    };
    this.seriesCheckpoints = this.#seriesCheckpoints();
    this.siteCheckpoints = null;
    this.detail = meta.detail ?? null;
    this.byInstant = this.detail !== null;
  }

  // Where a bounded page keeps every change: [[begin, end]] (ns), in order;
  // null for a whole page.
  windows() {
    return this.detail ? this.detail.windows.map((w) => [w.begin_ns, w.end_ns]) : null;
  }

  // The parts of [t0, t1] a bounded page keeps coarse (outside every window).
  coarseSpans(t0, t1) {
    const windows = this.windows();
    if (!windows) return [];
    const spans = [];
    let at = t0;
    for (const [begin, end] of windows) {
      if (end < at) continue;
      if (begin > t1) break;
      if (begin > at) spans.push([at, begin]);
      at = Math.max(at, end);
    }
    if (at < t1) spans.push([at, t1]);
    return spans;
  }

  // True when the page holds every buffer live at time t (always, on a
  // whole page). A window's last instant is not: its buffers are handed
  // back to the coarse series then — unless it runs to the end.
  exactAt(t) {
    const windows = this.windows();
    return !windows || windows.some(([begin, end]) => t >= begin && (t < end || end >= this.end));
  }

  // Does change i end its step: on a bounded page, the last of its instant
  // (the next change is later); on a whole page, every change does.
  #endsStep(i, to) {
    return !this.byInstant || i + 1 === to || this.times[i + 1] !== this.times[i];
  }

  // The device × type pools of the series, by device, then memory type.
  static #pools(series) {
    const pools = new Map();
    for (const s of series) {
      const key = poolKey(s.device, s.type);
      const deviceName = s.device_name || `device ${s.device}`;
      if (!pools.has(key)) pools.set(key, { key, device: s.device, deviceName, type: s.type });
    }
    const sorted = [...pools.values()].sort((a, b) =>
      a.device - b.device || typeRank(a.type) - typeRank(b.type) || a.type.localeCompare(b.type));
    return sorted.map((pool, index) => ({ ...pool, index }));
  }

  // Per pool, its layers' keys in stacking order (bottom first); per series,
  // the range of levels its changes move: [levelBase, levelEnd). A series
  // moves only levels of its own pool.
  #layout(keyOf) {
    const count = this.seriesInfo.length;
    const levelBase = new Int32Array(count);
    const levelEnd = new Int32Array(count);
    let levels = 0;
    const pools = this.pools.map((pool) => {
      const mine = this.seriesInfo.map((s, i) => i).filter((i) => this.poolOf[i] === pool.index);
      const keys = [...new Set(mine.map((i) => keyOf(this.seriesInfo[i])))];
      const base = levels;
      levels += keys.length;
      for (const i of mine) {
        levelBase[i] = base + keys.indexOf(keyOf(this.seriesInfo[i]));
        levelEnd[i] = base + keys.length;
      }
      return { base, keys };
    });
    return { levelBase, levelEnd, levels, pools, keyOf };
  }

  // 1 for the series whose layer is shown; `hidden` holds "pool index/key".
  activeSeries(layout, hidden) {
    return Uint8Array.from(this.seriesInfo, (s, i) => (hidden.has(`${this.poolOf[i]}/${layout.keyOf(s)}`) ? 0 : 1));
  }

  // The first change later than t (so changes at t count as done at t).
  indexAfter(t) {
    return this.#firstIndex((time) => time > t);
  }

  // The first change at t or later: a view from t draws the changes at t.
  indexAt(t) {
    return this.#firstIndex((time) => time >= t);
  }

  // The first change whose time passes `test` (false, then true, in time order).
  #firstIndex(test) {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (test(this.times[mid])) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  #seriesCheckpoints() {
    const width = this.seriesInfo.length;
    const count = Math.floor(this.count / SERIES_CHECKPOINT_EVERY) + 1;
    const checkpoints = new Float64Array(count * width);
    const live = new Float64Array(width);
    for (let c = 0; c < count; c++) {
      checkpoints.set(live, c * width);
      const end = Math.min(this.count, (c + 1) * SERIES_CHECKPOINT_EVERY);
      for (let i = c * SERIES_CHECKPOINT_EVERY; i < end; i++) live[this.series[i]] += this.deltas[i];
    }
    return checkpoints;
  }

  // Live bytes of every series before change i.
  seriesBefore(i) {
    const width = this.seriesInfo.length;
    const c = Math.floor(i / SERIES_CHECKPOINT_EVERY);
    const live = this.seriesCheckpoints.slice(c * width, (c + 1) * width);
    for (let j = c * SERIES_CHECKPOINT_EVERY; j < i; j++) live[this.series[j]] += this.deltas[j];
    return live;
  }

  // Every level's height before change i, counting only active series.
  levelsBefore(layout, active, i) {
    const live = this.seriesBefore(i);
    const levels = new Float64Array(layout.levels);
    for (let s = 0; s < live.length; s++) {
      if (!active[s]) continue;
      for (let k = layout.levelBase[s]; k < layout.levelEnd[s]; k++) levels[k] += live[s];
    }
    return levels;
  }

  // The envelope of [t0, t1] over `width` columns: min[k * width + c] and
  // max[k * width + c] of level k in column c, the height it carried into
  // the column included.
  envelope(layout, active, t0, t1, width) {
    const { times, series, deltas, byInstant } = this;
    const { levelBase, levelEnd, levels } = layout;
    const min = new Float64Array(levels * width);
    const max = new Float64Array(levels * width);
    const from = this.indexAt(t0);
    const to = this.indexAfter(t1);
    const height = this.levelsBefore(layout, active, from);
    const fill = (first, last) => {  // columns [first, last] hold the current heights
      for (let k = 0; k < levels; k++) {
        min.fill(height[k], k * width + first, k * width + last + 1);
        max.fill(height[k], k * width + first, k * width + last + 1);
      }
    };
    const scale = width / (t1 - t0);
    let column = 0;
    fill(0, 0);
    // The levels moved since the last step ended: [first, end) of each pool touched.
    const moved = [];
    for (let i = from; i < to; i++) {
      const s = series[i];
      if (active[s]) {
        const c = Math.min(width - 1, Math.floor((times[i] - t0) * scale));
        if (c !== column) {
          fill(column + 1, c);
          column = c;
        }
        const delta = deltas[i];
        const end = levelEnd[s];
        for (let k = levelBase[s]; k < end; k++) height[k] += delta;
        if (moved.length === 0 || moved[moved.length - 2] !== levelBase[s] || moved[moved.length - 1] !== end) {
          moved.push(levelBase[s], end);
        }
      }
      if (moved.length === 0 || (byInstant && i + 1 < to && times[i + 1] === times[i])) continue;
      for (let m = 0; m < moved.length; m += 2) {
        for (let k = moved[m]; k < moved[m + 1]; k++) {
          const v = height[k];
          const at = k * width + column;
          if (v > max[at]) max[at] = v;
          else if (v < min[at]) min[at] = v;
        }
      }
      moved.length = 0;
    }
    if (column + 1 < width) fill(column + 1, width - 1);
    return { kind: 'envelope', width, min, max, changes: to - from };
  }

  // The exact steps in [t0, t1]: per pool, the time of each of its
  // changes (t0 first) and every level of the pool after it.
  steps(layout, active, t0, t1) {
    const from = this.indexAt(t0);
    const to = this.indexAfter(t1);
    const height = this.levelsBefore(layout, active, from);
    const perPool = layout.pools.map((d) => ({
      times: [t0],
      values: Array.from(height.slice(d.base, d.base + d.keys.length)),
    }));
    const moved = new Set();  // pools moved since the last step ended
    for (let i = from; i < to; i++) {
      const s = this.series[i];
      if (active[s]) {
        for (let k = layout.levelBase[s]; k < layout.levelEnd[s]; k++) height[k] += this.deltas[i];
        moved.add(this.poolOf[s]);
      }
      if (moved.size === 0 || !this.#endsStep(i, to)) continue;
      for (const pool of moved) {
        const d = layout.pools[pool];
        perPool[pool].times.push(this.times[i]);
        for (let k = d.base; k < d.base + d.keys.length; k++) perPool[pool].values.push(height[k]);
      }
      moved.clear();
    }
    return { kind: 'steps', perPool, changes: to - from };
  }

  // Live bytes and buffers per (pool, site), before every change that is a
  // multiple of `every`: chosen so at most SITE_CHECKPOINT_VALUES are kept.
  #siteCheckpoints() {
    const sites = this.meta.sites.length;
    const width = this.pools.length * sites;
    const checkpoints = Math.max(1, Math.floor(SITE_CHECKPOINT_VALUES / Math.max(1, width)));
    const every = Math.max(SITE_CHECKPOINT_MIN_EVERY, Math.ceil(this.count / checkpoints));
    const count = Math.floor(this.count / every) + 1;
    const bytes = new Float64Array(count * width);
    const buffers = new Int32Array(count * width);
    const liveBytes = new Float64Array(width);
    const liveBuffers = new Int32Array(width);
    const coarse = this.detail?.coarse_site ?? -1;  // a bounded page's: bytes, no buffers
    for (let c = 0; c < count; c++) {
      bytes.set(liveBytes, c * width);
      buffers.set(liveBuffers, c * width);
      const end = Math.min(this.count, (c + 1) * every);
      for (let i = c * every; i < end; i++) {
        const site = this.sites[i];
        const key = this.poolOf[this.series[i]] * sites + site;
        const delta = this.deltas[i];
        liveBytes[key] += delta;
        if (site !== coarse) liveBuffers[key] += Math.sign(delta);
      }
    }
    return { every, bytes, buffers };
  }

  // Makes the site checkpoints now (the viewer does once idle after its
  // first draw) rather than on the first hover.
  prepareSites() {
    this.siteCheckpoints ??= this.#siteCheckpoints();
  }

  // The sites with live buffers in a pool before change i, largest first:
  // [{site, bytes, buffers}]. Exact at any instant the page keeps every
  // change of (all of a whole page; a bounded page's detail windows —
  // elsewhere its coarse site holds the bytes): a pinned instant's live set
  // costs a replay from the last checkpoint (at most `every` changes).
  sitesBefore(pool, i) {
    this.prepareSites();
    const { every, bytes, buffers } = this.siteCheckpoints;
    const sites = this.meta.sites.length;
    const c = Math.floor(i / every);
    const row = (c * this.pools.length + pool) * sites;
    const liveBytes = bytes.slice(row, row + sites);
    const liveBuffers = buffers.slice(row, row + sites);
    const coarse = this.detail?.coarse_site ?? -1;
    for (let j = c * every; j < i; j++) {
      if (this.poolOf[this.series[j]] !== pool) continue;
      liveBytes[this.sites[j]] += this.deltas[j];
      if (this.sites[j] !== coarse) liveBuffers[this.sites[j]] += Math.sign(this.deltas[j]);
    }
    const live = [];
    for (let site = 0; site < sites; site++) {
      if (liveBuffers[site] !== 0 || liveBytes[site] !== 0) {
        live.push({ site, bytes: liveBytes[site], buffers: liveBuffers[site] });
      }
    }
    return live.sort((a, b) => b.bytes - a.bytes || b.buffers - a.buffers);
  }

  // A site's stack as the text report prints it, a line each, innermost
  // first: numbered frames, folded runs as "… N frames: …".
  frames(site) {
    return (this.meta.sites[site] ?? []).map((f) => this.meta.frames[f]);
  }

  // A site's flame graph boxes, outermost first (the report's own names).
  boxes(site) {
    return (this.meta.boxes?.[site] ?? []).map((f) => this.meta.frames[f]).reverse();
  }

  // The pool of a device id and memory type, or undefined.
  pool(device, type) {
    return this.pools.find((p) => p.device === device && p.type === type);
  }

  // What tells a site from the others: its headline (the report's own,
  // distinct for every site: its first frame in the program's code, with the
  // callers that set it apart).
  siteLabel(site) {
    return this.meta.headlines[site] ?? '(no stack recorded)';
  }
}
