//! The in-place reader against prost (the oracle): the same lines and report for random
//! requests, also re-encoded every way protobuf allows (fields shuffled, unknown fields and
//! groups inserted, packed lists split or unpacked, overlong varints, singular fields repeated
//! with the last one holding the value); and the same acceptance for malformed bodies
//! (random corruption, nesting at prost's recursion limit).

#[path = "../../../tests/requests/mod.rs"]
#[allow(missing_docs)]
mod requests;

use lineproto::{Dialect, EncoderOptions, FloatFormat};
use opentelemetry_proto::tonic::collector::{
    logs::v1::ExportLogsServiceRequest, metrics::v1::ExportMetricsServiceRequest,
    trace::v1::ExportTraceServiceRequest,
};
use proptest::prelude::*;
use prost::Message as _;
use requests::{Rng, Shape};

use super::schema::{self, Kind, Message, Unknown};
use super::wire::{END_GROUP, Fields, I32, I64, LEN, START_GROUP, VARINT, Value};
use crate::decode::{Encoding, Signal};
use crate::{MappingConfig, MappingReport, MetricsSchema, OtlpMapper};

fn config(rng: &mut Rng) -> MappingConfig {
    let mut config = MappingConfig {
        encoder: EncoderOptions::new(rng.pick(&[
            Dialect::InfluxDbV1,
            Dialect::InfluxDbV2,
            Dialect::InfluxDbV3,
            Dialect::Datalayers,
        ]))
        .with_float_format(rng.pick(&[FloatFormat::Shortest, FloatFormat::GoStrconv])),
        metrics_schema: rng.pick(&[
            MetricsSchema::TelegrafPrometheusV1,
            MetricsSchema::TelegrafPrometheusV2,
            MetricsSchema::OtelV1,
        ]),
        stable_columns: rng.one_in(3),
        ..MappingConfig::default()
    };
    if rng.one_in(2) {
        config.span_dimensions = vec!["service.name".into(), "a".into(), "span.kind".into()];
        config.log_record_dimensions = vec!["host.name".into(), "b".into()];
    }
    config
}

/// Lines and report of `body` mapped by prost's decoding and `map_proto_*` (the oracle), or
/// `None` when prost refuses it.
fn prost_lines(
    config: &MappingConfig,
    signal: Signal,
    body: &[u8],
) -> Option<(String, MappingReport)> {
    let mut mapper = OtlpMapper::new(config.clone()).unwrap();
    let mut out = mapper.new_encoder();
    let mut report = MappingReport::new();
    match signal {
        Signal::Traces => {
            let request = ExportTraceServiceRequest::decode(body).ok()?;
            mapper.map_proto_traces(&request, &mut out, &mut report);
        }
        Signal::Logs => {
            let request = ExportLogsServiceRequest::decode(body).ok()?;
            mapper.map_proto_logs(&request, &mut out, &mut report);
        }
        Signal::Metrics => {
            let request = ExportMetricsServiceRequest::decode(body).ok()?;
            mapper.map_proto_metrics(&request, &mut out, &mut report);
        }
    }
    Some((String::from_utf8_lossy(out.as_bytes()).into_owned(), report))
}

/// Lines and report of `body` read in place, or `None` when it is refused (then nothing was
/// written and the report is untouched).
fn wire_lines(
    config: &MappingConfig,
    signal: Signal,
    body: &[u8],
) -> Option<(String, MappingReport)> {
    let mut mapper = OtlpMapper::new(config.clone()).unwrap();
    let mut out = mapper.new_encoder();
    let mut report = MappingReport::new();
    match mapper.map_request(signal, Encoding::Protobuf, body, &mut out, &mut report) {
        Ok(()) => Some((String::from_utf8_lossy(out.as_bytes()).into_owned(), report)),
        Err(_) => {
            assert!(out.as_bytes().is_empty());
            assert_eq!(report, MappingReport::new());
            None
        }
    }
}

fn request_message(signal: Signal) -> &'static Message {
    match signal {
        Signal::Traces => &schema::TRACES_REQUEST,
        Signal::Logs => &schema::LOGS_REQUEST,
        Signal::Metrics => &schema::METRICS_REQUEST,
    }
}

fn random_body(rng: &mut Rng, signal: Signal) -> Vec<u8> {
    let shape = Shape {
        odd_ids: true,
        breadth: 4,
    };
    match signal {
        Signal::Traces => requests::traces(rng, shape).encode_to_vec(),
        Signal::Logs => requests::logs(rng, shape).encode_to_vec(),
        Signal::Metrics => requests::metrics(rng, shape).encode_to_vec(),
    }
}

// ---- Re-encoding ----

fn put_varint(out: &mut Vec<u8>, mut value: u64, rng: &mut Rng) {
    // Sometimes overlong: redundant continuation bytes, still at most 10 (prost's limit).
    let minimal = {
        let mut n = 1;
        let mut v = value >> 7;
        while v > 0 {
            n += 1;
            v >>= 7;
        }
        n
    };
    let len = if rng.one_in(6) {
        minimal + rng.below(11 - minimal as u64) as usize
    } else {
        minimal
    };
    for i in 0..len {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        out.push(if i + 1 < len { byte | 0x80 } else { byte });
    }
}

fn put_key(out: &mut Vec<u8>, number: u32, wire_type: u8, rng: &mut Rng) {
    put_varint(out, u64::from(number) << 3 | u64::from(wire_type), rng);
}

fn put_len(out: &mut Vec<u8>, number: u32, bytes: &[u8], rng: &mut Rng) {
    put_key(out, number, LEN, rng);
    put_varint(out, bytes.len() as u64, rng);
    out.extend_from_slice(bytes);
}

/// An unknown field (a number the message does not have), possibly a group with fields in it.
fn unknown_field(out: &mut Vec<u8>, message: &Message, rng: &mut Rng, depth: u32) {
    let number = loop {
        let n = rng.pick(&[17, 18, 19, 99, 1000, 536_870_911]) as u32;
        if matches!(message_kind(message, n), Kind::Unknown) {
            break n;
        }
    };
    match rng.below(5) {
        0 => {
            put_key(out, number, VARINT, rng);
            put_varint(out, rng.next(), rng);
        }
        1 => {
            put_key(out, number, I64, rng);
            out.extend(rng.next().to_le_bytes());
        }
        2 => {
            put_key(out, number, I32, rng);
            out.extend((rng.next() as u32).to_le_bytes());
        }
        3 if depth < 3 => {
            put_key(out, number, START_GROUP, rng);
            for _ in 0..rng.below(3) {
                unknown_field(out, message, rng, depth + 1);
            }
            put_key(out, number, END_GROUP, rng);
        }
        _ => put_len(out, number, b"\x08\x01 unknown", rng),
    }
}

fn message_kind(message: &Message, number: u32) -> Kind {
    schema::field_kind(message, number)
}

/// Re-encodes a (valid) message of type `message` with the same meaning for prost.
fn scramble(bytes: &[u8], message: &'static Message, rng: &mut Rng) -> Vec<u8> {
    // The fields, each as its re-encoded bytes, grouped by number (their order kept).
    let mut by_number: Vec<(u32, Vec<Vec<u8>>)> = Vec::new();
    for (number, value) in Fields::new(bytes) {
        let kind = message_kind(message, number);
        let mut encoded = Vec::new();
        match (kind, value) {
            (Kind::Message(inner), Value::Len(b)) => {
                put_len(&mut encoded, number, &scramble(b, inner, rng), rng);
            }
            (Kind::RepeatedFixed64, Value::Len(b)) => {
                // Packed in pieces, or one value per field.
                for chunk in b.chunks(8 * (1 + rng.below(3) as usize)) {
                    if rng.one_in(2) {
                        put_len(&mut encoded, number, chunk, rng);
                    } else {
                        for value in chunk.chunks_exact(8) {
                            put_key(&mut encoded, number, I64, rng);
                            encoded.extend_from_slice(value);
                        }
                    }
                }
            }
            (Kind::RepeatedVarint, Value::Len(b)) => {
                let mut pos = 0;
                let mut values = Vec::new();
                while let Some(v) = super::wire::varint(b, &mut pos) {
                    values.push(v);
                }
                for value in values {
                    put_key(&mut encoded, number, VARINT, rng);
                    put_varint(&mut encoded, value, rng);
                }
            }
            (_, value) => {
                // A singular field given twice: the first with another value (the last wins).
                let twice = matches!(
                    kind,
                    Kind::Varint | Kind::Fixed64 | Kind::Fixed32 | Kind::Bytes | Kind::Str
                ) && !std::ptr::eq(message, &schema::ENTITY_REF)
                    && rng.one_in(8);
                for last in [false, true] {
                    if !last && !twice {
                        continue;
                    }
                    match value {
                        Value::Varint(v) => {
                            put_key(&mut encoded, number, VARINT, rng);
                            put_varint(&mut encoded, if last { v } else { v ^ 1 }, rng);
                        }
                        Value::I64(v) => {
                            put_key(&mut encoded, number, I64, rng);
                            encoded.extend(if last { v } else { !v }.to_le_bytes());
                        }
                        Value::I32(v) => {
                            put_key(&mut encoded, number, I32, rng);
                            encoded.extend(if last { v } else { !v }.to_le_bytes());
                        }
                        Value::Len(b) => {
                            put_len(&mut encoded, number, if last { b } else { b"earlier" }, rng)
                        }
                    }
                }
            }
        }
        match by_number.iter_mut().find(|(n, _)| *n == number) {
            Some((_, list)) => list.push(encoded),
            None => by_number.push((number, vec![encoded])),
        }
    }
    // Numbers in a random order (each number's occurrences stay in order), unknown fields in
    // between.
    for i in (1..by_number.len()).rev() {
        by_number.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let mut out = Vec::new();
    for (_, list) in by_number {
        if rng.one_in(10) {
            unknown_field(&mut out, message, rng, 0);
        }
        for encoded in list {
            out.extend(encoded);
        }
    }
    if rng.one_in(10) {
        unknown_field(&mut out, message, rng, 0);
    }
    out
}

fn assert_same(config: &MappingConfig, signal: Signal, body: &[u8]) {
    let oracle = prost_lines(config, signal, body);
    let ours = wire_lines(config, signal, body);
    assert_eq!(
        ours.is_some(),
        oracle.is_some(),
        "acceptance of {body:02x?}"
    );
    if let (Some(ours), Some(oracle)) = (ours, oracle) {
        assert_eq!(ours.0, oracle.0, "{signal}");
        assert_eq!(ours.1, oracle.1, "{signal}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_reader_gives_prosts_lines_for_random_requests(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let config = config(&mut rng);
        for &signal in Signal::ALL {
            let body = random_body(&mut rng, signal);
            assert_same(&config, signal, &body);
            let scrambled = scramble(&body, request_message(signal), &mut rng);
            assert_same(&config, signal, &scrambled);
        }
    }

    #[test]
    fn the_reader_refuses_what_prost_refuses(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let config = MappingConfig::default();
        for &signal in Signal::ALL {
            let mut body = random_body(&mut rng, signal);
            if body.is_empty() {
                continue;
            }
            for _ in 0..=rng.below(3) {
                let at = rng.below(body.len() as u64) as usize;
                match rng.below(5) {
                    0 => body[at] ^= 1 << rng.below(8),
                    1 => body[at] = rng.next() as u8,
                    2 => body.truncate(at),
                    3 => body.insert(at, rng.next() as u8),
                    _ => {
                        body.remove(at);
                    }
                }
                if body.is_empty() {
                    break;
                }
            }
            // Acceptance agrees for every signal's reading of the corrupted bytes, and where
            // both accept, so do the lines.
            for &as_signal in Signal::ALL {
                assert_same(&config, as_signal, &body);
            }
        }
    }
}

/// An `AnyValue` holding lists nested `depth` deep, in a span's attribute, as a request.
fn nested_request(depth: usize, unknown_at_bottom: bool) -> Vec<u8> {
    let mut value = if unknown_at_bottom {
        vec![0xa0, 0x06, 0x01] // field 100, varint 1: unknown to AnyValue
    } else {
        vec![0x18, 0x01] // int_value 1
    };
    for _ in 0..depth {
        let mut array = vec![0x0a]; // ArrayValue.values
        let mut rng = Rng::new(1);
        put_varint(&mut array, value.len() as u64, &mut rng);
        array.extend(&value);
        value = vec![0x2a]; // AnyValue.array_value
        put_varint(&mut value, array.len() as u64, &mut rng);
        value.extend(array);
    }
    let mut rng = Rng::new(1);
    let mut kv = Vec::new();
    put_len(&mut kv, 1, b"k", &mut rng);
    put_len(&mut kv, 2, &value, &mut rng);
    let mut span = Vec::new();
    put_len(&mut span, 1, &[1; 16], &mut rng);
    put_len(&mut span, 2, &[2; 8], &mut rng);
    put_len(&mut span, 9, &kv, &mut rng);
    let mut scope_spans = Vec::new();
    put_len(&mut scope_spans, 2, &span, &mut rng);
    let mut resource_spans = Vec::new();
    put_len(&mut resource_spans, 2, &scope_spans, &mut rng);
    let mut body = Vec::new();
    put_len(&mut body, 1, &resource_spans, &mut rng);
    body
}

#[test]
fn the_recursion_limit_is_prosts() {
    let config = MappingConfig::default();
    let mut accepted = 0;
    for depth in 40..=52 {
        for unknown in [false, true] {
            let body = nested_request(depth, unknown);
            assert_same(&config, Signal::Traces, &body);
            accepted += usize::from(prost_lines(&config, Signal::Traces, &body).is_some());
        }
    }
    // Both sides of the limit were tried.
    assert!(accepted > 0 && accepted < 26, "{accepted}");
    // Groups nested in an unknown field count too.
    let mut rng = Rng::new(1);
    for depth in [90, 98, 99, 100, 101] {
        let mut body = Vec::new();
        for _ in 0..depth {
            put_key(&mut body, 5, START_GROUP, &mut rng);
        }
        for _ in 0..depth {
            put_key(&mut body, 5, END_GROUP, &mut rng);
        }
        assert_same(&config, Signal::Logs, &body);
    }
}

#[test]
fn overlong_and_odd_encodings_are_read_like_prost() {
    let config = MappingConfig::default();
    for body in [
        &[][..],
        &[0x0a, 0x00],
        &[0x0a, 0x80, 0x00], // a length with a redundant byte
        &[
            0x8a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x00,
        ], // overlong key
        &[
            0x8a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02, 0x00,
        ], // 10th byte 2
        &[0x0c],             // an end group alone
        &[0x0b, 0x0c],       // field 1 as a group (known: wrong type)
        &[0x13, 0x14],       // field 2 as an empty group (unknown)
        &[0x13, 0x1c],       // a group ended by another number
        &[0x0a, 0x02, 0x12, 0x00],
        &[0x0a, 0x03, 0x12, 0x02, 0x00],
        &[0x00],                                     // field 0
        &[0xf8, 0xff, 0xff, 0xff, 0x7f, 0x00],       // the largest field number
        &[0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00], // a key above u32::MAX
    ] {
        for &signal in Signal::ALL {
            assert_same(&config, signal, body);
        }
    }
}

/// A metrics request with one histogram point whose explicit bounds (field 7) are `bounds`
/// as packed bytes, and one bucket count per bound given unpacked (field 6).
fn histogram_request(bounds: &[u8], counts: usize) -> Vec<u8> {
    let mut rng = Rng::new(1);
    let mut point = vec![0x21]; // count (fixed64)
    point.extend(3u64.to_le_bytes());
    put_len(&mut point, 7, bounds, &mut rng);
    for _ in 0..counts {
        put_key(&mut point, 6, I64, &mut rng);
        point.extend(1u64.to_le_bytes());
    }
    let mut histogram = Vec::new();
    put_len(&mut histogram, 1, &point, &mut rng);
    let mut metric = Vec::new();
    put_len(&mut metric, 1, b"h", &mut rng);
    put_len(&mut metric, 9, &histogram, &mut rng);
    let mut scope = Vec::new();
    put_len(&mut scope, 2, &metric, &mut rng);
    let mut resource = Vec::new();
    put_len(&mut resource, 2, &scope, &mut rng);
    let mut body = Vec::new();
    put_len(&mut body, 1, &resource, &mut rng);
    body
}

#[test]
fn packed_lists_must_be_whole() {
    let config = MappingConfig::default();
    let whole = histogram_request(&0.5f64.to_le_bytes(), 2);
    assert!(
        wire_lines(&config, Signal::Metrics, &whole).is_some_and(|(lines, _)| !lines.is_empty())
    );
    assert_same(&config, Signal::Metrics, &whole);
    // 7 bytes of packed doubles: prost refuses it, and so must the reader.
    let cut = histogram_request(&0.5f64.to_le_bytes()[..7], 2);
    assert!(ExportMetricsServiceRequest::decode(&cut[..]).is_err());
    assert_same(&config, Signal::Metrics, &cut);
}

#[test]
fn the_scrambler_changes_the_bytes_but_not_the_meaning() {
    // The re-encodings really differ from prost's own (a test that cannot fail is worse than
    // none), and prost reads them back as the same request.
    let mut changed = 0;
    for seed in 0..50 {
        let mut rng = Rng::new(seed);
        let request = requests::traces(&mut rng, Shape::default());
        let body = request.encode_to_vec();
        let scrambled = scramble(&body, &schema::TRACES_REQUEST, &mut rng);
        changed += usize::from(scrambled != body);
        // (Compared as prost's encoding: requests holding NaN are not equal to themselves.)
        let read_back = ExportTraceServiceRequest::decode(&scrambled[..]).unwrap();
        assert_eq!(read_back.encode_to_vec(), body);
        assert!(schema::validate(&scrambled, &schema::TRACES_REQUEST, Unknown::Skip).is_ok());
    }
    // (A third of the random requests are empty.)
    assert!(changed > 25, "{changed}");
}

#[test]
fn a_log_body_given_more_than_once_is_merged_as_prost_merges_it() {
    use opentelemetry_proto::tonic::common::v1::{AnyValue, any_value};
    use opentelemetry_proto::tonic::logs::v1::LogRecord;
    let body = |value: any_value::Value| AnyValue { value: Some(value) }.encode_to_vec();
    let text = body(any_value::Value::StringValue("first".into()));
    let int = body(any_value::Value::IntValue(5));
    let other_text = body(any_value::Value::StringValue("second".into()));
    let empty = AnyValue { value: None }.encode_to_vec();
    let record = LogRecord {
        time_unix_nano: 1_700_000_000_000_000_000,
        severity_text: "INFO".into(),
        // Tags: a Datalayers line needs one.
        trace_id: vec![7; 16],
        span_id: vec![9; 8],
        ..Default::default()
    }
    .encode_to_vec();
    let config = MappingConfig::default();
    let cases: [&[&[u8]]; 6] = [
        &[],
        &[&text],
        &[&text, &int],
        &[&int, &text],
        &[&text, &empty],
        &[&text, &int, &other_text],
    ];
    let mut rng = Rng::new(1);
    for bodies in cases {
        let mut request = record.clone();
        for body in bodies {
            put_len(&mut request, 5, body, &mut rng);
        }
        // LogRecord in ScopeLogs (field 2), in ResourceLogs (field 2), in the request (field 1).
        for number in [2, 2, 1] {
            let mut outer = Vec::new();
            put_len(&mut outer, number, &request, &mut rng);
            request = outer;
        }
        let (lines, _) = wire_lines(&config, Signal::Logs, &request).expect("a valid request");
        assert_eq!(lines.lines().count(), 1, "{lines}");
        assert_same(&config, Signal::Logs, &request);
    }
}
