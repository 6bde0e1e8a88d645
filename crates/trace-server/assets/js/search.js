// The search page, `/`: the form, and the traces found as a scatter plot and a sortable list.
// The search lives in the URL with the API's parameter names (`service`, `operation`, `tags`,
// `minDuration`, `maxDuration`, `start`, `end` in microseconds, `limit`) plus `lookback`
// (`15m`, `1h`, `2d`), so `/?service=checkout&lookback=2d` opens with its results shown.

import * as api from './api.js';
import { h, replace, typing } from './dom.js';
import { duration, dateTime, ago, plural, count, GO_DURATION, lookbackMs, serviceColor } from './format.js';

const LOOKBACKS = [
  ['5m', 'Last 5 minutes'], ['15m', 'Last 15 minutes'], ['1h', 'Last hour'], ['3h', 'Last 3 hours'],
  ['6h', 'Last 6 hours'], ['12h', 'Last 12 hours'], ['1d', 'Last day'], ['2d', 'Last 2 days'],
  ['7d', 'Last 7 days'], ['custom', 'Custom range…'],
];
const DEFAULT_LOOKBACK = '1h';
const DEFAULT_LIMIT = 20;

const SORTS = {
  start: (a, b) => a.startUs - b.startUs,
  duration: (a, b) => a.durationUs - b.durationUs,
  spans: (a, b) => a.spanCount - b.spanCount,
  errors: (a, b) => a.errorCount - b.errorCount,
};

/** The search described by the URL's parameters. */
export function readSearch(params) {
  const start = Number(params.get('start'));
  const end = Number(params.get('end'));
  const custom = Number.isFinite(start) && start > 0;
  let lookback = params.get('lookback') || (custom ? 'custom' : DEFAULT_LOOKBACK);
  if (lookback !== 'custom' && lookbackMs(lookback) === null) lookback = DEFAULT_LOOKBACK;
  const limit = Number(params.get('limit'));
  const sort = params.get('sort') || '-start';
  return {
    service: params.get('service') || '',
    operation: params.get('operation') || '',
    tags: parseTags(params.get('tags') || ''),
    minDuration: params.get('minDuration') || '',
    maxDuration: params.get('maxDuration') || '',
    lookback,
    start: custom ? start : null,
    end: custom && Number.isFinite(end) && end > 0 ? end : null,
    limit: Number.isInteger(limit) && limit > 0 ? limit : DEFAULT_LIMIT,
    sort: SORTS[sort.replace(/^-/, '')] ? sort : '-start',
  };
}

/** The URL parameters of a search (only what differs from the defaults). */
function writeSearch(search) {
  const p = new URLSearchParams();
  if (search.service) p.set('service', search.service);
  if (search.operation) p.set('operation', search.operation);
  if (Object.keys(search.tags).length) p.set('tags', JSON.stringify(search.tags));
  if (search.minDuration) p.set('minDuration', search.minDuration);
  if (search.maxDuration) p.set('maxDuration', search.maxDuration);
  if (search.lookback === 'custom') {
    if (search.start) p.set('start', String(search.start));
    if (search.end) p.set('end', String(search.end));
  } else if (search.lookback !== DEFAULT_LOOKBACK) {
    p.set('lookback', search.lookback);
  }
  if (search.limit !== DEFAULT_LIMIT) p.set('limit', String(search.limit));
  if (search.sort !== '-start') p.set('sort', search.sort);
  return p;
}

/** Tags as the API's JSON object, or typed as `key=value` pairs (quotes for spaces). */
export function parseTags(text) {
  const trimmed = text.trim();
  if (!trimmed) return {};
  if (trimmed.startsWith('{')) {
    try {
      const object = JSON.parse(trimmed);
      return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, String(v)]));
    } catch {
      return { __invalid: trimmed };
    }
  }
  const out = {};
  const re = /\s*([^=\s]+)=(?:"((?:[^"\\]|\\.)*)"|(\S*))/gy;
  let m;
  let consumed = 0;
  while ((m = re.exec(trimmed)) !== null) {
    out[m[1]] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
    consumed = re.lastIndex;
  }
  if (consumed < trimmed.length && trimmed.slice(consumed).trim()) out.__invalid = trimmed.slice(consumed).trim();
  return out;
}

function tagsText(tags) {
  return Object.entries(tags)
    .filter(([k]) => k !== '__invalid')
    .map(([k, v]) => (/[\s"]/.test(v) || v === '' ? `${k}="${v.replace(/(["\\])/g, '\\$1')}"` : `${k}=${v}`))
    .join(' ');
}

/** The time window of a search, in microseconds. */
function timeWindow(search) {
  const nowUs = Date.now() * 1000;
  if (search.lookback === 'custom' && search.start) {
    return { startUs: search.start, endUs: search.end || nowUs };
  }
  return { startUs: nowUs - lookbackMs(search.lookback) * 1000, endUs: nowUs };
}

export async function showSearch(app, params) {
  document.title = 'Search traces · otel-lp';
  const page = new SearchPage(app);
  page.mount(readSearch(params));
  followHistory(page);
  await page.run();
  return page;
}

/** Back and forward between searches re-run them. */
function followHistory(page) {
  window.addEventListener('popstate', () => {
    if (location.pathname === '/') {
      page.fill(readSearch(new URLSearchParams(location.search)));
      page.run();
    }
  });
}

class SearchPage {
  constructor(app) {
    this.app = app;
    this.results = [];
  }

  mount(search) {
    this.search = search;
    const field = (label, control, hint) => h('label', { class: 'field' }, h('span', { class: 'label' }, label), control, hint ? h('span', { class: 'hint' }, hint) : null);
    this.serviceSelect = h('select', { name: 'service', onchange: () => this.loadOperations(this.serviceSelect.value, '') },
      h('option', { value: '' }, 'All services'));
    this.operationSelect = h('select', { name: 'operation' }, h('option', { value: '' }, 'All operations'));
    this.tagsInput = h('input', { name: 'tags', placeholder: 'http.status_code=500 error=true', autocomplete: 'off', spellcheck: 'false' });
    this.lookbackSelect = h('select', { name: 'lookback', onchange: () => this.showCustom() },
      LOOKBACKS.map(([value, text]) => h('option', { value }, text)));
    this.startInput = h('input', { type: 'datetime-local', step: '1', name: 'start' });
    this.endInput = h('input', { type: 'datetime-local', step: '1', name: 'end' });
    this.custom = h('div', { class: 'field-row' }, field('From', this.startInput), field('To', this.endInput));
    this.minInput = h('input', { name: 'minDuration', placeholder: 'e.g. 10ms', autocomplete: 'off' });
    this.maxInput = h('input', { name: 'maxDuration', placeholder: 'e.g. 1.5s', autocomplete: 'off' });
    this.limitInput = h('input', { name: 'limit', type: 'number', min: '1', max: '1500', step: '1' });
    this.formError = h('p', { class: 'hint', role: 'alert', style: { color: 'var(--error)', margin: '0' } });

    const form = h('form', { class: 'panel search-form', 'aria-label': 'Search', onsubmit: (e) => { e.preventDefault(); this.submit(); } },
      h('h2', {}, 'Search'),
      field('Service', this.serviceSelect),
      field('Operation', this.operationSelect),
      field('Tags', this.tagsInput, 'key=value pairs; spans whose attributes match all'),
      field('Time range', this.lookbackSelect),
      this.custom,
      h('div', { class: 'field-row' }, field('Min duration', this.minInput), field('Max duration', this.maxInput)),
      field('Limit', this.limitInput),
      this.formError,
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button primary' }, 'Find traces')));

    this.resultsBox = h('section', { class: 'results', 'aria-label': 'Traces found' });
    replace(this.app, h('div', { class: 'search-page' }, form, this.resultsBox));
    this.fill(search);
    this.loadServices(search);
    document.addEventListener('keydown', (e) => this.onKey(e));
  }

  /** Puts `search` into the form. */
  fill(search) {
    this.search = search;
    this.tagsInput.value = tagsText(search.tags);
    this.lookbackSelect.value = search.lookback;
    this.startInput.value = search.start ? localInput(search.start) : '';
    this.endInput.value = search.end ? localInput(search.end) : '';
    this.minInput.value = search.minDuration;
    this.maxInput.value = search.maxDuration;
    this.limitInput.value = String(search.limit);
    setOption(this.serviceSelect, search.service);
    setOption(this.operationSelect, search.operation);
    this.showCustom();
  }

  showCustom() {
    const custom = this.lookbackSelect.value === 'custom';
    this.custom.hidden = !custom;
    if (custom && !this.startInput.value) {
      const { startUs, endUs } = timeWindow({ ...this.search, lookback: DEFAULT_LOOKBACK });
      this.startInput.value = localInput(startUs);
      this.endInput.value = localInput(endUs);
    }
  }

  async loadServices(search) {
    try {
      const services = await api.services();
      replace(this.serviceSelect, h('option', { value: '' }, 'All services'), services.map((s) => h('option', { value: s }, s)));
      setOption(this.serviceSelect, search.service);
      if (search.service) await this.loadOperations(search.service, search.operation);
    } catch (e) {
      this.formError.textContent = `Services could not be loaded: ${e.message}`;
    }
  }

  async loadOperations(service, selected) {
    replace(this.operationSelect, h('option', { value: '' }, 'All operations'));
    if (!service) return;
    try {
      const names = await api.operations(service);
      this.operationSelect.append(...names.map((n) => h('option', { value: n }, n)));
      setOption(this.operationSelect, selected);
    } catch (e) {
      this.formError.textContent = `Operations could not be loaded: ${e.message}`;
    }
  }

  /** The form as a search, or null after showing what is wrong. */
  readForm() {
    const problems = [];
    const check = (input, ok, message) => {
      input.setAttribute('aria-invalid', String(!ok));
      if (!ok) problems.push(message);
    };
    const min = this.minInput.value.trim();
    const max = this.maxInput.value.trim();
    check(this.minInput, !min || GO_DURATION.test(min), 'Min duration: use a duration like 300ms, 1.5s or 2m30s.');
    check(this.maxInput, !max || GO_DURATION.test(max), 'Max duration: use a duration like 300ms, 1.5s or 2m30s.');
    const tags = parseTags(this.tagsInput.value);
    check(this.tagsInput, !tags.__invalid, `Tags: cannot read "${tags.__invalid}"; write key=value pairs.`);
    const limit = Number(this.limitInput.value || DEFAULT_LIMIT);
    check(this.limitInput, Number.isInteger(limit) && limit > 0 && limit <= 1500, 'Limit: a whole number from 1 to 1500.');
    const lookback = this.lookbackSelect.value;
    let start = null;
    let end = null;
    if (lookback === 'custom') {
      start = fromLocalInput(this.startInput.value);
      end = fromLocalInput(this.endInput.value);
      check(this.startInput, start !== null, 'From: pick a start time.');
      check(this.endInput, end === null || start === null || end > start, 'To: must be after From.');
    }
    this.formError.textContent = problems.join(' ');
    if (problems.length) return null;
    return {
      service: this.serviceSelect.value,
      operation: this.operationSelect.value,
      tags,
      minDuration: min,
      maxDuration: max,
      lookback,
      start,
      end,
      limit,
      sort: this.search.sort,
    };
  }

  submit() {
    const search = this.readForm();
    if (!search) return;
    this.search = search;
    const query = writeSearch(search).toString();
    history.pushState(null, '', query ? `/?${query}` : '/');
    this.run();
  }

  async run() {
    const search = this.search;
    const { startUs, endUs } = timeWindow(search);
    sessionStorage.setItem('lastSearch', location.pathname + location.search);
    this.app.dataset.state = 'loading';
    replace(this.resultsBox, h('p', { class: 'placeholder' }, 'Searching…'));
    try {
      this.results = await api.traceSummaries({ ...search, startUs, endUs });
    } catch (e) {
      this.app.dataset.state = 'error';
      replace(this.resultsBox, h('div', { class: 'notice error', role: 'alert' }, h('strong', {}, 'The search failed. '), e.message));
      return;
    }
    this.shown = { startUs, endUs };
    this.render();
    this.app.dataset.state = 'ready';
  }

  render() {
    const search = this.search;
    const what = search.lookback === 'custom'
      ? `${dateTime(this.shown.startUs)} – ${dateTime(this.shown.endUs)}`
      : LOOKBACKS.find(([v]) => v === search.lookback)?.[1].toLowerCase() || search.lookback;
    const head = h('div', { class: 'results-head' },
      h('h1', {}, plural(this.results.length, 'trace')),
      h('span', { class: 'sub' }, [search.service || 'all services', search.operation, what].filter(Boolean).join(' · ')),
      this.results.length >= search.limit ? h('span', { class: 'sub' }, `(the newest ${search.limit}; raise the limit for more)`) : null);
    if (!this.results.length) {
      replace(this.resultsBox, head, h('div', { class: 'notice' },
        h('strong', {}, 'No traces found. '), 'Widen the time range, or remove a filter.'));
      return;
    }
    replace(this.resultsBox, head, this.scatter(), h('div', { class: 'panel' }, this.table()));
  }

  /** Duration over start time, one dot per trace (red with errors, bigger with more spans). */
  scatter() {
    // The x axis spans the traces found (a little wider), not the whole window: a 2-day search
    // whose traces are all from the last minute is still readable.
    const starts = this.results.map((r) => r.startUs);
    const spread = Math.max(...starts) - Math.min(...starts);
    const margin = Math.max(spread * 0.05, 30e6);
    const startUs = Math.max(Math.min(...starts) - margin, this.shown.startUs);
    const endUs = Math.min(Math.max(...starts) + margin, this.shown.endUs);
    const maxDuration = Math.max(...this.results.map((r) => r.durationUs), 1);
    const x = (t) => ((t - startUs) / Math.max(endUs - startUs, 1)) * 100;
    const y = (d) => 100 - (d / maxDuration) * 100;
    const dots = this.results.map((r) => {
      const size = Math.min(7 + Math.sqrt(r.spanCount) * 1.5, 18);
      return h('a', {
        class: 'point' + (r.errorCount ? ' error' : ''),
        href: `/trace/${encodeURIComponent(r.traceId)}`,
        title: `${r.rootService}: ${r.rootOperation}\n${duration(r.durationUs)} · ${plural(r.spanCount, 'span')}${r.errorCount ? ` · ${plural(r.errorCount, 'error')}` : ''}`,
        'aria-label': `${r.rootService}: ${r.rootOperation}, ${duration(r.durationUs)}`,
        style: { left: `${x(r.startUs).toFixed(2)}%`, top: `${y(r.durationUs).toFixed(2)}%`, width: `${size}px`, height: `${size}px` },
      });
    });
    return h('div', { class: 'panel scatter', role: 'img', 'aria-label': 'Trace duration over time' },
      h('div', { class: 'y-axis' }, h('span', {}, duration(maxDuration)), h('span', {}, '0')),
      h('div', { class: 'plot' }, dots),
      h('div', { class: 'x-axis' }, h('span', {}, dateTime(startUs).slice(5, 19)), h('span', {}, dateTime(endUs).slice(5, 19))));
  }

  table() {
    const [desc, key] = this.search.sort.startsWith('-') ? [true, this.search.sort.slice(1)] : [false, this.search.sort];
    const rows = [...this.results].sort((a, b) => (desc ? -1 : 1) * SORTS[key](a, b));
    const maxDuration = Math.max(...rows.map((r) => r.durationUs), 1);
    const header = (label, sortKey, cls) => {
      const active = key === sortKey;
      return h('th', { class: cls, 'aria-sort': active ? (desc ? 'descending' : 'ascending') : 'none' },
        sortKey
          ? h('button', { type: 'button', onclick: () => this.sortBy(sortKey) }, label, active ? h('span', { class: 'arrow' }, desc ? '▼' : '▲') : null)
          : h('button', { type: 'button', disabled: true, style: { cursor: 'default' } }, label));
    };
    const nowMs = Date.now();
    return h('table', { class: 'trace-table' },
      h('thead', {}, h('tr', {},
        header('Trace', null, 'col-trace'),
        header('Start', 'start', 'col-start'),
        header('Duration', 'duration', 'num col-duration'),
        header('Spans', 'spans', 'num col-spans'),
        header('Errors', 'errors', 'num col-errors'),
        header('Services', null, 'col-services'))),
      h('tbody', {}, rows.map((r) => h('tr', {
        tabindex: '0',
        dataset: { traceId: r.traceId },
        onclick: (e) => { if (!(e.target instanceof HTMLAnchorElement)) location.href = `/trace/${r.traceId}`; },
        onkeydown: (e) => { if (e.key === 'Enter') location.href = `/trace/${r.traceId}`; },
      },
      h('td', {}, h('div', { class: 'trace-name' },
        h('a', { class: 'title', href: `/trace/${r.traceId}` }, h('span', { class: 'svc' }, `${r.rootService || '?'}: `), r.rootOperation || '(no root span)'),
        h('span', { class: 'id' }, r.traceId))),
      h('td', { class: 'when col-start' }, dateTime(r.startUs), h('span', { class: 'ago' }, ago(r.startUs, nowMs))),
      h('td', { class: 'num col-duration' }, h('div', { class: 'duration-cell' },
        duration(r.durationUs),
        h('span', { class: 'mini', 'aria-hidden': 'true' }, h('i', { style: { width: `${Math.max((r.durationUs / maxDuration) * 100, 2)}%` } })))),
      h('td', { class: 'num col-spans' }, count(r.spanCount)),
      h('td', { class: 'num col-errors' }, r.errorCount ? h('span', { class: 'error-count' }, String(r.errorCount)) : h('span', { class: 'zero' }, '0')),
      h('td', { class: 'col-services' }, h('div', { class: 'chips' }, r.services.map((s) =>
        h('span', { class: 'chip' + (s.errorCount ? ' error' : ''), style: { '--svc': serviceColor(s.name) }, title: `${plural(s.spanCount, 'span')}${s.errorCount ? `, ${plural(s.errorCount, 'error')}` : ''}` },
          h('span', { class: 'dot' }), s.name, h('span', { class: 'count' }, String(s.spanCount))))))))));
  }

  sortBy(key) {
    const current = this.search.sort;
    this.search.sort = current === `-${key}` ? key : `-${key}`;
    const query = writeSearch(this.search).toString();
    history.replaceState(null, '', query ? `/?${query}` : '/');
    sessionStorage.setItem('lastSearch', location.pathname + location.search);
    this.render();
  }

  onKey(e) {
    if (e.metaKey || e.ctrlKey || e.altKey || typing(e)) return;
    const rows = [...this.resultsBox.querySelectorAll('tbody tr')];
    const at = rows.indexOf(document.activeElement);
    if (e.key === 'j' || e.key === 'ArrowDown') rows[Math.min(at + 1, rows.length - 1)]?.focus();
    else if (e.key === 'k' || e.key === 'ArrowUp') rows[Math.max(at - 1, 0)]?.focus();
    else if (e.key === '/') this.serviceSelect.focus();
    else return;
    e.preventDefault();
  }
}

export const SHORTCUTS = [
  ['/', 'go to the search form'],
  ['↑ ↓  j k', 'move through the traces'],
  ['Enter', 'open the trace'],
];

function setOption(select, value) {
  if (value && ![...select.options].some((o) => o.value === value)) {
    select.append(h('option', { value }, value));
  }
  select.value = value || '';
}

/** µs since the epoch as a `datetime-local` value (local time). */
function localInput(us) {
  return dateTime(us).slice(0, 19).replace(' ', 'T');
}

function fromLocalInput(text) {
  if (!text) return null;
  const ms = new Date(text).getTime();
  return Number.isFinite(ms) ? ms * 1000 : null;
}
