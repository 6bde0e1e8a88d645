//! The built-in viewer in a real browser (Debian's `chromium-headless-shell`), over the real
//! API on a real influxd: the page's scripts run, then the DOM is checked.
//!
//! One influxd and one server for the whole file (they live until the test process exits);
//! one browser run per test. Screenshots are kept under `target/tmp/viewer-screenshots/`.

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use common::*;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use test_support::InfluxServer;
use test_support::browser::{Browser, Page};
use trace_server::TraceServerConfig;

/// A trace of 10,000 spans: a root, 99 children, 100 grandchildren each.
const TRACE_LARGE: &str = "1a2b3c4d5e6f708192a3b4c5d6e7f801";

struct Fixture {
    // Kept alive for the whole test process.
    _influx: InfluxServer,
    server: TestServer,
    browser: Browser,
    t0: i64,
}

/// The shared fixture, or `None` when influxd or the browser is missing (and `CI` is not set).
fn fixture() -> Option<&'static Fixture> {
    static FIXTURE: OnceLock<Option<Fixture>> = OnceLock::new();
    FIXTURE
        .get_or_init(|| {
            let browser = Browser::find()?;
            let influx = InfluxServer::try_start()?;
            let t0 = t0();
            write(&influx, &known_traces(t0));
            write(&influx, &shop_traces(t0));
            write(&influx, &large_trace(t0 + 30_000 * MS));
            let server = TestServer::start(trace_server::router(
                store(&influx),
                TraceServerConfig::default(),
            ));
            Some(Fixture {
                _influx: influx,
                server,
                browser,
                t0,
            })
        })
        .as_ref()
}

/// Eight more traces of a shop, before `t0`: `web` calls `auth`, `inventory` and, every other
/// time, `backend` (a query and its retries); some fail in `inventory`.
fn shop_traces(t0: i64) -> ExportTraceServiceRequest {
    let mut web = Vec::new();
    let mut auth = Vec::new();
    let mut backend = Vec::new();
    let mut inventory = Vec::new();
    for i in 0..SHOP_TRACES {
        let trace = shop_trace_id(i);
        let start = shop_trace_start(t0, i);
        let id = |n: u64| format!("{:014x}{:02x}", 0xf1_0000 + i as u64, n);
        let total = (40 + 35 * i as i64) * MS;
        let mut root = span(
            &trace,
            &id(1),
            None,
            &format!("GET /products/{}", 100 + i),
            2,
            start,
            total,
            vec![
                text("http.method", "GET"),
                attr(
                    "http.status_code",
                    opentelemetry_proto::tonic::common::v1::any_value::Value::IntValue(
                        if i % 3 == 0 { 503 } else { 200 },
                    ),
                ),
            ],
        );
        auth.push(span(
            &trace,
            &id(2),
            Some(&id(1)),
            "verify token",
            2,
            start + 2 * MS,
            6 * MS,
            vec![],
        ));
        auth.push(span(
            &trace,
            &id(3),
            Some(&id(2)),
            "redis GET session",
            3,
            start + 3 * MS,
            2 * MS,
            vec![],
        ));
        let mut reserve = span(
            &trace,
            &id(4),
            Some(&id(1)),
            "reserve stock",
            2,
            start + 10 * MS,
            total / 3,
            vec![],
        );
        if i % 3 == 0 {
            reserve.status = error_status("out of stock");
            root.status = error_status("inventory failed");
        }
        inventory.push(span(
            &trace,
            &id(5),
            Some(&id(4)),
            "UPDATE stock",
            3,
            start + 12 * MS,
            total / 4,
            vec![text("db.system", "postgres")],
        ));
        inventory.push(reserve);
        if i % 2 == 0 {
            let query_start = start + 10 * MS + total / 3;
            backend.push(span(
                &trace,
                &id(6),
                Some(&id(1)),
                "load product",
                2,
                query_start,
                total / 2,
                vec![],
            ));
            for retry in 0..3 {
                backend.push(span(
                    &trace,
                    &id(7 + retry),
                    Some(&id(6)),
                    "SELECT product",
                    3,
                    query_start + (1 + retry as i64 * 5) * MS,
                    4 * MS,
                    vec![text("db.system", "postgres")],
                ));
            }
        }
        web.push(root);
    }
    ExportTraceServiceRequest {
        resource_spans: vec![
            service("web", web),
            service("auth", auth),
            service("backend", backend),
            service("inventory", inventory),
        ],
    }
}

const SHOP_TRACES: usize = 8;

fn shop_trace_id(i: usize) -> String {
    format!("{:032x}", 0x5a0_0000 + i)
}

fn shop_trace_start(t0: i64, i: usize) -> i64 {
    t0 - (i as i64 + 1) * 37_000 * MS
}

fn large_trace(start: i64) -> ExportTraceServiceRequest {
    let id = |n: u64| format!("{:016x}", n + 1);
    let mut spans = vec![span(
        TRACE_LARGE,
        &id(0),
        None,
        "batch import",
        2,
        start,
        10_000 * MS,
        vec![],
    )];
    for child in 0..99u64 {
        let child_start = start + child as i64 * 100 * MS;
        spans.push(span(
            TRACE_LARGE,
            &id(1 + child),
            Some(&id(0)),
            &format!("import file {child}"),
            1,
            child_start,
            100 * MS,
            vec![],
        ));
        for leaf in 0..100u64 {
            spans.push(span(
                TRACE_LARGE,
                &id(100 + child * 100 + leaf),
                Some(&id(1 + child)),
                &format!("insert row {leaf}"),
                3,
                child_start + leaf as i64 * MS,
                MS,
                vec![],
            ));
        }
    }
    assert_eq!(spans.len(), 10_000);
    ExportTraceServiceRequest {
        resource_spans: vec![service("importer", spans)],
    }
}

fn screenshot(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("viewer-screenshots")
        .join(name)
}

fn open(fixture: &Fixture, path: &str, shot: &str) -> Page {
    let file = screenshot(shot);
    let page = fixture.browser.open(&fixture.server.url(path), Some(&file));
    eprintln!("{path}: {:?}, screenshot {}", page.took, file.display());
    assert!(
        page.dom.contains(r#"id="app" data-state="ready""#),
        "the page did not finish rendering {path}:\n{}\n{}",
        page.dom,
        page.log
    );
    page
}

// ---- a small reader of the serialised DOM --------------------------------------------------

/// A start tag: its attributes (entities decoded) and where it ends in the DOM text.
#[derive(Debug)]
struct Tag {
    attributes: Vec<(String, String)>,
    end: usize,
}

impl Tag {
    fn get(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `true` when the class list has `class` (always for an empty `class`).
    fn has_class(&self, class: &str) -> bool {
        class.is_empty()
            || self
                .get("class")
                .is_some_and(|c| c.split_whitespace().any(|c| c == class))
    }

    /// A percentage in the inline style (`left: 25%`).
    fn style_percent(&self, property: &str) -> f64 {
        let style = self.get("style").unwrap_or_default();
        let at = style
            .find(&format!("{property}: "))
            .unwrap_or_else(|| panic!("no {property} in style {style:?}"));
        let rest = &style[at + property.len() + 2..];
        rest[..rest.find('%').unwrap()].parse().unwrap()
    }
}

fn decode(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// Every start tag named `name` whose class list has `class` (any for ""), in document order.
fn tags(dom: &str, name: &str, class: &str) -> Vec<Tag> {
    let open = format!("<{name} ");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = dom[from..].find(&open) {
        let start = from + at + open.len();
        let end = start + dom[start..].find('>').unwrap();
        let tag = Tag {
            attributes: attributes(&dom[start..end]),
            end: end + 1,
        };
        from = end;
        if tag.has_class(class) {
            out.push(tag);
        }
    }
    out
}

fn attributes(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let name_end = rest.find(['=', ' ']).unwrap_or(rest.len());
        let name = rest[..name_end].to_owned();
        rest = &rest[name_end..];
        if let Some(value) = rest.strip_prefix("=\"") {
            let close = value.find('"').unwrap();
            out.push((name, decode(&value[..close])));
            rest = value[close + 1..].trim_start();
        } else {
            out.push((name, String::new()));
            rest = rest.trim_start();
        }
    }
    out
}

/// The text of the first `<span class="{class}">` after `from`.
fn span_text(dom: &str, from: usize, class: &str) -> String {
    let tag = tags(&dom[from..], "span", class)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no span.{class} after {from}"));
    let rest = &dom[from + tag.end..];
    decode(&rest[..rest.find('<').unwrap()])
}

// ---- the tests -----------------------------------------------------------------------------

#[test]
fn the_search_in_the_url_opens_with_its_results() {
    let Some(f) = fixture() else { return };
    let page = open(
        f,
        "/?service=backend&lookback=2d&minDuration=3ms",
        "search.png",
    );
    let dom = &page.dom;
    // The form shows the search from the URL.
    assert!(
        dom.contains(r#"<option value="backend">backend</option>"#),
        "{dom}"
    );
    assert!(dom.contains(r#"name="minDuration" placeholder="e.g. 10ms" autocomplete="off""#));
    // Newest first: B, A, then the shop's traces that reach `backend` (every other one); C
    // (frontend only) and the large trace (importer) are not in it.
    let rows = tags(dom, "tr", "");
    let ids: Vec<&str> = rows.iter().filter_map(|r| r.get("data-trace-id")).collect();
    let mut expected = vec![TRACE_B.to_owned(), TRACE_A.to_owned()];
    expected.extend((0..SHOP_TRACES).step_by(2).map(shop_trace_id));
    assert_eq!(ids, expected, "{dom}");
    // A's line: root service and span, duration, span and error counts, services.
    let a = rows
        .iter()
        .find(|r| r.get("data-trace-id") == Some(TRACE_A))
        .unwrap();
    let line = &dom[a.end..dom[a.end..].find("</tr>").unwrap() + a.end];
    for expected in [
        "frontend: </span>GET /cart",
        TRACE_A,
        "120ms",
        r#"<td class="num col-spans">5</td>"#,
        r#"<span class="error-count">2</span>"#,
        "backend<span class=\"count\">2</span>",
        "frontend<span class=\"count\">2</span>",
        "payments<span class=\"count\">1</span>",
    ] {
        assert!(
            line.contains(expected),
            "{expected:?} not in A's line: {line}"
        );
    }
    assert!(dom.contains("<h1>6 traces</h1>"), "{dom}");
    let _ = shop_trace_start(f.t0, 0);
}

#[test]
fn a_trace_shows_every_span_with_bars_by_time_and_the_linked_span_in_the_panel() {
    let Some(f) = fixture() else { return };
    let page = open(
        f,
        &format!("/trace/{TRACE_A}?span=00000000000000a3&critical=1"),
        "trace.png",
    );
    let dom = &page.dom;
    let rows = tags(dom, "div", "span-row");
    let ids: Vec<&str> = rows
        .iter()
        .map(|r| r.get("data-span-id").unwrap())
        .collect();
    // Tree order: the root, then its children by start, each followed by its own.
    assert_eq!(
        ids,
        [
            "00000000000000a1",
            "00000000000000a2",
            "00000000000000a3",
            "00000000000000a4",
            "00000000000000a5"
        ]
    );
    let names: Vec<String> = rows.iter().map(|r| span_text(dom, r.end, "op")).collect();
    assert_eq!(
        names,
        [
            "GET /cart",
            "cart.load",
            "SELECT cart",
            "pg.query",
            "charge"
        ]
    );
    let depths: Vec<&str> = rows.iter().map(|r| r.get("data-depth").unwrap()).collect();
    assert_eq!(depths, ["0", "1", "1", "2", "1"]);

    // Bars on one time axis: left = start offset, width = duration, both over the trace's 120 ms.
    let bars = tags(dom, "div", "bar");
    assert_eq!(bars.len(), 5);
    let expected = [
        (0.0, 120.0),
        (5.0, 20.0),
        (30.0, 50.0),
        (35.0, 40.0),
        (85.0, 30.0),
    ];
    let mut previous_left = -1.0;
    for (bar, (start_ms, duration_ms)) in bars.iter().zip(expected) {
        let (left, width) = (bar.style_percent("left"), bar.style_percent("width"));
        assert!(
            (left - start_ms / 120.0 * 100.0).abs() < 0.01,
            "left {left} for {start_ms} ms"
        );
        assert!(
            (width - duration_ms / 120.0 * 100.0).abs() < 0.01,
            "width {width} for {duration_ms} ms"
        );
        assert!(left >= previous_left, "bars out of time order");
        previous_left = left;
    }
    // The critical path (on from the URL): going back from the root's end, what the trace
    // waited on. In ms from the start, per span: the root 115..120, 80..85, 25..30 and 0..5,
    // `charge` 85..115, `SELECT cart` 75..80 and 30..35, `pg.query` 35..75, `cart.load` 5..25.
    let critical: Vec<Vec<(f64, f64)>> = bars
        .iter()
        .map(|bar| {
            let inside = &dom[bar.end..bar.end + dom[bar.end..].find("</div>").unwrap()];
            tags(inside, "i", "cp")
                .iter()
                .map(|cp| (cp.style_percent("left"), cp.style_percent("width")))
                .collect()
        })
        .collect();
    let sections = |span: (f64, f64), parts: &[(f64, f64)]| -> Vec<(f64, f64)> {
        parts
            .iter()
            .map(|(from, to)| {
                (
                    (from - span.0) / span.1 * 100.0,
                    (to - from) / span.1 * 100.0,
                )
            })
            .collect()
    };
    let expected_path = [
        sections(
            (0.0, 120.0),
            &[(115.0, 120.0), (80.0, 85.0), (25.0, 30.0), (0.0, 5.0)],
        ),
        sections((5.0, 20.0), &[(5.0, 25.0)]),
        sections((30.0, 50.0), &[(75.0, 80.0), (30.0, 35.0)]),
        sections((35.0, 40.0), &[(35.0, 75.0)]),
        sections((85.0, 30.0), &[(85.0, 115.0)]),
    ];
    for ((got, want), id) in critical.iter().zip(&expected_path).zip(&ids) {
        assert_eq!(got.len(), want.len(), "critical sections of {id}: {got:?}");
        for ((gl, gw), (wl, ww)) in got.iter().zip(want) {
            assert!(
                (gl - wl).abs() < 0.01 && (gw - ww).abs() < 0.01,
                "{id}: {got:?} vs {want:?}"
            );
        }
    }
    assert!(
        dom.contains(r#"aria-pressed="true""#),
        "the toggle shows it is on"
    );

    // Errors marked; the root's own (self) time beside its duration: 120 ms minus its
    // children's 20 + 50 + 30 ms.
    assert!(rows[0].has_class("error") && rows[3].has_class("error"));
    assert!(!rows[1].has_class("error"));
    assert!(
        dom.contains("120ms<span class=\"self\"> · self 20ms</span>"),
        "{dom}"
    );

    // The deep-linked span is selected and its details are open.
    assert!(rows[2].has_class("selected"));
    let panel = tags(dom, "aside", "side-panel").pop().unwrap();
    assert_eq!(panel.get("data-span-id"), Some("00000000000000a3"));
    assert!(panel.get("hidden").is_none(), "the panel is hidden");
    let attribute = tags(dom, "tr", "")
        .into_iter()
        .find(|t| t.get("data-key") == Some("db.system"))
        .expect("db.system in the panel");
    let cells = &dom[attribute.end..];
    assert!(
        cells.starts_with(r#"<td>db.system</td><td class="t-string">postgres</td>"#),
        "{}",
        &cells[..200]
    );
    assert!(
        dom.contains(r#"<span class="name">cache.miss</span>"#),
        "the event"
    );
    assert!(
        dom.contains(&format!("/trace/{TRACE_B}?span=00000000000000b1")),
        "the link"
    );
    assert!(
        dom[panel.end..].starts_with(r#"<div class="side-head"><h2>SELECT cart</h2>"#),
        "the panel's title"
    );
}

#[test]
fn ten_thousand_spans_render_only_a_window_of_rows() {
    let Some(f) = fixture() else { return };
    let page = open(f, &format!("/trace/{TRACE_LARGE}"), "large.png");
    let dom = &page.dom;
    let canvas = tags(dom, "div", "rows-canvas").pop().expect("the rows");
    assert_eq!(canvas.get("data-total-rows"), Some("10000"));
    assert_eq!(canvas.get("style"), Some("height: 280000px;"));
    let rows = tags(dom, "div", "span-row");
    assert!(
        (20..=80).contains(&rows.len()),
        "{} rows in the DOM for 10,000 spans",
        rows.len()
    );
    assert_eq!(rows[0].get("data-span-id"), Some("0000000000000001"));
    assert_eq!(span_text(dom, rows[0].end, "op"), "batch import");
    assert!(dom.contains("<dd>10,000</dd>"), "the span count");
}

#[test]
fn a_narrow_dark_screen_finds_spans_with_matches_only() {
    let Some(f) = fixture() else { return };
    let narrow = f.browser.clone().window(390, 844).dark();
    let file = screenshot("trace-narrow-dark.png");
    // Find from the URL, as the page writes it: the spans mentioning `backend`, and only those.
    let page = narrow.open(
        &f.server.url(&format!(
            "/trace/{TRACE_A}?find=backend&only=1&span=00000000000000a4"
        )),
        Some(&file),
    );
    eprintln!("narrow: {:?}, screenshot {}", page.took, file.display());
    let dom = &page.dom;
    assert!(dom.contains(r#"data-state="ready""#), "{}", page.log);
    let rows = tags(dom, "div", "span-row");
    let ids: Vec<&str> = rows
        .iter()
        .map(|r| r.get("data-span-id").unwrap())
        .collect();
    assert_eq!(ids, ["00000000000000a3", "00000000000000a4"]);
    assert!(rows.iter().all(|r| r.has_class("match")));
    assert!(
        dom.contains(r#"<span class="count" aria-live="polite">2 matches</span>"#),
        "{dom}"
    );
    let panel = tags(dom, "aside", "side-panel").pop().unwrap();
    assert_eq!(panel.get("data-span-id"), Some("00000000000000a4"));
    assert!(
        dom.contains("deadlock detected"),
        "the status message in the panel"
    );
}
