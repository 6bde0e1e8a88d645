//! Jaeger's query-API JSON: golden files shaped like Jaeger's own converter fixtures
//! (`internal/uimodel/converter/v1/json/fixtures/ui_*.json`), read and written back byte for
//! byte, and a stored trace converted with every rule of the OpenTelemetry-to-Jaeger mapping;
//! the same trace as OTLP JSON, the shape of Jaeger's API v3 (its HTTP gateway's
//! `snapshots/GetTrace.json`).
//!
//! `UPDATE_GOLDEN=1 cargo test -p trace-query --test jaeger` rewrites `converted.json` and
//! `otlp.json` after an intended change; review the diff.

use std::path::PathBuf;

use datalayers_client::query::Value;
use serde_json::{Map, Value as Json, json};
use trace_query::jaeger::{self, DependencyLink, KeyValue, Operation, RefType, Response, TagValue};
use trace_query::{Span, SpanEvent, SpanLink, Trace, TraceId, assemble};

const T0: i64 = 1_700_000_000_000_000_000;
const MS: i64 = 1_000_000;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/jaeger")
        .join(name)
}

fn pretty(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap() + "\n"
}

fn attrs(value: Json) -> Map<String, Json> {
    match value {
        Json::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

#[test]
fn uimodel_json_reads_and_writes_back_unchanged() {
    let text = std::fs::read_to_string(fixture("uimodel.json")).unwrap();
    let trace: jaeger::Trace = serde_json::from_str(&text).unwrap();

    let root = &trace.spans[0];
    let tag = |key: &str| {
        root.tags
            .iter()
            .find(|t| t.key == key)
            .unwrap()
            .value
            .clone()
    };
    assert_eq!(tag("http.status_code"), TagValue::Int64(503));
    assert_eq!(tag("error"), TagValue::Bool(true));
    assert_eq!(tag("load"), TagValue::Float64(0.75));
    // Beyond 2^53 Jaeger writes int64 as text; it is still an int64.
    assert_eq!(tag("request.bytes"), TagValue::Int64(9_007_199_254_740_993));
    assert_eq!(
        tag("payload"),
        TagValue::Binary(vec![0xde, 0xad, 0xbe, 0xef])
    );
    assert_eq!(root.logs[0].fields[0], KeyValue::string("event", "retry"));
    assert_eq!(root.warnings, None);
    let child = &trace.spans[1];
    assert_eq!(
        child
            .references
            .iter()
            .map(|r| r.ref_type)
            .collect::<Vec<_>>(),
        [RefType::ChildOf, RefType::FollowsFrom]
    );
    assert_eq!(trace.processes["p2"].service_name, "redis");

    // Written back: the same text, field order and `null`s included.
    assert_eq!(pretty(&trace), text);
}

#[test]
fn tags_are_typed_as_jaeger_types_them() {
    let cases = [
        (
            TagValue::String("x".into()),
            json!({"key":"k","type":"string","value":"x"}),
        ),
        (
            TagValue::Bool(false),
            json!({"key":"k","type":"bool","value":false}),
        ),
        (
            TagValue::Int64((1 << 53) - 1),
            json!({"key":"k","type":"int64","value":9_007_199_254_740_991_i64}),
        ),
        (
            TagValue::Int64(-(1 << 53) + 1),
            json!({"key":"k","type":"int64","value":-9_007_199_254_740_991_i64}),
        ),
        (
            TagValue::Int64(1 << 53),
            json!({"key":"k","type":"int64","value":"9007199254740992"}),
        ),
        (
            TagValue::Int64(i64::MIN),
            json!({"key":"k","type":"int64","value":"-9223372036854775808"}),
        ),
        (
            TagValue::Float64(-2.5),
            json!({"key":"k","type":"float64","value":-2.5}),
        ),
        (
            TagValue::Binary(b"\x00\x01\xff".to_vec()),
            json!({"key":"k","type":"binary","value":"AAH/"}),
        ),
    ];
    for (value, expected) in cases {
        let tag = KeyValue::new("k", value);
        assert_eq!(serde_json::to_value(&tag).unwrap(), expected);
        let back: KeyValue = serde_json::from_value(expected).unwrap();
        assert_eq!(back, tag);
    }
    // Without a type, the JSON type decides.
    let untyped: KeyValue = serde_json::from_value(json!({"key":"n","value":7})).unwrap();
    assert_eq!(untyped.value, TagValue::Int64(7));
    // A value that does not fit its type is an error naming the tag.
    for bad in [
        json!({"key":"n","type":"int64","value":"seven"}),
        json!({"key":"n","type":"bool","value":"yes"}),
        json!({"key":"n","type":"binary","value":"***"}),
    ] {
        let err = serde_json::from_value::<KeyValue>(bad).unwrap_err();
        assert!(err.to_string().contains("tag \"n\""), "{err}");
    }
}

#[test]
fn envelopes_and_small_answers() {
    let services = Response::new(vec!["backend".to_owned(), "frontend".to_owned()]);
    assert_eq!(
        serde_json::to_value(&services).unwrap(),
        json!({"data":["backend","frontend"],"total":2,"limit":0,"offset":0,"errors":null})
    );
    assert_eq!(
        serde_json::to_value(Response::error(404, "trace not found")).unwrap(),
        json!({"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":404,"msg":"trace not found"}]})
    );
    let operations = Response::new(vec![Operation {
        name: "GET /cart".into(),
        span_kind: "server".into(),
    }]);
    assert_eq!(
        serde_json::to_value(&operations).unwrap()["data"],
        json!([{"name":"GET /cart","spanKind":"server"}])
    );
    let link = DependencyLink {
        parent: "frontend".into(),
        child: "backend".into(),
        call_count: 3,
    };
    assert_eq!(
        serde_json::to_value(&link).unwrap(),
        json!({"parent":"frontend","child":"backend","callCount":3})
    );
}

/// A stored trace exercising every conversion rule.
fn stored_trace() -> Trace {
    let id: TraceId = "4bf92f3577b34da6a3ce929d0e0e4736".parse().unwrap();

    let mut root = Span::new("00000000000000a1", "GET /cart", T0, 100 * MS + 999);
    root.service = Some("frontend".into());
    root.kind = Some("Server".into());
    root.status_code = Some("Error".into());
    root.status_message = Some("upstream failed".into());
    root.trace_state = Some("vendor=x".into());
    root.attributes = attrs(json!({
        "http.method": "GET", "http.status_code": 500, "ratio": 0.5, "retried": true,
        "tags": ["a", "b"], "error": "replaced by the status"
    }));
    root.other = vec![
        ("host.name".into(), Value::String("web-1".into())),
        ("dropped_attributes_count".into(), Value::UInt(2)),
    ];

    let mut db = Span::new("00000000000000b2", "SELECT cart", T0 + 10 * MS, 50 * MS);
    db.parent_span_id = Some("00000000000000a1".into());
    db.service = Some("backend".into());
    db.kind = Some("Client".into());
    db.status_code = Some("Ok".into());

    let mut orphan = Span::new("00000000000000c3", "late callback", T0 + 200 * MS, 2 * MS);
    orphan.parent_span_id = Some("ffffffffffffffff".into());
    orphan.service = Some("frontend".into());
    orphan.kind = Some("Internal".into());
    orphan.undecoded_attributes = Some("not json".into());

    let nameless = Span::new("00000000000000d4", "anonymous", T0 + 300 * MS, 999);

    let event = |ms: i64, name: Option<&str>, body: Option<&str>, attributes: Json| SpanEvent {
        time_ns: T0 + ms * MS,
        name: name.map(Into::into),
        body: body.map(Into::into),
        severity: body.map(|_| "WARN".into()),
        attributes: attrs(attributes),
    };
    let events = vec![
        (
            "00000000000000b2".to_owned(),
            event(20, Some("cache.miss"), None, json!({"key": "cart:1"})),
        ),
        (
            "00000000000000b2".to_owned(),
            event(30, None, Some("query slow"), json!({"rows": 120})),
        ),
        (
            "00000000000000b2".to_owned(),
            event(
                40,
                Some("named"),
                None,
                json!({"event": "the attribute wins"}),
            ),
        ),
        (
            "eeeeeeeeeeeeeeee".to_owned(),
            event(50, Some("stray"), None, json!({})),
        ),
        (
            "eeeeeeeeeeeeeeee".to_owned(),
            event(51, Some("stray"), None, json!({})),
        ),
    ];
    let link = |span_id: &str, attributes: Json| SpanLink {
        linked_trace_id: "0af7651916cd43dd8448eb211c80319c".into(),
        linked_span_id: span_id.into(),
        trace_state: None,
        attributes: attrs(attributes),
    };
    let links = vec![
        (
            "00000000000000b2".to_owned(),
            link("b7ad6b7169203331", json!({"reason": "batch"})),
        ),
        (
            "00000000000000b2".to_owned(),
            link("b7ad6b7169203332", json!({})),
        ),
    ];
    assemble(
        id,
        vec![nameless, orphan, db, root],
        events,
        links,
        vec!["a spans row without span_id".into()],
    )
}

#[test]
fn a_stored_trace_converts_as_the_golden_file() {
    let converted = jaeger::Trace::from(&stored_trace());
    let text = pretty(&converted);
    let path = fixture("converted.json");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let golden = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text, golden,
        "run with UPDATE_GOLDEN=1 after an intended change"
    );
    // And the golden file is Jaeger JSON our own reader accepts.
    let read: jaeger::Trace = serde_json::from_str(&golden).unwrap();
    assert_eq!(read, converted);
}

#[test]
fn conversion_rules() {
    let trace = jaeger::Trace::from(&stored_trace());
    let json = serde_json::to_value(&trace).unwrap();
    let span = |id: &str| {
        json["spans"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["spanID"] == id)
            .unwrap()
            .clone()
    };
    let tag = |span: &Json, key: &str| {
        span["tags"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["key"] == key)
            .cloned()
            .collect::<Vec<_>>()
    };

    let root = span("00000000000000a1");
    assert_eq!(root["operationName"], "GET /cart");
    assert_eq!(root["references"], json!([]));
    // Microseconds, truncated.
    assert_eq!(root["startTime"], 1_700_000_000_000_000_u64);
    assert_eq!(root["duration"], 100_000);
    assert_eq!(
        tag(&root, "span.kind"),
        [json!({"key":"span.kind","type":"string","value":"server"})]
    );
    // The status sets `error: true`, once, replacing the attribute of the same name.
    assert_eq!(
        tag(&root, "error"),
        [json!({"key":"error","type":"bool","value":true})]
    );
    assert_eq!(tag(&root, "otel.status_code")[0]["value"], "ERROR");
    assert_eq!(
        tag(&root, "otel.status_description")[0]["value"],
        "upstream failed"
    );
    assert_eq!(tag(&root, "w3c.tracestate")[0]["value"], "vendor=x");
    assert_eq!(
        tag(&root, "http.status_code")[0],
        json!({"key":"http.status_code","type":"int64","value":500})
    );
    assert_eq!(tag(&root, "ratio")[0]["type"], "float64");
    assert_eq!(tag(&root, "retried")[0]["type"], "bool");
    assert_eq!(
        tag(&root, "tags")[0],
        json!({"key":"tags","type":"string","value":"[\"a\",\"b\"]"})
    );
    assert_eq!(tag(&root, "host.name")[0]["value"], "web-1");
    assert_eq!(tag(&root, "otel.dropped_attributes_count")[0]["value"], 2);

    let db = span("00000000000000b2");
    assert_eq!(
        db["references"],
        json!([
            {"refType":"CHILD_OF","traceID":"4bf92f3577b34da6a3ce929d0e0e4736","spanID":"00000000000000a1"},
            {"refType":"FOLLOWS_FROM","traceID":"0af7651916cd43dd8448eb211c80319c","spanID":"b7ad6b7169203331"},
            {"refType":"FOLLOWS_FROM","traceID":"0af7651916cd43dd8448eb211c80319c","spanID":"b7ad6b7169203332"}
        ])
    );
    assert!(tag(&db, "error").is_empty());
    assert_eq!(tag(&db, "otel.status_code")[0]["value"], "OK");
    let logs = db["logs"].as_array().unwrap();
    // The link with attributes as a log at the span's start, then the events by time.
    assert_eq!(logs.len(), 4);
    assert_eq!(logs[0]["timestamp"], 1_700_000_000_010_000_u64);
    assert_eq!(
        logs[0]["fields"][0],
        json!({"key":"event","type":"string","value":"link"})
    );
    assert_eq!(
        logs[1]["fields"][0],
        json!({"key":"event","type":"string","value":"cache.miss"})
    );
    assert_eq!(
        logs[2]["fields"][0],
        json!({"key":"message","type":"string","value":"query slow"})
    );
    assert_eq!(
        logs[2]["fields"][1],
        json!({"key":"level","type":"string","value":"WARN"})
    );
    assert_eq!(
        logs[3]["fields"],
        json!([{"key":"event","type":"string","value":"the attribute wins"}])
    );

    let orphan = span("00000000000000c3");
    assert_eq!(orphan["references"][0]["spanID"], "ffffffffffffffff");
    assert_eq!(tag(&orphan, "span.kind")[0]["value"], "internal");
    assert_eq!(tag(&orphan, "attributes")[0]["value"], "not json");
    let warnings = orphan["warnings"].as_array().unwrap();
    assert!(
        warnings[0].as_str().unwrap().contains("ffffffffffffffff"),
        "{warnings:?}"
    );
    assert_eq!(warnings.len(), 2);

    let nameless = span("00000000000000d4");
    assert!(tag(&nameless, "span.kind").is_empty());
    assert_eq!(nameless["duration"], 0);
    assert_eq!(nameless["warnings"], Json::Null);

    // One process per service in order of appearance; spans without one are unknown_service.
    assert_eq!(
        json["processes"],
        json!({
            "p1": {"serviceName": "frontend", "tags": []},
            "p2": {"serviceName": "backend", "tags": []},
            "p3": {"serviceName": "unknown_service", "tags": []}
        })
    );
    assert_eq!(
        [
            root["processID"].clone(),
            db["processID"].clone(),
            orphan["processID"].clone(),
            nameless["processID"].clone()
        ],
        [json!("p1"), json!("p2"), json!("p1"), json!("p3")]
    );
    assert_eq!(
        json["warnings"],
        json!([
            "a stored row could not be read: a spans row without span_id",
            "2 event(s) or log(s) of span eeeeeeeeeeeeeeee, which is not in the trace"
        ])
    );
}

#[test]
fn a_stored_trace_as_otlp_json_matches_the_golden_file() {
    use trace_query::otlp::TracesData;
    // Jaeger's API v3 wraps it: `{"result": TracesData}`.
    let converted = json!({"result": TracesData::from_traces(&[stored_trace()])});
    let text = pretty(&converted);
    let path = fixture("otlp.json");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let golden = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text, golden,
        "run with UPDATE_GOLDEN=1 after an intended change"
    );

    let resources = converted["result"]["resourceSpans"].as_array().unwrap();
    // One resource per service, in order of first appearance.
    let services: Vec<&Json> = resources
        .iter()
        .map(|r| &r["resource"]["attributes"][0]["value"]["stringValue"])
        .collect();
    assert_eq!(
        services,
        [
            &json!("frontend"),
            &json!("backend"),
            &json!("unknown_service")
        ]
    );
    let spans = |i: usize| {
        resources[i]["scopeSpans"][0]["spans"]
            .as_array()
            .unwrap()
            .clone()
    };
    let root = &spans(0)[0];
    assert_eq!(root["kind"], 2);
    assert_eq!(
        root["status"],
        json!({"message": "upstream failed", "code": 2})
    );
    assert_eq!(root["startTimeUnixNano"], "1700000000000000000");
    assert_eq!(root["endTimeUnixNano"], "1700000000100000999");
    assert_eq!(root["droppedAttributesCount"], 2);
    assert!(root.get("parentSpanId").is_none());
    let attribute = |span: &Json, key: &str| {
        span["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["key"] == key)
            .map(|a| a["value"].clone())
    };
    assert_eq!(
        attribute(root, "http.status_code"),
        Some(json!({"intValue": "500"}))
    );
    assert_eq!(attribute(root, "ratio"), Some(json!({"doubleValue": 0.5})));
    assert_eq!(attribute(root, "retried"), Some(json!({"boolValue": true})));
    assert_eq!(
        attribute(root, "tags"),
        Some(json!({"arrayValue": {"values": [{"stringValue": "a"}, {"stringValue": "b"}]}}))
    );
    assert_eq!(
        attribute(root, "host.name"),
        Some(json!({"stringValue": "web-1"}))
    );
    let db = &spans(1)[0];
    assert_eq!(db["parentSpanId"], "00000000000000a1");
    assert_eq!(db["kind"], 3);
    assert_eq!(db["status"], json!({"code": 1}));
    assert_eq!(
        db["links"][0]["attributes"][0],
        json!({"key": "reason", "value": {"stringValue": "batch"}})
    );
    assert_eq!(db["events"][1]["name"], "log");
    assert_eq!(
        db["events"][1]["attributes"][0],
        json!({"key": "message", "value": {"stringValue": "query slow"}})
    );
    // A span with no status, kind or attributes leaves them out, as protobuf's JSON does.
    let nameless = &spans(2)[0];
    assert_eq!(nameless["status"], json!({}));
    assert!(nameless.get("kind").is_none() && nameless.get("attributes").is_none());
}
