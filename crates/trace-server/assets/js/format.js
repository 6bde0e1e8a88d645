// Numbers and times as people read them.

/** A duration in microseconds: `850µs`, `12.3ms`, `4.05s`, `2m 5s`, `1h 2m`. */
export function duration(us) {
  if (!Number.isFinite(us)) return '–';
  if (us < 0) return '-' + duration(-us);
  if (us < 1) return `${Math.round(us * 1000)}ns`;
  if (us < 1000) return `${trim(us)}µs`;
  const ms = us / 1000;
  if (ms < 1000) return `${trim(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${trim(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${Math.round(s - m * 60)}s`;
  const hours = Math.floor(m / 60);
  return `${hours}h ${m - hours * 60}m`;
}

/** Three significant digits, no trailing zeros: 12.3, 4.05, 850. */
function trim(x) {
  const digits = x >= 100 ? 0 : x >= 10 ? 1 : 2;
  return Number(x.toFixed(digits)).toString();
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** A time (µs since the epoch) in local time: `2026-12-07 14:03:21.456`. */
export function dateTime(us) {
  const d = new Date(us / 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** How long ago (µs since the epoch): `just now`, `5m ago`, `3h ago`, `2d ago`. */
export function ago(us, nowMs = Date.now()) {
  const s = Math.round((nowMs - us / 1000) / 1000);
  if (s < 0) return 'in the future';
  if (s < 10) return 'just now';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** `1.2k`, `34` */
export function count(n) {
  return n >= 10000 ? `${(n / 1000).toFixed(0)}k` : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(n);
}

/** `n thing` / `n things`. */
export function plural(n, word, many = word + 's') {
  return `${n.toLocaleString('en')} ${n === 1 ? word : many}`;
}

/** Go's duration syntax, as the API takes it (`1.5ms`, `2h45m`). */
export const GO_DURATION = /^(\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))*$|^0$/;

/** A lookback (`15m`, `1h`, `2d`, `1w`) in milliseconds, or null. */
export function lookbackMs(text) {
  const m = /^(\d+)(m|h|d|w)$/.exec(String(text || '').trim());
  if (!m) return null;
  const unit = { m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 }[m[2]];
  return Number(m[1]) * unit;
}

/** A stable colour for a service (the same in every trace and on every page). */
const PALETTE = ['#4c6ef5', '#12b886', '#f08c00', '#7950f2', '#1098ad', '#e64980', '#74b816', '#e8590c', '#1c7ed6', '#ae3ec9', '#37b24d', '#d9480f'];
export function serviceColor(name) {
  let hash = 2166136261;
  for (const ch of String(name)) {
    hash ^= ch.codePointAt(0);
    hash = Math.imul(hash, 16777619);
  }
  return PALETTE[(hash >>> 0) % PALETTE.length];
}
