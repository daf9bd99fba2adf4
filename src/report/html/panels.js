// panels.js — the text around the charts: the hover panel (the instant under
// the cursor, or the pinned one: live bytes per series of that device, the
// allocation sites live then with bytes and buffers, and their stacks when
// pinned) and the findings tables (peaks with what was live then, leaks,
// anomalies with both stacks). Stacks are built when opened.
'use strict';

const HOVER_SITES = 40;
const PINNED_OPEN_STACKS = 3;
const TABLE_ROWS = 500;

function stackList(model, site) {
  const frames = model.frames(site);
  if (!frames.length) {
    return el('p', { className: 'muted' }, 'No stack: recorded with stacks off (MEMLEDGER_STACKS=1 records them).');
  }
  return el('ol', { className: 'stack' }, ...frames.map((frame) => el('li', null, frame)));
}

// A site as <details>: its headline (what tells it from other sites), and
// its stack when opened.
function siteDetails(model, site, open = false) {
  const label = model.siteLabel(site);
  const details = el('details', { className: 'site' }, el('summary', { title: label }, label));
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

// mode: 'type' or 'tag'; state: {device (index), time, index (the first change
// after time), pinned, mark (a label or null)}.
function renderHover(panel, model, mode, state, onUnpin) {
  const layout = model.layouts[mode];
  const device = model.devices[state.device];
  const live = model.seriesBefore(state.index);
  const mine = model.seriesInfo.map((s, i) => i).filter((i) => model.deviceOf[i] === state.device);
  mine.sort((a, b) => layout.levelBase[a] - layout.levelBase[b] || a - b);
  const total = mine.reduce((sum, i) => sum + live[i], 0);
  const seriesRows = mine.map((i) => {
    const s = model.seriesInfo[i];
    const swatch = el('span', { className: 'swatch' });
    swatch.style.background = layerColor(mode, layout.keyOf(s));
    return el('tr', null, el('td', null, swatch, s.type), el('td', null, tagLabel(s.tag)),
              el('td', { className: 'num' }, formatBytes(live[i])));
  });
  const sites = model.sitesBefore(state.device, state.index);
  const siteRows = sites.slice(0, HOVER_SITES).map((live, n) =>
    el('tr', null,
       el('td', { className: 'site-cell' }, state.pinned ? siteDetails(model, live.site, n < PINNED_OPEN_STACKS)
                                                         : model.siteLabel(live.site)),
       el('td', { className: 'num' }, formatBytes(live.bytes)),
       el('td', { className: 'num' }, formatCount(live.buffers))));
  panel.classList.toggle('pinned', state.pinned);
  panel.replaceChildren(...[
    el('h3', null, state.pinned ? 'Pinned at ' : 'At ', formatTime(state.time),
       el('span', { className: 'muted' }, ` · ${device.name}`)),
    state.mark ? el('p', { className: 'mark' }, 'Mark: ', state.mark) : null,
    state.pinned ? el('button', { type: 'button', className: 'unpin', onclick: onUnpin }, 'Unpin') : null,
    el('table', { className: 'series' },
       el('thead', null,
          el('tr', null, el('th', null, 'type'), el('th', null, 'tag'), el('th', { className: 'num' }, 'live'))),
       el('tbody', null, ...seriesRows),
       el('tfoot', null,
          el('tr', null, el('td', { colSpan: 2 }, 'total'), el('td', { className: 'num' }, formatBytes(total))))),
    el('h4', null, `Sites live: ${formatCount(sites.length)}`),
    siteRows.length
      ? el('table', { className: 'sites' },
           el('thead', null, el('tr', null, el('th', null, 'allocated at'), el('th', { className: 'num' }, 'bytes'),
                                el('th', { className: 'num' }, 'buffers'))),
           el('tbody', null, ...siteRows))
      : el('p', { className: 'muted' }, 'Nothing live on this device then.'),
    sites.length > HOVER_SITES
      ? el('p', { className: 'muted' }, `and ${formatCount(sites.length - HOVER_SITES)} more sites`) : null,
    state.pinned ? null : el('p', { className: 'muted' }, 'Click to pin this instant and see the stacks.'),
  ].filter(Boolean));
  panel.dataset.sites = sites.length;
}

function deviceLabel(device, name) {
  return name ? `${name} (${device})` : `device ${device}`;
}

// onPick(deviceId, time): the "when" of a peak was clicked.
function renderPeaks(container, model, onPick) {
  const peaks = [...model.meta.peaks].sort((a, b) => a.device - b.device || typeRank(a.type) - typeRank(b.type));
  container.replaceChildren(table(
    [['device'], ['type'], ['peak', 'num'], ['when'], ['of capacity', 'num'], ['live then']],
    peaks.map((peak) => {
      const when = el('button', { type: 'button', className: 'link', title: 'show this instant' },
                      formatTime(peak.time_ns));
      when.addEventListener('click', () => onPick(peak.device, peak.time_ns));
      const share = peak.capacity ? `${((100 * peak.bytes) / peak.capacity).toFixed(1)} %` : '—';
      const sites = table([['allocated at'], ['tag'], ['bytes', 'num'], ['buffers', 'num']],
                          peak.sites.map((s) => [[siteDetails(model, s.site)], [tagLabel(s.tag)],
                                                 [formatBytes(s.bytes), 'num'], [formatCount(s.buffers), 'num']]),
                          'No sites recorded.');
      const tags = table([['tag'], ['bytes', 'num'], ['buffers', 'num']],
                         peak.tags.map((t) => [[tagLabel(t.tag)], [formatBytes(t.bytes), 'num'],
                                               [formatCount(t.buffers), 'num']]),
                         'No tags recorded.');
      const live = el('details', null, el('summary', null, `${peak.sites.length} sites, ${peak.tags.length} tags`),
                      el('h4', null, 'By site'), sites, el('h4', null, 'By tag'), tags);
      return [[deviceLabel(peak.device, peak.device_name)], [peak.type], [formatBytes(peak.bytes), 'num'], [when],
              [share, 'num'], [live]];
    }),
    'No peaks: nothing was allocated.'));
}

// A process still running where the books end holds buffers that are live
// then, not leaked: said beside the leaks (of devices it closed). A capture
// that ends before its process says so in its problem; else the books end at
// the report's --until.
function renderLeaks(container, model) {
  const leaks = [...model.meta.leaks].sort((a, b) => b.bytes - a.bytes);
  const live = model.meta.live_at_end;
  const running = live && live.buffers > 0;
  const where = model.meta.problem ? 'Running when the capture ends: live at end of capture'
    : 'Running at --until: live then';
  const leakTable = table(
    [['device'], ['type'], ['tag'], ['bytes', 'num'], ['buffers', 'num'], ['allocated at']],
    leaks.map((leak) => [[deviceLabel(leak.device, leak.device_name)], [leak.type], [tagLabel(leak.tag)],
                         [formatBytes(leak.bytes), 'num'], [formatCount(leak.buffers), 'num'],
                         [siteDetails(model, leak.site)]]),
    running ? 'No leaks.' : 'No leaks: every buffer was freed.');
  const note = running ? [el('p', { id: 'live-at-end' },
    `${where}: ${formatCount(live.buffers)} buffers, ${formatBytes(live.bytes)} (not leaks).`)] : [];
  container.replaceChildren(leakTable, ...note);
}

function renderAnomalies(container, model) {
  const anomalies = [...model.meta.anomalies].sort((a, b) => b.count - a.count);
  container.replaceChildren(table(
    [['kind'], ['count', 'num'], ['the first'], ['seen at'], ['buffer allocated at']],
    anomalies.map((a) => [[a.kind], [formatCount(a.count), 'num'], [a.first], [siteDetails(model, a.site)],
                          [siteDetails(model, a.alloc_site)]]),
    'No anomalies.'));
}
