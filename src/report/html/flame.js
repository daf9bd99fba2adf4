// flame.js — the icicle graph of what was live in one pool (device × memory
// type) at one instant: its peak (from the report's own peak list) or the
// pinned instant (model.sitesBefore: exact, from every change the page
// holds). The root is everything live; below it each site's flame graph
// boxes (site_stack.h Boxes: the user's frames as the headline names them,
// allocator runs folded to one box), outermost first, each as wide as the
// bytes live under it. A click on a box makes it the whole width (the root
// goes back); a box where sites end lists them with their stacks.
//
// Bounds: a box narrower than MIN_BOX_PIXELS is not drawn (its bytes still
// count in its parent); the graph is per site, not per buffer.
'use strict';

const FLAME_ROW = 20;  // CSS pixels
const MIN_BOX_PIXELS = 1;
const MIN_LABEL_PIXELS = 36;  // narrower boxes are color only (the name in their title)

class FlameGraph {
  // peaks: each pool's peak (meta.peaks entries), offered as buttons.
  constructor(container, model, peaks) {
    this.model = model;
    this.container = container;
    this.heading = el('p', { className: 'flame-heading' });
    this.choices = el('div', { className: 'flame-choices' }, 'Peaks: ', ...peaks.map((peak) => {
      const button = el('button', { type: 'button', className: 'link' }, `${peak.type} · device ${peak.device}`);
      button.addEventListener('click', () => this.showPeak(peak));
      return button;
    }));
    this.graph = el('div', { className: 'flame-graph' });
    this.sites = el('div', { className: 'flame-sites' });
    container.replaceChildren(this.heading, this.choices, this.graph, this.sites);
    this.state = null;
    window.addEventListener('resize', () => this.#draw());
    if (peaks.length) this.showPeak(peaks[0]);
    else this.heading.textContent = 'Nothing was allocated.';
  }

  showPeak(peak) {
    const pool = this.model.pool(peak.device, peak.type);
    const what = `At the peak of ${peak.type} on ${deviceLabel(peak.device, peak.device_name)}`;
    this.#show({ kind: 'peak', pool, time: peak.time_ns, what, live: peak.sites });
  }

  showInstant(pool, time) {
    const live = this.model.sitesBefore(pool.index, this.model.indexAfter(time));
    const what = `At the pinned instant in ${pool.type} on ${deviceLabel(pool.device, pool.deviceName)}`;
    this.#show({ kind: 'instant', pool, time, what, live });
  }

  // live: [{site, bytes}] (a site may come more than once: one per tag).
  #show({ kind, pool, time, what, live }) {
    const root = { name: 'all live', bytes: 0, children: new Map(), sites: [], depth: 0, parent: null };
    for (const { site, bytes } of live) {
      if (bytes <= 0) continue;
      let node = root;
      root.bytes += bytes;
      const boxes = this.model.boxes(site);
      for (const name of boxes.length ? boxes : [this.model.siteLabel(site)]) {
        if (!node.children.has(name)) {
          node.children.set(name, { name, bytes: 0, children: new Map(), sites: [], depth: node.depth + 1, parent: node });
        }
        node = node.children.get(name);
        node.bytes += bytes;
      }
      const known = node.sites.find((s) => s.site === site);
      if (known) known.bytes += bytes;
      else node.sites.push({ site, bytes });
    }
    this.state = { kind, pool: pool?.index ?? -1, time, bytes: root.bytes, root, focus: root };
    this.heading.replaceChildren(`${what}, ${formatTime(time)}: `, el('strong', null, formatBytes(root.bytes)),
                                 ` in ${formatCount(live.length)} site${live.length === 1 ? '' : 's'}`);
    this.container.dataset.kind = kind;
    this.#draw();
    this.#listSites(null);
  }

  // The boxes of the focused node's subtree, and its ancestors above it at
  // full width (click one to go back up).
  #draw() {
    if (!this.state) return;
    const { root, focus } = this.state;
    const width = Math.max(200, this.graph.clientWidth);
    const boxes = [];
    const ancestors = [];
    for (let node = focus; node; node = node.parent) ancestors.unshift(node);
    ancestors.forEach((node, row) => boxes.push(this.#box(node, row, 0, 1, node !== focus, true)));
    const visit = (node, row, left, share) => {
      let x = left;
      const children = [...node.children.values()].sort((a, b) => b.bytes - a.bytes);
      for (const child of children) {
        const w = share * (child.bytes / node.bytes);
        if (w * width < MIN_BOX_PIXELS) break;  // sorted: the rest are narrower still
        boxes.push(this.#box(child, row, x, w, false, w * width >= MIN_LABEL_PIXELS));
        visit(child, row + 1, x, w);
        x += w;
      }
    };
    visit(focus, ancestors.length, 0, 1);
    const rows = boxes.reduce((most, box) => Math.max(most, Number(box.dataset.row) + 1), 1);
    this.graph.style.height = `${rows * FLAME_ROW}px`;
    this.graph.replaceChildren(...boxes);
    this.container.dataset.boxes = boxes.length;
    this.container.dataset.bytes = root.bytes;
  }

  #box(node, row, left, share, above, labelled) {
    const percent = this.state.root.bytes ? (100 * node.bytes) / this.state.root.bytes : 0;
    const label = `${node.name} · ${formatBytes(node.bytes)}`;
    const folded = node.name.startsWith('\u2026');
    const className = ['flame-box', above ? 'above' : '', folded ? 'folded' : '', node.sites.length ? 'site' : '']
      .filter(Boolean).join(' ');
    const title = `${node.name}\n${formatBytes(node.bytes)} (${percent.toFixed(1)} % of all live)`;
    const box = el('div', { className, title }, labelled ? label : null);
    Object.assign(box.style, { left: `${left * 100}%`, width: `${share * 100}%`, top: `${row * FLAME_ROW}px` });
    if (!above && !folded && node.depth > 0) box.style.background = flameColor(node.name);
    Object.assign(box.dataset, { row, bytes: node.bytes, depth: node.depth, siteIds: node.sites.map((s) => s.site).join(' ') });
    box.addEventListener('click', () => {
      this.state.focus = node;
      this.#draw();
      this.#listSites(node);
    });
    return box;
  }

  // Under the graph: the sites that end at `node` (its stack beneath each).
  #listSites(node) {
    if (!node || !node.sites.length) {
      this.sites.replaceChildren(el('p', { className: 'muted' },
        'Click a box to zoom into it; a box where allocation sites end lists them with their stacks.'));
      return;
    }
    const sites = [...node.sites].sort((a, b) => b.bytes - a.bytes);
    this.sites.replaceChildren(table([['allocated at'], ['bytes', 'num']],
      sites.map((s) => [[siteDetails(this.model, s.site, true)], [formatBytes(s.bytes), 'num']]), ''));
  }
}

// A warm color per name, the same for a name wherever it appears.
function flameColor(name) {
  let hash = 0;
  for (let i = 0; i < name.length; i++) hash = (hash * 31 + name.charCodeAt(i)) | 0;
  const h = 10 + (Math.abs(hash) % 45);
  const l = 62 + (Math.abs(hash >> 8) % 14);
  return `hsl(${h}, 78%, ${l}%)`;
}
