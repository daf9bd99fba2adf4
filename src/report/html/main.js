// main.js — the viewer's entry point: loads the embedded timeline, builds a
// chart per pool (device × memory type) with its failure markers, the flame
// graph, the address-space map and the findings tables, and owns the view:
// the visible time range (drag to select, wheel, shift to pan, reset), the
// layers within each chart (the pool's total, or its tags) and the hidden
// ones, the y axis (from 0 or fitted), the hovered or pinned instant.
//
// window.memledgerTimeline is for tests and the console: `ready` (a promise
// of the time, performance.now() from navigation start, when every chart had
// drawn; also data-ready on <html>), `readyMs`, `draws()`, `lastDrawMs()`, `view()`,
// `setView(t0, t1)`, `stackBy(mode)`, `pin(deviceId, type, time)`, `charts()`
// (per chart: its device, type, layer keys, the highest stack top drawn, its
// plot area and its peak label's box in viewport CSS pixels), `drawnMax()`
// (per chart, the highest stack top drawn), `clientX(time)` (where time is
// on the charts, in viewport CSS pixels), `flame` (the flame graph's state),
// `pinned()` (the pinned pool's device, type and time, or null),
// `openFailure(number)` (as its marker's click), `spaceMap` (the map).
'use strict';

const STEPS_PER_COLUMN = 2;  // at most this many changes per column in view: exact steps
const MIN_SPAN_NS = 100;
const MARK_HOVER_PIXELS = 4;

class TimelineViewer {
  constructor(model) {
    this.model = model;
    this.view = { t0: model.start, t1: model.end };
    this.mode = 'type';
    this.fit = false;         // the y axis fits the view (else it starts at 0)
    this.hidden = new Set();  // "pool index/layer key"
    this.hover = null;        // {chart, x}
    this.pinned = null;       // {pool (index), time}
    this.selection = null;    // {chart, from, to}
    this.draws = 0;
    this.marks = [...model.meta.marks].sort((a, b) => a.time_ns - b.time_ns);
    this.markTimes = Float64Array.from(this.marks, (m) => m.time_ns);
    this.panel = document.getElementById('hover');
    const charts = document.getElementById('charts');
    const gestures = {
      hover: (chart, x) => this.#setHover({ chart, x }),
      leave: () => this.#setHover(null),
      click: (chart, x) => this.pin(chart.pool.index, chart.timeAt(x)),
      select: (chart, from, to, done) => this.#select(chart, from, to, done),
      pan: (chart, dx) => this.#pan(chart, dx),
      wheel: (chart, x, event) => this.#wheel(chart, x, event),
      reset: () => this.setView(model.start, model.end),
    };
    this.charts = model.pools.map((pool) => new PoolChart(charts, pool, gestures));
    // Per pool, its highest peak (one per process: the page labels the highest).
    this.peaks = model.pools.map((pool) => model.meta.peaks
      .filter((p) => p.device === pool.device && p.type === pool.type)
      .reduce((best, p) => (!best || p.bytes > best.bytes ? p : best), null));
    this.flame = new FlameGraph(document.getElementById('flame'), model, this.peaks.filter(Boolean));
    this.spaceMap = new SpaceMap(document.getElementById('space-map'), model, (device, type) => {
      const pool = model.pool(device, type);
      return pool ? this.peaks[pool.index] : null;
    });
    // A failure's marker goes on its request's pool (CB for a clash), else on the pool of the space it was judged in.
    this.failures = model.meta.failures ?? [];
    for (const chart of this.charts) {
      const { device, type } = chart.pool;
      chart.setFailures(this.failures.filter((f) => f.device === device &&
        (f.type === type || (f.space_type === type && !model.pool(device, f.type)))), (f) => this.openFailure(f));
    }
    if (!this.charts.length) charts.append(el('p', { className: 'muted empty' }, 'No buffer changes in this capture.'));
    this.#setLegends();
    document.getElementById('stack-type').addEventListener('click', () => this.stackBy('type'));
    document.getElementById('stack-tag').addEventListener('click', () => this.stackBy('tag'));
    document.getElementById('reset-zoom').addEventListener('click', () => this.setView(model.start, model.end));
    document.getElementById('y-zero').addEventListener('click', () => this.#setFit(false));
    document.getElementById('y-fit').addEventListener('click', () => this.#setFit(true));
    window.addEventListener('resize', () => this.requestDraw());
    renderPeaks(document.getElementById('peaks'), model, (peak) => {
      const pool = model.pool(peak.device, peak.type);
      if (pool) this.pin(pool.index, peak.time_ns, true);
      this.flame.showPeak(peak);
    });
    renderTopSites(document.getElementById('top-bytes'), model, 'bytes');
    renderTopSites(document.getElementById('top-count'), model, 'count');
    renderGrowth(document.getElementById('growth'), model);
    renderLeaks(document.getElementById('leaks'), model);
    renderAnomalies(document.getElementById('anomalies'), model);
  }

  requestDraw() {
    if (this.drawPending) return;
    this.drawPending = true;
    requestAnimationFrame(() => {
      this.drawPending = false;
      this.draw();
    });
  }

  // Charts: exact steps when few changes are in view, else the envelope of
  // every change in view, one column per device pixel.
  draw() {
    const started = performance.now();
    const { model } = this;
    const layout = model.layouts[this.mode];
    const active = model.activeSeries(layout, this.hidden);
    const { t0, t1 } = this.view;
    let frame = null;
    let coarse = [];
    if (this.charts.length) {
      const width = Math.min(...this.charts.map((chart) => chart.resize()));
      if (model.detail && (t1 - t0) / width < model.detail.bucket_ns) coarse = model.coarseSpans(t0, t1);
      const changes = model.indexAfter(t1) - model.indexAt(t0);
      frame = changes <= width * STEPS_PER_COLUMN ? model.steps(layout, active, t0, t1)
                                                  : model.envelope(layout, active, t0, t1, width);
    }
    for (const chart of this.charts) {
      const index = chart.pool.index;
      const layer = layout.pools[index];
      chart.draw({
        view: this.view, frame, mode: this.mode, layer, fit: this.fit,
        hidden: layer.keys.map((key) => this.hidden.has(`${index}/${key}`)),
        marks: this.marks, markTimes: this.markTimes, peak: this.peaks[index], coarse,
      });
    }
    this.#noteDetail(coarse);
    const what = !frame ? '' : frame.kind === 'steps' ? 'exact steps' : 'min–max envelope';
    document.getElementById('view-range').textContent =
      `${formatTime(t0)} – ${formatTime(t1)} · ${formatCount(frame ? frame.changes : 0)} changes in view · ${what}`;
    this.draws++;
    this.#drawOverlays();
    this.lastDrawMs = performance.now() - started;
  }

  // Says where a bounded page's detail ends in view, and the command that
  // makes a page of every change there.
  #noteDetail(coarse) {
    const note = document.getElementById('detail-note');
    note.hidden = coarse.length === 0;
    if (note.hidden) return;
    const { t0, t1 } = this.view;
    const seconds = (ns) => (ns / 1e9).toFixed(9).replace(/\.?0+$/, '');
    note.replaceChildren(
      `Detail ends here: the shaded spans are between this page's detail windows, where it keeps each pool's `
      + `lowest and highest total per ${formatTime(this.model.detail.bucket_ns)} (exact), not every step. `
      + 'Every change of this view: ',
      el('code', null, `memledger report ${captureName(this.model.meta)} --since ${seconds(t0)} --until ${seconds(t1)} `
        + '--html view.html'));
  }

  setView(t0, t1) {
    const span = Math.min(this.model.end - this.model.start, Math.max(MIN_SPAN_NS, t1 - t0));
    const start = Math.max(this.model.start, Math.min(t0, this.model.end - span));
    this.view = { t0: start, t1: start + span };
    this.requestDraw();
  }

  stackBy(mode) {
    this.mode = mode;
    document.getElementById('stack-type').setAttribute('aria-pressed', mode === 'type');
    document.getElementById('stack-tag').setAttribute('aria-pressed', mode === 'tag');
    this.hidden.clear();
    this.#setLegends();
    this.requestDraw();
    this.#renderPanel();
    this.spaceMap.setColorBy(mode);
  }

  // Pins the instant `time` of pool `pool` (an index) and shows what was
  // live then in the flame graph; `reveal` moves the view to show it when it
  // is outside.
  pin(pool, time, reveal = false) {
    if (!this.model.pools[pool]) return;
    this.pinned = { pool, time };
    const { t0, t1 } = this.view;
    if (reveal && (time < t0 || time > t1)) this.setView(time - (t1 - t0) / 2, time + (t1 - t0) / 2);
    this.#renderPanel();
    this.#drawOverlays();
    this.flame.showInstant(this.model.pools[pool], time);
    this.spaceMap.showInstant(this.model.pools[pool].device, this.model.pools[pool].type, time);
    if (reveal) this.panel.scrollIntoView({ block: 'nearest' });
  }

  // Pins a failure's instant and opens the map at it.
  openFailure(failure) {
    const pool = this.model.pool(failure.device, failure.type) ?? this.model.pool(failure.device, failure.space_type);
    if (pool) this.pin(pool.index, failure.time_ns, true);
    if (this.spaceMap.showFailure(failure)) document.getElementById('space-map').scrollIntoView({ block: 'nearest' });
  }

  #setFit(fit) {
    this.fit = fit;
    document.getElementById('y-zero').setAttribute('aria-pressed', !fit);
    document.getElementById('y-fit').setAttribute('aria-pressed', fit);
    this.requestDraw();
  }

  #setLegends() {
    const layout = this.model.layouts[this.mode];
    for (const chart of this.charts) {
      chart.setLegend(this.mode, layout.pools[chart.pool.index].keys, this.hidden, (key) => {
        const name = `${chart.pool.index}/${key}`;
        if (!this.hidden.delete(name)) this.hidden.add(name);
        this.#setLegends();
        this.requestDraw();
      });
    }
  }

  #setHover(hover) {
    this.hover = hover;
    if (this.hoverPending) return;
    this.hoverPending = true;
    requestAnimationFrame(() => {
      this.hoverPending = false;
      this.#drawOverlays();
      if (!this.pinned) this.#renderPanel();
    });
  }

  #renderPanel() {
    let state = null;
    if (this.pinned) {
      state = { ...this.pinned, pinned: true };
    } else if (this.hover) {
      state = { pool: this.hover.chart.pool.index, time: this.hover.chart.timeAt(this.hover.x), pinned: false };
    }
    if (!state) return;
    state.index = this.model.indexAfter(state.time);
    state.mark = this.#markNear(state.time);
    renderHover(this.panel, this.model, this.mode, state, () => {
      this.pinned = null;
      this.#renderPanel();
      this.#drawOverlays();
    });
  }

  // The label of the mark within a few pixels of `time`, if any.
  #markNear(time) {
    const chart = this.charts[0];
    if (!chart || !this.marks.length) return null;
    const i = lowerBound(this.markTimes, time);
    let best = null;
    for (const j of [i - 1, i]) {
      if (j < 0 || j >= this.marks.length) continue;
      const distance = Math.abs(chart.xOf(this.markTimes[j]) - chart.xOf(time)) / chart.ratio;
      if (distance <= MARK_HOVER_PIXELS && (!best || distance < best.distance)) {
        best = { distance, label: this.marks[j].label };
      }
    }
    return best && best.label;
  }

  #drawOverlays() {
    const cursor = this.hover ? this.hover.chart.timeAt(this.hover.x) : null;
    for (const chart of this.charts) {
      const mine = this.selection && this.selection.chart === chart;
      const selection = mine ? [this.selection.from, this.selection.to] : null;
      chart.drawOverlay({ cursor, pinned: this.pinned ? this.pinned.time : null, selection });
    }
  }

  #select(chart, from, to, done) {
    this.selection = done ? null : { chart, from, to };
    if (done) this.setView(chart.timeAt(Math.min(from, to)), chart.timeAt(Math.max(from, to)));
    this.#drawOverlays();
  }

  #pan(chart, dx) {
    const { t0, t1 } = this.view;
    const dt = (dx / chart.area.width) * (t1 - t0);
    this.setView(t0 + dt, t1 + dt);
  }

  // Wheel: zoom about the cursor; shift or a sideways wheel: pan.
  #wheel(chart, x, event) {
    const { t0, t1 } = this.view;
    const pixels = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? 400 : 1;
    if (event.shiftKey || Math.abs(event.deltaX) > Math.abs(event.deltaY)) {
      this.#pan(chart, (event.deltaX || event.deltaY) * pixels * chart.ratio);
      return;
    }
    const factor = Math.exp(event.deltaY * pixels * 0.0015);
    const t = chart.timeAt(x);
    this.setView(t - (t - t0) * factor, t + (t1 - t) * factor);
  }
}

function showLoadError(error) {
  const box = document.getElementById('load-error');
  box.hidden = false;
  box.textContent = `This report could not be shown: ${error.message}`;
}

// The promise tests wait on; resolved after the first draw reached a frame.
window.memledgerTimeline = (() => {
  let settle;
  const ready = new Promise((resolve, reject) => {
    settle = { resolve, reject };
  });
  ready.catch(() => {});  // the error is reported on the page and the console
  return { ready, settle, readyMs: null };
})();

// What a bounded page's windows are around, counted: "12 pools' peaks, 2 failures, the end".
function windowsSaid(windows) {
  const reasons = windows.flatMap((w) => w.why.split('; '));
  const peaks = reasons.filter((r) => r.startsWith('the peak of')).length;
  const failures = reasons.filter((r) => r.startsWith('allocation failure')).length;
  return [peaks && `${peaks} pool${peaks === 1 ? "'s peak" : "s' peaks"}`, failures && counted(failures, 'failure'),
          reasons.includes('the end') && 'the end'].filter(Boolean).join(', ');
}

(async function start() {
  const api = window.memledgerTimeline;
  try {
    const model = new TimelineModel(await loadEmbeddedTimeline());
    performance.mark('memledger:model');
    const { meta } = model;
    const devices = new Set(model.pools.map((pool) => pool.device)).size;
    const pools = model.pools.length;
    const detail = meta.detail;
    document.getElementById('summary').textContent = [
      `${formatCount(meta.events)} events`,
      detail ? `a bounded page: ${formatCount(model.count)} of ${formatCount(detail.changes_total)} buffer changes `
        + `kept (every change in ${counted(detail.windows.length, 'detail window')}: ${windowsSaid(detail.windows)}; `
        + `elsewhere each pool's lowest and highest per ${formatTime(detail.bucket_ns)})`
        : `${formatCount(model.count)} buffer changes`,
      model.start > 0 ? `window ${formatTime(model.start)} – ${formatTime(model.end)} (--since)` : formatTime(meta.duration_ns),
      `${devices} device${devices === 1 ? '' : 's'}`, `${pools} memory pool${pools === 1 ? '' : 's'}`,
      counted(meta.sites.length - (detail ? 1 : 0), 'site'),  // a bounded page's coarse site is none
      `${formatCount(meta.marks.length)} marks`,
    ].join(' · ');
    const viewer = new TimelineViewer(model);
    performance.mark('memledger:page');
    viewer.draw();
    performance.mark('memledger:drawn');
    Object.assign(api, {
      model,
      draws: () => viewer.draws,
      lastDrawMs: () => viewer.lastDrawMs,
      view: () => ({ ...viewer.view }),
      setView: (t0, t1) => viewer.setView(t0, t1),
      stackBy: (mode) => viewer.stackBy(mode),
      pin: (deviceId, type, time) => viewer.pin(model.pool(deviceId, type)?.index ?? -1, time, true),
      drawnMax: () => viewer.charts.map((chart) => chart.drawnMax),
      charts: () => viewer.charts.map((chart) => ({
        device: chart.pool.device, type: chart.pool.type, drawnMax: chart.drawnMax,
        keys: model.layouts[viewer.mode].pools[chart.pool.index].keys,
        area: chart.areaRect(), peakLabel: chart.peakLabelRect(),
      })),
      flame: viewer.flame,
      spaceMap: viewer.spaceMap,
      pinned: () => viewer.pinned && {
        device: model.pools[viewer.pinned.pool].device, type: model.pools[viewer.pinned.pool].type,
        time: viewer.pinned.time,
      },
      openFailure: (number) => viewer.openFailure(viewer.failures.find((f) => f.number === number)),
      clientX: (time) => viewer.charts[0].clientX(time),
    });
    requestAnimationFrame(() => {
      api.readyMs = performance.now();
      document.documentElement.dataset.ready = 'true';
      api.settle.resolve(api.readyMs);
      (window.requestIdleCallback ?? setTimeout)(() => model.prepareSites());
    });
  } catch (error) {
    showLoadError(error);
    console.error('memledger timeline:', error);
    api.settle.reject(error);
  }
})();
