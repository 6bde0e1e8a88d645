//! Trace queries over Arrow Flight SQL against a real Flight SQL server, compared with the same
//! queries over REST on the same data.
//!
//! Known traces are mapped to line protocol by `otlp-influx` (Datalayers dialect), stored as
//! Parquet tables shaped the way Datalayers stores line protocol, and served by roapi (DataFusion,
//! the engine Datalayers is built on) over Flight SQL with basic auth, and over its HTTP SQL API.
//! A local HTTP server answers Datalayers' REST SQL API (`POST /api/v1/sql`) from roapi's HTTP
//! answers, so the REST client reads the very same rows. Listing, filtering and opening traces
//! must give equal results over both transports, through the library and through `otel-lp
//! traces`. What this proves and does not: see the crate README ("Flight SQL").

mod support;
mod traces_common;

use std::sync::Arc;
use std::time::Duration;

use datalayers_client::flight::FlightSqlClient;
use datalayers_client::{Client, ClientConfig};
use support::otel_lp_env;
use test_support::flight_sql::Roapi;
use test_support::scripted::{Reply, ScriptedServer};
use trace_query::{
    DatalayersSql, Placement, TimeRange, TraceFilter, TraceId, TraceStore, TraceSummary,
};
use traces_common::{MS, TRACE_A, TRACE_B, TRACE_C, lines, recent_t0};

const USER: &str = "admin";
const PASSWORD: &str = "flight-s3cret";

/// roapi serving the sample traces, a REST replay of it, and the traces' start time.
struct Fixture {
    roapi: Arc<Roapi>,
    rest: ScriptedServer,
    runtime: tokio::runtime::Runtime,
    t0: i64,
}

fn fixture() -> Option<Fixture> {
    let t0 = recent_t0();
    let lines = lines(t0, lineproto::Dialect::Datalayers);
    let roapi = Arc::new(
        Roapi::builder()
            .line_protocol(std::str::from_utf8(&lines).unwrap())
            .basic_auth(USER, PASSWORD)
            .try_start()?,
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let replayed = Arc::clone(&roapi);
    // Datalayers' REST SQL API, answered from roapi's HTTP API (the statement is the body).
    let rest = ScriptedServer::start(Vec::new(), move |request| {
        let statement = String::from_utf8_lossy(&request.body);
        let (status, body) = replayed.sql_as_datalayers_rest(&statement);
        Reply::status(status)
            .header("content-type", "application/json")
            .body(&body)
    });
    Some(Fixture {
        roapi,
        rest,
        runtime,
        t0,
    })
}

impl Fixture {
    fn config(&self) -> ClientConfig {
        ClientConfig::new(&self.rest.base_url)
            .with_flight_sql_endpoint(self.roapi.flight_sql_url())
            .with_database("otel")
            .with_basic_auth(USER, PASSWORD)
    }
}

fn tag_filter(tags: &[(&str, &str)]) -> TraceFilter {
    TraceFilter {
        tags: tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..TraceFilter::default()
    }
}

fn ids(list: &[TraceSummary]) -> Vec<&str> {
    list.iter().map(|s| s.trace_id.as_str()).collect()
}

#[test]
fn list_filter_and_open_traces_over_flight_sql_as_over_rest() {
    let Some(fixture) = fixture() else {
        return;
    };
    let t0 = fixture.t0;
    fixture.runtime.block_on(async {
        let flight = DatalayersSql::new(FlightSqlClient::connect(&fixture.config()).await.unwrap());
        let rest_client = Client::new(fixture.config()).unwrap();
        let rest = DatalayersSql::new(&rest_client);

        let filters = [
            TraceFilter::default(),
            TraceFilter {
                service: Some("backend".into()),
                ..TraceFilter::default()
            },
            TraceFilter {
                span_name: Some("cache.get".into()),
                ..TraceFilter::default()
            },
            TraceFilter {
                min_duration: Some(Duration::from_millis(50)),
                ..TraceFilter::default()
            },
            TraceFilter {
                max_duration: Some(Duration::from_millis(3)),
                ..TraceFilter::default()
            },
            TraceFilter {
                limit: 1,
                offset: 1,
                ..TraceFilter::default()
            },
            TraceFilter {
                range: Some(TimeRange::between(t0 + 500 * MS, t0 + 1500 * MS)),
                ..TraceFilter::default()
            },
            // Tag filters first ask for the table's columns: Datalayers' `DESC TABLE`, which
            // DataFusion's parser (roapi) refuses, then `DESCRIBE`. A dimension column:
            tag_filter(&[("host.name", "db-2")]),
            tag_filter(&[("host.name", "web-1")]),
            // attributes in the JSON column, as text, as a number, and with a column beside:
            tag_filter(&[("db.system", "postgresql")]),
            tag_filter(&[("http.status_code", "500")]),
            tag_filter(&[("http.status_code", "50")]),
            tag_filter(&[("http.method", "GET"), ("host.name", "web-1")]),
        ];
        let expected: [&[&str]; 13] = [
            &[TRACE_C, TRACE_B, TRACE_A],
            &[TRACE_B, TRACE_A],
            &[TRACE_A],
            &[TRACE_A],
            &[TRACE_C],
            &[TRACE_B],
            &[TRACE_B],
            &[TRACE_B],
            &[TRACE_C, TRACE_A],
            &[TRACE_A],
            &[TRACE_A],
            &[],
            &[TRACE_A],
        ];
        for (filter, expected) in filters.iter().zip(expected) {
            let over_flight = flight.list_traces(filter).await.unwrap();
            let over_rest = rest.list_traces(filter).await.unwrap();
            assert_eq!(ids(&over_flight), expected, "{filter:?}");
            assert_eq!(over_flight, over_rest, "{filter:?}");
        }
        let all = flight.list_traces(&TraceFilter::default()).await.unwrap();
        let a = &all[2];
        assert_eq!(
            (a.start_ns, a.duration_ns, a.span_count, a.has_error),
            (t0, 100 * MS, 4, true)
        );
        assert_eq!(a.root_service.as_deref(), Some("frontend"));
        assert_eq!(a.root_span_name.as_deref(), Some("GET /cart"));

        for id in [TRACE_A, TRACE_B, TRACE_C] {
            let id = TraceId::parse(id).unwrap();
            let hint = TimeRange::last(Duration::from_secs(3600));
            let over_flight = flight.get_trace(&id, hint).await.unwrap();
            let over_rest = rest.get_trace(&id, hint).await.unwrap();
            assert_eq!(over_flight, over_rest, "{id}");
        }
        let a = flight
            .get_trace(&TraceId::parse(TRACE_A).unwrap(), TimeRange::UNBOUNDED)
            .await
            .unwrap();
        let shape: Vec<(&str, usize, Placement)> = a
            .tree
            .iter()
            .map(|entry| {
                (
                    a.spans[entry.span].name.as_str(),
                    entry.depth,
                    entry.placement,
                )
            })
            .collect();
        assert_eq!(
            shape,
            [
                ("GET /cart", 0, Placement::Root),
                ("SELECT cart", 1, Placement::Child),
                ("cache.get", 2, Placement::Child),
                ("render", 1, Placement::Child),
            ]
        );
        let db = a.spans.iter().find(|s| s.name == "SELECT cart").unwrap();
        assert_eq!(db.events.len(), 1, "the span event, from `logs`");
        let render = a.spans.iter().find(|s| s.name == "render").unwrap();
        assert_eq!(render.links.len(), 1, "the link, from `span-links`");

        assert_eq!(flight.services().await.unwrap(), ["backend", "frontend"]);
        assert_eq!(
            flight.services().await.unwrap(),
            rest.services().await.unwrap()
        );
        assert_eq!(
            flight.operations("backend").await.unwrap(),
            rest.operations("backend").await.unwrap()
        );
    });
}

#[test]
fn cli_traces_over_flight_sql_print_what_rest_prints() {
    let Some(fixture) = fixture() else {
        return;
    };
    let flight_url = fixture.roapi.flight_sql_url();
    let common = [
        ("OTEL_EXPORTER_DATALAYERS_DATABASE", "otel"),
        ("OTEL_EXPORTER_DATALAYERS_USERNAME", USER),
        ("OTEL_EXPORTER_DATALAYERS_PASSWORD", PASSWORD),
        (
            "OTEL_EXPORTER_DATALAYERS_ENDPOINT",
            fixture.rest.base_url.as_str(),
        ),
    ];
    let over_flight_env: Vec<(&str, &str)> = common
        .iter()
        .copied()
        .chain([(
            "OTEL_EXPORTER_DATALAYERS_FLIGHT_SQL_ENDPOINT",
            flight_url.as_str(),
        )])
        .collect();
    for args in [
        &["traces", "list"][..],
        &[
            "traces",
            "list",
            "--service",
            "backend",
            "--min-duration",
            "10ms",
        ],
        &["traces", "show", TRACE_A, "--attributes"],
        &["traces", "services"],
        &["traces", "operations", "frontend"],
    ] {
        let over_rest = otel_lp_env(args, &common);
        assert!(over_rest.success(), "{}", over_rest.stderr);
        // The flag and the variable.
        let with_flag: Vec<&str> = args
            .iter()
            .copied()
            .chain(["--flight-sql", flight_url.as_str()])
            .collect();
        for over_flight in [
            otel_lp_env(&with_flag, &common),
            otel_lp_env(args, &over_flight_env),
        ] {
            assert!(over_flight.success(), "{}", over_flight.stderr);
            assert_eq!(over_flight.stdout, over_rest.stdout, "{args:?}");
        }
    }
    let listed = otel_lp_env(&["traces", "list"], &over_flight_env).stdout;
    assert_eq!(
        listed.lines().count(),
        4,
        "a header and three traces:\n{listed}"
    );

    // Wrong credentials: a clear error, the user named, the password never shown.
    let mut wrong = over_flight_env.clone();
    wrong[2] = ("OTEL_EXPORTER_DATALAYERS_PASSWORD", "not-it-123");
    let out = otel_lp_env(&["traces", "list"], &wrong);
    assert_eq!(out.code, 1);
    let stderr = out.stderr.clone();
    assert!(
        stderr.contains("the Flight SQL handshake refused user \"admin\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: check --username/--password"),
        "{stderr}"
    );
    assert!(!stderr.contains("not-it-123"), "{stderr}");

    // Nothing listening there: the hint names the Flight SQL setting.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let out = otel_lp_env(&["traces", "list", "--flight-sql", &closed], &common);
    assert_eq!(out.code, 1);
    let stderr = out.stderr.clone();
    assert!(stderr.contains("cannot reach the server"), "{stderr}");
    assert!(stderr.contains("hint: is Flight SQL served at"), "{stderr}");

    // Flight SQL reads Datalayers SQL only.
    let out = otel_lp_env(
        &[
            "traces",
            "list",
            "--protocol",
            "influxdb-v1",
            "--flight-sql",
            &flight_url,
        ],
        &common,
    );
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("--protocol datalayers"),
        "{}",
        out.stderr
    );
}

/// `otel-lp serve --query-http` with `--flight-sql`: the query server's reads go over Flight SQL
/// (the REST API the gateway writes to gets no query), and answer what was stored.
#[test]
fn serve_query_server_reads_over_flight_sql() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let Some(fixture) = fixture() else {
        return;
    };
    let mut command = Command::new(env!("CARGO_BIN_EXE_otel-lp"));
    command
        .args([
            "serve",
            "--otlp-grpc",
            "127.0.0.1:0",
            "--otlp-http",
            "127.0.0.1:0",
        ])
        .args(["--query-http", "127.0.0.1:0", "--endpoint"])
        .arg(&fixture.rest.base_url)
        .args([
            "--database",
            "otel",
            "--username",
            USER,
            "--password",
            PASSWORD,
        ])
        .args(["--flight-sql", &fixture.roapi.flight_sql_url()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (key, _) in std::env::vars() {
        if key.starts_with("OTEL_EXPORTER_DATALAYERS_") || key.starts_with("OTEL_LP_") {
            command.env_remove(key);
        }
    }
    let mut child = command.spawn().unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let stderr = child.stderr.take().unwrap();
    let _child = Kill(child);
    // "otel-lp serve: OTLP/gRPC on ..., trace query server on ADDR (viewer at /, ...)"
    // Stderr is read to its end on a thread of its own: dropping the pipe after the start-up
    // line would make the gateway's next message fail (and the gateway exit).
    let (send, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = send.send(line);
        }
    });
    let query = lines
        .iter()
        .find_map(|line| {
            let rest = line.split("trace query server on ").nth(1)?;
            rest.split_whitespace().next().map(str::to_owned)
        })
        .expect("a trace query server");

    let get = |path: &str| -> (u16, serde_json::Value) {
        fixture.runtime.block_on(async {
            let response = reqwest::get(format!("http://{query}{path}")).await.unwrap();
            let status = response.status().as_u16();
            let body = response.text().await.unwrap();
            (status, serde_json::from_str(&body).unwrap())
        })
    };
    let (status, services) = get("/api/services");
    assert_eq!(status, 200, "{services}");
    assert_eq!(services["data"], serde_json::json!(["backend", "frontend"]));
    let (status, trace) = get(&format!("/api/traces/{TRACE_A}"));
    assert_eq!(status, 200, "{trace}");
    let mut names: Vec<&str> = trace["data"][0]["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|span| span["operationName"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["GET /cart", "SELECT cart", "cache.get", "render"]);
    assert!(
        fixture.rest.requests().is_empty(),
        "no read went to the REST API"
    );
}
