//! Assembling spans into a tree by parent id.
//!
//! Stored traces are often incomplete (a parent outside the time range, a service that never
//! exported) and sometimes corrupt (duplicate span ids, parent chains that loop). Every span is
//! shown exactly once whatever the input: a span whose parent is missing goes to the top level,
//! and a loop is cut at its earliest span.

use std::collections::HashMap;

use crate::model::{Placement, Span, SpanEvent, SpanLink, Trace, TraceId, TreeEntry};

/// Builds a [`Trace`]: spans sorted by start time, events and links attached to their spans by
/// span id (those that match none are kept apart), and the display tree.
pub fn assemble(
    trace_id: TraceId,
    mut spans: Vec<Span>,
    events: Vec<(String, SpanEvent)>,
    links: Vec<(String, SpanLink)>,
    skipped_rows: Vec<String>,
) -> Trace {
    spans.sort_by(|a, b| (a.start_ns, &a.span_id).cmp(&(b.start_ns, &b.span_id)));

    // The first span with an id owns it: children and events attach there.
    let mut by_id: HashMap<&str, usize> = HashMap::with_capacity(spans.len());
    for (i, span) in spans.iter().enumerate() {
        by_id.entry(span.span_id.as_str()).or_insert(i);
    }
    let by_id: HashMap<String, usize> = by_id.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();

    let mut unattached_events = Vec::new();
    for (span_id, event) in events {
        match by_id.get(&span_id) {
            Some(&i) => spans[i].events.push(event),
            None => unattached_events.push((span_id, event)),
        }
    }
    let mut unattached_links = Vec::new();
    for (span_id, link) in links {
        match by_id.get(&span_id) {
            Some(&i) => spans[i].links.push(link),
            None => unattached_links.push((span_id, link)),
        }
    }
    for span in &mut spans {
        span.events.sort_by_key(|e| e.time_ns);
    }

    let tree = build_tree(&spans, &by_id);
    Trace {
        trace_id,
        spans,
        tree,
        unattached_events,
        unattached_links,
        skipped_rows,
    }
}

fn build_tree(spans: &[Span], by_id: &HashMap<String, usize>) -> Vec<TreeEntry> {
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); spans.len()];
    let mut tops: Vec<(usize, Placement)> = Vec::new();
    for (i, span) in spans.iter().enumerate() {
        match span.parent_span_id.as_deref() {
            None => tops.push((i, Placement::Root)),
            // Spans are in start order, so each children list is too.
            Some(parent) => match by_id.get(parent) {
                Some(&p) => children[p].push(i),
                None => tops.push((i, Placement::MissingParent)),
            },
        }
    }

    let mut visited = vec![false; spans.len()];
    let mut tree = Vec::with_capacity(spans.len());
    for (top, placement) in tops {
        walk(top, placement, &children, &mut visited, &mut tree);
    }
    // What is left hangs off a loop (a span that is its own ancestor, or a self-parent): cut
    // the loop at its earliest span.
    for i in 0..spans.len() {
        if !visited[i] {
            walk(i, Placement::Cycle, &children, &mut visited, &mut tree);
        }
    }
    tree
}

/// Depth-first from `top` with an explicit stack (deep traces must not overflow the thread's).
fn walk(
    top: usize,
    placement: Placement,
    children: &[Vec<usize>],
    visited: &mut [bool],
    tree: &mut Vec<TreeEntry>,
) {
    let mut stack = vec![(top, 0usize, placement)];
    while let Some((span, depth, placement)) = stack.pop() {
        if visited[span] {
            continue;
        }
        visited[span] = true;
        tree.push(TreeEntry {
            span,
            depth,
            placement,
        });
        for &child in children[span].iter().rev() {
            if !visited[child] {
                stack.push((child, depth + 1, Placement::Child));
            }
        }
    }
}
