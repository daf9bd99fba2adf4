// chart.js — one pool's chart (a device × memory type), drawn by hand on a
// <canvas>: the stacked layers (the pool's total, or its tags; from an
// envelope — each column's min and max, the band between them lighter — or
// from exact steps), the axes, the marks (thin lines) and the pool's peak with
// its label; an overlay canvas for the cursor, the pinned instant and the
// zoom selection; and the pool's allocation failures, a marker each above
// the plot at its instant (a button, coloured by verdict). Owns the mouse gestures on the chart and reports them to
// the viewer (main.js), which decides what they do.
//
// Why one chart per pool (small multiples) rather than one stacked chart per
// device: a device's pools differ by orders of magnitude (GiB of DRAM beside
// KiB of L1, circular buffers and kernels), so on one linear axis only DRAM is
// visible, and stacking sums bytes that share no capacity. A log axis would
// make stacked areas meaningless; a second axis serves two pools, not five.
// Each pool gets its own y axis (0 to its own peak) and every chart shares the
// x axis (the one view range), so an instant lines up across all of them; a
// pool's peak label has the chart to itself, so labels never pile up.
//
// Why no charting library: the envelope of a stacked step chart (min and max
// of every layer's top per pixel, from the exact changes) is the data this
// view needs; uPlot, the obvious candidate, draws a line through one y per x
// and would need the bands, stacking and exact steps built around it anyway.
// What is left (axes, a cursor, a selection) is the small code below, with no
// build step, no dependency to vendor, and nothing between the data and the
// pixels.
'use strict';

const CHART_HEIGHT = 150;  // CSS pixels
const MARGIN = { left: 76, right: 14, top: 20, bottom: 26 };
const TYPE_COLORS = {
  DRAM: '#4e79a7', L1: '#f28e2b', L1_SMALL: '#edc948', TRACE: '#b07aa1', SYSTEM_MEMORY: '#76b7b2', CB: '#59a14f',
  KERNEL: '#e15759',
};
const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f',
                 '#8cd17d', '#499894', '#d37295'];
const UNTAGGED_COLOR = '#a0a0a0';
const VERDICT_COLORS = {
  exhausted: '#c0392b', fragmented: '#d97706', cb_clash: '#7c3aed', unexplained: '#475569',
  no_address_space: '#64748b',
};
const MARK_SPACING = 6;  // CSS pixels between mark lines at least
const assignedColors = new Map();

// A layer's color: fixed per memory type; for tags (and pools), one from the
// palette per name, in the order they are first asked for, the same on
// every chart.
function layerColor(mode, key) {
  if (mode === 'type' && TYPE_COLORS[key]) return TYPE_COLORS[key];
  if (mode === 'tag' && key === '') return UNTAGGED_COLOR;
  const name = `${mode}/${key}`;
  if (!assignedColors.has(name)) assignedColors.set(name, PALETTE[assignedColors.size % PALETTE.length]);
  return assignedColors.get(name);
}

// The first of `candidates` ({x, y, width, height}) inside `area` that meets
// none of `taken`, or null.
function freePlace(candidates, area, taken) {
  const inside = (r) => r.x >= area.left && r.y >= area.top && r.x + r.width <= area.left + area.width &&
                        r.y + r.height <= area.top + area.height;
  const meets = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
  return candidates.find((r) => inside(r) && !taken.some((t) => meets(r, t))) ?? null;
}

class PoolChart {
  constructor(parent, pool, gestures) {
    this.pool = pool;
    this.legend = el('ul', { className: 'legend' });
    this.base = el('canvas', { className: 'base' });
    this.overlay = el('canvas', { className: 'overlay' });
    this.plot = el('div', { className: 'plot' }, this.base, this.overlay);
    const where = el('span', { className: 'muted' }, ` · ${pool.deviceName} (device ${pool.device})`);
    const title = el('h3', null, pool.type, where);
    this.root = el('article', { className: 'chart' }, el('header', null, title, this.legend), this.plot);
    this.root.dataset.device = pool.device;
    this.root.dataset.type = pool.type;
    parent.append(this.root);
    this.drawnMax = 0;
    this.failures = [];  // [{failure, marker}]
    this.peakLabel = null;  // where the peak's label was drawn, in device pixels of the canvas
    this.#listen(gestures);
  }

  // Fits the canvases to the plot's box; returns the plotting area's width
  // in device pixels (one envelope column per device pixel).
  resize() {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(200, this.plot.clientWidth);
    for (const canvas of [this.base, this.overlay]) {
      const w = Math.round(width * ratio);
      const h = Math.round(CHART_HEIGHT * ratio);
      if (canvas.width !== w || canvas.height !== h) Object.assign(canvas, { width: w, height: h });
      canvas.style.height = `${CHART_HEIGHT}px`;
    }
    this.ratio = ratio;
    const left = Math.round(MARGIN.left * ratio);
    const top = Math.round(MARGIN.top * ratio);
    this.area = {
      left, top,
      width: this.base.width - left - Math.round(MARGIN.right * ratio),
      height: this.base.height - top - Math.round(MARGIN.bottom * ratio),
    };
    return this.area.width;
  }

  // The layers' buttons (by tag only: the total's one layer is the title).
  setLegend(mode, keys, hidden, onToggle) {
    this.legend.replaceChildren(...(mode === 'tag' ? keys : []).map((key) => {
      const off = hidden.has(`${this.pool.index}/${key}`);
      const props = { type: 'button', className: off ? 'layer off' : 'layer', title: off ? 'show' : 'hide' };
      const button = el('button', props, el('span', { className: 'swatch' }), mode === 'tag' ? tagLabel(key) : key);
      button.firstChild.style.background = layerColor(mode, key);
      button.addEventListener('click', () => onToggle(key));
      return el('li', null, button);
    }));
  }

  // The pool's allocation failures (meta.failures entries): a marker each,
  // its title the verdict and the request; a click calls onOpen(failure).
  setFailures(failures, onOpen) {
    this.failures = failures.map((failure) => {
      const title = `failure ${failure.number}: ${failure.verdict}, ${formatBytes(failure.size)} `
        + `(${formatCount(failure.size)} B of ${failure.type}) at ${formatTime(failure.time_ns)}; click: the map then`;
      const marker = el('button', { type: 'button', className: 'failure-marker', title, ariaLabel: title });
      marker.style.background = VERDICT_COLORS[failure.verdict] ?? VERDICT_COLORS.unexplained;
      Object.assign(marker.dataset, { number: failure.number, verdict: failure.verdict });
      marker.addEventListener('click', () => onOpen(failure));
      this.plot.append(marker);
      return { failure, marker };
    });
  }

  xOf(t) {
    const { t0, t1 } = this.view;
    return this.area.left + ((t - t0) / (t1 - t0)) * this.area.width;
  }

  // The viewport x (CSS pixels) of time t.
  clientX(t) {
    return this.overlay.getBoundingClientRect().left + this.xOf(t) / this.ratio;
  }

  timeAt(x) {
    const { t0, t1 } = this.view;
    const f = Math.min(1, Math.max(0, (x - this.area.left) / this.area.width));
    return t0 + f * (t1 - t0);
  }

  // scene: {view: {t0, t1}, frame (model.envelope or model.steps), mode,
  //         layer: {base, keys}, hidden: [bool per key], fit (the y axis
  //         fits the view instead of starting at 0), marks, markTimes, peak
  //         (the pool's, or null), coarse (a bounded page's spans without
  //         detail, when the view is finer than its buckets: shaded)}
  draw(scene) {
    this.view = scene.view;
    const ctx = this.base.getContext('2d');
    const { left, top, width, height } = this.area;
    ctx.clearRect(0, 0, this.base.width, this.base.height);
    const { max, min } = this.#range(scene);
    let yMin = scene.fit ? Math.max(0, min - Math.max((max - min) * 0.1, max * 0.001)) : 0;
    const step = niceByteStep(Math.max(max - yMin, 1024) / 4);
    yMin = Math.floor(yMin / step) * step;
    const yTop = Math.max(yMin + step, Math.ceil(max / step) * step);
    const yOf = (v) => top + height - ((v - yMin) / (yTop - yMin)) * height;
    this.drawnMax = max;

    ctx.font = `${11 * this.ratio}px system-ui, sans-serif`;
    ctx.fillStyle = '#555';
    ctx.strokeStyle = '#e6e6e6';
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (let v = yMin; v <= yTop + step / 2; v += step) {
      const y = Math.round(yOf(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + width, y);
      ctx.stroke();
      ctx.fillText(formatByteTick(v, step, yTop), left - 6 * this.ratio, y);
    }

    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    const { frame, layer, mode, hidden } = scene;
    for (let k = layer.keys.length - 1; k >= 0; k--) {
      if (hidden[k]) continue;
      const color = layerColor(mode, layer.keys[k]);
      if (frame.kind === 'envelope') {
        const row = (layer.base + k) * frame.width;
        this.#fillColumns(ctx, frame.max, row, frame.width, yOf, tint(color, 0.5));
        this.#fillColumns(ctx, frame.min, row, frame.width, yOf, color);
      } else {
        this.#fillSteps(ctx, frame.perPool[this.pool.index], layer.keys.length, k, yOf, color);
      }
    }
    this.#drawCoarse(ctx, scene.coarse);
    this.#drawMarks(ctx, scene);
    ctx.restore();
    this.#drawPeak(ctx, scene.peak);
    this.#drawTimeAxis(ctx);
    this.#placeFailures();
  }

  // A bounded page's spans between detail windows, where the view is finer
  // than its buckets: shaded, so that no one reads their steps as exact.
  #drawCoarse(ctx, spans) {
    if (!spans?.length) return;
    const { left, top, width, height } = this.area;
    ctx.fillStyle = 'rgba(110, 110, 110, 0.13)';
    for (const [a, b] of spans) {
      const x0 = Math.max(left, this.xOf(a));
      const x1 = Math.min(left + width, this.xOf(b));
      if (x1 > x0) ctx.fillRect(x0, top, x1 - x0, height);
    }
  }

  #placeFailures() {
    const { left, width } = this.area;
    for (const { failure, marker } of this.failures) {
      const x = this.xOf(failure.time_ns);
      marker.hidden = x < left || x > left + width;
      marker.style.left = `${x / this.ratio}px`;
    }
  }

  // In view: the stack's highest top (the pool's top level), and the
  // lowest top of its bottom shown layer (where a fitted y axis starts).
  #range({ frame, layer, hidden }) {
    const levels = layer.keys.length;
    const bottom = Math.max(0, hidden.indexOf(false));
    let max = 0;
    let min = Infinity;
    if (frame.kind === 'envelope') {
      const top = (layer.base + levels - 1) * frame.width;
      const low = (layer.base + bottom) * frame.width;
      for (let c = 0; c < frame.width; c++) {
        max = Math.max(max, frame.max[top + c]);
        min = Math.min(min, frame.min[low + c]);
      }
    } else {
      const { values } = frame.perPool[this.pool.index];
      for (let j = 0; j < values.length; j += levels) {
        max = Math.max(max, values[j + levels - 1]);
        min = Math.min(min, values[j + bottom]);
      }
    }
    return { max, min: Math.min(min, max) };
  }

  // A step per column: the area under values[row + c] for every column c.
  #fillColumns(ctx, values, row, columns, yOf, color) {
    const { left, top, height } = this.area;
    const bottom = top + height;
    ctx.beginPath();
    ctx.moveTo(left, bottom);
    let y = bottom;
    for (let c = 0; c < columns; c++) {
      const next = yOf(values[row + c]);
      if (next !== y) {
        ctx.lineTo(left + c, y);
        ctx.lineTo(left + c, next);
        y = next;
      }
    }
    ctx.lineTo(left + columns, y);
    ctx.lineTo(left + columns, bottom);
    ctx.closePath();
    ctx.fillStyle = color;
    ctx.fill();
  }

  // The area under level k of the exact steps.
  #fillSteps(ctx, points, levels, k, yOf, color) {
    const { top, height } = this.area;
    const bottom = top + height;
    const { times, values } = points;
    let y = yOf(values[k]);
    ctx.beginPath();
    ctx.moveTo(this.xOf(times[0]), bottom);
    ctx.lineTo(this.xOf(times[0]), y);
    for (let j = 1; j < times.length; j++) {
      const x = this.xOf(times[j]);
      ctx.lineTo(x, y);
      y = yOf(values[j * levels + k]);
      ctx.lineTo(x, y);
    }
    const end = this.xOf(this.view.t1);
    ctx.lineTo(end, y);
    ctx.lineTo(end, bottom);
    ctx.closePath();
    ctx.fillStyle = color;
    ctx.fill();
  }

  // A thin line per mark; where marks are denser than one per few pixels,
  // only the first of each few pixels (hovering names the nearest).
  #drawMarks(ctx, { marks, markTimes }) {
    const { t0, t1 } = this.view;
    const { top, height } = this.area;
    const spacing = MARK_SPACING * this.ratio;
    ctx.strokeStyle = 'rgba(40, 40, 40, 0.22)';
    ctx.lineWidth = 1;
    ctx.beginPath();
    let last = -Infinity;
    for (let i = lowerBound(markTimes, t0); i < marks.length && markTimes[i] <= t1; i++) {
      const x = Math.round(this.xOf(markTimes[i])) + 0.5;
      if (x - last < spacing) continue;
      last = x;
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
    }
    ctx.stroke();
  }

  // The peak: a dashed line with a marker, and its label inside the plot, in
  // the first place beside the marker (right, else left, at the top, else a
  // row lower) that stays inside the plot and clear of the y axis' labels.
  #drawPeak(ctx, peak) {
    this.peakLabel = null;
    if (!peak) return;
    const { left, top, width, height } = this.area;
    const r = this.ratio;
    const x = Math.round(this.xOf(peak.time_ns)) + 0.5;
    if (x < left - 1 || x > left + width + 1) return;
    ctx.strokeStyle = '#c0392b';
    ctx.setLineDash([4 * r, 3 * r]);
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = '#c0392b';
    ctx.beginPath();
    ctx.moveTo(x - 5 * r, top);
    ctx.lineTo(x + 5 * r, top);
    ctx.lineTo(x, top + 7 * r);
    ctx.fill();
    ctx.font = `bold ${11 * r}px system-ui, sans-serif`;
    ctx.textBaseline = 'top';
    ctx.textAlign = 'left';
    const label = `peak ${formatBytes(peak.bytes)}`;
    const w = ctx.measureText(label).width + 4 * r;
    const h = 14 * r;
    const candidates = [];
    for (let row = 0; row < 3; row++) {
      const y = top + (2 + 16 * row) * r;
      candidates.push({ x: x + 7 * r, y, width: w, height: h }, { x: x - 7 * r - w, y, width: w, height: h });
    }
    const marker = { x: x - 5 * r, y: top, width: 10 * r, height: 7 * r };
    const place = freePlace(candidates, this.area, [marker]) ??
      { x: Math.min(Math.max(left, x - w / 2), left + width - w), y: top + height - h - 2 * r, width: w, height: h };
    ctx.fillStyle = 'rgba(255, 255, 255, 0.85)';
    ctx.fillRect(place.x, place.y, place.width, place.height);
    ctx.fillStyle = '#c0392b';
    ctx.fillText(label, place.x + 2 * r, place.y + 1 * r);
    this.peakLabel = place;
  }

  // The peak label's box in viewport CSS pixels, or null when not drawn.
  peakLabelRect() {
    if (!this.peakLabel) return null;
    const box = this.base.getBoundingClientRect();
    const { x, y, width, height } = this.peakLabel;
    return { left: box.left + x / this.ratio, top: box.top + y / this.ratio, width: width / this.ratio,
             height: height / this.ratio };
  }

  // The plotting area in viewport CSS pixels.
  areaRect() {
    const box = this.base.getBoundingClientRect();
    const { left, top, width, height } = this.area;
    return { left: box.left + left / this.ratio, top: box.top + top / this.ratio, width: width / this.ratio,
             height: height / this.ratio };
  }

  #drawTimeAxis(ctx) {
    const { t0, t1 } = this.view;
    const { left, top, width, height } = this.area;
    const r = this.ratio;
    const step = niceStep(((t1 - t0) * 110 * r) / width);
    ctx.font = `${11 * r}px system-ui, sans-serif`;
    ctx.fillStyle = '#555';
    ctx.strokeStyle = '#999';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.beginPath();
    ctx.moveTo(left, top + height + 0.5);
    ctx.lineTo(left + width, top + height + 0.5);
    for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
      const x = Math.round(this.xOf(t)) + 0.5;
      ctx.moveTo(x, top + height);
      ctx.lineTo(x, top + height + 4 * r);
      ctx.fillText(formatTimeTick(t, step, t1), x, top + height + 6 * r);
    }
    ctx.stroke();
  }

  // overlay: {cursor: time|null, pinned: time|null, selection: [x0, x1]|null}
  drawOverlay({ cursor, pinned, selection }) {
    const ctx = this.overlay.getContext('2d');
    const { left, top, width, height } = this.area;
    ctx.clearRect(0, 0, this.overlay.width, this.overlay.height);
    const line = (t, color) => {
      const x = Math.round(this.xOf(t)) + 0.5;
      if (x < left || x > left + width) return;
      ctx.strokeStyle = color;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
    };
    if (pinned !== null) line(pinned, '#111');
    if (cursor !== null) line(cursor, 'rgba(0, 0, 0, 0.55)');
    if (selection) {
      const [a, b] = selection.map((x) => Math.min(left + width, Math.max(left, x)));
      ctx.fillStyle = 'rgba(66, 133, 244, 0.18)';
      ctx.fillRect(Math.min(a, b), top, Math.abs(b - a), height);
    }
  }

  // Gestures, in device pixels: hover(x), leave(), click(x), select(x0, x1,
  // done), pan(dx), wheel(x, event), reset().
  #listen(gestures) {
    const target = this.overlay;
    const xOfEvent = (e) => (e.clientX - target.getBoundingClientRect().left) * this.ratio;
    let drag = null;
    target.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      target.setPointerCapture(e.pointerId);
      const x = xOfEvent(e);
      drag = { from: x, last: x, pan: e.shiftKey, moved: false };
    });
    target.addEventListener('pointermove', (e) => {
      const x = xOfEvent(e);
      if (drag) {
        drag.moved ||= Math.abs(x - drag.from) > 3 * this.ratio;
        if (drag.pan) gestures.pan(this, drag.last - x);
        else if (drag.moved) gestures.select(this, drag.from, x, false);
        drag.last = x;
      }
      gestures.hover(this, x);
    });
    target.addEventListener('pointerup', (e) => {
      const done = drag;
      drag = null;
      if (!done) return;
      if (!done.moved) gestures.click(this, xOfEvent(e));
      else if (!done.pan) gestures.select(this, done.from, xOfEvent(e), true);
    });
    target.addEventListener('pointerleave', () => {
      if (!drag) gestures.leave(this);
    });
    target.addEventListener('dblclick', () => gestures.reset());
    target.addEventListener('wheel', (e) => {
      e.preventDefault();
      gestures.wheel(this, xOfEvent(e), e);
    }, { passive: false });
  }
}

// The first index of a sorted array whose value is at least t.
function lowerBound(sorted, t) {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
