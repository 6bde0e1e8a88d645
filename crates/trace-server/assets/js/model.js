// A trace in Jaeger's JSON as the waterfall needs it: spans in tree order with depths, self
// times, the critical path, services and colours. Every span is placed exactly once whatever the
// input (missing parents go to the top, parent loops are cut), as the server's own tree does.

import { serviceColor } from './format.js';

export function buildModel(trace) {
  const processes = trace.processes || {};
  const spans = (trace.spans || []).map((raw, index) => {
    const process = processes[raw.processID] || { serviceName: 'unknown_service', tags: [] };
    const tags = raw.tags || [];
    const parent = (raw.references || []).find((r) => r.refType === 'CHILD_OF' && (!r.traceID || r.traceID === trace.traceID));
    return {
      index,
      id: raw.spanID,
      raw,
      service: process.serviceName,
      process,
      operation: raw.operationName,
      start: raw.startTime,
      duration: raw.duration,
      end: raw.startTime + raw.duration,
      parentId: parent ? parent.spanID : null,
      error: tags.some((t) => t.key === 'error' && (t.value === true || t.value === 'true')),
      kind: tags.find((t) => t.key === 'span.kind')?.value || '',
      color: serviceColor(process.serviceName),
      children: [],
      parent: null,
      depth: 0,
      selfTime: raw.duration,
      descendants: 0,
      text: null,
    };
  });

  const byId = new Map();
  for (const span of spans) if (!byId.has(span.id)) byId.set(span.id, span);

  const tops = [];
  for (const span of spans) {
    const parent = span.parentId && span.parentId !== span.id ? byId.get(span.parentId) : null;
    if (parent && parent !== span) {
      span.parent = parent;
      parent.children.push(span);
    } else {
      span.missingParent = Boolean(span.parentId);
      tops.push(span);
    }
  }
  const byStart = (a, b) => a.start - b.start || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  for (const span of spans) span.children.sort(byStart);
  tops.sort(byStart);

  // Depth-first, with an explicit stack (deep traces must not overflow the call stack).
  const order = [];
  const seen = new Set();
  const walk = (top) => {
    const stack = [[top, 0]];
    while (stack.length) {
      const [span, depth] = stack.pop();
      if (seen.has(span)) continue;
      seen.add(span);
      span.depth = depth;
      order.push(span);
      for (let i = span.children.length - 1; i >= 0; i--) stack.push([span.children[i], depth + 1]);
    }
  };
  tops.forEach(walk);
  // Whatever is left hangs off a parent loop: cut it at its earliest span.
  for (const span of [...spans].sort(byStart)) {
    if (!seen.has(span)) {
      span.cycle = true;
      if (span.parent) span.parent.children = span.parent.children.filter((c) => c !== span);
      span.parent = null;
      tops.push(span);
      walk(span);
    }
  }
  order.forEach((span, position) => { span.position = position; });
  for (let i = order.length - 1; i >= 0; i--) {
    const span = order[i];
    if (span.parent) span.parent.descendants += span.descendants + 1;
  }

  // Loops, not Math.min(...spans): spreading 200,000 arguments overflows the stack.
  let start = spans.length ? Infinity : 0;
  let end = spans.length ? -Infinity : 0;
  for (const span of spans) {
    if (span.start < start) start = span.start;
    if (span.end > end) end = span.end;
  }
  for (const span of spans) span.selfTime = selfTime(span);

  const services = new Map();
  for (const span of spans) {
    const entry = services.get(span.service) || { name: span.service, color: span.color, spans: 0, errors: 0 };
    entry.spans += 1;
    if (span.error) entry.errors += 1;
    services.set(span.service, entry);
  }

  const root = tops[0] || null;
  return {
    traceId: trace.traceID,
    raw: trace,
    spans,
    byId,
    order,
    tops,
    root,
    start,
    end,
    duration: Math.max(end - start, 0),
    depth: order.reduce((max, s) => Math.max(max, s.depth + 1), 0),
    errors: spans.filter((s) => s.error).length,
    services: [...services.values()],
    warnings: trace.warnings || [],
    criticalPath: root ? criticalPath(root) : new Map(),
  };
}

/** The span's duration minus the time its children cover (clipped to the span). */
function selfTime(span) {
  const parts = span.children
    .map((c) => [Math.max(c.start, span.start), Math.min(c.end, span.end)])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let covered = 0;
  let cursor = span.start;
  for (const [a, b] of parts) {
    if (b <= cursor) continue;
    covered += b - Math.max(a, cursor);
    cursor = b;
  }
  return Math.max(span.duration - covered, 0);
}

/**
 * The critical path from `root`: the chain of work the trace waited on. Going back from the
 * root's end, the last child to finish before the current point is what the parent waited for;
 * the gaps between such children are the parent's own work (Jaeger UI's algorithm). Returns,
 * per span id, the [start, end] sections on the path.
 */
export function criticalPath(root) {
  const sections = new Map();
  const add = (span, from, to) => {
    if (to <= from) return;
    if (!sections.has(span.id)) sections.set(span.id, []);
    sections.get(span.id).push([from, to]);
  };
  // Per span: its children clipped to it, latest end first, and how far the scan got. The
  // bound only moves earlier while a span is current, so each child is looked at once.
  const kids = new Map();
  const candidates = (span) => {
    if (!kids.has(span)) {
      const list = span.children
        .map((child) => ({ child, start: Math.max(child.start, span.start), end: Math.min(child.end, span.end) }))
        .sort((a, b) => b.end - a.end);
      kids.set(span, { list, next: 0 });
    }
    return kids.get(span);
  };
  const stack = [];
  let span = root;
  let bound = root.end;
  for (;;) {
    const scan = candidates(span);
    let picked = null;
    while (scan.next < scan.list.length) {
      const c = scan.list[scan.next++];
      if (c.end <= bound && c.start < bound) {
        picked = c;
        break;
      }
    }
    if (picked) {
      add(span, picked.end, bound);
      stack.push([span, picked.start]);
      span = picked.child;
      bound = picked.end;
    } else {
      add(span, span.start, bound);
      if (!stack.length) break;
      [span, bound] = stack.pop();
    }
  }
  return sections;
}

/** Lower-cased text of everything findable in a span: names, ids, tag and log values. */
export function searchText(span) {
  if (span.text === null) {
    const parts = [span.service, span.operation, span.id];
    for (const t of span.raw.tags || []) parts.push(t.key, String(t.value));
    for (const log of span.raw.logs || []) for (const f of log.fields || []) parts.push(f.key, String(f.value));
    for (const t of span.process.tags || []) parts.push(t.key, String(t.value));
    span.text = parts.join('\u0000').toLowerCase();
  }
  return span.text;
}
