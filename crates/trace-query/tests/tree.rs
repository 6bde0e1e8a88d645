//! Tree assembly: parent ids, orphans, loops, duplicates, events and links, summaries.

use serde_json::Map;
use trace_query::{Placement, Span, SpanEvent, SpanLink, Trace, TraceId, assemble};

fn id() -> TraceId {
    TraceId::parse("00000000000000020000000000000001").unwrap()
}

fn span(span_id: &str, parent: Option<&str>, start_ns: i64, duration_ns: i64) -> Span {
    Span {
        parent_span_id: parent.map(Into::into),
        service: Some("svc".into()),
        ..Span::new(span_id, format!("op-{span_id}"), start_ns, duration_ns)
    }
}

fn event(time_ns: i64, name: &str) -> SpanEvent {
    SpanEvent {
        time_ns,
        name: Some(name.into()),
        body: None,
        severity: None,
        attributes: Map::new(),
    }
}

/// The tree as (span id, depth, placement) in display order.
fn shape(trace: &Trace) -> Vec<(String, usize, Placement)> {
    trace
        .tree
        .iter()
        .map(|e| (trace.spans[e.span].span_id.clone(), e.depth, e.placement))
        .collect()
}

fn row(id: &str, depth: usize, placement: Placement) -> (String, usize, Placement) {
    (id.to_owned(), depth, placement)
}

#[test]
fn nested_tree_in_start_order_whatever_the_input_order() {
    let spans = vec![
        span("c2", Some("b"), 40, 5),
        span("b", Some("a"), 10, 50),
        span("a", None, 0, 100),
        span("c1", Some("b"), 20, 5),
        span("d", Some("a"), 70, 10),
    ];
    let trace = assemble(id(), spans, vec![], vec![], vec![]);
    use Placement::*;
    assert_eq!(
        shape(&trace),
        [
            row("a", 0, Root),
            row("b", 1, Child),
            row("c1", 2, Child),
            row("c2", 2, Child),
            row("d", 1, Child),
        ]
    );
    let starts: Vec<i64> = trace.spans.iter().map(|s| s.start_ns).collect();
    assert_eq!(starts, [0, 10, 20, 40, 70]);
    assert_eq!(
        (trace.start_ns(), trace.end_ns(), trace.duration_ns()),
        (0, 100, 100)
    );
}

#[test]
fn missing_parents_and_several_roots_are_shown_at_top_level() {
    let spans = vec![
        span("orphan", Some("gone"), 5, 10),
        span("root", None, 0, 100),
        span("child-of-orphan", Some("orphan"), 6, 2),
        span("second-root", None, 50, 10),
    ];
    let trace = assemble(id(), spans, vec![], vec![], vec![]);
    use Placement::*;
    assert_eq!(
        shape(&trace),
        [
            row("root", 0, Root),
            row("orphan", 0, MissingParent),
            row("child-of-orphan", 1, Child),
            row("second-root", 0, Root),
        ]
    );
}

#[test]
fn loops_are_cut_and_every_span_appears_once() {
    let spans = vec![
        span("x", Some("z"), 10, 1),
        span("y", Some("x"), 20, 1),
        span("z", Some("y"), 30, 1),
        span("self", Some("self"), 5, 1),
        span("under-y", Some("y"), 25, 1),
    ];
    let trace = assemble(id(), spans, vec![], vec![], vec![]);
    use Placement::*;
    assert_eq!(
        shape(&trace),
        [
            row("self", 0, Cycle),
            row("x", 0, Cycle),
            row("y", 1, Child),
            row("under-y", 2, Child),
            row("z", 2, Child),
        ]
    );
}

#[test]
fn duplicate_span_ids_are_kept_and_children_attach_to_the_first() {
    let spans = vec![
        span("a", None, 0, 10),
        span("a", None, 5, 10),
        span("b", Some("a"), 6, 1),
    ];
    let trace = assemble(id(), spans, vec![], vec![], vec![]);
    use Placement::*;
    assert_eq!(
        shape(&trace),
        [row("a", 0, Root), row("b", 1, Child), row("a", 0, Root)]
    );
}

#[test]
fn deep_chains_do_not_overflow_the_stack() {
    let n = 100_000;
    let mut spans = vec![span("s0", None, 0, n)];
    for i in 1..n {
        spans.push(span(&format!("s{i}"), Some(&format!("s{}", i - 1)), i, 1));
    }
    let trace = assemble(id(), spans, vec![], vec![], vec![]);
    assert_eq!(trace.tree.len(), n as usize);
    assert_eq!(trace.tree.last().unwrap().depth, n as usize - 1);
}

#[test]
fn events_and_links_attach_by_span_id_and_strays_are_kept() {
    let link = |to: &str| SpanLink {
        linked_trace_id: "00000000000000020000000000000002".into(),
        linked_span_id: to.into(),
        trace_state: None,
        attributes: Map::new(),
    };
    let trace = assemble(
        id(),
        vec![span("a", None, 0, 100), span("b", Some("a"), 10, 10)],
        vec![
            ("b".into(), event(15, "second")),
            ("b".into(), event(12, "first")),
            ("nope".into(), event(1, "stray")),
        ],
        vec![
            ("a".into(), link("0000000000000003")),
            ("ghost".into(), link("0000000000000004")),
        ],
        vec!["a spans row without span_id".into()],
    );
    let b = trace.spans.iter().find(|s| s.span_id == "b").unwrap();
    let names: Vec<_> = b
        .events
        .iter()
        .map(|e| e.name.as_deref().unwrap())
        .collect();
    assert_eq!(names, ["first", "second"], "events sorted by time");
    assert_eq!(trace.spans[0].links.len(), 1);
    assert_eq!(trace.unattached_events.len(), 1);
    assert_eq!(trace.unattached_links[0].0, "ghost");
    assert_eq!(trace.skipped_rows.len(), 1);
}

#[test]
fn summary_uses_the_root_or_else_the_earliest_span() {
    let mut error = span("b", Some("a"), 10, 200);
    error.status_code = Some("Error".into());
    let mut root = span("a", None, 0, 100);
    root.service = Some("frontend".into());
    let trace = assemble(id(), vec![error, root], vec![], vec![], vec![]);
    let summary = trace.summary();
    assert_eq!(summary.root_service.as_deref(), Some("frontend"));
    assert_eq!(summary.root_span_name.as_deref(), Some("op-a"));
    assert_eq!(
        (summary.start_ns, summary.duration_ns, summary.span_count),
        (0, 210, 2)
    );
    assert!(summary.has_error);

    let orphans = assemble(
        id(),
        vec![
            span("late", Some("x"), 50, 1),
            span("early", Some("x"), 40, 1),
        ],
        vec![],
        vec![],
        vec![],
    );
    let summary = orphans.summary();
    assert_eq!(summary.root_span_name.as_deref(), Some("op-early"));
    assert!(!summary.has_error);
}
