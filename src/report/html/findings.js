// findings.js — the findings tables below the charts, as the text report
// has them: peaks per device × memory type with what was live then, the top
// allocation sites by bytes and by count, the sites that grew from mark to
// mark, leaks, and anomalies with both stacks. Each site is its headline with
// its stack beneath (panels.js siteDetails).
'use strict';

function deviceLabel(device, name) {
  return name ? `${name} (${device})` : `device ${device}`;
}

// onPick(peak): the "when" of a peak was clicked.
function renderPeaks(container, model, onPick) {
  const peaks = [...model.meta.peaks].sort((a, b) => a.device - b.device || typeRank(a.type) - typeRank(b.type));
  container.replaceChildren(table(
    [['device'], ['type'], ['peak', 'num'], ['when'], ['of capacity', 'num'], ['live then']],
    peaks.map((peak) => {
      const when = el('button', { type: 'button', className: 'link', title: 'show this instant' },
                      formatTime(peak.time_ns));
      when.addEventListener('click', () => onPick(peak));
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

// by: 'bytes' or 'count' (meta.top_by_bytes or meta.top_by_count).
function renderTopSites(container, model, by) {
  const top = by === 'bytes' ? model.meta.top_by_bytes : model.meta.top_by_count;
  container.replaceChildren(table(
    [['#', 'num'], ['allocated at'], ['device'], ['type'], ['tag'], ['bytes', 'num'], ['allocations', 'num']],
    top.map((t, n) => [[n + 1, 'num'], [siteDetails(model, t.site)], [deviceLabel(t.device, t.device_name)], [t.type],
                       [tagLabel(t.tag)], [formatBytes(t.bytes), 'num'], [formatCount(t.allocations), 'num']]),
    'No allocations in the window.'));
}

// The text report's "growth across marks": live bytes that never fell from
// one mark to the next; it takes two marks (memledger_mark) to see any.
function renderGrowth(container, model) {
  const marks = model.meta.marks.length;
  if (marks < 2) {
    container.replaceChildren(el('p', { className: 'muted' }, `${marks === 0 ? 'No marks recorded' : 'One mark: it takes two'}`
      + ' (memledger_mark at each step shows what grows from step to step).'));
    return;
  }
  container.replaceChildren(table(
    [['per mark', 'num'], ['first → last', 'num'], ['intervals', 'num'], ['rose', 'num'], ['allocated at'], ['device'],
     ['type'], ['tag']],
    model.meta.growth.map((g) => [
      [`+${formatBytes((g.last_bytes - g.first_bytes) / Math.max(g.intervals, 1))}`, 'num'],
      [`${formatBytes(g.first_bytes)} → ${formatBytes(g.last_bytes)}`, 'num'], [formatCount(g.intervals), 'num'],
      [`${formatCount(g.rises)} times`, 'num'], [siteDetails(model, g.site)], [deviceLabel(g.device, g.device_name)],
      [g.type], [tagLabel(g.tag)]]),
    'None: no site\'s live bytes rose from mark to mark without falling.'));
}
