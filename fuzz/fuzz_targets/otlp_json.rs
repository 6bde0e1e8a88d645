//! Fuzzes OTLP/JSON both ways in `otlp_influx`:
//!
//! - **Decoding** (`OtlpMapper::map_request` with `Encoding::Json`), on any bytes: no panic; a
//!   body refused whole writes nothing and leaves the report alone; mapping it again gives the
//!   same bytes; rejected items never outnumber received ones. And where the independent oracle
//!   (`opentelemetry-proto`'s serde decoding, then `map_proto_*`) also accepts the body and our
//!   decoder left nothing out, the lines are the same. Known, intended differences are not
//!   compared: the oracle reads only lowerCamelCase keys (we also take the snake_case names),
//!   takes the last of several `AnyValue` members (we leave the attribute out), and decodes ids
//!   of any length (we reject the item).
//! - **Writing** the text forms of attribute values through the public `ValueView` API: the Go
//!   `encoding/json` text of lists and maps (pdata `AsString`), ES6 float text and base64.
//!   Values are arbitrary nested trees (strings full of escapes, long strings that cross the
//!   writer's word and chunk boundaries, bytes, doubles, duplicate and unsorted map keys) seen
//!   through each source type: OTLP `AnyValue`, SDK logs `AnyValue` (hash maps) and SDK arrays.
//!   Checked against a plain reference writer in this file (Go's escaping, keys sorted, the last
//!   duplicate winning) byte for byte, and by `serde_json`: the output is valid JSON whose
//!   strings and numbers are exactly the input. NaN/infinity anywhere in a container writes
//!   nothing and names the value.
//!
//! The first byte picks the half.

#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use opentelemetry::logs::AnyValue as SdkAnyValue;
use opentelemetry::{Array, Key, StringValue, Value};
use opentelemetry_proto::tonic::collector::{
    logs::v1::ExportLogsServiceRequest, metrics::v1::ExportMetricsServiceRequest,
    trace::v1::ExportTraceServiceRequest,
};
use opentelemetry_proto::tonic::common::v1::{
    AnyValue as ProtoAnyValue, ArrayValue, KeyValue, KeyValueList, any_value::Value as ProtoValue,
};
use otlp_influx::decode::{Encoding, Signal};
use otlp_influx::value::{AttributeValue, JsonError, ValueView};
use otlp_influx::{DropReason, MappingConfig, MappingReport, OtlpMapper};
use serde_json::Value as Json;

/// An attribute value tree, the model every view is checked against.
#[derive(Debug, Clone)]
enum Node {
    Empty,
    Str(String),
    Bool(bool),
    Int(i64),
    Double(f64),
    Bytes(Vec<u8>),
    Array(Vec<Node>),
    /// Entries in source order, duplicates included.
    Map(Vec<(String, Node)>),
}

/// Characters that hit every escaping branch (Go's HTML escapes, U+2028/9 and their neighbours
/// sharing the 0xE2 lead byte, the short escapes, raw DEL and non-ASCII).
const ALPHABET: &[char] = &[
    'a', 'Z', '0', ' ', '"', '\\', '/', '<', '>', '&', '\n', '\r', '\t', '\u{8}', '\u{c}', '\0',
    '\u{1}', '\u{1f}', '\u{7f}', '\u{2028}', '\u{2029}', '\u{2027}', '\u{202a}', '\u{20ac}', 'é',
    '😀', '\u{fffd}',
];

fn text(u: &mut Unstructured<'_>) -> Result<String> {
    if u.ratio(1, 8)? {
        return u.arbitrary();
    }
    let len = u.int_in_range(0..=20)?;
    let mut out: String = (0..len)
        .map(|_| u.choose(ALPHABET).copied())
        .collect::<Result<_>>()?;
    // Sometimes long: many 8-byte words, and past the 512-byte chunk of the writer.
    if u.ratio(1, 16)? {
        out = out.repeat(u.int_in_range(2..=120)?);
    }
    Ok(out)
}

fn double(u: &mut Unstructured<'_>) -> Result<f64> {
    Ok(match u.int_in_range(0..=3)? {
        0 => *u.choose(&[
            0.0,
            -0.0,
            1e21,
            1e-6,
            1e-7,
            9.999999999999999e20,
            1e16,
            1e-5,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            0.1,
            123456789.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ])?,
        _ => u.arbitrary()?,
    })
}

fn node(u: &mut Unstructured<'_>, depth: u32) -> Result<Node> {
    Ok(match u.int_in_range(0..=9)? {
        0 => Node::Empty,
        1 => Node::Bool(u.arbitrary()?),
        2 => Node::Int(u.arbitrary()?),
        3 => Node::Double(double(u)?),
        4 => Node::Bytes(u.arbitrary()?),
        5 if depth < 6 => Node::Array(
            (0..u.int_in_range(0..=4)?)
                .map(|_| node(u, depth + 1))
                .collect::<Result<_>>()?,
        ),
        6 if depth < 6 => Node::Map(entries(u, depth + 1)?),
        _ => Node::Str(text(u)?),
    })
}

/// Map entries: keys from a small set, so that duplicates and unsorted orders are common.
fn entries(u: &mut Unstructured<'_>, depth: u32) -> Result<Vec<(String, Node)>> {
    (0..u.int_in_range(0..=5)?)
        .map(|_| {
            let key = if u.ratio(2, 3)? {
                (*u.choose(&[
                    "a",
                    "b",
                    "ab",
                    "a<",
                    "",
                    "é",
                    "service.name",
                    "abcdefgh1",
                    "abcdefgh0",
                ])?)
                .to_owned()
            } else {
                text(u)?
            };
            Ok((key, node(u, depth)?))
        })
        .collect()
}

fn to_proto(n: &Node) -> ProtoAnyValue {
    let value = match n {
        Node::Empty => None,
        Node::Str(s) => Some(ProtoValue::StringValue(s.clone())),
        Node::Bool(b) => Some(ProtoValue::BoolValue(*b)),
        Node::Int(i) => Some(ProtoValue::IntValue(*i)),
        Node::Double(f) => Some(ProtoValue::DoubleValue(*f)),
        Node::Bytes(b) => Some(ProtoValue::BytesValue(b.clone())),
        Node::Array(items) => Some(ProtoValue::ArrayValue(ArrayValue {
            values: items.iter().map(to_proto).collect(),
        })),
        Node::Map(entries) => Some(ProtoValue::KvlistValue(KeyValueList {
            values: entries
                .iter()
                .map(|(k, v)| KeyValue {
                    key: k.clone(),
                    value: Some(to_proto(v)),
                    ..Default::default()
                })
                .collect(),
        })),
    };
    ProtoAnyValue { value }
}

/// The SDK logs form, or `None` for what it cannot hold (an empty value).
fn to_sdk(n: &Node) -> Option<SdkAnyValue> {
    Some(match n {
        Node::Empty => return None,
        Node::Str(s) => SdkAnyValue::String(s.clone().into()),
        Node::Bool(b) => SdkAnyValue::Boolean(*b),
        Node::Int(i) => SdkAnyValue::Int(*i),
        Node::Double(f) => SdkAnyValue::Double(*f),
        Node::Bytes(b) => SdkAnyValue::Bytes(Box::new(b.clone())),
        Node::Array(items) => {
            SdkAnyValue::ListAny(Box::new(items.iter().map(to_sdk).collect::<Option<_>>()?))
        }
        Node::Map(entries) => {
            let mut map = HashMap::new();
            for (k, v) in entries {
                map.insert(Key::from(k.clone()), to_sdk(v)?);
            }
            SdkAnyValue::Map(Box::new(map))
        }
    })
}

/// Keys sorted, the last of each duplicate kept (what Go's map and pdata `AsRaw` give).
fn sorted_unique(entries: &[(String, Node)]) -> Vec<(&str, &Node)> {
    let mut out: Vec<(&str, &Node)> = Vec::new();
    for (k, v) in entries {
        match out.iter_mut().find(|(key, _)| *key == k.as_str()) {
            Some(slot) => slot.1 = v,
            None => out.push((k, v)),
        }
    }
    out.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    out
}

/// The first NaN/infinity that Go would meet: in a map only the last of duplicate keys counts
/// (pdata `AsRaw` builds a Go map), in key order.
fn first_non_finite(n: &Node) -> Option<f64> {
    match n {
        Node::Double(f) if !f.is_finite() => Some(*f),
        Node::Array(items) => items.iter().find_map(first_non_finite),
        Node::Map(entries) => sorted_unique(entries)
            .iter()
            .find_map(|(_, v)| first_non_finite(v)),
        _ => None,
    }
}

/// Every NaN/infinity in the tree, shadowed duplicates included.
fn any_non_finite(n: &Node, found: &mut Vec<&'static str>) {
    match n {
        Node::Double(f) if !f.is_finite() => found.push(go_name(*f)),
        Node::Array(items) => items.iter().for_each(|v| any_non_finite(v, found)),
        Node::Map(entries) => entries.iter().for_each(|(_, v)| any_non_finite(v, found)),
        _ => {}
    }
}

/// Known departure, reported to the owner of `otlp_influx::value` (see the fuzz report): a map
/// whose NaN/infinity sits only under a key repeated later (so Go never sees it) is still
/// refused as non-finite. While this is `true` such trees are not checked; set it to `false`
/// once `ValueView::has_non_finite` looks only at the entries that are written.
const SKIP_SHADOWED_NON_FINITE: bool = false;

fn shadowed_non_finite(n: &Node) -> bool {
    let mut all = Vec::new();
    any_non_finite(n, &mut all);
    !all.is_empty() && first_non_finite(n).is_none()
}

fn go_name(f: f64) -> &'static str {
    if f.is_nan() {
        "NaN"
    } else if f > 0.0 {
        "+Inf"
    } else {
        "-Inf"
    }
}

/// Go `encoding/json` string escaping, one character at a time.
fn ref_json_str(s: &str, out: &mut String) {
    out.push('"');
    ref_json_str_content(s, out);
    out.push('"');
}

fn ref_json_str_content(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{0}'..='\u{1f}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
}

fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for group in bytes.chunks(3) {
        let n = group
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= group.len() {
                out.push(char::from(TABLE[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Mantissa digits and exponent of `{:e}` text.
fn split_sci(sci: &str) -> (String, i32) {
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` has an exponent");
    let digits = mantissa.chars().filter(|c| *c != '.').collect();
    (digits, exp.parse().expect("exponent"))
}

/// The shortest round-trip digits of a positive finite `f` and the exponent of the first one.
/// The standard library's (`{:e}`), except that where two candidates are exactly as close to
/// the value, the even one is taken, as Go's `strconv` and ryu do (the standard library rounds
/// such a tie up: 0.00166034698486328125 gives ...813, Go ...812).
fn shortest_digits(f: f64) -> (String, i32) {
    let (digits, exp) = split_sci(&format!("{f:e}"));
    // The exact decimal expansion (every double has at most 767 significant digits).
    let (exact, exact_exp) = split_sci(&format!("{f:.800e}"));
    let n = digits.len();
    if exact_exp == exp && exact.len() > n {
        let (head, tail) = exact.split_at(n);
        let tie = tail.starts_with('5') && tail[1..].bytes().all(|b| b == b'0');
        let head_even = head.bytes().last().is_some_and(|d| (d - b'0') % 2 == 0);
        if tie && head_even && head != digits {
            return (head.to_owned(), exp);
        }
    }
    (digits, exp)
}

/// ES6 number text from the standard library's shortest round-trip digits (`{:e}`).
fn ref_es6(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    let (digits, exp) = shortest_digits(f.abs());
    let sign = if f < 0.0 { "-" } else { "" };
    if !(1e-6..1e21).contains(&f.abs()) {
        let rest = if digits.len() > 1 {
            format!(".{}", &digits[1..])
        } else {
            String::new()
        };
        let exp_sign = if exp < 0 { '-' } else { '+' };
        return format!(
            "{sign}{}{rest}e{exp_sign}{}",
            &digits[..1],
            exp.unsigned_abs()
        );
    }
    if exp < 0 {
        return format!("{sign}0.{}{digits}", "0".repeat((-exp - 1) as usize));
    }
    let int_len = exp as usize + 1;
    if digits.len() <= int_len {
        format!("{sign}{digits}{}", "0".repeat(int_len - digits.len()))
    } else {
        format!("{sign}{}.{}", &digits[..int_len], &digits[int_len..])
    }
}

/// The reference JSON of a finite tree.
fn ref_json(n: &Node, out: &mut String) {
    match n {
        Node::Empty => out.push_str("null"),
        Node::Str(s) => ref_json_str(s, out),
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Int(i) => out.push_str(&i.to_string()),
        Node::Double(f) => out.push_str(&ref_es6(*f)),
        Node::Bytes(b) => {
            out.push('"');
            out.push_str(&base64(b));
            out.push('"');
        }
        Node::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                ref_json(item, out);
            }
            out.push(']');
        }
        Node::Map(entries) => ref_object(&sorted_unique(entries), out),
    }
}

fn ref_object(entries: &[(&str, &Node)], out: &mut String) {
    out.push('{');
    for (i, (k, v)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        ref_json_str(k, out);
        out.push(':');
        ref_json(v, out);
    }
    out.push('}');
}

/// `json` (parsed by serde_json) holds exactly the value of `n`.
fn same(json: &Json, n: &Node) -> bool {
    match (json, n) {
        (Json::Null, Node::Empty) => true,
        (Json::String(s), Node::Str(t)) => s == t,
        (Json::Bool(a), Node::Bool(b)) => a == b,
        (Json::Number(x), Node::Int(i)) => x.as_i64() == Some(*i),
        (Json::Number(x), Node::Double(f)) => x.as_f64() == Some(*f),
        (Json::String(s), Node::Bytes(b)) => *s == base64(b),
        (Json::Array(a), Node::Array(items)) => {
            a.len() == items.len() && a.iter().zip(items).all(|(j, n)| same(j, n))
        }
        (Json::Object(map), Node::Map(entries)) => {
            let unique = sorted_unique(entries);
            map.len() == unique.len()
                && unique
                    .iter()
                    .all(|(k, v)| map.get(*k).is_some_and(|j| same(j, v)))
        }
        _ => false,
    }
}

fn parse(text: &str) -> Json {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("invalid JSON ({e}): {text:?}"))
}

/// The Go JSON of the list or map `view` (its `AsString`) against the model `n`: byte for
/// byte, and through serde_json; nothing written when it holds NaN/infinity.
fn check_json(view: ValueView<'_>, n: &Node) {
    let mut out = String::from("prefix");
    let result = view.append_as_string(&mut out);
    match first_non_finite(n) {
        Some(_) => {
            let Err(JsonError::NonFinite(name)) = result else {
                panic!("a non-finite double has no JSON: {result:?}")
            };
            let mut names = Vec::new();
            any_non_finite(n, &mut names);
            assert!(names.contains(&name), "{name} is not in {n:?}");
            assert_eq!(out, "prefix", "nothing written on error");
        }
        None => {
            result.expect("finite values have JSON");
            let json = &out["prefix".len()..];
            let mut want = String::new();
            ref_json(n, &mut want);
            assert_eq!(json, want);
            let parsed = parse(json);
            assert!(same(&parsed, n), "{json:?} is not {n:?}");
        }
    }
}

/// A value's JSON, through the public API: as the only element of an OTLP list.
fn check_json_of(n: &Node) {
    let list = to_proto(&Node::Array(vec![n.clone()]));
    check_json(list.view(), &Node::Array(vec![n.clone()]));
}

/// pdata `AsString` of `view` against the model.
fn check_as_string(view: ValueView<'_>, n: &Node) {
    let mut out = String::new();
    let result = view.append_as_string(&mut out);
    match n {
        Node::Empty => assert_eq!(out, ""),
        Node::Str(s) => assert_eq!(&out, s),
        Node::Bool(b) => assert_eq!(out, b.to_string()),
        Node::Int(i) => assert_eq!(out, i.to_string()),
        Node::Double(f) if f.is_nan() => assert_eq!(out, "NaN"),
        Node::Double(f) if f.is_infinite() => {
            assert_eq!(out, if *f > 0.0 { "Infinity" } else { "-Infinity" })
        }
        Node::Double(f) => {
            assert_eq!(out, ref_es6(*f));
            assert_eq!(out.parse::<f64>().ok(), Some(*f), "{out}");
        }
        Node::Bytes(b) => assert_eq!(out, base64(b)),
        Node::Array(_) | Node::Map(_) => match first_non_finite(n) {
            Some(_) => assert!(result.is_err() && out.is_empty()),
            None => {
                let mut want = String::new();
                ref_json(n, &mut want);
                assert_eq!(out, want);
            }
        },
    }
    if !matches!(n, Node::Array(_) | Node::Map(_)) {
        assert!(result.is_ok());
    }
}

fn run(data: &[u8]) -> Result<()> {
    let mut u = Unstructured::new(data);

    // A string as a JSON string (the only element of a list).
    let s = text(&mut u)?;
    let mut out = String::new();
    to_proto(&Node::Array(vec![Node::Str(s.clone())]))
        .view()
        .append_as_string(&mut out)
        .expect("strings have JSON");
    let mut want = String::from("[");
    ref_json_str(&s, &mut want);
    want.push(']');
    assert_eq!(out, want);
    assert_eq!(parse(&out), Json::Array(vec![Json::String(s)]));

    // Numbers and bytes on their own.
    let f = double(&mut u)?;
    if f.is_finite() {
        let mut out = String::new();
        ValueView::Double(f).append_as_string(&mut out).unwrap();
        assert_eq!(out, ref_es6(f), "{f:e}");
    }
    let bytes: Vec<u8> = u.arbitrary()?;
    let mut out = String::new();
    ValueView::Bytes(&bytes).append_as_string(&mut out).unwrap();
    assert_eq!(out, base64(&bytes));

    // A whole tree, through the OTLP view (map order kept as given) and the SDK view.
    let n = node(&mut u, 0)?;
    if SKIP_SHADOWED_NON_FINITE && shadowed_non_finite(&n) {
        return Ok(());
    }
    let proto = to_proto(&n);
    check_json_of(&n);
    check_as_string(proto.view(), &n);
    if let Some(sdk) = to_sdk(&n) {
        // Hash maps iterate in any order; the writer must sort their keys all the same.
        let list = SdkAnyValue::ListAny(Box::new(vec![sdk.clone()]));
        check_json(list.view(), &Node::Array(vec![n.clone()]));
        check_as_string(sdk.view(), &n);
    }

    // SDK homogeneous arrays.
    let len = u.int_in_range(0..=6)?;
    let ints: Vec<i64> = (0..len).map(|_| u.arbitrary()).collect::<Result<_>>()?;
    let doubles: Vec<f64> = (0..len).map(|_| double(&mut u)).collect::<Result<_>>()?;
    let bools: Vec<bool> = (0..len).map(|_| u.arbitrary()).collect::<Result<_>>()?;
    let strs: Vec<String> = (0..len).map(|_| text(&mut u)).collect::<Result<_>>()?;
    let svs: Vec<StringValue> = strs.iter().cloned().map(StringValue::from).collect();
    for (value, model) in [
        (
            Value::Array(Array::I64(ints.clone())),
            Node::Array(ints.iter().map(|&i| Node::Int(i)).collect()),
        ),
        (
            Value::Array(Array::F64(doubles.clone())),
            Node::Array(doubles.iter().map(|&f| Node::Double(f)).collect()),
        ),
        (
            Value::Array(Array::Bool(bools.clone())),
            Node::Array(bools.iter().map(|&b| Node::Bool(b)).collect()),
        ),
        (
            Value::Array(Array::String(svs)),
            Node::Array(strs.iter().cloned().map(Node::Str).collect()),
        ),
    ] {
        check_json(value.view(), &model);
        check_as_string(value.view(), &model);
    }

    // A map of sorted, unique entries (written as it is) and the same entries unsorted.
    let object = entries(&mut u, 1)?;
    let unique = sorted_unique(&object);
    let model = Node::Map(
        unique
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).clone()))
            .collect(),
    );
    if SKIP_SHADOWED_NON_FINITE && shadowed_non_finite(&model) {
        return Ok(());
    }
    check_json(to_proto(&model).view(), &model);
    let unsorted = Node::Map(object);
    if !(SKIP_SHADOWED_NON_FINITE && shadowed_non_finite(&unsorted)) {
        check_json(to_proto(&unsorted).view(), &unsorted);
    }
    Ok(())
}

// ---- Decoding ----

/// Object keys the oracle does not read as we do: the snake_case names of fields (we accept
/// them, as protojson does; the oracle ignores them).
const SNAKE_NAMES: &[&str] = &[
    "resource_spans", "resource_logs", "resource_metrics", "scope_spans", "scope_logs",
    "scope_metrics", "log_records", "trace_id", "span_id", "parent_span_id", "trace_state",
    "start_time_unix_nano", "end_time_unix_nano", "time_unix_nano", "observed_time_unix_nano",
    "dropped_attributes_count", "dropped_events_count", "dropped_links_count", "severity_number",
    "severity_text", "string_value", "bool_value", "int_value", "double_value", "array_value",
    "kvlist_value", "bytes_value", "data_points", "aggregation_temporality", "is_monotonic",
    "exponential_histogram", "as_double", "as_int", "bucket_counts", "explicit_bounds",
    "zero_count", "zero_threshold", "quantile_values", "filtered_attributes",
];

/// Members of one oneof: an object with two of them is read differently by the oracle (its
/// last wins; we leave the unit out).
const ONEOFS: &[&[&str]] = &[
    &["stringValue", "boolValue", "intValue", "doubleValue", "arrayValue", "kvlistValue", "bytesValue"],
    &["gauge", "sum", "histogram", "exponentialHistogram", "summary"],
    &["asDouble", "asInt"],
];

/// Whether the body holds something the oracle reads differently on purpose (see the module
/// docs): then only our own properties are checked.
fn oracle_differs(json: &Json) -> bool {
    match json {
        Json::Array(items) => items.iter().any(oracle_differs),
        Json::Object(map) => {
            map.keys().any(|k| SNAKE_NAMES.contains(&k.as_str()))
                || ONEOFS
                    .iter()
                    .any(|group| group.iter().filter(|k| map.contains_key(**k)).count() > 1)
                || map.values().any(oracle_differs)
        }
        _ => false,
    }
}

/// Ids of a length other than their type's (the oracle keeps them; we reject the item).
fn odd_id(id: &[u8], len: usize) -> bool {
    !id.is_empty() && id.len() != len
}

fn odd_trace_ids(r: &ExportTraceServiceRequest) -> bool {
    r.resource_spans.iter().flat_map(|r| &r.scope_spans).flat_map(|s| &s.spans).any(|s| {
        odd_id(&s.trace_id, 16)
            || odd_id(&s.span_id, 8)
            || odd_id(&s.parent_span_id, 8)
            || s.links.iter().any(|l| odd_id(&l.trace_id, 16) || odd_id(&l.span_id, 8))
    })
}

fn odd_log_ids(r: &ExportLogsServiceRequest) -> bool {
    r.resource_logs
        .iter()
        .flat_map(|r| &r.scope_logs)
        .flat_map(|s| &s.log_records)
        .any(|l| odd_id(&l.trace_id, 16) || odd_id(&l.span_id, 8))
}

fn odd_exemplar_ids(r: &ExportMetricsServiceRequest) -> bool {
    use opentelemetry_proto::tonic::metrics::v1::metric::Data;
    let odd = |e: &opentelemetry_proto::tonic::metrics::v1::Exemplar| {
        odd_id(&e.trace_id, 16) || odd_id(&e.span_id, 8)
    };
    r.resource_metrics
        .iter()
        .flat_map(|r| &r.scope_metrics)
        .flat_map(|s| &s.metrics)
        .any(|m| match &m.data {
            Some(Data::Gauge(g)) => g.data_points.iter().flat_map(|p| &p.exemplars).any(odd),
            Some(Data::Sum(g)) => g.data_points.iter().flat_map(|p| &p.exemplars).any(odd),
            Some(Data::Histogram(h)) => h.data_points.iter().flat_map(|p| &p.exemplars).any(odd),
            Some(Data::ExponentialHistogram(h)) => {
                h.data_points.iter().flat_map(|p| &p.exemplars).any(odd)
            }
            _ => false,
        })
}

/// The oracle's lines: serde decoding into `opentelemetry-proto`'s types, then `map_proto_*`.
/// `None` when it refuses the body or reads it differently on purpose.
fn oracle(signal: Signal, body: &[u8], config: &MappingConfig) -> Option<Vec<u8>> {
    let mut mapper = OtlpMapper::new(config.clone()).unwrap();
    let mut out = mapper.new_encoder();
    let mut report = MappingReport::new();
    match signal {
        Signal::Traces => {
            let request: ExportTraceServiceRequest = serde_json::from_slice(body).ok()?;
            if odd_trace_ids(&request) {
                return None;
            }
            mapper.map_proto_traces(&request, &mut out, &mut report);
        }
        Signal::Logs => {
            let request: ExportLogsServiceRequest = serde_json::from_slice(body).ok()?;
            if odd_log_ids(&request) {
                return None;
            }
            mapper.map_proto_logs(&request, &mut out, &mut report);
        }
        Signal::Metrics => {
            let request: ExportMetricsServiceRequest = serde_json::from_slice(body).ok()?;
            if odd_exemplar_ids(&request) {
                return None;
            }
            mapper.map_proto_metrics(&request, &mut out, &mut report);
        }
        // A signal this oracle has no serde reading for: nothing to compare.
        _ => return None,
    }
    Some(out.as_bytes().to_vec())
}

fn decode(body: &[u8]) {
    let parsed: Option<Json> = serde_json::from_slice(body).ok();
    let compare = parsed.as_ref().is_some_and(|json| !oracle_differs(json));
    let config = MappingConfig::default();
    for &signal in Signal::ALL {
        let mut mapper = OtlpMapper::new(config.clone()).unwrap();
        let mut out = mapper.new_encoder();
        let mut report = MappingReport::new();
        let result = mapper.map_request(signal, Encoding::Json, body, &mut out, &mut report);
        if let Err(error) = &result {
            assert!(out.as_bytes().is_empty(), "{error}");
            assert_eq!(report, MappingReport::new(), "{error}");
            // Valid JSON objects are always accepted.
            assert!(
                !parsed.as_ref().is_some_and(Json::is_object),
                "a JSON object was refused: {error}"
            );
            continue;
        }
        for counts in [report.spans, report.log_records, report.data_points] {
            assert!(counts.rejected <= counts.received, "{report:?}");
        }
        // The same body again, with the same (reused) mapper: the same bytes.
        let first = out.as_bytes().to_vec();
        out.clear();
        let mut again = MappingReport::new();
        mapper
            .map_request(signal, Encoding::Json, body, &mut out, &mut again)
            .expect("accepted once");
        assert_eq!(out.as_bytes(), &first[..]);
        assert_eq!(again, report);

        let left_out = report.count(DropReason::UndecodableItem)
            + report.count(DropReason::UndecodableValue);
        if compare
            && left_out == 0
            && let Some(theirs) = oracle(signal, body, &config)
        {
            assert_eq!(
                String::from_utf8_lossy(&first),
                String::from_utf8_lossy(&theirs),
                "{signal}: {}",
                String::from_utf8_lossy(body)
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    match data.split_first() {
        Some((mode, rest)) if mode % 2 == 0 => decode(rest),
        _ => {
            let _ = run(data);
        }
    }
});
