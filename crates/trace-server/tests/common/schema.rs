//! Shape checks written from Jaeger's own models, independent of the server's types: every
//! required key present with its type, nothing else at the top of each object.
//!
//! - API v1: `internal/uimodel/model.go` (Trace, Span, Reference, Process, KeyValue, Log,
//!   DependencyLink) and the envelope of `cmd/query/app/http_handler.go` (`structuredResponse`).
//! - API v3: the trace summary as Jaeger UI validates it (`src/api/v3/schemas.ts`: a 32-hex
//!   `traceId`, decimal-string times, non-negative counts), OTLP `TracesData` in protobuf JSON.

#![allow(dead_code, unreachable_pub)]

use serde_json::{Map, Value as Json};

fn object<'a>(value: &'a Json, what: &str) -> &'a Map<String, Json> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("{what} is not an object: {value}"))
}

/// The object's keys are exactly `required` plus any of `optional`.
fn keys(map: &Map<String, Json>, required: &[&str], optional: &[&str], what: &str) {
    for key in required {
        assert!(map.contains_key(*key), "{what} lacks `{key}`: {map:?}");
    }
    for key in map.keys() {
        assert!(
            required.contains(&key.as_str()) || optional.contains(&key.as_str()),
            "{what} has an unexpected key `{key}`"
        );
    }
}

fn hex(value: &Json, len: usize, what: &str) {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {value}"));
    assert!(
        text.len() == len
            && text
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
        "{what} is not {len} lowercase hex digits: {text}"
    );
}

fn unsigned(value: &Json, what: &str) -> u64 {
    value
        .as_u64()
        .unwrap_or_else(|| panic!("{what} is not an unsigned integer: {value}"))
}

fn string<'a>(value: &'a Json, what: &str) -> &'a str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {value}"))
}

fn array<'a>(value: &'a Json, what: &str) -> &'a Vec<Json> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("{what} is not an array: {value}"))
}

fn null_or_strings(value: &Json, what: &str) {
    if !value.is_null() {
        for item in array(value, what) {
            string(item, what);
        }
    }
}

/// The v1 envelope: `{data, total, limit, offset, errors}`; returns `data`.
pub fn envelope(body: &Json) -> &Json {
    let map = object(body, "the envelope");
    keys(
        map,
        &["data", "total", "limit", "offset", "errors"],
        &[],
        "the envelope",
    );
    for key in ["total", "limit", "offset"] {
        unsigned(&map[key], key);
    }
    if !map["errors"].is_null() {
        for error in array(&map["errors"], "errors") {
            let e = object(error, "an error");
            keys(e, &["msg"], &["code", "traceID"], "an error");
            string(&e["msg"], "msg");
        }
    }
    &map["data"]
}

/// `{key, type, value}` with the value of its type.
pub fn key_value(value: &Json, what: &str) {
    let map = object(value, what);
    keys(map, &["key", "type", "value"], &[], what);
    string(&map["key"], "key");
    let v = &map["value"];
    match string(&map["type"], "type") {
        "string" | "binary" => {
            string(v, what);
        }
        "bool" => assert!(v.is_boolean(), "{what}: a bool tag with {v}"),
        "int64" => assert!(
            v.is_i64() || v.as_str().is_some_and(|s| s.parse::<i64>().is_ok()),
            "{what}: an int64 tag with {v}"
        ),
        "float64" => assert!(v.is_number(), "{what}: a float64 tag with {v}"),
        other => panic!("{what}: unknown tag type {other}"),
    }
}

/// A trace as `uimodel.Trace`.
pub fn trace(value: &Json) {
    let t = object(value, "a trace");
    keys(
        t,
        &["traceID", "spans", "processes", "warnings"],
        &[],
        "a trace",
    );
    hex(&t["traceID"], 32, "traceID");
    null_or_strings(&t["warnings"], "trace warnings");
    let processes = object(&t["processes"], "processes");
    for (id, process) in processes {
        let p = object(process, "a process");
        keys(p, &["serviceName", "tags"], &[], &format!("process {id}"));
        string(&p["serviceName"], "serviceName");
        for tag in array(&p["tags"], "process tags") {
            key_value(tag, "a process tag");
        }
    }
    for span in array(&t["spans"], "spans") {
        let s = object(span, "a span");
        let what = format!("span {}", s.get("spanID").unwrap_or(&Json::Null));
        keys(
            s,
            &[
                "traceID",
                "spanID",
                "operationName",
                "references",
                "startTime",
                "duration",
                "tags",
                "logs",
                "processID",
                "warnings",
            ],
            &["flags"],
            &what,
        );
        hex(&s["traceID"], 32, "span traceID");
        assert_eq!(s["traceID"], t["traceID"], "{what} of another trace");
        hex(&s["spanID"], 16, "spanID");
        string(&s["operationName"], "operationName");
        unsigned(&s["startTime"], "startTime");
        unsigned(&s["duration"], "duration");
        for reference in array(&s["references"], "references") {
            let r = object(reference, "a reference");
            keys(r, &["refType", "traceID", "spanID"], &[], "a reference");
            assert!(
                matches!(r["refType"].as_str(), Some("CHILD_OF" | "FOLLOWS_FROM")),
                "refType {}",
                r["refType"]
            );
            hex(&r["traceID"], 32, "reference traceID");
            hex(&r["spanID"], 16, "reference spanID");
        }
        for tag in array(&s["tags"], "tags") {
            key_value(tag, &what);
        }
        for log in array(&s["logs"], "logs") {
            let l = object(log, "a log");
            keys(l, &["timestamp", "fields"], &[], "a log");
            unsigned(&l["timestamp"], "log timestamp");
            for field in array(&l["fields"], "log fields") {
                key_value(field, "a log field");
            }
        }
        let process = string(&s["processID"], "processID");
        assert!(
            processes.contains_key(process),
            "{what}: unknown processID {process}"
        );
        null_or_strings(&s["warnings"], "span warnings");
    }
}

/// `[{parent, child, callCount}]`.
pub fn dependency(value: &Json) {
    let d = object(value, "a dependency");
    keys(d, &["parent", "child", "callCount"], &[], "a dependency");
    string(&d["parent"], "parent");
    string(&d["child"], "child");
    unsigned(&d["callCount"], "callCount");
}

/// `[{name, spanKind}]`.
pub fn operation(value: &Json) {
    let o = object(value, "an operation");
    keys(o, &["name", "spanKind"], &[], "an operation");
    string(&o["name"], "name");
    string(&o["spanKind"], "spanKind");
}

fn decimal(value: &Json, what: &str) -> u64 {
    let text = string(value, what);
    text.parse()
        .unwrap_or_else(|_| panic!("{what} is not a decimal string: {text}"))
}

/// A v3 trace summary, as Jaeger UI's schema reads it.
pub fn summary(value: &Json) {
    let s = object(value, "a summary");
    keys(
        s,
        &["traceId"],
        &[
            "rootServiceName",
            "rootOperationName",
            "minStartTimeUnixNano",
            "maxEndTimeUnixNano",
            "spanCount",
            "errorSpanCount",
            "orphanSpanCount",
            "services",
        ],
        "a summary",
    );
    hex(&s["traceId"], 32, "traceId");
    for key in ["rootServiceName", "rootOperationName"] {
        if let Some(v) = s.get(key) {
            string(v, key);
        }
    }
    let start = s
        .get("minStartTimeUnixNano")
        .map(|v| decimal(v, "minStartTimeUnixNano"));
    let end = s
        .get("maxEndTimeUnixNano")
        .map(|v| decimal(v, "maxEndTimeUnixNano"));
    if let (Some(start), Some(end)) = (start, end) {
        assert!(start <= end, "a summary ending before it starts");
    }
    for key in ["spanCount", "errorSpanCount", "orphanSpanCount"] {
        if let Some(v) = s.get(key) {
            unsigned(v, key);
        }
    }
    if let Some(services) = s.get("services") {
        for service in array(services, "services") {
            let m = object(service, "a service summary");
            keys(
                m,
                &["name"],
                &["spanCount", "errorSpanCount"],
                "a service summary",
            );
            string(&m["name"], "service name");
        }
    }
}

fn any_value(value: &Json, what: &str) {
    let v = object(value, what);
    assert!(v.len() <= 1, "{what}: more than one value {v:?}");
    if let Some((kind, inner)) = v.iter().next() {
        match kind.as_str() {
            "stringValue" | "bytesValue" => {
                string(inner, what);
            }
            "boolValue" => assert!(inner.is_boolean(), "{what}: {inner}"),
            "intValue" => {
                assert!(
                    inner.as_str().is_some_and(|s| s.parse::<i64>().is_ok()),
                    "{what}: intValue {inner} is not a decimal string"
                );
            }
            "doubleValue" => assert!(inner.is_number(), "{what}: {inner}"),
            "arrayValue" | "kvlistValue" => {
                let list = object(inner, what);
                for item in array(&list["values"], what) {
                    if kind == "arrayValue" {
                        any_value(item, what);
                    } else {
                        attribute(item, what);
                    }
                }
            }
            other => panic!("{what}: unknown value kind {other}"),
        }
    }
}

fn attribute(value: &Json, what: &str) {
    let a = object(value, what);
    keys(a, &["key", "value"], &[], what);
    string(&a["key"], "attribute key");
    any_value(&a["value"], what);
}

/// OTLP `TracesData` in protobuf JSON (Jaeger API v3's `result`).
pub fn traces_data(value: &Json) {
    let d = object(value, "TracesData");
    keys(d, &["resourceSpans"], &[], "TracesData");
    for rs in array(&d["resourceSpans"], "resourceSpans") {
        let rs = object(rs, "ResourceSpans");
        keys(
            rs,
            &["resource", "scopeSpans"],
            &["schemaUrl"],
            "ResourceSpans",
        );
        if let Some(attributes) = object(&rs["resource"], "resource").get("attributes") {
            for a in array(attributes, "resource attributes") {
                attribute(a, "a resource attribute");
            }
        }
        for ss in array(&rs["scopeSpans"], "scopeSpans") {
            let ss = object(ss, "ScopeSpans");
            keys(ss, &["scope", "spans"], &["schemaUrl"], "ScopeSpans");
            for span in array(&ss["spans"], "spans") {
                let s = object(span, "a span");
                keys(
                    s,
                    &[
                        "traceId",
                        "spanId",
                        "name",
                        "startTimeUnixNano",
                        "endTimeUnixNano",
                        "status",
                    ],
                    &[
                        "traceState",
                        "parentSpanId",
                        "flags",
                        "kind",
                        "attributes",
                        "droppedAttributesCount",
                        "events",
                        "droppedEventsCount",
                        "links",
                        "droppedLinksCount",
                    ],
                    "an OTLP span",
                );
                hex(&s["traceId"], 32, "traceId");
                hex(&s["spanId"], 16, "spanId");
                if let Some(parent) = s.get("parentSpanId") {
                    hex(parent, 16, "parentSpanId");
                }
                let start = decimal(&s["startTimeUnixNano"], "startTimeUnixNano");
                let end = decimal(&s["endTimeUnixNano"], "endTimeUnixNano");
                assert!(start <= end, "a span ending before it starts");
                if let Some(kind) = s.get("kind") {
                    assert!(matches!(kind.as_u64(), Some(1..=5)), "kind {kind}");
                }
                for a in s
                    .get("attributes")
                    .map(|a| array(a, "attributes"))
                    .into_iter()
                    .flatten()
                {
                    attribute(a, "a span attribute");
                }
                for e in s
                    .get("events")
                    .map(|e| array(e, "events"))
                    .into_iter()
                    .flatten()
                {
                    let e = object(e, "an event");
                    keys(
                        e,
                        &["timeUnixNano", "name"],
                        &["attributes", "droppedAttributesCount"],
                        "an event",
                    );
                    decimal(&e["timeUnixNano"], "event time");
                }
                for l in s
                    .get("links")
                    .map(|l| array(l, "links"))
                    .into_iter()
                    .flatten()
                {
                    let l = object(l, "a link");
                    keys(
                        l,
                        &["traceId", "spanId"],
                        &[
                            "traceState",
                            "attributes",
                            "droppedAttributesCount",
                            "flags",
                        ],
                        "a link",
                    );
                    hex(&l["traceId"], 32, "link traceId");
                }
                let status = object(&s["status"], "status");
                keys(status, &[], &["code", "message"], "status");
            }
        }
    }
}
