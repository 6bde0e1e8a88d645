//! End to end on a real `influxd` (InfluxDB 1.x): known traces, built as an OTLP export request
//! and mapped to line protocol by `otlp-influx` (the same mapper the exporter and `otel-lp
//! convert` use), are written to the server; then they are listed, filtered and opened through
//! the InfluxQL trace backend and through the `otel-lp traces` binary, and compared with what
//! was written: tree shape, durations, attributes, events, links, status.

use datalayers_client::query::QueryError;
use datalayers_client::{Client, ClientConfig, Protocol};
use serde_json::json;
use std::time::Duration;
use test_support::InfluxServer;
use trace_query::{
    InfluxQl, Placement, TimeRange, Trace, TraceError, TraceFilter, TraceId, TraceStore,
    TraceSummary,
};

mod support;
mod traces_common;

use support::otel_lp_env;
use traces_common::{MS, TRACE_A, TRACE_B, TRACE_C, lines, recent_t0};

/// A server holding the traces, and their start time. `None` when influxd is not installed and
/// CI is not set (test-support prints a loud SKIPPED line; under CI=true it fails instead).
fn server_with_traces() -> Option<(InfluxServer, i64)> {
    let server = InfluxServer::try_start()?;
    // Ten minutes ago, on a whole millisecond.
    let t0 = recent_t0();
    let body = lines(t0, lineproto::Dialect::InfluxDbV1);
    let (status, body) = server.write(&body);
    assert_eq!(status, 204, "{body}");
    Some((server, t0))
}

fn client(server: &InfluxServer, database: &str) -> Client {
    Client::new(
        ClientConfig::new(server.base_url())
            .with_protocol(Protocol::InfluxDbV1)
            .with_database(database),
    )
    .unwrap()
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

fn ids(list: &[TraceSummary]) -> Vec<&str> {
    list.iter().map(|s| s.trace_id.as_str()).collect()
}

#[test]
fn list_and_filter_traces_with_influxql() {
    let Some((server, t0)) = server_with_traces() else {
        return;
    };
    let client = client(&server, server.database());
    let store = InfluxQl::new(&client);
    block_on(async {
        // Default window (the last hour), newest first.
        let all = store.list_traces(&TraceFilter::default()).await.unwrap();
        assert_eq!(ids(&all), [TRACE_C, TRACE_B, TRACE_A]);
        let a = &all[2];
        assert_eq!(a.start_ns, t0);
        assert_eq!(a.duration_ns, 100 * MS);
        assert_eq!(a.span_count, 4);
        assert!(a.has_error);
        assert_eq!(a.root_service.as_deref(), Some("frontend"));
        assert_eq!(a.root_span_name.as_deref(), Some("GET /cart"));
        let b = &all[1];
        assert_eq!(
            (b.start_ns, b.duration_ns, b.span_count, b.has_error),
            (t0 + 1000 * MS, 5 * MS, 1, false)
        );
        assert_eq!(b.root_span_name.as_deref(), Some("consume order"));
        // C has no root: the earliest span stands in.
        let c = &all[0];
        assert_eq!(
            (c.root_service.as_deref(), c.root_span_name.as_deref()),
            (Some("frontend"), Some("late callback"))
        );

        let list = |filter: TraceFilter| {
            let store = &store;
            async move { store.list_traces(&filter).await.unwrap() }
        };
        let by_service = list(TraceFilter {
            service: Some("backend".into()),
            ..TraceFilter::default()
        })
        .await;
        assert_eq!(ids(&by_service), [TRACE_B, TRACE_A]);
        // The summary still counts every span of A, not just the backend ones.
        assert_eq!(by_service[1].span_count, 4);
        let by_name = list(TraceFilter {
            span_name: Some("cache.get".into()),
            ..TraceFilter::default()
        })
        .await;
        assert_eq!(ids(&by_name), [TRACE_A]);
        let by_tag = list(TraceFilter {
            tags: vec![("host.name".into(), "db-2".into())],
            ..TraceFilter::default()
        })
        .await;
        assert_eq!(ids(&by_tag), [TRACE_B]);
        let long = list(TraceFilter {
            min_duration: Some(Duration::from_millis(50)),
            ..TraceFilter::default()
        })
        .await;
        assert_eq!(ids(&long), [TRACE_A]);
        let short = list(TraceFilter {
            max_duration: Some(Duration::from_millis(3)),
            ..TraceFilter::default()
        })
        .await;
        assert_eq!(ids(&short), [TRACE_C]);
        let page = list(TraceFilter {
            limit: 1,
            offset: 1,
            ..TraceFilter::default()
        })
        .await;
        assert_eq!(ids(&page), [TRACE_B]);
        let window = list(TraceFilter {
            range: Some(TimeRange::between(t0 + 500 * MS, t0 + 1500 * MS)),
            ..TraceFilter::default()
        })
        .await;
        assert_eq!(ids(&window), [TRACE_B]);
        // Hostile values are just values that match nothing.
        for hostile in ["x' OR '1'='1", "backend\\", "a\"b", "line\nbreak"] {
            let none = list(TraceFilter {
                service: Some(hostile.into()),
                ..TraceFilter::default()
            })
            .await;
            assert!(none.is_empty(), "{hostile:?} matched {none:?}");
            let none = list(TraceFilter {
                tags: vec![(hostile.into(), "x".into())],
                ..TraceFilter::default()
            })
            .await;
            assert!(none.is_empty(), "{hostile:?} matched {none:?}");
        }

        assert_eq!(store.services().await.unwrap(), ["backend", "frontend"]);
        assert_eq!(
            store.operations("backend").await.unwrap(),
            ["SELECT cart", "cache.get", "consume order"]
        );
        assert!(
            store
                .operations("nobody' OR '1'='1")
                .await
                .unwrap()
                .is_empty()
        );
    });
}

fn shape(trace: &Trace) -> Vec<(&str, usize, Placement)> {
    trace
        .tree
        .iter()
        .map(|e| (trace.spans[e.span].name.as_str(), e.depth, e.placement))
        .collect()
}

#[test]
fn open_traces_with_influxql_and_compare_with_what_was_written() {
    let Some((server, t0)) = server_with_traces() else {
        return;
    };
    let client = client(&server, server.database());
    let store = InfluxQl::new(&client);
    block_on(async {
        let a = store
            .get_trace(&TraceId::parse(TRACE_A).unwrap(), TimeRange::UNBOUNDED)
            .await
            .unwrap();
        assert_eq!(
            shape(&a),
            [
                ("GET /cart", 0, Placement::Root),
                ("SELECT cart", 1, Placement::Child),
                ("cache.get", 2, Placement::Child),
                ("render", 1, Placement::Child),
            ]
        );
        let span = |name: &str| a.spans.iter().find(|s| s.name == name).unwrap();
        let root = span("GET /cart");
        assert_eq!((root.start_ns, root.duration_ns), (t0, 100 * MS));
        assert_eq!(root.kind.as_deref(), Some("Server"));
        assert_eq!(root.service.as_deref(), Some("frontend"));
        assert_eq!(
            (root.status_code.as_deref(), root.status_message.as_deref()),
            (Some("Error"), Some("upstream failed"))
        );
        assert_eq!(root.attributes.get("http.method"), Some(&json!("GET")));
        assert_eq!(root.attributes.get("http.status_code"), Some(&json!(500)));
        let db = span("SELECT cart");
        assert_eq!((db.start_ns - t0, db.duration_ns), (10 * MS, 50 * MS));
        assert_eq!(db.parent_span_id.as_deref(), Some("00000000000000a1"));
        assert_eq!(db.kind.as_deref(), Some("Client"));
        assert_eq!(db.attributes.get("db.system"), Some(&json!("postgresql")));
        assert!(
            db.other
                .iter()
                .any(|(k, v)| k == "host.name" && v.as_str() == Some("db-1")),
            "{:?}",
            db.other
        );
        assert_eq!(db.events.len(), 1);
        assert_eq!(
            (db.events[0].time_ns - t0, db.events[0].name.as_deref()),
            (20 * MS, Some("cache miss"))
        );
        assert_eq!(db.events[0].attributes.get("key"), Some(&json!("cart:1")));
        let render = span("render");
        assert_eq!(render.links.len(), 1);
        assert_eq!(
            (
                render.links[0].linked_trace_id.as_str(),
                render.links[0].linked_span_id.as_str()
            ),
            (TRACE_B, "00000000000000b1")
        );
        assert_eq!(
            render.links[0].attributes.get("link.reason"),
            Some(&json!("follows"))
        );
        assert_eq!(a.duration_ns(), 100 * MS);
        assert!(a.unattached_events.is_empty() && a.skipped_rows.is_empty());
        assert_eq!(a.summary().span_count, 4);

        let c = store
            .get_trace(
                &TraceId::parse(TRACE_C).unwrap(),
                TimeRange::last(Duration::from_secs(3600)),
            )
            .await
            .unwrap();
        assert_eq!(shape(&c), [("late callback", 0, Placement::MissingParent)]);

        let unknown = TraceId::parse("0123456789abcdef0123456789abcdef").unwrap();
        let err = store
            .get_trace(&unknown, TimeRange::UNBOUNDED)
            .await
            .unwrap_err();
        assert!(matches!(err, TraceError::NotFound { .. }), "{err:?}");
        // Outside the time hint, A is not found either.
        let err = store
            .get_trace(&TraceId::parse(TRACE_A).unwrap(), TimeRange::between(0, t0))
            .await
            .unwrap_err();
        assert!(matches!(err, TraceError::NotFound { .. }), "{err:?}");
    });
}

#[test]
fn query_helpers_and_missing_database_on_influxdb() {
    let Some((server, _)) = server_with_traces() else {
        return;
    };
    let client = client(&server, server.database());
    block_on(async {
        let mut tables = client.list_tables().await.unwrap();
        tables.sort();
        assert_eq!(tables, ["logs", "span-links", "spans"]);
        client.create_database("second db").await.unwrap();
        let databases = client.list_databases().await.unwrap();
        assert!(databases.contains(&"second db".to_owned()), "{databases:?}");
        let err = client.influxql("SELEC nonsense").await.unwrap_err();
        assert!(
            matches!(err, QueryError::Statement { status: 400, .. }),
            "{err:?}"
        );

        let missing = self::client(&server, "nope");
        let err = InfluxQl::new(&missing)
            .list_traces(&TraceFilter::default())
            .await
            .unwrap_err();
        assert!(
            matches!(err, TraceError::Query(QueryError::DatabaseNotFound { .. })),
            "{err:?}"
        );
    });
}

// ---- the CLI ---------------------------------------------------------------------------------

#[test]
fn cli_list_and_show_against_influxd() {
    let Some((server, _)) = server_with_traces() else {
        return;
    };
    let base = server.base_url();
    // Settings from the environment, with a wrong database that the flag overrides.
    let env = [
        ("OTEL_EXPORTER_DATALAYERS_ENDPOINT", base.as_str()),
        ("OTEL_EXPORTER_DATALAYERS_PROTOCOL", "influxdb-v1"),
        ("OTEL_EXPORTER_DATALAYERS_DATABASE", "wrong"),
    ];
    let db = server.database();

    let out = otel_lp_env(&["traces", "list", "--database", db], &env);
    let stdout = out.stdout.clone();
    assert!(out.success(), "{}\n{stdout}", out.stderr);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("TRACE ID"), "{stdout}");
    assert_eq!(lines.len(), 4, "{stdout}");
    assert!(
        lines[1].starts_with(TRACE_C)
            && lines[2].starts_with(TRACE_B)
            && lines[3].starts_with(TRACE_A),
        "{stdout}"
    );
    for cell in ["frontend", "GET /cart", "100.0ms", "4", "ERROR"] {
        assert!(lines[3].contains(cell), "{cell} missing: {}", lines[3]);
    }
    assert!(!lines[2].contains("ERROR"), "{stdout}");

    let out = otel_lp_env(
        &[
            "traces",
            "list",
            "--database",
            db,
            "--service",
            "backend",
            "--since",
            "1h",
            "--min-duration",
            "10ms",
            "--limit",
            "5",
        ],
        &env,
    );
    let stdout = out.stdout.clone();
    assert!(out.success(), "{}", out.stderr);
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(
        stdout.lines().nth(1).unwrap().starts_with(TRACE_A),
        "{stdout}"
    );

    let out = otel_lp_env(
        &[
            "traces",
            "list",
            "--database",
            db,
            "--span-name",
            "no such span",
        ],
        &env,
    );
    assert_eq!(out.stdout, "no traces found\n");

    let out = otel_lp_env(
        &[
            "traces",
            "show",
            TRACE_A,
            "--database",
            db,
            "--attributes",
            "--width",
            "20",
        ],
        &env,
    );
    let stdout = out.stdout.clone();
    assert!(out.success(), "{}", out.stderr);
    for expected in [
        &format!("trace {TRACE_A}")[..],
        "duration 100.0ms  4 spans  2 services  1 with errors",
        "\nGET /cart ",
        "\n  SELECT cart ",
        "\n    cache.get ",
        "\n  render ",
        "ERROR upstream failed",
        "http.status_code = 500",
        "+20.0ms event cache miss",
        "key = cart:1",
        &format!("link -> trace {TRACE_B} span 00000000000000b1")[..],
    ] {
        assert!(
            stdout.contains(expected),
            "{expected:?} missing from\n{stdout}"
        );
    }
    // The root's bar spans the whole width; cache.get's (15..18 ms of 100) is one cell at 3/20.
    assert!(stdout.contains("|████████████████████|"), "{stdout}");
    assert!(stdout.contains("|   █                |"), "{stdout}");

    let out = otel_lp_env(&["traces", "show", TRACE_C, "--database", db], &env);
    assert!(
        out.stdout.contains("late callback [parent missing]"),
        "{}",
        out.stdout
    );

    let out = otel_lp_env(&["traces", "services", "--database", db], &env);
    assert_eq!(out.stdout, "backend\nfrontend\n");
    let out = otel_lp_env(
        &["traces", "operations", "frontend", "--database", db],
        &env,
    );
    assert_eq!(out.stdout, "GET /cart\nlate callback\nrender\n");
}

#[test]
fn cli_errors_are_clear() {
    let Some((server, _)) = server_with_traces() else {
        return;
    };
    let base = server.base_url();
    let flags = |extra: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
        args.extend(["--endpoint", &base, "--protocol", "influxdb-v1"].map(str::to_owned));
        args
    };
    let run = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        otel_lp_env(&args, &[])
    };

    // (arguments before the connection flags, exit code, what stderr says)
    let cases: [(&[&str], i32, &[&str]); 5] = [
        (
            &[
                "traces",
                "show",
                "0123456789abcdef0123456789abcdef",
                "--database",
                server.database(),
            ],
            1,
            &["trace 0123456789abcdef0123456789abcdef not found", "hint:"],
        ),
        (
            &["traces", "list", "--database", "nope"],
            1,
            &["database not found"],
        ),
        (
            &["traces", "show", "not-a-trace-id", "--database", "x"],
            2,
            &["`not-a-trace-id` is not a trace id"],
        ),
        (&["traces", "list"], 2, &["no database"]),
        (
            &["traces", "list", "--database", "x", "--since", "yesterday"],
            2,
            &["--since"],
        ),
    ];
    for (args, code, messages) in cases {
        let out = run(flags(args));
        let stderr = out.stderr.clone();
        assert_eq!(out.code, code, "{args:?}: {stderr}");
        for message in messages {
            assert!(stderr.contains(message), "{args:?}: {stderr}");
        }
    }

    // A port nothing listens on.
    let closed = test_support::closed_url();
    let out = otel_lp_env(
        &[
            "traces",
            "list",
            "--endpoint",
            &closed,
            "--database",
            "x",
            "--protocol",
            "influxdb-v1",
        ],
        &[],
    );
    assert_eq!(out.code, 1);
    let stderr = out.stderr.clone();
    assert!(stderr.contains("cannot reach the server"), "{stderr}");
    assert!(stderr.contains("hint: is the server running"), "{stderr}");
}

#[test]
fn cli_credentials_from_env_and_flags() {
    let Some(server) = InfluxServer::builder().auth("admin", "s3cret").try_start() else {
        return;
    };
    let base = server.base_url();
    let env = [
        ("OTEL_EXPORTER_DATALAYERS_ENDPOINT", base.as_str()),
        ("OTEL_EXPORTER_DATALAYERS_PROTOCOL", "influxdb-v1"),
        ("OTEL_EXPORTER_DATALAYERS_DATABASE", server.database()),
        ("OTEL_EXPORTER_DATALAYERS_USERNAME", "admin"),
        ("OTEL_EXPORTER_DATALAYERS_PASSWORD", "s3cret"),
    ];
    let out = otel_lp_env(&["traces", "list"], &env);
    assert!(out.success(), "{}", out.stderr);
    assert_eq!(out.stdout, "no traces found\n");

    // A flag overrides the environment's password.
    let out = otel_lp_env(&["traces", "list", "--password", "wrong"], &env);
    assert_eq!(out.code, 1);
    let stderr = out.stderr.clone();
    assert!(stderr.contains("authorization failed"), "{stderr}");
    assert!(
        stderr.contains("hint: check --username/--password"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("wrong") && !stderr.contains("s3cret"),
        "a secret leaked: {stderr}"
    );
}

#[test]
fn cli_a_bad_variable_is_named_unless_a_flag_overrides_it() {
    // A port nothing listens on: the run gets as far as connecting, or stops before.
    let closed = test_support::closed_url();
    let env = [
        ("OTEL_EXPORTER_DATALAYERS_ENDPOINT", closed.as_str()),
        ("OTEL_EXPORTER_DATALAYERS_DATABASE", "otel"),
        ("OTEL_EXPORTER_DATALAYERS_TIMEOUT", "soon"),
        ("OTEL_EXPORTER_DATALAYERS_PROTOCOL", "mysql"),
    ];
    let out = otel_lp_env(&["traces", "list", "--protocol", "influxdb-v1"], &env);
    assert_eq!(out.code, 2);
    let stderr = out.stderr.clone();
    assert!(
        stderr.contains("OTEL_EXPORTER_DATALAYERS_TIMEOUT=\"soon\" is invalid"),
        "{stderr}"
    );

    let out = otel_lp_env(
        &[
            "traces",
            "list",
            "--protocol",
            "influxdb-v1",
            "--timeout",
            "2s",
        ],
        &env,
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("cannot reach the server"),
        "{}",
        out.stderr
    );

    let out = otel_lp_env(&["traces", "list", "--timeout", "soon"], &[]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("--timeout=\"soon\" is invalid"),
        "{}",
        out.stderr
    );

    // The variables are in the help, their values never (they may be secrets).
    let out = otel_lp_env(
        &["traces", "list", "--help"],
        &[("OTEL_EXPORTER_DATALAYERS_PASSWORD", "s3cret")],
    );
    let help = out.stdout;
    assert!(
        help.contains("[env: OTEL_EXPORTER_DATALAYERS_PASSWORD]"),
        "{help}"
    );
    assert!(!help.contains("s3cret"), "{help}");
}
