// The trace page, `/trace/{id}`: the waterfall in tree order (collapsible, virtualised), bars on
// one time axis, duration and self time per span, errors marked, the critical path, find with
// "matches only", a side panel with attributes, events and links, `?span=` deep links, and the
// Jaeger-JSON download.

import * as api from './api.js';
import { h, replace, typing, copy, icon } from './dom.js';
import { duration, dateTime, plural } from './format.js';
import { buildModel, searchText } from './model.js';
import { VirtualRows } from './waterfall.js';

const ROW_HEIGHT = 28;
const TICKS = [0, 0.25, 0.5, 0.75, 1];

export async function showTrace(app, traceId, params) {
  document.title = `Trace ${traceId.slice(0, 8)} · otel-lp`;
  app.dataset.state = 'loading';
  replace(app, h('p', { class: 'placeholder' }, `Loading trace ${traceId}…`));
  let raw;
  try {
    raw = await api.trace(traceId);
  } catch (e) {
    app.dataset.state = 'error';
    replace(
      app,
      h('div', { class: 'search-page', style: { gridTemplateColumns: '1fr' } },
        h('div', { class: 'notice error', role: 'alert' },
          h('strong', {}, e.status === 404 ? 'Trace not found. ' : 'Could not load the trace. '),
          e.status === 404 ? `No spans of ${traceId} are stored (yet).` : e.message,
          ' ', h('a', { href: backLink() }, 'Back to the search'))),
    );
    return null;
  }
  const view = new TraceView(app, buildModel(raw), params);
  view.mount();
  app.dataset.state = 'ready';
  return view;
}

function backLink() {
  return sessionStorage.getItem('lastSearch') || '/';
}

class TraceView {
  constructor(app, model, params) {
    this.app = app;
    this.model = model;
    this.collapsed = new Set();
    this.selected = null;
    this.query = '';
    this.matches = [];
    this.matchSet = new Set();
    this.matchIndex = -1;
    this.matchesOnly = false;
    this.critical = false;
    this.visible = model.order;
    this.params = params;
  }

  mount() {
    const m = this.model;
    this.findInput = h('input', {
      class: 'input',
      type: 'search',
      placeholder: 'Find spans: name, service, attribute, id…  ( / )',
      'aria-label': 'Find spans',
      oninput: () => this.scheduleFind(),
      onkeydown: (e) => {
        if (e.key === 'Enter') { e.preventDefault(); this.stepMatch(e.shiftKey ? -1 : 1); }
        if (e.key === 'Escape') { e.preventDefault(); this.findInput.value = ''; this.applyFind(true); this.findInput.blur(); }
      },
    });
    this.matchesOnlyBox = h('input', { type: 'checkbox', onchange: () => { this.matchesOnly = this.matchesOnlyBox.checked; this.refresh(true); this.syncUrl(); } });
    this.countLabel = h('span', { class: 'count', 'aria-live': 'polite' });
    this.criticalButton = h('button', { type: 'button', class: 'button', 'aria-pressed': 'false', title: 'Highlight the critical path (c)', onclick: () => this.toggleCritical() },
      icon('path'), h('span', { class: 'label' }, 'Critical path'), h('span', { class: 'key' }, 'c'));

    const toolbar = h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Trace tools' },
      h('div', { class: 'find' }, this.findInput, this.countLabel),
      h('label', { class: 'check' }, this.matchesOnlyBox, 'Matches only'),
      h('span', { class: 'spacer' }),
      this.criticalButton,
      h('button', { type: 'button', class: 'button', title: 'Collapse all ([)', 'aria-label': 'Collapse all', onclick: () => this.collapseAll() }, icon('collapse'), h('span', { class: 'label' }, 'Collapse')),
      h('button', { type: 'button', class: 'button', title: 'Expand all (])', 'aria-label': 'Expand all', onclick: () => this.expandAll() }, icon('expand'), h('span', { class: 'label' }, 'Expand')),
      h('a', { class: 'button', href: api.traceUrl(m.traceId), download: `trace-${m.traceId}.json`, title: 'Download as Jaeger JSON (loads in Jaeger UI and Grafana)', 'aria-label': 'Download JSON' }, icon('download'), h('span', { class: 'label' }, 'JSON')),
    );

    this.viewport = h('div', { class: 'rows-viewport', tabindex: '0', role: 'tree', 'aria-label': 'Spans' });
    this.panel = h('aside', { class: 'side-panel', id: 'side-panel', hidden: true, 'aria-label': 'Span details' });
    const waterfall = h('section', { class: 'waterfall', 'aria-label': 'Waterfall' },
      h('div', { class: 'timeline-head', 'aria-hidden': 'true' },
        h('div', { class: 'name-col' }, 'Service & operation'),
        h('div', { class: 'ticks' }, TICKS.map((f) => h('span', { class: 'tick', style: { left: `${f * 100}%` } }, duration(m.duration * f))))),
      this.viewport);

    replace(this.app, h('div', { class: 'trace-page' },
      this.header(),
      toolbar,
      h('div', { class: 'trace-body' }, waterfall, this.panel)));

    this.rows = new VirtualRows(this.viewport, ROW_HEIGHT, (i) => this.renderRow(i));
    this.rows.canvas.prepend(h('div', { class: 'grid-lines', 'aria-hidden': 'true' },
      TICKS.slice(1, -1).map((f) => h('i', { style: { left: `${f * 100}%` } }))));
    document.addEventListener('keydown', (e) => this.onKey(e));

    // The view's state from the URL: `span`, `find`, `only=1` (matches only), `critical=1`.
    const p = this.params;
    this.critical = p.get('critical') === '1';
    this.criticalButton.setAttribute('aria-pressed', String(this.critical));
    this.matchesOnly = p.get('only') === '1';
    this.matchesOnlyBox.checked = this.matchesOnly;
    this.findInput.value = p.get('find') || '';
    this.applyFind();
    const deepLinked = p.get('span') && m.byId.get(p.get('span'));
    if (deepLinked) this.select(deepLinked, { reveal: true, updateUrl: false });
  }

  /** Writes the view's state into the URL (replacing the entry: no history per keystroke). */
  syncUrl() {
    const url = new URL(window.location.href);
    const set = (key, value) => (value ? url.searchParams.set(key, value) : url.searchParams.delete(key));
    set('span', this.selected?.id);
    set('find', this.findInput.value.trim());
    set('only', this.matchesOnly && this.findInput.value.trim() ? '1' : '');
    set('critical', this.critical ? '1' : '');
    history.replaceState(null, '', url);
  }

  header() {
    const m = this.model;
    const root = m.root;
    const idButton = h('button', { type: 'button', class: 'copy', title: 'Copy the trace id', 'aria-label': 'Copy the trace id', onclick: (e) => copy(m.traceId, e.currentTarget) }, icon('copy'));
    return h('header', { class: 'trace-head' },
      h('div', { class: 'crumbs' }, h('a', { href: backLink() }, '← Search'), ' / Trace'),
      h('h1', {},
        root ? [h('span', { class: 'svc' }, `${root.service}:`), ' ', root.operation] : 'Empty trace',
        m.errors ? h('span', { class: 'badge' }, plural(m.errors, 'error')) : null),
      h('dl', { class: 'facts' },
        fact('Trace', [h('code', {}, m.traceId), idButton]),
        fact('Started', dateTime(m.start)),
        fact('Duration', duration(m.duration)),
        fact('Spans', m.spans.length.toLocaleString('en')),
        fact('Depth', String(m.depth)),
        fact('Services', h('span', { class: 'chips' }, m.services.map((s) =>
          h('span', { class: 'chip' + (s.errors ? ' error' : ''), style: { '--svc': s.color }, title: `${plural(s.spans, 'span')}${s.errors ? `, ${plural(s.errors, 'error')}` : ''}` },
            h('span', { class: 'dot' }), s.name, h('span', { class: 'count' }, String(s.spans)))))),
        m.warnings.length ? fact('Warnings', h('span', { class: 'error-count', title: m.warnings.join('\n') }, String(m.warnings.length))) : null));
  }

  // ---- rows ------------------------------------------------------------------------------

  /** Recomputes the visible rows (collapse, matches only) and redraws. */
  refresh(recount) {
    if (recount) {
      const m = this.model;
      if (this.matchesOnly && this.query) {
        this.visible = m.order.filter((s) => this.matchSet.has(s));
      } else {
        const out = [];
        for (let i = 0; i < m.order.length; i++) {
          const span = m.order[i];
          out.push(span);
          if (this.collapsed.has(span)) i += span.descendants;
        }
        this.visible = out;
      }
      this.rowOf = new Map(this.visible.map((s, i) => [s, i]));
      this.rows.setCount(this.visible.length);
    } else {
      this.rows.render(true);
    }
  }

  renderRow(i) {
    const span = this.visible[i];
    const m = this.model;
    const total = m.duration || 1;
    const left = ((span.start - m.start) / total) * 100;
    const width = (span.duration / total) * 100;
    const collapsed = this.collapsed.has(span);
    const leaf = span.children.length === 0;
    const onPath = this.model.criticalPath.get(span.id);
    const classes = ['span-row'];
    if (span.error) classes.push('error');
    if (span === this.selected) classes.push('selected');
    if (this.query && this.matchSet.has(span)) classes.push('match');
    if (this.critical && !onPath) classes.push('dim');

    const bar = h('div', {
      class: 'bar',
      style: { left: `${pct(left)}%`, width: `${pct(width)}%` },
      dataset: { startUs: String(span.start - m.start), durationUs: String(span.duration) },
      title: `${duration(span.duration)} (self ${duration(span.selfTime)})`,
    });
    if (this.critical && onPath && span.duration > 0) {
      for (const [from, to] of onPath) {
        bar.appendChild(h('i', { class: 'cp', style: { left: `${pct(((from - span.start) / span.duration) * 100)}%`, width: `${pct(((to - from) / span.duration) * 100)}%` } }));
      }
    }
    // The label goes where there is room: after the bar, before it, or inside a long bar.
    const end = left + width;
    let labelStyle;
    let labelClass = 'bar-label';
    if (end < 78) labelStyle = { left: `calc(${pct(end)}% + 6px)` };
    else if (left > 22) labelStyle = { right: `calc(${pct(100 - left)}% + 6px)` };
    else {
      labelStyle = { right: `calc(${pct(100 - end)}% + 6px)` };
      labelClass += ' inside';
    }
    const label = h('span', { class: labelClass, style: labelStyle },
      duration(span.duration),
      span.selfTime !== span.duration ? h('span', { class: 'self' }, ` · self ${duration(span.selfTime)}`) : null);

    const toggle = h('button', {
      type: 'button',
      class: 'toggle' + (leaf ? ' leaf' : ''),
      tabindex: '-1',
      'aria-label': collapsed ? 'Expand' : 'Collapse',
      onclick: (e) => { e.stopPropagation(); this.toggle(span); },
    }, collapsed ? '▸' : '▾');

    return h('div', {
      class: classes.join(' '),
      role: 'treeitem',
      'aria-level': String(span.depth + 1),
      'aria-expanded': leaf ? null : String(!collapsed),
      'aria-selected': String(span === this.selected),
      dataset: { spanId: span.id, index: String(i), depth: String(span.depth) },
      style: { '--svc': span.color },
      onclick: () => this.select(span, { reveal: false, updateUrl: true }),
    },
    h('div', { class: 'span-name', title: `${span.service}: ${span.operation}` },
      h('span', { class: 'indent', style: { width: `${span.depth * 14}px` } }),
      toggle,
      h('span', { class: 'dot' }),
      h('span', { class: 'svc' }, span.service),
      h('span', { class: 'op' }, span.operation),
      span.error ? h('span', { class: 'warn', title: 'Error' }, '!') : null,
      collapsed ? h('span', { class: 'kids' }, `+${span.descendants}`) : null),
    h('div', { class: 'span-bar-cell' }, bar, label));
  }

  toggle(span) {
    if (!span.children.length) return;
    if (this.collapsed.has(span)) this.collapsed.delete(span);
    else this.collapsed.add(span);
    this.refresh(true);
  }

  collapseAll() {
    for (const span of this.model.spans) if (span.children.length && span.depth >= 1) this.collapsed.add(span);
    this.refresh(true);
  }

  expandAll() {
    this.collapsed.clear();
    this.refresh(true);
  }

  /** Opens every collapsed ancestor of `span`. */
  expandTo(span) {
    let changed = false;
    for (let p = span.parent; p; p = p.parent) {
      if (this.collapsed.delete(p)) changed = true;
    }
    if (changed) this.refresh(true);
  }

  // ---- selection and the side panel --------------------------------------------------------

  select(span, { reveal, updateUrl }) {
    this.selected = span;
    if (span) {
      if (!(this.matchesOnly && this.query)) this.expandTo(span);
      const row = this.rowOf.get(span);
      if (reveal && row !== undefined) this.rows.reveal(row);
      else this.refresh(false);
      this.showPanel(span);
    } else {
      this.panel.hidden = true;
      this.refresh(false);
    }
    if (updateUrl) this.syncUrl();
  }

  showPanel(span) {
    const m = this.model;
    const raw = span.raw;
    const tags = raw.tags || [];
    const tag = (key) => tags.find((t) => t.key === key)?.value;
    const status = tag('otel.status_code');
    const links = (raw.references || []).filter((r) => r.refType === 'FOLLOWS_FROM');
    const logs = raw.logs || [];
    const processTags = span.process.tags || [];

    this.panel.dataset.spanId = span.id;
    replace(this.panel,
      h('div', { class: 'side-head' },
        h('h2', {}, span.operation),
        h('div', { class: 'svc-line', style: { '--svc': span.color } }, h('span', { class: 'dot' }), span.service, span.kind ? ` · ${span.kind}` : ''),
        h('button', { type: 'button', class: 'icon-button close', title: 'Close (Esc)', 'aria-label': 'Close', onclick: () => this.select(null, { updateUrl: true }) }, icon('close'))),
      h('div', { class: 'side-body' },
        h('dl', { class: 'kv' },
          dt('Span ID'), h('dd', {}, h('code', {}, span.id), ' ',
            h('button', { type: 'button', class: 'copy', title: 'Copy a link to this span', 'aria-label': 'Copy a link to this span', onclick: (e) => copy(window.location.href, e.currentTarget) }, icon('link'))),
          dt('Parent'), h('dd', {}, span.parent
            ? h('a', { href: `?span=${span.parent.id}`, onclick: (e) => { e.preventDefault(); this.select(span.parent, { reveal: true, updateUrl: true }); } }, `${span.parent.operation} `, h('code', {}, span.parent.id))
            : span.parentId ? h('span', { class: 'status-error' }, `${span.parentId} (not stored)`) : '— (root)'),
          dt('Start'), h('dd', {}, `+${duration(span.start - m.start)}`, h('span', { class: 'mono', style: { color: 'var(--faint)' } }, `  ${dateTime(span.start)}`)),
          dt('Duration'), h('dd', {}, duration(span.duration)),
          dt('Self time'), h('dd', {}, duration(span.selfTime), span.children.length ? ` (${plural(span.children.length, 'child', 'children')})` : ''),
          status ? [dt('Status'), h('dd', { class: status === 'ERROR' ? 'status-error' : 'status-ok' }, status, tag('otel.status_description') ? ` — ${tag('otel.status_description')}` : '')] : null,
          span.error && !status ? [dt('Status'), h('dd', { class: 'status-error' }, 'error')] : null),
        (raw.warnings || []).length ? h('ul', { class: 'warning-list' }, raw.warnings.map((w) => h('li', {}, w))) : null,
        section('Attributes', tags.length, attributeTable(tags)),
        section('Events', logs.length, logs.map((log) => h('div', { class: 'event' },
          h('div', {}, h('span', { class: 'at' }, `+${duration(log.timestamp - m.start)} `),
            h('span', { class: 'name' }, (log.fields || []).find((f) => f.key === 'event')?.value || 'log')),
          attributeTable((log.fields || []).filter((f) => f.key !== 'event'))))),
        section('Links', links.length, links.map((r) => h('div', { class: 'event' },
          r.traceID === m.traceId && m.byId.has(r.spanID)
            ? h('a', { href: `?span=${r.spanID}`, onclick: (e) => { e.preventDefault(); this.select(m.byId.get(r.spanID), { reveal: true, updateUrl: true }); } }, `${m.byId.get(r.spanID).operation} `, h('code', {}, r.spanID))
            : h('a', { href: `/trace/${encodeURIComponent(r.traceID)}?span=${encodeURIComponent(r.spanID)}` }, h('code', {}, `${r.traceID} / ${r.spanID}`))))),
        section('Process', processTags.length + 1, attributeTable([{ key: 'service.name', type: 'string', value: span.service }, ...processTags]), false)));
    this.panel.hidden = false;
  }

  // ---- find -------------------------------------------------------------------------------

  scheduleFind() {
    clearTimeout(this.findTimer);
    this.findTimer = setTimeout(() => this.applyFind(true), 120);
  }

  applyFind(updateUrl = false) {
    this.query = this.findInput.value.trim().toLowerCase();
    const terms = this.query.split(/\s+/).filter(Boolean);
    this.matches = terms.length ? this.model.order.filter((s) => terms.every((t) => searchText(s).includes(t))) : [];
    this.matchSet = new Set(this.matches);
    this.matchIndex = -1;
    this.countLabel.textContent = this.query ? (this.matches.length ? plural(this.matches.length, 'match', 'matches') : 'no matches') : '';
    this.refresh(true);
    if (updateUrl) this.syncUrl();
  }

  stepMatch(direction) {
    if (!this.matches.length) return;
    this.matchIndex = (this.matchIndex + direction + this.matches.length) % this.matches.length;
    this.countLabel.textContent = `${this.matchIndex + 1} of ${this.matches.length}`;
    this.select(this.matches[this.matchIndex], { reveal: true, updateUrl: true });
  }

  toggleCritical() {
    this.critical = !this.critical;
    this.criticalButton.setAttribute('aria-pressed', String(this.critical));
    this.refresh(false);
    this.syncUrl();
  }

  // ---- keyboard ---------------------------------------------------------------------------

  onKey(e) {
    if (e.metaKey || e.ctrlKey || e.altKey) return;
    if (typing(e)) return;
    const move = (step) => {
      const at = this.selected ? this.rowOf.get(this.selected) ?? -1 : -1;
      const next = Math.min(Math.max(at + step, 0), this.visible.length - 1);
      if (next >= 0) this.select(this.visible[next], { reveal: true, updateUrl: true });
    };
    const s = this.selected;
    switch (e.key) {
      case '/': this.findInput.focus(); break;
      case 'j': case 'ArrowDown': move(1); break;
      case 'k': case 'ArrowUp': move(-1); break;
      case 'h': case 'ArrowLeft':
        if (s && s.children.length && !this.collapsed.has(s)) this.toggle(s);
        else if (s && s.parent) this.select(s.parent, { reveal: true, updateUrl: true });
        break;
      case 'l': case 'ArrowRight':
        if (s && this.collapsed.has(s)) this.toggle(s);
        else if (s && s.children.length) this.select(s.children[0], { reveal: true, updateUrl: true });
        break;
      case 'Home': if (this.visible.length) this.select(this.visible[0], { reveal: true, updateUrl: true }); break;
      case 'End': if (this.visible.length) this.select(this.visible[this.visible.length - 1], { reveal: true, updateUrl: true }); break;
      case 'Escape': if (s) this.select(null, { updateUrl: true }); else if (this.query) { this.findInput.value = ''; this.applyFind(true); } break;
      case 'c': this.toggleCritical(); break;
      case 'n': this.stepMatch(1); break;
      case 'N': this.stepMatch(-1); break;
      case '[': this.collapseAll(); break;
      case ']': this.expandAll(); break;
      default: return;
    }
    e.preventDefault();
  }
}

/** Keyboard shortcuts of this page, for the help box. */
export const SHORTCUTS = [
  ['/', 'find spans'],
  ['↑ ↓  j k', 'previous / next span'],
  ['← →  h l', 'collapse / expand, or go to parent / child'],
  ['n  N', 'next / previous match'],
  ['c', 'critical path'],
  ['[  ]', 'collapse / expand all'],
  ['Esc', 'close the details, clear find'],
];

function pct(x) {
  return Math.max(0, Math.round(x * 10000) / 10000);
}

function fact(label, value) {
  return h('div', {}, h('dt', {}, label), h('dd', {}, value));
}

function dt(text) {
  return h('dt', {}, text);
}

function section(title, n, body, open = true) {
  return h('details', { open: open && n > 0 ? true : null },
    h('summary', {}, title, h('span', { class: 'n' }, `(${n})`)),
    n ? body : h('p', { class: 'zero' }, 'none'));
}

function attributeTable(items) {
  return h('table', { class: 'attrs' },
    h('tbody', {}, items.map((t) => h('tr', { dataset: { key: t.key } },
      h('td', {}, t.key),
      h('td', { class: `t-${t.type || 'string'}` }, valueText(t.value))))));
}

function valueText(value) {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (typeof value === 'string' && /^[[{]/.test(value)) {
    try {
      return h('pre', {}, JSON.stringify(JSON.parse(value), null, 2));
    } catch {
      // Not JSON after all.
    }
  }
  return text;
}
