//! The terminal views: trace list table and waterfall.

use serde_json::{Map, json};
use trace_query::{Span, SpanEvent, SpanLink, TraceId, TraceSummary, assemble};

use super::{WaterfallOptions, format_duration, render_trace_list, render_waterfall, time_bar};

fn span(span_id: &str, parent: Option<&str>, name: &str, start_ns: i64, duration_ns: i64) -> Span {
    let service = if parent.is_some() {
        "backend"
    } else {
        "frontend"
    };
    Span {
        parent_span_id: parent.map(Into::into),
        service: Some(service.into()),
        ..Span::new(span_id, name, start_ns, duration_ns)
    }
}

#[test]
fn durations_for_people() {
    assert_eq!(format_duration(0), "0ns");
    assert_eq!(format_duration(850), "850ns");
    assert_eq!(format_duration(12_345), "12.3µs");
    assert_eq!(format_duration(45_600_000), "45.6ms");
    assert_eq!(format_duration(1_234_000_000), "1.23s");
    assert_eq!(format_duration(123_000_000_000), "2m03s");
    assert_eq!(format_duration(-1_500), "-1.5µs");
}

#[test]
fn bars_are_proportional_and_never_empty() {
    let s = |start, duration| span("x", None, "x", start, duration);
    assert_eq!(time_bar(0, 100, &s(0, 100), 10), "██████████");
    assert_eq!(time_bar(0, 100, &s(0, 50), 10), "█████     ");
    assert_eq!(time_bar(0, 100, &s(50, 50), 10), "     █████");
    assert_eq!(time_bar(0, 100, &s(25, 10), 10), "  ██      ");
    assert_eq!(time_bar(0, 100, &s(99, 0), 10), "         █");
    assert_eq!(time_bar(0, 100, &s(0, 0), 10), "█         ");
    // A span that outlives the trace window is clipped, not overflowed.
    assert_eq!(time_bar(0, 100, &s(90, 500), 10).chars().count(), 10);
    assert_eq!(time_bar(0, 0, &s(0, 0), 4), "████");
    assert_eq!(time_bar(0, 100, &s(0, 100), 0), "");
}

#[test]
fn trace_list_table() {
    let list = [
        TraceSummary {
            trace_id: TraceId::parse("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
            start_ns: 1_764_028_800_123_000_000,
            root_service: Some("frontend".into()),
            root_span_name: Some("GET /api/orders".into()),
            duration_ns: 120_500_000,
            span_count: 5,
            has_error: true,
            error_count: 1,
            services: Vec::new(),
        },
        TraceSummary {
            trace_id: TraceId::parse("00000000000000020000000000000001").unwrap(),
            start_ns: 1_764_028_700_000_000_000,
            root_service: None,
            root_span_name: None,
            duration_ns: 900,
            span_count: 1,
            has_error: false,
            error_count: 0,
            services: Vec::new(),
        },
    ];
    assert_eq!(
        render_trace_list(&list),
        "\
TRACE ID                          START (UTC)              SERVICE   ROOT SPAN        DURATION  SPANS  ERROR
4bf92f3577b34da6a3ce929d0e0e4736  2025-11-25 00:00:00.123  frontend  GET /api/orders  120.5ms   5      ERROR
00000000000000020000000000000001  2025-11-24 23:58:20.000  -         -                900ns     1
"
    );
    assert_eq!(render_trace_list(&[]), "no traces found\n");
}

#[test]
fn waterfall_with_tree_offsets_bars_status_and_details() {
    let t0 = 1_764_028_800_000_000_000;
    let mut root = span("a", None, "GET /cart", t0, 100_000_000);
    root.attributes.insert("http.method".into(), json!("GET"));
    root.attributes
        .insert("http.status_code".into(), json!(500));
    root.status_code = Some("Error".into());
    root.status_message = Some("upstream failed".into());
    let db = span("b", Some("a"), "SELECT cart", t0 + 10_000_000, 50_000_000);
    let orphan = span(
        "c",
        Some("zzz"),
        "late callback",
        t0 + 50_000_000,
        50_000_000,
    );
    let event = SpanEvent {
        time_ns: t0 + 20_000_000,
        name: Some("cache miss".into()),
        body: None,
        severity: None,
        attributes: json!({"key": "cart:1"}).as_object().unwrap().clone(),
    };
    let link = SpanLink {
        linked_trace_id: "00000000000000020000000000000002".into(),
        linked_span_id: "0000000000000009".into(),
        trace_state: None,
        attributes: Map::new(),
    };
    let trace = assemble(
        TraceId::parse("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
        vec![db, orphan, root],
        vec![("b".into(), event)],
        vec![("a".into(), link)],
        vec![],
    );
    let options = WaterfallOptions {
        bar_width: 10,
        details: false,
    };
    assert_eq!(
        render_waterfall(&trace, &options),
        "\
trace 4bf92f3577b34da6a3ce929d0e0e4736  started 2025-11-25T00:00:00.000Z  duration 100.0ms  3 spans  2 services  1 with errors

SPAN                            SERVICE   START    DURATION  TIMELINE      STATUS
GET /cart                       frontend  +0ns     100.0ms   |██████████|  ERROR upstream failed
  SELECT cart                   backend   +10.0ms  50.0ms    | █████    |
late callback [parent missing]  backend   +50.0ms  50.0ms    |     █████|
"
    );
    let detailed = render_waterfall(
        &trace,
        &WaterfallOptions {
            bar_width: 10,
            details: true,
        },
    );
    for expected in [
        "    attributes:\n      http.method = GET\n      http.status_code = 500\n",
        "    link -> trace 00000000000000020000000000000002 span 0000000000000009\n",
        "      span_id b  parent a\n",
        "      +20.0ms event cache miss\n        key = cart:1\n",
        "    span_id c  parent zzz\n",
    ] {
        assert!(
            detailed.contains(expected),
            "missing {expected:?} in\n{detailed}"
        );
    }
    assert!(detailed.contains("    span_id a\n"), "{detailed}");
}
