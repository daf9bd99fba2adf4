// format.js — how the viewer writes numbers (bytes, times, counts) and builds
// DOM. Every name shown (tags, frames, titles, labels) comes from the tracked
// program: el() only ever sets text, never HTML.
'use strict';

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

// "0 B", "512 B", "1.50 KiB", "12.0 GiB".
function formatBytes(bytes) {
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 ? 0 : value < 10 ? 2 : value < 100 ? 1 : 0;
  return `${sign}${value.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}

// An axis label: the unit of the axis' top, as many decimals as the step
// between labels needs ("5.961 GiB", "512 MiB").
function formatByteTick(bytes, step, top) {
  let unit = 0;
  while (top >= 1024 ** (unit + 1) && unit < BYTE_UNITS.length - 1) unit++;
  if (bytes === 0) return '0 B';
  const scale = 1024 ** unit;
  const decimals = Math.max(0, Math.min(6, Math.ceil(Math.log10(scale / step) - 1e-9)));
  return `${(bytes / scale).toFixed(decimals)} ${BYTE_UNITS[unit]}`;
}

function formatCount(n) {
  return Number(n).toLocaleString('en-US');
}

// A time since the capture's start, in the unit that suits its size.
function formatTime(ns) {
  const abs = Math.abs(ns);
  if (abs < 1e3) return `${ns.toFixed(0)} ns`;
  if (abs < 1e6) return `${(ns / 1e3).toFixed(3)} µs`;
  if (abs < 1e9) return `${(ns / 1e6).toFixed(3)} ms`;
  return `${(ns / 1e9).toFixed(6)} s`;
}

// An axis label: the unit of the axis' end, as many decimals as the step
// between labels needs.
function formatTimeTick(ns, step, end) {
  const [scale, unit] = end >= 1e9 ? [1e9, 's'] : end >= 1e6 ? [1e6, 'ms'] : end >= 1e3 ? [1e3, 'µs'] : [1, 'ns'];
  const decimals = Math.max(0, Math.min(9, Math.ceil(-Math.log10(step / scale) - 1e-9)));
  return `${(ns / scale).toFixed(decimals)} ${unit}`;
}

// 1, 2 or 5 times a power of ten, the smallest at least `raw`.
function niceStep(raw) {
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) {
    if (m * power >= raw) return m * power;
  }
  return 10 * power;
}

// A byte-axis step: 1, 2 or 5 times a power of ten of a binary unit (KiB, MiB, ...).
function niceByteStep(raw) {
  let unit = 1;
  while (raw >= unit * 1024 && unit < 1024 ** 5) unit *= 1024;
  return niceStep(raw / unit) * unit;
}

// el('td', {className: 'num'}, 'text', childNode, ...): attributes are set as
// properties; children are nodes or text.
function el(tag, props, ...children) {
  const node = document.createElement(tag);
  if (props) Object.assign(node, props);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function tagLabel(tag) {
  return tag === '' ? '(untagged)' : tag;
}

// "#rrggbb" mixed with white: `amount` 0 keeps the color, 1 is white.
function tint(hex, amount) {
  const n = parseInt(hex.slice(1), 16);
  const mix = (c) => Math.round(c + (255 - c) * amount);
  return `rgb(${mix(n >> 16)}, ${mix((n >> 8) & 255)}, ${mix(n & 255)})`;
}

// The capture a page was made from, as its title names it (after " — ").
function captureName(meta) {
  const at = meta.title.lastIndexOf(' — ');
  return at < 0 ? 'CAPTURE' : meta.title.slice(at + 3);
}
