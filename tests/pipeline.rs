//! The whole pipeline on a real `influxd` (InfluxDB 1.x, started by `test-support`): an app
//! creates known traces through the OpenTelemetry API, our SDK exporter (protocol `influxdb-v1`,
//! installed with the SDK's default batch processor, no tokio anywhere on the app side) writes
//! them, and the trace query API (`trace_query`, InfluxQL backend) and the
//! `otel-lp traces` binary read them back. What comes back is compared with what was created:
//! tree shape, names, services, exact nanosecond times and durations, kinds, status,
//! attributes of every type, events and links.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use datalayers_client::{Client, ClientConfig};
use opentelemetry::trace::{
    Link, Span as _, SpanContext, SpanKind, Status, TraceContextExt as _, Tracer as _,
    TracerProvider as _,
};
use opentelemetry::{Array, Context, KeyValue, Value};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use sdk_exporter::{Protocol, SpanExporterBuilder};
use serde_json::{Value as Json, json};
use test_support::InfluxServer;
use trace_query::{
    InfluxQl, Placement, TimeRange, Trace, TraceFilter, TraceId, TraceStore, TraceSummary, now_ns,
};

const MS: i64 = 1_000_000;

/// What the app created, as the read side should see it.
struct Exported {
    /// Start of the checkout trace, Unix ns (deliberately not a whole millisecond).
    t0: i64,
    /// `GET /checkout` (frontend) > `SELECT orders` (frontend, one event), `cache.get`
    /// (frontend), `POST /charge` (backend, remote parent); root status Error.
    checkout: TraceId,
    /// `consume order` (backend) with a link to the checkout root.
    consume: TraceId,
    /// `GET /health` (frontend), one span.
    health: TraceId,
    /// Span ids by span name.
    span_ids: BTreeMap<&'static str, String>,
}

/// `t0 + offset_ns` as a `SystemTime`.
fn at(t0: i64, offset_ns: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(u64::try_from(t0 + offset_ns).unwrap())
}

fn provider(builder: &SpanExporterBuilder, service: &str, host: &str) -> SdkTracerProvider {
    let resource = Resource::builder()
        .with_service_name(service.to_owned())
        .with_attribute(KeyValue::new("host.name", host.to_owned()))
        .build();
    SdkTracerProvider::builder()
        .with_resource(resource)
        .with_batch_exporter(builder.build().unwrap())
        .build()
}

/// Starts influxd and exports the known traces to it through the SDK and our exporter, the way
/// an application does: no tokio runtime on this thread, the SDK's batch processor thread calls
/// the exporter, `shutdown` flushes. `None` when influxd is not installed and `CI` is not set
/// (test-support prints a loud SKIPPED line; under `CI=true` it fails instead).
fn export_known_traces() -> Option<(InfluxServer, Exported)> {
    let server = InfluxServer::try_start()?;
    let builder = SpanExporterBuilder::new()
        .with_env(|_| None)
        .with_endpoint(server.base_url())
        .with_database(server.database())
        .with_protocol(Protocol::InfluxDbV1)
        .with_timeout(Duration::from_secs(10));
    let frontend_provider = provider(&builder, "frontend", "web-1");
    let backend_provider = provider(&builder, "backend", "pay-1");
    let frontend = frontend_provider.tracer("shop");
    let backend = backend_provider.tracer("payments");

    // Ten minutes ago (inside the default one-hour list window), with sub-millisecond digits so
    // that exact nanoseconds are checked all the way through.
    let t0 = now_ns() - 600_000 * MS + 123_457;
    let mut span_ids = BTreeMap::new();
    let mut keep_id = |name: &'static str, cx: &SpanContext| {
        span_ids.insert(name, cx.span_id().to_string());
    };

    // Trace 1: the checkout request.
    let root = frontend
        .span_builder("GET /checkout")
        .with_kind(SpanKind::Server)
        .with_start_time(at(t0, 0))
        .with_attributes([
            KeyValue::new("http.request.method", "GET"),
            KeyValue::new("http.response.status_code", 500_i64),
            KeyValue::new("http.retried", true),
            KeyValue::new("cart.ratio", 0.25),
            KeyValue::new(
                "cart.items",
                Value::Array(Array::String(vec!["apple".into(), "pear".into()])),
            ),
        ])
        .start_with_context(&frontend, &Context::new());
    let root_context = root.span_context().clone();
    keep_id("GET /checkout", &root_context);
    let root_cx = Context::new().with_span(root);

    let mut db = frontend
        .span_builder("SELECT orders")
        .with_kind(SpanKind::Client)
        .with_start_time(at(t0, 10 * MS))
        .with_attributes([
            KeyValue::new("db.system", "postgresql"),
            KeyValue::new("db.rows", 3_i64),
        ])
        .start_with_context(&frontend, &root_cx);
    db.add_event_with_timestamp(
        "rows fetched",
        at(t0, 55 * MS + 7),
        vec![
            KeyValue::new("rows", 3_i64),
            KeyValue::new("table", "orders"),
        ],
    );
    keep_id("SELECT orders", db.span_context());
    db.end_with_timestamp(at(t0, 60 * MS + 11));

    let mut cache = frontend
        .span_builder("cache.get")
        .with_kind(SpanKind::Client)
        .with_start_time(at(t0, 62 * MS))
        .with_attributes([KeyValue::new("cache.hit", false)])
        .start_with_context(&frontend, &root_cx);
    keep_id("cache.get", cache.span_context());
    cache.end_with_timestamp(at(t0, 65 * MS + 1));

    // The payment service continues the trace from a propagated (remote) parent.
    let propagated = Context::new().with_remote_span_context(root_context.clone());
    let mut charge = backend
        .span_builder("POST /charge")
        .with_kind(SpanKind::Server)
        .with_start_time(at(t0, 70 * MS))
        .with_attributes([KeyValue::new("payment.amount", 12.5)])
        .start_with_context(&backend, &propagated);
    charge.set_status(Status::Ok);
    keep_id("POST /charge", charge.span_context());
    charge.end_with_timestamp(at(t0, 115 * MS));

    root_cx.span().set_status(Status::error("payment failed"));
    root_cx.span().end_with_timestamp(at(t0, 120 * MS + 999));

    // Trace 2: a consumer in the backend, linked to the checkout request.
    let mut consume = backend
        .span_builder("consume order")
        .with_kind(SpanKind::Consumer)
        .with_start_time(at(t0, 1000 * MS))
        .with_links(vec![Link::new(
            root_context.clone(),
            vec![KeyValue::new("link.reason", "follows")],
            0,
        )])
        .start_with_context(&backend, &Context::new());
    let consume_context = consume.span_context().clone();
    keep_id("consume order", &consume_context);
    consume.end_with_timestamp(at(t0, 1005 * MS));

    // Trace 3: a health check.
    let mut health = frontend
        .span_builder("GET /health")
        .with_kind(SpanKind::Server)
        .with_start_time(at(t0, 2000 * MS))
        .start_with_context(&frontend, &Context::new());
    let health_context = health.span_context().clone();
    keep_id("GET /health", &health_context);
    health.end_with_timestamp(at(t0, 2002 * MS));

    frontend_provider.shutdown().unwrap();
    backend_provider.shutdown().unwrap();
    // Six spans, one event and one link: eight lines, all accepted, no export failed (a failed
    // export can lose spans that no line counter sees, e.g. a panic while mapping).
    let stats = builder.stats_handle().snapshot();
    assert_eq!(
        (
            stats.spans,
            stats.lines_exported,
            stats.failed_exports,
            stats.lost()
        ),
        (6, 8, 0, 0),
        "{stats}"
    );

    let id = |cx: &SpanContext| TraceId::parse(&cx.trace_id().to_string()).unwrap();
    let exported = Exported {
        t0,
        checkout: id(&root_context),
        consume: id(&consume_context),
        health: id(&health_context),
        span_ids,
    };
    Some((server, exported))
}

fn client(server: &InfluxServer) -> Client {
    Client::new(
        ClientConfig::new(server.base_url())
            .with_protocol(Protocol::InfluxDbV1)
            .with_database(server.database()),
    )
    .unwrap()
}

/// Runs a query future on a runtime of its own (the client needs tokio; the app side did not).
fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

fn ids(list: &[TraceSummary]) -> Vec<TraceId> {
    list.iter().map(|s| s.trace_id).collect()
}

#[test]
fn exported_traces_are_listed_and_filtered() {
    let Some((server, e)) = export_known_traces() else {
        return;
    };
    let client = client(&server);
    let store = InfluxQl::new(&client);
    let list = |filter: TraceFilter| block_on(store.list_traces(&filter)).unwrap();

    // Default window (the last hour), newest first.
    let all = list(TraceFilter::default());
    assert_eq!(ids(&all), [e.health, e.consume, e.checkout]);
    let expected = [
        // (start offset, duration, spans, error, root service, root span)
        (2000 * MS, 2 * MS, 1, false, "frontend", "GET /health"),
        (1000 * MS, 5 * MS, 1, false, "backend", "consume order"),
        (0, 120 * MS + 999, 4, true, "frontend", "GET /checkout"),
    ];
    for (summary, (offset, duration, spans, error, service, name)) in all.iter().zip(expected) {
        assert_eq!(
            (
                summary.start_ns - e.t0,
                summary.duration_ns,
                summary.span_count,
                summary.has_error,
                summary.root_service.as_deref(),
                summary.root_span_name.as_deref(),
            ),
            (offset, duration, spans, error, Some(service), Some(name)),
            "{summary:?}"
        );
    }

    let by_service = list(TraceFilter {
        service: Some("backend".into()),
        ..TraceFilter::default()
    });
    assert_eq!(ids(&by_service), [e.consume, e.checkout]);
    // The summary counts every span of the checkout, not only the backend's.
    assert_eq!(by_service[1].span_count, 4);
    let by_name = list(TraceFilter {
        span_name: Some("cache.get".into()),
        ..TraceFilter::default()
    });
    assert_eq!(ids(&by_name), [e.checkout]);
    let by_both = list(TraceFilter {
        service: Some("frontend".into()),
        span_name: Some("POST /charge".into()),
        ..TraceFilter::default()
    });
    assert!(by_both.is_empty(), "{by_both:?}");
    let long = list(TraceFilter {
        min_duration: Some(Duration::from_millis(100)),
        ..TraceFilter::default()
    });
    assert_eq!(ids(&long), [e.checkout]);
    let short = list(TraceFilter {
        max_duration: Some(Duration::from_millis(4)),
        ..TraceFilter::default()
    });
    assert_eq!(ids(&short), [e.health]);
    let between = list(TraceFilter {
        min_duration: Some(Duration::from_millis(3)),
        max_duration: Some(Duration::from_millis(100)),
        ..TraceFilter::default()
    });
    assert_eq!(ids(&between), [e.consume]);
    let first_two = list(TraceFilter {
        limit: 2,
        ..TraceFilter::default()
    });
    assert_eq!(ids(&first_two), [e.health, e.consume]);
    let frontend_last = list(TraceFilter {
        service: Some("frontend".into()),
        limit: 1,
        offset: 1,
        ..TraceFilter::default()
    });
    assert_eq!(ids(&frontend_last), [e.checkout]);
    let window = list(TraceFilter {
        range: Some(TimeRange::between(e.t0 + 500 * MS, e.t0 + 1500 * MS)),
        ..TraceFilter::default()
    });
    assert_eq!(ids(&window), [e.consume]);

    assert_eq!(block_on(store.services()).unwrap(), ["backend", "frontend"]);
    assert_eq!(
        block_on(store.operations("frontend")).unwrap(),
        ["GET /checkout", "GET /health", "SELECT orders", "cache.get"]
    );
}

/// (span name, depth, placement) in display order.
fn shape(trace: &Trace) -> Vec<(&str, usize, Placement)> {
    trace
        .tree
        .iter()
        .map(|entry| {
            (
                trace.spans[entry.span].name.as_str(),
                entry.depth,
                entry.placement,
            )
        })
        .collect()
}

#[test]
fn exported_traces_open_exactly_as_created() {
    let Some((server, e)) = export_known_traces() else {
        return;
    };
    let client = client(&server);
    let store = InfluxQl::new(&client);
    let open = |id: &TraceId| block_on(store.get_trace(id, TimeRange::UNBOUNDED)).unwrap();

    let checkout = open(&e.checkout);
    assert_eq!(
        shape(&checkout),
        [
            ("GET /checkout", 0, Placement::Root),
            ("SELECT orders", 1, Placement::Child),
            ("cache.get", 1, Placement::Child),
            ("POST /charge", 1, Placement::Child),
        ]
    );
    assert!(
        checkout.unattached_events.is_empty()
            && checkout.unattached_links.is_empty()
            && checkout.skipped_rows.is_empty(),
        "{checkout:#?}"
    );
    // (name, service, kind, start offset, duration, status code, status message), exact ns.
    let expected = [
        (
            "GET /checkout",
            "frontend",
            "Server",
            0,
            120 * MS + 999,
            Some("Error"),
            Some("payment failed"),
        ),
        (
            "SELECT orders",
            "frontend",
            "Client",
            10 * MS,
            50 * MS + 11,
            None,
            None,
        ),
        (
            "cache.get",
            "frontend",
            "Client",
            62 * MS,
            3 * MS + 1,
            None,
            None,
        ),
        (
            "POST /charge",
            "backend",
            "Server",
            70 * MS,
            45 * MS,
            Some("Ok"),
            None,
        ),
    ];
    for (span, (name, service, kind, offset, duration, code, message)) in
        checkout.spans.iter().zip(expected)
    {
        assert_eq!(
            (
                span.name.as_str(),
                span.service.as_deref(),
                span.kind.as_deref(),
                span.start_ns - e.t0,
                span.duration_ns,
                span.status_code.as_deref(),
                span.status_message.as_deref(),
            ),
            (
                name,
                Some(service),
                Some(kind),
                offset,
                duration,
                code,
                message
            ),
        );
        assert_eq!(span.span_id, e.span_ids[name], "{name}");
        let parent = (name != "GET /checkout").then(|| e.span_ids["GET /checkout"].as_str());
        assert_eq!(span.parent_span_id.as_deref(), parent, "{name}");
    }
    assert_eq!(checkout.duration_ns(), 120 * MS + 999);
    assert_eq!(checkout.summary().span_count, 4);

    let span = |name: &str| checkout.spans.iter().find(|s| s.name == name).unwrap();
    let root = span("GET /checkout");
    // Attributes of every type, decoded from the JSON column; resource attributes are there too.
    for (key, value) in [
        ("http.request.method", json!("GET")),
        ("http.response.status_code", json!(500)),
        ("http.retried", json!(true)),
        ("cart.ratio", json!(0.25)),
        ("cart.items", json!(["apple", "pear"])),
        ("host.name", json!("web-1")),
    ] {
        assert_eq!(root.attributes.get(key), Some(&value), "{key}: {root:#?}");
    }
    let db = span("SELECT orders");
    assert_eq!(db.attributes.get("db.system"), Some(&json!("postgresql")));
    assert_eq!(db.attributes.get("db.rows"), Some(&json!(3)));
    assert_eq!(db.events.len(), 1, "{:#?}", db.events);
    let event = &db.events[0];
    assert_eq!(
        (event.time_ns - e.t0, event.name.as_deref()),
        (55 * MS + 7, Some("rows fetched"))
    );
    let event_attributes: Vec<(&str, &Json)> = event
        .attributes
        .iter()
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    assert_eq!(
        event_attributes,
        [("rows", &json!(3)), ("table", &json!("orders"))]
    );
    assert_eq!(
        span("cache.get").attributes.get("cache.hit"),
        Some(&json!(false))
    );
    let charge = span("POST /charge");
    assert_eq!(charge.attributes.get("payment.amount"), Some(&json!(12.5)));
    assert_eq!(charge.attributes.get("host.name"), Some(&json!("pay-1")));
    assert!(checkout.spans.iter().all(|s| s.links.is_empty()));

    let consume = open(&e.consume);
    assert_eq!(shape(&consume), [("consume order", 0, Placement::Root)]);
    let span = &consume.spans[0];
    assert_eq!(
        (
            span.service.as_deref(),
            span.kind.as_deref(),
            span.start_ns - e.t0,
            span.duration_ns
        ),
        (Some("backend"), Some("Consumer"), 1000 * MS, 5 * MS)
    );
    assert_eq!(span.links.len(), 1, "{:#?}", span.links);
    let link = &span.links[0];
    assert_eq!(
        (link.linked_trace_id.as_str(), link.linked_span_id.as_str()),
        (e.checkout.as_str(), e.span_ids["GET /checkout"].as_str())
    );
    assert_eq!(link.attributes.get("link.reason"), Some(&json!("follows")));

    let health = open(&e.health);
    assert_eq!(shape(&health), [("GET /health", 0, Placement::Root)]);
    let span = &health.spans[0];
    assert_eq!(
        (
            span.start_ns - e.t0,
            span.duration_ns,
            span.status_code.as_deref()
        ),
        (2000 * MS, 2 * MS, None)
    );
    assert!(span.events.is_empty() && span.links.is_empty());
}

// ---- the otel-lp binary --------------------------------------------------------------------

/// The `otel-lp` binary of this workspace, built (or found fresh) by the cargo running this test,
/// in the same target directory and profile. `CARGO_BIN_EXE_otel-lp` only exists inside the
/// otel-lp package, so cargo itself is asked, and it names the executable it produced.
fn otel_lp_binary() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // target/<profile>/deps/pipeline-<hash>: the profile directory names the profile.
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => "dev",
        Some(other) => other,
    };
    let output = Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "--package",
            "otel-lp",
            "--bin",
            "otel-lp",
        ])
        .args(["--profile", profile, "--message-format", "json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    assert!(output.status.success(), "cargo build -p otel-lp failed");
    let executable = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Json>(line).ok())
        .filter(|message| message["target"]["name"] == "otel-lp")
        .find_map(|message| message["executable"].as_str().map(PathBuf::from));
    executable.expect("cargo named no otel-lp executable")
}

/// Runs `otel-lp` against `server` with a clean `OTEL_EXPORTER_DATALAYERS_*` environment.
fn otel_lp(binary: &PathBuf, server: &InfluxServer, args: &[&str]) -> String {
    let mut command = Command::new(binary);
    command.args(args).args([
        "--endpoint",
        &server.base_url(),
        "--protocol",
        "influxdb-v1",
        "--database",
        server.database(),
    ]);
    for (key, _) in std::env::vars() {
        if key.starts_with("OTEL_EXPORTER_DATALAYERS_") {
            command.env_remove(key);
        }
    }
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&stdout).into_owned();
    assert!(
        status.success(),
        "otel-lp {args:?}: {status}\n{}\n{stdout}",
        String::from_utf8_lossy(&stderr)
    );
    stdout
}

#[test]
fn otel_lp_lists_and_shows_the_exported_traces() {
    let Some((server, e)) = export_known_traces() else {
        return;
    };
    let binary = otel_lp_binary();

    let list = otel_lp(&binary, &server, &["traces", "list"]);
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 4, "{list}");
    assert!(lines[0].starts_with("TRACE ID"), "{list}");
    let row = |id: &TraceId| {
        lines
            .iter()
            .find(|line| line.starts_with(id.as_str()))
            .unwrap_or_else(|| panic!("{id} missing from\n{list}"))
    };
    for cell in ["frontend", "GET /checkout", "4", "ERROR"] {
        assert!(row(&e.checkout).contains(cell), "{cell}: {list}");
    }
    assert!(row(&e.consume).contains("consume order"), "{list}");
    assert!(row(&e.health).contains("GET /health"), "{list}");
    assert!(!row(&e.consume).contains("ERROR") && !row(&e.health).contains("ERROR"));

    let backend = otel_lp(
        &binary,
        &server,
        &["traces", "list", "--service", "backend", "--limit", "1"],
    );
    assert_eq!(backend.lines().count(), 2, "{backend}");
    assert!(backend.contains(e.consume.as_str()), "{backend}");

    let show = otel_lp(
        &binary,
        &server,
        &["traces", "show", e.checkout.as_str(), "--attributes"],
    );
    for expected in [
        &format!("trace {}", e.checkout)[..],
        "4 spans  2 services  1 with errors",
        "\nGET /checkout ",
        "\n  SELECT orders ",
        "\n  cache.get ",
        "\n  POST /charge ",
        "ERROR payment failed",
        "http.response.status_code = 500",
        "event rows fetched",
        "db.system = postgresql",
    ] {
        assert!(show.contains(expected), "{expected:?} missing from\n{show}");
    }

    let show = otel_lp(
        &binary,
        &server,
        &["traces", "show", e.consume.as_str(), "--attributes"],
    );
    let link = format!(
        "link -> trace {} span {}",
        e.checkout, e.span_ids["GET /checkout"]
    );
    assert!(show.contains(&link), "{link:?} missing from\n{show}");
}
