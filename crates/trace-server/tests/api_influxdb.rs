//! Every API endpoint end to end on a real InfluxDB 1.x: known traces written as the gateway
//! writes them, then read back through the server over HTTP, with the exact fields Grafana and
//! Jaeger UI read, and every answer checked against Jaeger's model (`common::schema`).

mod common;

use common::schema;
use common::*;
use serde_json::{Value as Json, json};
use test_support::InfluxServer;
use trace_server::TraceServerConfig;

/// The ids of a v1 search answer, in order.
fn trace_ids(body: &Json) -> Vec<String> {
    schema::envelope(body)
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            schema::trace(t);
            t["traceID"].as_str().unwrap().to_owned()
        })
        .collect()
}

fn span<'a>(trace: &'a Json, id: &str) -> &'a Json {
    trace["spans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["spanID"] == id)
        .unwrap_or_else(|| panic!("no span {id} in {trace}"))
}

fn tag<'a>(span: &'a Json, key: &str) -> Option<&'a Json> {
    span["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == key)
}

#[test]
fn every_endpoint_over_a_real_influxd() {
    let Some(influx) = InfluxServer::try_start() else {
        return;
    };
    let t0 = t0();
    let us = |ns: i64| ns / 1_000;
    write(&influx, &known_traces(t0));
    let server = TestServer::start(trace_server::router(
        store(&influx),
        TraceServerConfig::default(),
    ));

    // ---- services and operations ----------------------------------------------------------
    assert_eq!(
        server.ok("/api/services"),
        json!({"data": ["backend", "frontend", "payments"], "total": 3, "limit": 0, "offset": 0, "errors": null})
    );
    let legacy = server.ok("/api/services/backend/operations");
    assert_eq!(
        schema::envelope(&legacy),
        &json!(["SELECT cart", "consume order", "pg.query"])
    );
    let operations = server.ok("/api/operations?service=backend");
    let data = schema::envelope(&operations);
    data.as_array().unwrap().iter().for_each(schema::operation);
    assert_eq!(
        data,
        &json!([
            {"name": "SELECT cart", "spanKind": "client"},
            {"name": "consume order", "spanKind": "consumer"},
            {"name": "pg.query", "spanKind": "internal"}
        ])
    );
    assert_eq!(
        schema::envelope(&server.ok("/api/operations?service=backend&spanKind=client")),
        &json!([{"name": "SELECT cart", "spanKind": "client"}])
    );
    let (status, body) = server.get("/api/operations");
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"],
        json!([{"code": 400, "msg": "parameter 'service' is required"}])
    );

    // ---- search: every parameter ----------------------------------------------------------
    let search = |query: &str| trace_ids(&server.ok(&format!("/api/traces?{query}")));
    // Newest first; the default window (two days) holds them all; `lookback` is ignored.
    assert_eq!(
        search("lookback=1h&prettyPrint=true"),
        [TRACE_C, TRACE_B, TRACE_A]
    );
    assert_eq!(search("service=backend"), [TRACE_B, TRACE_A]);
    assert_eq!(search("service=payments&operation=charge"), [TRACE_A]);
    assert_eq!(search("operation=refund"), [TRACE_B]);
    // An integer attribute, matched by its text.
    assert_eq!(
        search(&format!("tags={}", enc(r#"{"http.status_code":"500"}"#))),
        [TRACE_A]
    );
    assert_eq!(search("tag=db.system:postgres"), [TRACE_A]);
    assert_eq!(search("tag=db.system:mysql"), Vec::<String>::new());
    // Values with the characters a regular expression or a quote would trip on.
    assert_eq!(search("tag=http.route:/cart"), [TRACE_A]);
    assert_eq!(search("tag=http.route:/car"), Vec::<String>::new());
    assert_eq!(
        search(&format!(
            "tag={}",
            enc("db.statement:SELECT * FROM cart WHERE id = $1")
        )),
        [TRACE_A]
    );
    assert_eq!(
        search(&format!("tag={}", enc("db.statement:SELECT .*"))),
        Vec::<String>::new()
    );
    // Hostile text stays a value: the database answers, nothing matches.
    for hostile in [
        r#"http.route:/cart' OR '1'='1"#,
        r#"a"b\:/x/ OR 1=1"#,
        "k:v/; DROP DATABASE test",
    ] {
        assert_eq!(
            search(&format!("tag={}", enc(hostile))),
            Vec::<String>::new(),
            "{hostile}"
        );
    }
    assert_eq!(
        search(&format!("service={}", enc("frontend' OR '1'='1"))),
        Vec::<String>::new()
    );
    // A double and a bool attribute; both tags on the same span.
    assert_eq!(
        search(&format!(
            "tags={}",
            enc(r#"{"amount":"12.5","retried":"true"}"#)
        )),
        [TRACE_A]
    );
    assert_eq!(
        search(&format!(
            "tags={}&tag=retried:true",
            enc(r#"{"amount":"99"}"#)
        )),
        Vec::<String>::new()
    );
    // The tags the Jaeger conversion derives.
    assert_eq!(search("tag=error:true"), [TRACE_A]);
    assert_eq!(search("tag=span.kind:consumer"), [TRACE_B]);
    assert_eq!(search("tag=otel.status_code:OK"), [TRACE_B]);
    // A dimension tag (a column): every span has host.name from its resource.
    assert_eq!(
        search("service=payments&tag=host.name:web-1"),
        [TRACE_B, TRACE_A]
    );
    // Durations in Go's syntax, on the whole trace.
    assert_eq!(search("minDuration=100ms"), [TRACE_A]);
    assert_eq!(search("maxDuration=2.5ms"), [TRACE_C]);
    assert_eq!(search("minDuration=4ms&maxDuration=0.01s"), [TRACE_B]);
    assert_eq!(search("minDuration=1h2m3.5s"), Vec::<String>::new());
    // A window in microseconds.
    assert_eq!(
        search(&format!(
            "start={}&end={}",
            us(t0 + 1000 * MS),
            us(t0 + 3000 * MS)
        )),
        [TRACE_B]
    );
    assert_eq!(search("limit=1"), [TRACE_C]);
    // By id, the other conditions ignored.
    assert_eq!(
        search(&format!(
            "traceID={TRACE_A}&traceID={TRACE_C}&service=nobody"
        )),
        [TRACE_A, TRACE_C]
    );

    // ---- a trace, exact fields --------------------------------------------------------------
    let body = server.ok(&format!("/api/traces/{TRACE_A}"));
    let traces = schema::envelope(&body).as_array().unwrap();
    assert_eq!(traces.len(), 1);
    let a = &traces[0];
    schema::trace(a);
    assert_eq!(a["traceID"], TRACE_A);
    assert_eq!(a["spans"].as_array().unwrap().len(), 5);
    assert_eq!(a["warnings"], Json::Null);
    let processes = a["processes"].as_object().unwrap();
    let service_of =
        |span: &Json| processes[span["processID"].as_str().unwrap()]["serviceName"].clone();
    let root = span(a, "00000000000000a1");
    assert_eq!(root["operationName"], "GET /cart");
    assert_eq!(root["references"], json!([]));
    assert_eq!(root["startTime"], us(t0));
    assert_eq!(root["duration"], 120_000);
    assert_eq!(service_of(root), "frontend");
    assert_eq!(
        tag(root, "span.kind"),
        Some(&json!({"key": "span.kind", "type": "string", "value": "server"}))
    );
    assert_eq!(
        tag(root, "error"),
        Some(&json!({"key": "error", "type": "bool", "value": true}))
    );
    assert_eq!(
        tag(root, "http.status_code"),
        Some(&json!({"key": "http.status_code", "type": "int64", "value": 500}))
    );
    assert_eq!(tag(root, "otel.status_code").unwrap()["value"], "ERROR");
    assert_eq!(
        tag(root, "otel.status_description").unwrap()["value"],
        "upstream failed"
    );
    assert_eq!(tag(root, "host.name").unwrap()["value"], "web-1");

    let select = span(a, "00000000000000a3");
    assert_eq!(
        select,
        &json!({
            "traceID": TRACE_A,
            "spanID": "00000000000000a3",
            "operationName": "SELECT cart",
            "references": [
                {"refType": "CHILD_OF", "traceID": TRACE_A, "spanID": "00000000000000a1"},
                {"refType": "FOLLOWS_FROM", "traceID": TRACE_B, "spanID": "00000000000000b1"}
            ],
            "startTime": us(t0 + 30 * MS),
            "duration": 50_000,
            "tags": [
                {"key": "span.kind", "type": "string", "value": "client"},
                {"key": "db.statement", "type": "string", "value": "SELECT * FROM cart WHERE id = $1"},
                {"key": "db.system", "type": "string", "value": "postgres"},
                {"key": "host.name", "type": "string", "value": "web-1"}
            ],
            "logs": [
                {"timestamp": us(t0 + 30 * MS), "fields": [
                    {"key": "event", "type": "string", "value": "link"},
                    {"key": "trace_id", "type": "string", "value": TRACE_B},
                    {"key": "span_id", "type": "string", "value": "00000000000000b1"},
                    {"key": "reason", "type": "string", "value": "batch"}
                ]},
                {"timestamp": us(t0 + 32 * MS), "fields": [
                    {"key": "event", "type": "string", "value": "cache.miss"},
                    {"key": "key", "type": "string", "value": "cart:1"}
                ]}
            ],
            "processID": select["processID"],
            "warnings": null
        })
    );
    assert_eq!(service_of(select), "backend");
    let charge = span(a, "00000000000000a5");
    assert_eq!(
        tag(charge, "amount"),
        Some(&json!({"key": "amount", "type": "float64", "value": 12.5}))
    );
    assert_eq!(
        tag(charge, "retried"),
        Some(&json!({"key": "retried", "type": "bool", "value": true}))
    );
    assert_eq!(
        tag(span(a, "00000000000000a4"), "error").unwrap()["value"],
        true
    );
    assert!(tag(span(a, "00000000000000a2"), "error").is_none());

    // A missing parent is a warning on the span; the hint narrows the search.
    let c = server.ok(&format!(
        "/api/traces/{TRACE_C}?start={}&end={}",
        us(t0 + 3000 * MS),
        us(t0 + 5000 * MS)
    ));
    let c = &schema::envelope(&c)[0];
    assert!(
        c["spans"][0]["warnings"][0]
            .as_str()
            .unwrap()
            .contains("ffffffffffffffff"),
        "{c}"
    );
    // Outside the hint, not found.
    let (status, body) = server.get(&format!("/api/traces/{TRACE_C}?end={}", us(t0)));
    assert_eq!((status, &body["errors"][0]["code"]), (404, &json!(404)));

    // ---- errors -----------------------------------------------------------------------------
    let (status, body) = server.get(&format!("/api/traces/{UNKNOWN}"));
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"data": null, "total": 0, "limit": 0, "offset": 0, "errors": [{"code": 404, "msg": "trace not found"}]})
    );
    for (query, says) in [
        ("minDuration=1x", "unable to parse param 'minDuration'"),
        (
            "maxDuration=-5ms",
            "unable to parse param 'maxDuration': negative duration",
        ),
        (
            "minDuration=2s&maxDuration=1s",
            "'maxDuration' should be greater than 'minDuration'",
        ),
        ("tags=%5B1%5D", "malformed 'tags' parameter"),
        (
            "tag=nocolon",
            "malformed 'tag' parameter, expecting key:value",
        ),
        ("start=yesterday", "unable to parse param 'start'"),
        ("limit=100000", "more than this server allows (1500)"),
        ("traceID=xyz", "unable to parse param 'traceID'"),
    ] {
        let (status, body) = server.get(&format!("/api/traces?{query}"));
        assert_eq!(status, 400, "{query}: {body}");
        schema::envelope(&body);
        let msg = body["errors"][0]["msg"].as_str().unwrap();
        assert!(msg.contains(says), "{query}: {msg}");
        assert_eq!(body["errors"][0]["code"], 400);
    }
    let (status, body) = server.get("/api/traces/not-hex");
    assert_eq!(
        (status, body["errors"][0]["code"].as_u64()),
        (400, Some(400))
    );
    let (status, body) = server.get("/api/nothing-here");
    assert_eq!(
        (status, body["errors"][0]["code"].as_u64()),
        (404, Some(404))
    );

    // ---- dependencies -----------------------------------------------------------------------
    let deps = server.ok(&format!(
        "/api/dependencies?endTs={}&lookback=3600000",
        (t0 + 10_000 * MS) / MS
    ));
    let data = schema::envelope(&deps).as_array().unwrap();
    data.iter().for_each(schema::dependency);
    assert_eq!(
        data,
        &vec![
            json!({"parent": "backend", "child": "payments", "callCount": 1}),
            json!({"parent": "frontend", "child": "backend", "callCount": 1}),
            json!({"parent": "frontend", "child": "payments", "callCount": 1})
        ]
    );
    let only = server.ok("/api/dependencies?service=backend");
    assert_eq!(schema::envelope(&only).as_array().unwrap().len(), 2);
    let before = server.ok(&format!(
        "/api/dependencies?endTs={}",
        (t0 - 1000 * MS) / MS
    ));
    assert_eq!(schema::envelope(&before), &json!([]));

    // ---- API v3 -----------------------------------------------------------------------------
    assert_eq!(
        server.ok("/api/v3/services"),
        json!({"services": ["backend", "frontend", "payments"]})
    );
    assert_eq!(
        server.ok("/api/v3/operations?service=payments"),
        json!({"operations": [{"name": "charge", "spanKind": "server"}, {"name": "refund", "spanKind": "internal"}]})
    );
    assert_eq!(
        server.ok("/api/v3/operations?service=payments&span_kind=server"),
        json!({"operations": [{"name": "charge", "spanKind": "server"}]})
    );
    let window = format!(
        "query.startTimeMin={}&query.startTimeMax={}",
        enc(&rfc3339(t0 - 60_000 * MS)),
        enc(&rfc3339(t0 + 60_000 * MS))
    );
    let summaries = server.ok(&format!(
        "/api/v3/trace-summaries?query.serviceName=backend&{window}"
    ));
    let list = summaries["summaries"].as_array().unwrap();
    list.iter().for_each(schema::summary);
    assert_eq!(
        list[1],
        json!({
            "traceId": TRACE_A,
            "rootServiceName": "frontend",
            "rootOperationName": "GET /cart",
            "minStartTimeUnixNano": t0.to_string(),
            "maxEndTimeUnixNano": (t0 + 120 * MS).to_string(),
            "spanCount": 5,
            "errorSpanCount": 2,
            "services": [
                {"name": "backend", "spanCount": 2, "errorSpanCount": 1},
                {"name": "frontend", "spanCount": 2, "errorSpanCount": 1},
                {"name": "payments", "spanCount": 1}
            ]
        })
    );
    assert_eq!(list[0]["traceId"], TRACE_B);
    assert_eq!(list.len(), 2);
    // Jaeger UI's spelling of every search parameter.
    let summaries = server.ok(&format!(
        "/api/v3/trace-summaries?{window}&query.attributes={}&query.durationMin=1ms&query.searchDepth=5",
        enc(r#"{"db.system":"postgres"}"#)
    ));
    assert_eq!(summaries["summaries"].as_array().unwrap().len(), 1);
    let summaries = server.ok(&format!(
        "/api/v3/trace-summaries?query.start_time_min={}&query.start_time_max={}&query.operation_name=refund",
        enc(&rfc3339(t0)),
        enc(&rfc3339(t0 + 10_000 * MS))
    ));
    assert_eq!(summaries["summaries"][0]["traceId"], TRACE_B);

    let found = server.ok(&format!(
        "/api/v3/traces?query.serviceName=payments&{window}"
    ));
    schema::traces_data(&found["result"]);
    let resources = found["result"]["resourceSpans"].as_array().unwrap();
    // B (payments, backend), then A (frontend, backend, payments).
    let trace_of = |r: &Json| {
        r["scopeSpans"][0]["spans"][0]["traceId"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        resources.iter().map(trace_of).collect::<Vec<_>>(),
        [TRACE_B, TRACE_B, TRACE_A, TRACE_A, TRACE_A]
    );
    let (status, body) = server.get(&format!("/api/v3/traces?query.serviceName=nobody&{window}"));
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"error": {"httpCode": 404, "message": "No traces found"}})
    );

    let one = server.ok(&format!("/api/v3/traces/{TRACE_A}"));
    schema::traces_data(&one["result"]);
    let spans: Vec<&Json> = one["result"]["resourceSpans"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["scopeSpans"][0]["spans"].as_array().unwrap())
        .collect();
    assert_eq!(spans.len(), 5);
    let root = spans
        .iter()
        .find(|s| s["spanId"] == "00000000000000a1")
        .unwrap();
    assert_eq!(root["kind"], 2);
    assert_eq!(
        root["status"],
        json!({"code": 2, "message": "upstream failed"})
    );
    assert_eq!(root["startTimeUnixNano"], t0.to_string());
    assert_eq!(root["endTimeUnixNano"], (t0 + 120 * MS).to_string());
    let select = spans
        .iter()
        .find(|s| s["spanId"] == "00000000000000a3")
        .unwrap();
    assert_eq!(select["parentSpanId"], "00000000000000a1");
    assert_eq!(select["events"][0]["name"], "cache.miss");
    assert_eq!(
        select["links"][0],
        json!({"traceId": TRACE_B, "spanId": "00000000000000b1", "attributes": [{"key": "reason", "value": {"stringValue": "batch"}}]})
    );
    // Base64 ids, as Jaeger also accepts.
    let base64_id = "S/kvNXezTaajzpKdDg5HNg==";
    assert_eq!(
        server.ok(&format!("/api/v3/traces/{}", enc(base64_id))),
        one
    );
    let (status, body) = server.get(&format!("/api/v3/traces/{UNKNOWN}"));
    assert_eq!(
        (status, &body),
        (
            404,
            &json!({"error": {"httpCode": 404, "message": "No traces found"}})
        )
    );
    let (status, body) = server.get("/api/v3/trace-summaries?query.startTimeMin=soon");
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("query.startTimeMin"),
        "{body}"
    );
}
