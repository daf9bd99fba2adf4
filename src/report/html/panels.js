// panels.js — the hover panel (the instant under the cursor, or the pinned
// one: live bytes per series of that pool, the allocation sites live then
// with bytes and buffers, and their stacks when pinned) and the pieces every
// list of sites shares: a site as its headline with its stack folded beneath
// (site_stack.h's lines, as the text report prints them: a line each, never
// wrapped; the whole line on hover), and tables. Stacks are built when opened.
'use strict';

const HOVER_SITES = 40;
const PINNED_OPEN_STACKS = 3;
const TABLE_ROWS = 500;

function stackList(model, site) {
  const frames = model.frames(site);
  if (!frames.length) {
    return el('p', { className: 'muted' }, 'No stack: recorded with stacks off (MEMLEDGER_STACKS=1 records them).');
  }
  return el('ol', { className: 'stack' }, ...frames.map((frame) => el('li', { title: frame }, frame)));
}

// A site as <details>: its headline (what tells it from other sites), after
// `amount` (text, or null), and its stack when opened.
function siteDetails(model, site, open = false, amount = null) {
  const label = model.siteLabel(site);
  const summary = el('summary', { title: label }, amount && el('span', { className: 'amount' }, amount),
                     el('span', { className: 'headline' }, label));
  const details = el('details', { className: 'site' }, summary);
  details.dataset.site = site;
  const fill = () => {
    if (details.open && details.childElementCount === 1) details.append(stackList(model, site));
  };
  details.addEventListener('toggle', fill);
  details.open = open;
  fill();
  return details;
}

function table(headers, rows, emptyText) {
  if (!rows.length) return el('p', { className: 'muted' }, emptyText);
  const head = el('tr', null, ...headers.map(([name, cls]) => el('th', { className: cls ?? '' }, name)));
  const body = rows.slice(0, TABLE_ROWS).map((cells) =>
    el('tr', null, ...cells.map(([content, cls]) => el('td', { className: cls ?? '' }, content))));
  const more = rows.length > TABLE_ROWS
    ? el('p', { className: 'muted' }, `and ${formatCount(rows.length - TABLE_ROWS)} more`) : null;
  return el('div', null, el('table', null, el('thead', null, head), el('tbody', null, ...body)), more);
}

// mode: 'type' or 'tag'; state: {pool (index), time, index (the first change
// after time), pinned, mark (a label or null)}.
function renderHover(panel, model, mode, state, onUnpin) {
  const layout = model.layouts[mode];
  const pool = model.pools[state.pool];
  const live = model.seriesBefore(state.index);
  const mine = model.seriesInfo.map((s, i) => i).filter((i) => model.poolOf[i] === state.pool);
  mine.sort((a, b) => layout.levelBase[a] - layout.levelBase[b] || a - b);
  const total = mine.reduce((sum, i) => sum + live[i], 0);
  const seriesRows = mine.map((i) => {
    const s = model.seriesInfo[i];
    const swatch = el('span', { className: 'swatch' });
    swatch.style.background = layerColor(mode, layout.keyOf(s));
    return el('tr', null, el('td', null, swatch, tagLabel(s.tag)), el('td', { className: 'num' }, formatBytes(live[i])));
  });
  const sites = model.sitesBefore(state.pool, state.index);
  const shown = sites.slice(0, HOVER_SITES);
  // A bounded page's coarse site has bytes, no buffers of its own.
  const buffers = (live) => (live.site === model.detail?.coarse_site ? '—' : formatCount(live.buffers));
  // Hovered: a table; pinned: each site's stack beneath it, the panel's whole width.
  const siteList = state.pinned
    ? el('div', { className: 'pinned-sites' }, ...shown.map((live, n) => siteDetails(model, live.site,
      n < PINNED_OPEN_STACKS, `${formatBytes(live.bytes)} · ${buffers(live)} buffers · `)))
    : el('table', { className: 'sites' },
      el('thead', null, el('tr', null, el('th', null, 'allocated at'), el('th', { className: 'num' }, 'bytes'),
                           el('th', { className: 'num' }, 'buffers'))),
      el('tbody', null, ...shown.map((live) => el('tr', null,
        el('td', { className: 'site-cell' }, model.siteLabel(live.site)),
        el('td', { className: 'num' }, formatBytes(live.bytes)),
        el('td', { className: 'num' }, buffers(live))))));
  panel.classList.toggle('pinned', state.pinned);
  panel.replaceChildren(...[
    el('h3', null, state.pinned ? 'Pinned at ' : 'At ', formatTime(state.time),
       el('span', { className: 'muted' }, ` · ${pool.type} · ${pool.deviceName} (device ${pool.device})`)),
    state.mark ? el('p', { className: 'mark' }, 'Mark: ', state.mark) : null,
    state.pinned ? el('button', { type: 'button', className: 'unpin', onclick: onUnpin }, 'Unpin') : null,
    el('table', { className: 'series' },
       el('thead', null, el('tr', null, el('th', null, 'tag'), el('th', { className: 'num' }, 'live'))),
       el('tbody', null, ...seriesRows),
       el('tfoot', null, el('tr', null, el('td', null, 'total'), el('td', { className: 'num' }, formatBytes(total))))),
    el('h4', null, `Sites live: ${formatCount(sites.length)}`),
    shown.length ? siteList : el('p', { className: 'muted' }, 'Nothing live in this pool then.'),
    sites.length > HOVER_SITES
      ? el('p', { className: 'muted' }, `and ${formatCount(sites.length - HOVER_SITES)} more sites`) : null,
    state.pinned ? null : el('p', { className: 'muted' }, 'Click to pin this instant and see the stacks.'),
  ].filter(Boolean));
  panel.dataset.sites = sites.length;
}
