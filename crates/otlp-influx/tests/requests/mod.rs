//! Random OTLP export requests (traces, logs, metrics) from a seed, full of what breaks mappers:
//! NaN and infinities everywhere a double goes, escapes and non-ASCII in every string, duplicate
//! and dimension keys at every level, nested lists and maps, missing and zero ids, times beyond
//! `i64::MAX`, unknown enum values, histograms whose buckets do not match their bounds. And the
//! same request written as OTLP/JSON, in any of the spellings the proto3 JSON mapping allows
//! (snake_case keys, integers as numbers or strings, enum names, unknown fields, whitespace).
//!
//! Shared by the tests that hold two decoders to the same lines.

#![allow(dead_code, unreachable_pub)]

use std::fmt::Write as _;

use opentelemetry_proto::tonic::{
    collector::{
        logs::v1::ExportLogsServiceRequest, metrics::v1::ExportMetricsServiceRequest,
        trace::v1::ExportTraceServiceRequest,
    },
    common::v1::{AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList, any_value},
    logs::v1::{LogRecord, ResourceLogs, ScopeLogs},
    metrics::v1::{
        Exemplar, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram,
        HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary,
        SummaryDataPoint, exemplar, exponential_histogram_data_point::Buckets, metric,
        number_data_point, summary_data_point::ValueAtQuantile,
    },
    resource::v1::Resource,
    trace::v1::{ResourceSpans, ScopeSpans, Span, Status, span},
};

/// A small deterministic generator (xorshift64*).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// True with probability `1/n`.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }

    pub fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize].clone()
    }
}

/// What the generated requests may hold.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Ids of lengths other than 16/8 bytes (protobuf reads them as absent; OTLP/JSON cannot
    /// spell them).
    pub odd_ids: bool,
    /// Items per list, at most.
    pub breadth: u64,
}

impl Default for Shape {
    fn default() -> Self {
        Self {
            odd_ids: false,
            breadth: 4,
        }
    }
}

/// Keys that collide with dimensions, fields and tags, repeat, and need escaping.
pub const KEYS: &[&str] = &[
    "service.name",
    "span.name",
    "span.kind",
    "host.name",
    "http.method",
    "trace_id",
    "db.statement",
    "a",
    "b",
    "a<",
    "le",
    "time",
    "k\\",
    "a b",
    "é",
    "",
];

const CHARS: &[char] = &[
    'a', 'Z', '0', ' ', ',', '=', '"', '\\', '/', '<', '>', '&', '\n', '\t', '\r', '\u{1}',
    '\u{7f}', '\u{2028}', '\u{20ac}', 'é', '😀',
];

pub fn text(rng: &mut Rng) -> String {
    if rng.one_in(3) {
        return rng.pick(KEYS).to_owned();
    }
    let len = rng.below(12);
    (0..len).map(|_| rng.pick(CHARS)).collect()
}

pub fn double(rng: &mut Rng) -> f64 {
    match rng.below(4) {
        0 => rng.pick(&[
            0.0,
            -0.0,
            1.0,
            0.5,
            1e21,
            1e-7,
            5e-324,
            f64::MAX,
            0.1 + 0.2,
            123456.789,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ]),
        1 => (rng.below(2000) as f64 - 1000.0) / 8.0,
        _ => {
            let f = f64::from_bits(rng.next());
            if f.is_nan() { f64::NAN } else { f }
        }
    }
}

fn int(rng: &mut Rng) -> i64 {
    match rng.below(3) {
        0 => rng.pick(&[0, 1, -1, i64::MIN, i64::MAX, 1 << 53, (1 << 53) + 1]),
        1 => rng.below(1000) as i64 - 500,
        _ => rng.next() as i64,
    }
}

fn time(rng: &mut Rng) -> u64 {
    match rng.below(4) {
        0 => rng.pick(&[0, 1, u64::MAX, i64::MAX as u64 + 1]),
        _ => 1_700_000_000_000_000_000 + rng.below(1_000_000_000_000),
    }
}

pub fn value(rng: &mut Rng, depth: u32) -> AnyValue {
    use any_value::Value as V;
    let value = match rng.below(if depth < 3 { 11 } else { 8 }) {
        0 => None,
        // A string-table index: only meaningful in profiles, no value elsewhere.
        7 if rng.one_in(3) => Some(V::StringValueStrindex(rng.below(5) as i32)),
        1 => Some(V::BoolValue(rng.one_in(2))),
        2 => Some(V::IntValue(int(rng))),
        3 => Some(V::DoubleValue(double(rng))),
        4 => Some(V::BytesValue(
            (0..rng.below(6)).map(|_| rng.next() as u8).collect(),
        )),
        5 | 6 => Some(V::StringValue(text(rng))),
        7 => Some(V::ArrayValue(ArrayValue {
            values: (0..rng.below(4)).map(|_| value(rng, depth + 1)).collect(),
        })),
        8 => Some(V::KvlistValue(KeyValueList {
            values: attributes(rng, depth + 1, 4),
        })),
        _ => Some(V::StringValue(text(rng))),
    };
    AnyValue { value }
}

pub fn attributes(rng: &mut Rng, depth: u32, max: u64) -> Vec<KeyValue> {
    (0..rng.below(max + 1))
        .map(|_| KeyValue {
            key: if rng.one_in(4) {
                text(rng)
            } else {
                rng.pick(KEYS).to_owned()
            },
            value: (!rng.one_in(12)).then(|| value(rng, depth)),
            ..Default::default()
        })
        .collect()
}

fn id(rng: &mut Rng, len: usize, shape: Shape) -> Vec<u8> {
    match rng.below(10) {
        0 => Vec::new(),
        1 => vec![0; len],
        2 if shape.odd_ids => (0..rng.below(20)).map(|_| rng.next() as u8).collect(),
        _ => (0..len).map(|_| rng.next() as u8).collect(),
    }
}

fn resource(rng: &mut Rng) -> Option<Resource> {
    (!rng.one_in(5)).then(|| Resource {
        attributes: attributes(rng, 0, 5),
        dropped_attributes_count: rng.below(3) as u32,
        ..Default::default()
    })
}

fn scope(rng: &mut Rng) -> Option<InstrumentationScope> {
    (!rng.one_in(4)).then(|| InstrumentationScope {
        name: text(rng),
        version: text(rng),
        attributes: attributes(rng, 0, 2),
        dropped_attributes_count: rng.below(2) as u32,
    })
}

pub fn traces(rng: &mut Rng, shape: Shape) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: (0..rng.below(3))
            .map(|_| ResourceSpans {
                resource: resource(rng),
                scope_spans: (0..rng.below(3))
                    .map(|_| ScopeSpans {
                        scope: scope(rng),
                        spans: (0..rng.below(shape.breadth + 1))
                            .map(|_| span(rng, shape))
                            .collect(),
                        schema_url: text(rng),
                    })
                    .collect(),
                schema_url: String::new(),
            })
            .collect(),
    }
}

pub fn span(rng: &mut Rng, shape: Shape) -> Span {
    Span {
        trace_id: id(rng, 16, shape),
        span_id: id(rng, 8, shape),
        trace_state: if rng.one_in(3) {
            text(rng)
        } else {
            String::new()
        },
        parent_span_id: id(rng, 8, shape),
        flags: rng.below(1024) as u32,
        name: text(rng),
        kind: rng.below(8) as i32,
        start_time_unix_nano: time(rng),
        end_time_unix_nano: time(rng),
        attributes: attributes(rng, 0, 10),
        dropped_attributes_count: rng.below(3) as u32,
        events: (0..rng.below(3))
            .map(|_| span::Event {
                time_unix_nano: time(rng),
                name: if rng.one_in(3) {
                    String::new()
                } else {
                    text(rng)
                },
                attributes: attributes(rng, 0, 3),
                dropped_attributes_count: rng.below(2) as u32,
            })
            .collect(),
        dropped_events_count: rng.below(2) as u32,
        links: (0..rng.below(3))
            .map(|_| span::Link {
                trace_id: id(rng, 16, shape),
                span_id: id(rng, 8, shape),
                trace_state: if rng.one_in(2) {
                    text(rng)
                } else {
                    String::new()
                },
                attributes: attributes(rng, 0, 3),
                dropped_attributes_count: rng.below(2) as u32,
                flags: rng.below(1024) as u32,
            })
            .collect(),
        dropped_links_count: rng.below(2) as u32,
        status: (!rng.one_in(3)).then(|| Status {
            message: if rng.one_in(2) {
                text(rng)
            } else {
                String::new()
            },
            code: rng.below(4) as i32,
        }),
    }
}

pub fn logs(rng: &mut Rng, shape: Shape) -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: (0..rng.below(3))
            .map(|_| ResourceLogs {
                resource: resource(rng),
                scope_logs: (0..rng.below(3))
                    .map(|_| ScopeLogs {
                        scope: scope(rng),
                        log_records: (0..rng.below(shape.breadth + 1))
                            .map(|_| LogRecord {
                                time_unix_nano: time(rng),
                                observed_time_unix_nano: time(rng),
                                severity_number: rng.below(26) as i32,
                                severity_text: text(rng),
                                body: (!rng.one_in(6)).then(|| value(rng, 0)),
                                attributes: attributes(rng, 0, 6),
                                dropped_attributes_count: rng.below(2) as u32,
                                flags: rng.below(256) as u32,
                                trace_id: id(rng, 16, shape),
                                span_id: id(rng, 8, shape),
                                event_name: String::new(),
                            })
                            .collect(),
                        schema_url: String::new(),
                    })
                    .collect(),
                schema_url: String::new(),
            })
            .collect(),
    }
}

fn exemplars(rng: &mut Rng, shape: Shape) -> Vec<Exemplar> {
    (0..rng.below(3))
        .map(|_| Exemplar {
            filtered_attributes: attributes(rng, 0, 2),
            time_unix_nano: time(rng),
            span_id: id(rng, 8, shape),
            trace_id: id(rng, 16, shape),
            value: match rng.below(3) {
                0 => None,
                1 => Some(exemplar::Value::AsInt(int(rng))),
                _ => Some(exemplar::Value::AsDouble(double(rng))),
            },
        })
        .collect()
}

fn number_points(rng: &mut Rng, shape: Shape) -> Vec<NumberDataPoint> {
    (0..rng.below(shape.breadth))
        .map(|_| NumberDataPoint {
            attributes: attributes(rng, 0, 4),
            start_time_unix_nano: time(rng),
            time_unix_nano: time(rng),
            exemplars: exemplars(rng, shape),
            flags: 0,
            value: match rng.below(4) {
                0 => None,
                1 => Some(number_data_point::Value::AsInt(int(rng))),
                _ => Some(number_data_point::Value::AsDouble(double(rng))),
            },
        })
        .collect()
}

fn maybe_double(rng: &mut Rng) -> Option<f64> {
    (!rng.one_in(3)).then(|| double(rng))
}

pub fn metrics(rng: &mut Rng, shape: Shape) -> ExportMetricsServiceRequest {
    let metric = |rng: &mut Rng| {
        let temporality = rng.below(4) as i32;
        let data = match rng.below(7) {
            0 => None,
            1 => Some(metric::Data::Gauge(Gauge {
                data_points: number_points(rng, shape),
            })),
            2 => Some(metric::Data::Sum(Sum {
                data_points: number_points(rng, shape),
                aggregation_temporality: temporality,
                is_monotonic: rng.one_in(2),
            })),
            3 | 4 => Some(metric::Data::Histogram(Histogram {
                data_points: (0..rng.below(shape.breadth))
                    .map(|_| {
                        let bounds: Vec<f64> = (0..rng.below(5)).map(|_| double(rng)).collect();
                        let counts =
                            rng.pick(&[0, bounds.len(), bounds.len() + 1, bounds.len() + 2]);
                        HistogramDataPoint {
                            attributes: attributes(rng, 0, 3),
                            start_time_unix_nano: time(rng),
                            time_unix_nano: time(rng),
                            count: rng.below(100),
                            sum: maybe_double(rng),
                            bucket_counts: (0..counts).map(|_| rng.below(50)).collect(),
                            explicit_bounds: bounds,
                            exemplars: exemplars(rng, shape),
                            flags: 0,
                            min: maybe_double(rng),
                            max: maybe_double(rng),
                        }
                    })
                    .collect(),
                aggregation_temporality: temporality,
            })),
            5 => Some(metric::Data::ExponentialHistogram(ExponentialHistogram {
                data_points: (0..rng.below(shape.breadth))
                    .map(|_| {
                        let buckets = |rng: &mut Rng| {
                            (!rng.one_in(3)).then(|| Buckets {
                                offset: rng.below(20) as i32 - 10,
                                bucket_counts: (0..rng.below(5)).map(|_| rng.below(9)).collect(),
                            })
                        };
                        ExponentialHistogramDataPoint {
                            attributes: attributes(rng, 0, 3),
                            start_time_unix_nano: time(rng),
                            time_unix_nano: time(rng),
                            count: rng.below(100),
                            sum: maybe_double(rng),
                            scale: rng.below(12) as i32 - 4,
                            zero_count: rng.below(5),
                            positive: buckets(rng),
                            negative: buckets(rng),
                            flags: 0,
                            exemplars: exemplars(rng, shape),
                            min: maybe_double(rng),
                            max: maybe_double(rng),
                            zero_threshold: if rng.one_in(2) { 0.0 } else { 1e-9 },
                        }
                    })
                    .collect(),
                aggregation_temporality: temporality,
            })),
            _ => Some(metric::Data::Summary(Summary {
                data_points: (0..rng.below(shape.breadth))
                    .map(|_| SummaryDataPoint {
                        attributes: attributes(rng, 0, 3),
                        start_time_unix_nano: time(rng),
                        time_unix_nano: time(rng),
                        count: rng.below(100),
                        sum: double(rng),
                        quantile_values: (0..rng.below(4))
                            .map(|_| ValueAtQuantile {
                                quantile: double(rng),
                                value: double(rng),
                            })
                            .collect(),
                        flags: 0,
                    })
                    .collect(),
            })),
        };
        Metric {
            name: text(rng),
            description: text(rng),
            unit: text(rng),
            metadata: Vec::new(),
            data,
        }
    };
    ExportMetricsServiceRequest {
        resource_metrics: (0..rng.below(3))
            .map(|_| ResourceMetrics {
                resource: resource(rng),
                scope_metrics: (0..rng.below(3))
                    .map(|_| ScopeMetrics {
                        scope: scope(rng),
                        metrics: (0..rng.below(4)).map(|_| metric(rng)).collect(),
                        schema_url: String::new(),
                    })
                    .collect(),
                schema_url: String::new(),
            })
            .collect(),
    }
}

// ---- OTLP/JSON ----

/// How a JSON request is spelled.
#[derive(Debug, Clone)]
pub struct JsonStyle {
    rng: Rng,
    /// Vary the spellings at all (else: lowerCamelCase, 64-bit integers as strings, enums as
    /// numbers, no extra fields, as the OTLP exporters write it).
    pub vary: bool,
}

impl JsonStyle {
    pub fn canonical() -> Self {
        Self {
            rng: Rng::new(1),
            vary: false,
        }
    }

    pub fn varied(seed: u64) -> Self {
        Self {
            rng: Rng::new(seed),
            vary: true,
        }
    }

    fn maybe(&mut self, n: u64) -> bool {
        self.vary && self.rng.one_in(n)
    }
}

/// Writes OTLP/JSON objects.
pub struct JsonWriter<'s> {
    out: String,
    style: &'s mut JsonStyle,
    first: Vec<bool>,
}

impl<'s> JsonWriter<'s> {
    pub fn new(style: &'s mut JsonStyle) -> Self {
        Self {
            out: String::new(),
            style,
            first: Vec::new(),
        }
    }

    pub fn finish(self) -> String {
        self.out
    }

    fn space(&mut self) {
        if self.style.maybe(8) {
            self.out
                .push_str(self.style.rng.pick(&[" ", "\n", "\t", "\r\n  "]));
        }
    }

    fn open(&mut self, c: char) {
        self.space();
        self.out.push(c);
        self.first.push(true);
    }

    fn close(&mut self, c: char) {
        self.space();
        self.out.push(c);
        self.first.pop();
    }

    fn comma(&mut self) {
        if let Some(first) = self.first.last_mut() {
            if !*first {
                self.out.push(',');
            }
            *first = false;
        }
    }

    fn object(&mut self, body: impl FnOnce(&mut Self)) {
        self.open('{');
        if self.style.maybe(10) {
            self.unknown_field();
        }
        body(self);
        if self.style.maybe(10) {
            self.unknown_field();
        }
        self.close('}');
    }

    fn unknown_field(&mut self) {
        self.key("unknownField", "unknown_field");
        self.out
            .push_str(r#"{"nested":[1,"two",{"three":null}],"flags":7}"#);
    }

    fn array<T>(&mut self, items: &[T], mut each: impl FnMut(&mut Self, &T)) {
        self.open('[');
        for item in items {
            self.comma();
            each(self, item);
        }
        self.close(']');
    }

    /// A field key: lowerCamelCase, or sometimes the proto name.
    fn key(&mut self, camel: &str, snake: &str) {
        self.comma();
        self.space();
        let name = if self.style.maybe(3) { snake } else { camel };
        write_str(&mut self.out, name);
        self.space();
        self.out.push(':');
    }

    fn str_field(&mut self, camel: &str, snake: &str, value: &str) {
        if value.is_empty() && !self.style.maybe(4) {
            return;
        }
        self.key(camel, snake);
        write_str(&mut self.out, value);
    }

    fn raw_str(&mut self, value: &str) {
        write_str(&mut self.out, value);
    }

    fn u64_field(&mut self, camel: &str, snake: &str, value: u64) {
        if value == 0 && !self.style.maybe(4) {
            return;
        }
        self.key(camel, snake);
        self.u64(value);
    }

    fn u64(&mut self, value: u64) {
        if self.style.maybe(2) {
            let _ = write!(self.out, "{value}");
        } else {
            let _ = write!(self.out, "\"{value}\"");
        }
    }

    fn i64(&mut self, value: i64) {
        if self.style.maybe(2) {
            let _ = write!(self.out, "{value}");
        } else {
            let _ = write!(self.out, "\"{value}\"");
        }
    }

    fn u32_field(&mut self, camel: &str, snake: &str, value: u32) {
        if value == 0 && !self.style.maybe(4) {
            return;
        }
        self.key(camel, snake);
        if self.style.maybe(4) {
            let _ = write!(self.out, "\"{value}\"");
        } else {
            let _ = write!(self.out, "{value}");
        }
    }

    fn enum_field(&mut self, camel: &str, snake: &str, value: i32, name: Option<&str>) {
        if value == 0 && !self.style.maybe(4) {
            return;
        }
        self.key(camel, snake);
        match name {
            Some(name) if self.style.maybe(2) => write_str(&mut self.out, name),
            _ => {
                let _ = write!(self.out, "{value}");
            }
        }
    }

    fn f64(&mut self, value: f64) {
        if value.is_nan() {
            self.out.push_str("\"NaN\"");
        } else if value.is_infinite() {
            self.out.push_str(if value > 0.0 {
                "\"Infinity\""
            } else {
                "\"-Infinity\""
            });
        } else if self.style.maybe(5) {
            let _ = write!(self.out, "\"{value:e}\"");
        } else {
            // Rust's `{:?}` is the shortest text that reads back as the same double.
            let _ = write!(self.out, "{value:?}");
        }
    }

    /// A plain `double` field. Zero is its default, and prost does not encode it, `-0.0`
    /// included (it compares with `0.0`): then only `0` or nothing may be written.
    fn f64_field(&mut self, camel: &str, snake: &str, value: f64) {
        if value == 0.0 {
            if self.style.maybe(4) {
                self.key(camel, snake);
                self.f64(0.0);
            }
            return;
        }
        self.key(camel, snake);
        self.f64(value);
    }

    fn opt_f64_field(&mut self, camel: &str, snake: &str, value: Option<f64>) {
        if let Some(value) = value {
            self.key(camel, snake);
            self.f64(value);
        }
    }

    fn hex_field(&mut self, camel: &str, snake: &str, id: &[u8]) {
        if id.is_empty() && !self.style.maybe(4) {
            return;
        }
        self.key(camel, snake);
        let upper = self.style.maybe(6);
        self.out.push('"');
        for b in id {
            if upper {
                let _ = write!(self.out, "{b:02X}");
            } else {
                let _ = write!(self.out, "{b:02x}");
            }
        }
        self.out.push('"');
    }

    pub fn any_value(&mut self, value: &AnyValue) {
        use any_value::Value as V;
        self.object(|w| match &value.value {
            None => {}
            Some(V::StringValue(s)) => {
                w.key("stringValue", "string_value");
                w.raw_str(s);
            }
            Some(V::BoolValue(b)) => {
                w.key("boolValue", "bool_value");
                w.out.push_str(if *b { "true" } else { "false" });
            }
            Some(V::IntValue(i)) => {
                w.key("intValue", "int_value");
                w.i64(*i);
            }
            Some(V::DoubleValue(f)) => {
                w.key("doubleValue", "double_value");
                w.f64(*f);
            }
            Some(V::BytesValue(b)) => {
                w.key("bytesValue", "bytes_value");
                let url_safe = w.style.maybe(3);
                w.raw_str(&base64(b, url_safe));
            }
            Some(V::ArrayValue(a)) => {
                w.key("arrayValue", "array_value");
                w.object(|w| {
                    w.key("values", "values");
                    w.array(&a.values, |w, v| w.any_value(v));
                });
            }
            Some(V::KvlistValue(m)) => {
                w.key("kvlistValue", "kvlist_value");
                w.object(|w| {
                    w.key("values", "values");
                    w.array(&m.values, |w, kv| w.key_value(kv));
                });
            }
            Some(V::StringValueStrindex(_)) => {}
        });
    }

    fn key_value(&mut self, kv: &KeyValue) {
        self.object(|w| {
            w.key("key", "key");
            w.raw_str(&kv.key);
            if let Some(value) = &kv.value {
                w.key("value", "value");
                w.any_value(value);
            }
        });
    }

    fn attributes_field(&mut self, camel: &str, snake: &str, attributes: &[KeyValue]) {
        if attributes.is_empty() && !self.style.maybe(4) {
            return;
        }
        self.key(camel, snake);
        self.array(attributes, |w, kv| w.key_value(kv));
    }

    fn resource(&mut self, resource: &Option<Resource>) {
        if let Some(resource) = resource {
            self.key("resource", "resource");
            self.object(|w| {
                w.attributes_field("attributes", "attributes", &resource.attributes);
                w.u32_field(
                    "droppedAttributesCount",
                    "dropped_attributes_count",
                    resource.dropped_attributes_count,
                );
            });
        }
    }

    fn scope(&mut self, scope: &Option<InstrumentationScope>) {
        if let Some(scope) = scope {
            self.key("scope", "scope");
            self.object(|w| {
                w.str_field("name", "name", &scope.name);
                w.str_field("version", "version", &scope.version);
                w.attributes_field("attributes", "attributes", &scope.attributes);
                w.u32_field(
                    "droppedAttributesCount",
                    "dropped_attributes_count",
                    scope.dropped_attributes_count,
                );
            });
        }
    }

    pub fn traces(&mut self, request: &ExportTraceServiceRequest) {
        use opentelemetry_proto::tonic::trace::v1::{span::SpanKind, status::StatusCode};
        self.object(|w| {
            if request.resource_spans.is_empty() && !w.style.maybe(3) {
                return;
            }
            w.key("resourceSpans", "resource_spans");
            w.array(&request.resource_spans, |w, rs| {
                w.object(|w| {
                    w.resource(&rs.resource);
                    w.key("scopeSpans", "scope_spans");
                    w.array(&rs.scope_spans, |w, ss| {
                        w.object(|w| {
                            w.scope(&ss.scope);
                            w.str_field("schemaUrl", "schema_url", &ss.schema_url);
                            w.key("spans", "spans");
                            w.array(&ss.spans, |w, s| {
                                w.object(|w| {
                                    w.hex_field("traceId", "trace_id", &s.trace_id);
                                    w.hex_field("spanId", "span_id", &s.span_id);
                                    w.str_field("traceState", "trace_state", &s.trace_state);
                                    w.hex_field(
                                        "parentSpanId",
                                        "parent_span_id",
                                        &s.parent_span_id,
                                    );
                                    w.u32_field("flags", "flags", s.flags);
                                    w.str_field("name", "name", &s.name);
                                    let kind =
                                        SpanKind::try_from(s.kind).ok().map(|k| k.as_str_name());
                                    w.enum_field("kind", "kind", s.kind, kind);
                                    w.u64_field(
                                        "startTimeUnixNano",
                                        "start_time_unix_nano",
                                        s.start_time_unix_nano,
                                    );
                                    w.u64_field(
                                        "endTimeUnixNano",
                                        "end_time_unix_nano",
                                        s.end_time_unix_nano,
                                    );
                                    w.attributes_field("attributes", "attributes", &s.attributes);
                                    w.u32_field(
                                        "droppedAttributesCount",
                                        "dropped_attributes_count",
                                        s.dropped_attributes_count,
                                    );
                                    w.key("events", "events");
                                    w.array(&s.events, |w, e| {
                                        w.object(|w| {
                                            w.u64_field(
                                                "timeUnixNano",
                                                "time_unix_nano",
                                                e.time_unix_nano,
                                            );
                                            w.str_field("name", "name", &e.name);
                                            w.attributes_field(
                                                "attributes",
                                                "attributes",
                                                &e.attributes,
                                            );
                                            w.u32_field(
                                                "droppedAttributesCount",
                                                "dropped_attributes_count",
                                                e.dropped_attributes_count,
                                            );
                                        })
                                    });
                                    w.u32_field(
                                        "droppedEventsCount",
                                        "dropped_events_count",
                                        s.dropped_events_count,
                                    );
                                    w.key("links", "links");
                                    w.array(&s.links, |w, l| {
                                        w.object(|w| {
                                            w.hex_field("traceId", "trace_id", &l.trace_id);
                                            w.hex_field("spanId", "span_id", &l.span_id);
                                            w.str_field(
                                                "traceState",
                                                "trace_state",
                                                &l.trace_state,
                                            );
                                            w.attributes_field(
                                                "attributes",
                                                "attributes",
                                                &l.attributes,
                                            );
                                            w.u32_field(
                                                "droppedAttributesCount",
                                                "dropped_attributes_count",
                                                l.dropped_attributes_count,
                                            );
                                            w.u32_field("flags", "flags", l.flags);
                                        })
                                    });
                                    w.u32_field(
                                        "droppedLinksCount",
                                        "dropped_links_count",
                                        s.dropped_links_count,
                                    );
                                    if let Some(status) = &s.status {
                                        w.key("status", "status");
                                        w.object(|w| {
                                            w.str_field("message", "message", &status.message);
                                            let name = StatusCode::try_from(status.code)
                                                .ok()
                                                .map(|c| c.as_str_name());
                                            w.enum_field("code", "code", status.code, name);
                                        });
                                    }
                                })
                            });
                        })
                    });
                })
            });
        });
    }

    pub fn logs(&mut self, request: &ExportLogsServiceRequest) {
        use opentelemetry_proto::tonic::logs::v1::SeverityNumber;
        self.object(|w| {
            if request.resource_logs.is_empty() && !w.style.maybe(3) {
                return;
            }
            w.key("resourceLogs", "resource_logs");
            w.array(&request.resource_logs, |w, rl| {
                w.object(|w| {
                    w.resource(&rl.resource);
                    w.key("scopeLogs", "scope_logs");
                    w.array(&rl.scope_logs, |w, sl| {
                        w.object(|w| {
                            w.scope(&sl.scope);
                            w.key("logRecords", "log_records");
                            w.array(&sl.log_records, |w, r| {
                                w.object(|w| {
                                    w.u64_field("timeUnixNano", "time_unix_nano", r.time_unix_nano);
                                    w.u64_field(
                                        "observedTimeUnixNano",
                                        "observed_time_unix_nano",
                                        r.observed_time_unix_nano,
                                    );
                                    let name = SeverityNumber::try_from(r.severity_number)
                                        .ok()
                                        .map(|s| s.as_str_name());
                                    w.enum_field(
                                        "severityNumber",
                                        "severity_number",
                                        r.severity_number,
                                        name,
                                    );
                                    w.str_field("severityText", "severity_text", &r.severity_text);
                                    if let Some(body) = &r.body {
                                        w.key("body", "body");
                                        w.any_value(body);
                                    }
                                    w.attributes_field("attributes", "attributes", &r.attributes);
                                    w.u32_field(
                                        "droppedAttributesCount",
                                        "dropped_attributes_count",
                                        r.dropped_attributes_count,
                                    );
                                    w.u32_field("flags", "flags", r.flags);
                                    w.hex_field("traceId", "trace_id", &r.trace_id);
                                    w.hex_field("spanId", "span_id", &r.span_id);
                                })
                            });
                        })
                    });
                })
            });
        });
    }

    fn exemplars(&mut self, exemplars: &[Exemplar]) {
        if exemplars.is_empty() && !self.style.maybe(4) {
            return;
        }
        self.key("exemplars", "exemplars");
        self.array(exemplars, |w, e| {
            w.object(|w| {
                w.attributes_field(
                    "filteredAttributes",
                    "filtered_attributes",
                    &e.filtered_attributes,
                );
                w.u64_field("timeUnixNano", "time_unix_nano", e.time_unix_nano);
                match e.value {
                    Some(exemplar::Value::AsDouble(f)) => {
                        w.key("asDouble", "as_double");
                        w.f64(f);
                    }
                    Some(exemplar::Value::AsInt(i)) => {
                        w.key("asInt", "as_int");
                        w.i64(i);
                    }
                    None => {}
                }
                w.hex_field("spanId", "span_id", &e.span_id);
                w.hex_field("traceId", "trace_id", &e.trace_id);
            })
        });
    }

    fn point_common(&mut self, attributes: &[KeyValue], start: u64, time: u64) {
        self.attributes_field("attributes", "attributes", attributes);
        self.u64_field("startTimeUnixNano", "start_time_unix_nano", start);
        self.u64_field("timeUnixNano", "time_unix_nano", time);
    }

    fn number_points(&mut self, points: &[NumberDataPoint]) {
        self.key("dataPoints", "data_points");
        self.array(points, |w, p| {
            w.object(|w| {
                w.point_common(&p.attributes, p.start_time_unix_nano, p.time_unix_nano);
                match p.value {
                    Some(number_data_point::Value::AsDouble(f)) => {
                        w.key("asDouble", "as_double");
                        w.f64(f);
                    }
                    Some(number_data_point::Value::AsInt(i)) => {
                        w.key("asInt", "as_int");
                        w.i64(i);
                    }
                    None => {}
                }
                w.exemplars(&p.exemplars);
                w.u32_field("flags", "flags", p.flags);
            })
        });
    }

    fn temporality(&mut self, value: i32) {
        use opentelemetry_proto::tonic::metrics::v1::AggregationTemporality;
        let name = AggregationTemporality::try_from(value)
            .ok()
            .map(|t| t.as_str_name());
        self.enum_field(
            "aggregationTemporality",
            "aggregation_temporality",
            value,
            name,
        );
    }

    fn f64_list(&mut self, camel: &str, snake: &str, values: &[f64]) {
        if values.is_empty() && !self.style.maybe(4) {
            return;
        }
        self.key(camel, snake);
        self.array(values, |w, f| w.f64(*f));
    }

    fn u64_list(&mut self, camel: &str, snake: &str, values: &[u64]) {
        if values.is_empty() && !self.style.maybe(4) {
            return;
        }
        self.key(camel, snake);
        self.array(values, |w, v| w.u64(*v));
    }

    pub fn metrics(&mut self, request: &ExportMetricsServiceRequest) {
        self.object(|w| {
            if request.resource_metrics.is_empty() && !w.style.maybe(3) {
                return;
            }
            w.key("resourceMetrics", "resource_metrics");
            w.array(&request.resource_metrics, |w, rm| {
                w.object(|w| {
                    w.resource(&rm.resource);
                    w.key("scopeMetrics", "scope_metrics");
                    w.array(&rm.scope_metrics, |w, sm| {
                        w.object(|w| {
                            w.scope(&sm.scope);
                            w.key("metrics", "metrics");
                            w.array(&sm.metrics, |w, m| w.metric(m));
                        })
                    });
                })
            });
        });
    }

    fn metric(&mut self, m: &Metric) {
        self.object(|w| {
            w.str_field("name", "name", &m.name);
            w.str_field("description", "description", &m.description);
            w.str_field("unit", "unit", &m.unit);
            match &m.data {
                None => {}
                Some(metric::Data::Gauge(g)) => {
                    w.key("gauge", "gauge");
                    w.object(|w| w.number_points(&g.data_points));
                }
                Some(metric::Data::Sum(s)) => {
                    w.key("sum", "sum");
                    w.object(|w| {
                        w.number_points(&s.data_points);
                        w.temporality(s.aggregation_temporality);
                        if s.is_monotonic || w.style.maybe(3) {
                            w.key("isMonotonic", "is_monotonic");
                            w.out
                                .push_str(if s.is_monotonic { "true" } else { "false" });
                        }
                    });
                }
                Some(metric::Data::Histogram(h)) => {
                    w.key("histogram", "histogram");
                    w.object(|w| {
                        w.key("dataPoints", "data_points");
                        w.array(&h.data_points, |w, p| {
                            w.object(|w| {
                                w.point_common(
                                    &p.attributes,
                                    p.start_time_unix_nano,
                                    p.time_unix_nano,
                                );
                                w.u64_field("count", "count", p.count);
                                w.opt_f64_field("sum", "sum", p.sum);
                                w.u64_list("bucketCounts", "bucket_counts", &p.bucket_counts);
                                w.f64_list("explicitBounds", "explicit_bounds", &p.explicit_bounds);
                                w.exemplars(&p.exemplars);
                                w.opt_f64_field("min", "min", p.min);
                                w.opt_f64_field("max", "max", p.max);
                            })
                        });
                        w.temporality(h.aggregation_temporality);
                    });
                }
                Some(metric::Data::ExponentialHistogram(h)) => {
                    w.key("exponentialHistogram", "exponential_histogram");
                    w.object(|w| {
                        w.key("dataPoints", "data_points");
                        w.array(&h.data_points, |w, p| {
                            w.object(|w| {
                                w.point_common(
                                    &p.attributes,
                                    p.start_time_unix_nano,
                                    p.time_unix_nano,
                                );
                                w.u64_field("count", "count", p.count);
                                w.opt_f64_field("sum", "sum", p.sum);
                                if p.scale != 0 || w.style.maybe(4) {
                                    w.key("scale", "scale");
                                    let _ = write!(w.out, "{}", p.scale);
                                }
                                w.u64_field("zeroCount", "zero_count", p.zero_count);
                                for (camel, buckets) in
                                    [("positive", &p.positive), ("negative", &p.negative)]
                                {
                                    if let Some(b) = buckets {
                                        w.key(camel, camel);
                                        w.object(|w| {
                                            if b.offset != 0 || w.style.maybe(4) {
                                                w.key("offset", "offset");
                                                let _ = write!(w.out, "{}", b.offset);
                                            }
                                            w.u64_list(
                                                "bucketCounts",
                                                "bucket_counts",
                                                &b.bucket_counts,
                                            );
                                        });
                                    }
                                }
                                w.exemplars(&p.exemplars);
                                w.opt_f64_field("min", "min", p.min);
                                w.opt_f64_field("max", "max", p.max);
                                w.f64_field("zeroThreshold", "zero_threshold", p.zero_threshold);
                            })
                        });
                        w.temporality(h.aggregation_temporality);
                    });
                }
                Some(metric::Data::Summary(s)) => {
                    w.key("summary", "summary");
                    w.object(|w| {
                        w.key("dataPoints", "data_points");
                        w.array(&s.data_points, |w, p| {
                            w.object(|w| {
                                w.point_common(
                                    &p.attributes,
                                    p.start_time_unix_nano,
                                    p.time_unix_nano,
                                );
                                w.u64_field("count", "count", p.count);
                                w.f64_field("sum", "sum", p.sum);
                                w.key("quantileValues", "quantile_values");
                                w.array(&p.quantile_values, |w, q| {
                                    w.object(|w| {
                                        w.f64_field("quantile", "quantile", q.quantile);
                                        w.f64_field("value", "value", q.value);
                                    })
                                });
                            })
                        });
                    });
                }
            }
        });
    }
}

/// A JSON string literal (escapes as JSON requires; sometimes more than it requires).
fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\u{0}'..='\u{1f}' | '\u{2028}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            '😀' => out.push_str("\\ud83d\\ude00"),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn base64(bytes: &[u8], url_safe_unpadded: bool) -> String {
    let table: &[u8] = if url_safe_unpadded {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    } else {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    };
    let mut out = String::new();
    for group in bytes.chunks(3) {
        let n = group
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= group.len() {
                out.push(char::from(table[(n >> (18 - 6 * i) & 63) as usize]));
            } else if !url_safe_unpadded {
                out.push('=');
            }
        }
    }
    out
}

/// The request as OTLP/JSON in `style`.
pub fn traces_json(request: &ExportTraceServiceRequest, style: &mut JsonStyle) -> String {
    let mut w = JsonWriter::new(style);
    w.traces(request);
    w.finish()
}

/// The request as OTLP/JSON in `style`.
pub fn logs_json(request: &ExportLogsServiceRequest, style: &mut JsonStyle) -> String {
    let mut w = JsonWriter::new(style);
    w.logs(request);
    w.finish()
}

/// The request as OTLP/JSON in `style`.
pub fn metrics_json(request: &ExportMetricsServiceRequest, style: &mut JsonStyle) -> String {
    let mut w = JsonWriter::new(style);
    w.metrics(request);
    w.finish()
}
