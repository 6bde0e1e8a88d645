//! Fuzzes the OTLP protobuf mapping of `otlp_influx`: `OtlpMapper::map_proto_traces`,
//! `map_proto_logs` and `map_proto_metrics`, under every dialect and schema option.
//!
//! Requests are raw protobuf bytes (what an OTLP receiver gets), or built field by field from
//! the input (ids of odd lengths, dimension keys at several levels, values full of escapes, NaN,
//! extreme times and bucket layouts) and encoded. Each body is read two ways: decoded by prost
//! then mapped (the oracle), and read in place (`map_request`): both must accept or refuse it
//! alike, and where the body says each thing once (prost's re-encoding is as long), give the
//! same lines and report. Nothing may panic, and:
//! - the encoder's `line_ends` are strictly increasing, each line ends with `\n`, the last end is
//!   the buffer length, and the report counts exactly the lines written;
//! - for InfluxDB 3 and Datalayers (and the Go dialects when no backslash is written) the whole
//!   buffer parses with `influxdb-line-protocol` into the same number of lines, and every
//!   `attributes` field is a JSON object;
//! - mapping the same request again with the same (reused) mapper writes the same bytes.

#![no_main]

use influxdb_line_protocol::{FieldValue, parse_lines};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use lineproto::{Dialect, EncoderOptions, FloatFormat, NonFinite, Precision, TagOrder};
use opentelemetry_proto::tonic::{
    collector::{
        logs::v1::ExportLogsServiceRequest, metrics::v1::ExportMetricsServiceRequest,
        trace::v1::ExportTraceServiceRequest,
    },
    common::v1::{
        AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList, any_value::Value,
    },
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
use otlp_influx::{Encoding, MappingConfig, MappingReport, MetricsSchema, OtlpMapper, Signal};
use prost::Message;

const KEYS: &[&str] = &[
    "service.name",
    "span.name",
    "span.kind",
    "host.name",
    "http.method",
    "trace_id",
    "time",
    "attributes",
    "le",
    "quantile",
    "name",
    "a,b",
    "a b",
    "a=b",
    "k\\",
    "_",
    "",
];

const STRINGS: &[&str] = &[
    "checkout",
    "",
    "GET /cart",
    "a\\",
    "a\\ b",
    "a\\\\",
    "x,y=z w",
    "line\nfeed",
    "tab\t",
    "quote\"",
    "<&>",
    "\u{2028}",
    "é😀",
    "\u{7f}",
    "NaN",
];

fn text(u: &mut Unstructured<'_>) -> Result<String> {
    if u.ratio(1, 4)? {
        u.arbitrary()
    } else {
        Ok((*u.choose(STRINGS)?).to_owned())
    }
}

fn key(u: &mut Unstructured<'_>) -> Result<String> {
    if u.ratio(1, 8)? {
        u.arbitrary()
    } else {
        Ok((*u.choose(KEYS)?).to_owned())
    }
}

fn double(u: &mut Unstructured<'_>) -> Result<f64> {
    if u.ratio(1, 2)? {
        u.arbitrary()
    } else {
        Ok(*u.choose(&[
            0.0,
            -0.0,
            1.5,
            1e21,
            1e-7,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
        ])?)
    }
}

fn time(u: &mut Unstructured<'_>) -> Result<u64> {
    Ok(match u.int_in_range(0..=5)? {
        0 => 0,
        1 => u.arbitrary()?,
        2 => u64::MAX,
        3 => i64::MAX as u64 + 1,
        _ => 1_700_000_000_000_000_000 + u.int_in_range(0..=1_000_000_000_000)?,
    })
}

fn id(u: &mut Unstructured<'_>, len: usize) -> Result<Vec<u8>> {
    Ok(match u.int_in_range(0..=7)? {
        0 => Vec::new(),
        1 => vec![0; len],
        2 => u.arbitrary()?,
        _ => (0..len).map(|_| u.arbitrary()).collect::<Result<_>>()?,
    })
}

fn any_value(u: &mut Unstructured<'_>, depth: u32) -> Result<AnyValue> {
    let value = match u.int_in_range(0..=8)? {
        0 => None,
        1 => Some(Value::BoolValue(u.arbitrary()?)),
        2 => Some(Value::IntValue(u.arbitrary()?)),
        3 => Some(Value::DoubleValue(double(u)?)),
        4 => Some(Value::BytesValue(u.arbitrary()?)),
        5 if depth < 3 => Some(Value::ArrayValue(ArrayValue {
            values: (0..u.int_in_range(0..=3)?)
                .map(|_| any_value(u, depth + 1))
                .collect::<Result<_>>()?,
        })),
        6 if depth < 3 => Some(Value::KvlistValue(KeyValueList {
            values: attributes(u, depth + 1)?,
        })),
        _ => Some(Value::StringValue(text(u)?)),
    };
    Ok(AnyValue { value })
}

fn attributes(u: &mut Unstructured<'_>, depth: u32) -> Result<Vec<KeyValue>> {
    (0..u.int_in_range(0..=4)?)
        .map(|_| {
            Ok(KeyValue {
                key: key(u)?,
                value: if u.ratio(1, 16)? {
                    None
                } else {
                    Some(any_value(u, depth)?)
                },
                ..Default::default()
            })
        })
        .collect()
}

fn resource(u: &mut Unstructured<'_>) -> Result<Option<Resource>> {
    if u.ratio(1, 8)? {
        return Ok(None);
    }
    Ok(Some(Resource {
        attributes: attributes(u, 0)?,
        ..Default::default()
    }))
}

fn scope(u: &mut Unstructured<'_>) -> Result<Option<InstrumentationScope>> {
    if u.ratio(1, 2)? {
        return Ok(None);
    }
    Ok(Some(InstrumentationScope {
        name: text(u)?,
        version: text(u)?,
        attributes: attributes(u, 0)?,
        ..Default::default()
    }))
}

fn count<T>(
    u: &mut Unstructured<'_>,
    max: u32,
    mut f: impl FnMut(&mut Unstructured<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    (0..u.int_in_range(0..=max)?).map(|_| f(u)).collect()
}

fn small(u: &mut Unstructured<'_>) -> Result<u32> {
    Ok(if u.ratio(3, 4)? { 0 } else { u.arbitrary()? })
}

fn traces(u: &mut Unstructured<'_>) -> Result<ExportTraceServiceRequest> {
    let resource_spans = count(u, 2, |u| {
        Ok(ResourceSpans {
            resource: resource(u)?,
            scope_spans: count(u, 2, |u| {
                Ok(ScopeSpans {
                    scope: scope(u)?,
                    spans: count(u, 3, |u| {
                        Ok(Span {
                            trace_id: id(u, 16)?,
                            span_id: id(u, 8)?,
                            trace_state: text(u)?,
                            parent_span_id: id(u, 8)?,
                            flags: u.arbitrary()?,
                            name: text(u)?,
                            kind: u.int_in_range(-1..=6)?,
                            start_time_unix_nano: time(u)?,
                            end_time_unix_nano: time(u)?,
                            attributes: attributes(u, 0)?,
                            dropped_attributes_count: small(u)?,
                            events: count(u, 2, |u| {
                                Ok(span::Event {
                                    time_unix_nano: time(u)?,
                                    name: text(u)?,
                                    attributes: attributes(u, 0)?,
                                    dropped_attributes_count: small(u)?,
                                })
                            })?,
                            dropped_events_count: small(u)?,
                            links: count(u, 2, |u| {
                                Ok(span::Link {
                                    trace_id: id(u, 16)?,
                                    span_id: id(u, 8)?,
                                    trace_state: text(u)?,
                                    attributes: attributes(u, 0)?,
                                    dropped_attributes_count: small(u)?,
                                    flags: u.arbitrary()?,
                                })
                            })?,
                            dropped_links_count: small(u)?,
                            status: if u.ratio(1, 2)? {
                                None
                            } else {
                                Some(Status {
                                    message: text(u)?,
                                    code: u.int_in_range(-1..=3)?,
                                })
                            },
                        })
                    })?,
                    ..Default::default()
                })
            })?,
            ..Default::default()
        })
    })?;
    Ok(ExportTraceServiceRequest { resource_spans })
}

fn logs(u: &mut Unstructured<'_>) -> Result<ExportLogsServiceRequest> {
    let resource_logs = count(u, 2, |u| {
        Ok(ResourceLogs {
            resource: resource(u)?,
            scope_logs: count(u, 2, |u| {
                Ok(ScopeLogs {
                    scope: scope(u)?,
                    log_records: count(u, 3, |u| {
                        Ok(LogRecord {
                            time_unix_nano: time(u)?,
                            observed_time_unix_nano: time(u)?,
                            severity_number: u.int_in_range(-1..=25)?,
                            severity_text: text(u)?,
                            body: if u.ratio(1, 4)? {
                                None
                            } else {
                                Some(any_value(u, 0)?)
                            },
                            attributes: attributes(u, 0)?,
                            dropped_attributes_count: small(u)?,
                            flags: u.arbitrary()?,
                            trace_id: id(u, 16)?,
                            span_id: id(u, 8)?,
                            event_name: text(u)?,
                        })
                    })?,
                    ..Default::default()
                })
            })?,
            ..Default::default()
        })
    })?;
    Ok(ExportLogsServiceRequest { resource_logs })
}

fn exemplars(u: &mut Unstructured<'_>) -> Result<Vec<Exemplar>> {
    count(u, 1, |u| {
        Ok(Exemplar {
            filtered_attributes: attributes(u, 1)?,
            time_unix_nano: time(u)?,
            span_id: id(u, 8)?,
            trace_id: id(u, 16)?,
            value: Some(if u.arbitrary()? {
                exemplar::Value::AsDouble(double(u)?)
            } else {
                exemplar::Value::AsInt(u.arbitrary()?)
            }),
        })
    })
}

fn number_points(u: &mut Unstructured<'_>) -> Result<Vec<NumberDataPoint>> {
    count(u, 3, |u| {
        Ok(NumberDataPoint {
            attributes: attributes(u, 0)?,
            start_time_unix_nano: time(u)?,
            time_unix_nano: time(u)?,
            exemplars: exemplars(u)?,
            flags: u.int_in_range(0..=1)?,
            value: match u.int_in_range(0..=2)? {
                0 => None,
                1 => Some(number_data_point::Value::AsInt(u.arbitrary()?)),
                _ => Some(number_data_point::Value::AsDouble(double(u)?)),
            },
        })
    })
}

fn optional_double(u: &mut Unstructured<'_>) -> Result<Option<f64>> {
    Ok(if u.arbitrary()? {
        Some(double(u)?)
    } else {
        None
    })
}

fn buckets(u: &mut Unstructured<'_>) -> Result<Option<Buckets>> {
    if u.ratio(1, 4)? {
        return Ok(None);
    }
    Ok(Some(Buckets {
        offset: if u.ratio(3, 4)? {
            u.int_in_range(-10..=10)?
        } else {
            u.arbitrary()?
        },
        bucket_counts: count(u, 6, |u| u.arbitrary())?,
    }))
}

fn metrics(u: &mut Unstructured<'_>) -> Result<ExportMetricsServiceRequest> {
    let resource_metrics = count(u, 2, |u| {
        Ok(ResourceMetrics {
            resource: resource(u)?,
            scope_metrics: count(u, 2, |u| {
                Ok(ScopeMetrics {
                    scope: scope(u)?,
                    metrics: count(u, 3, |u| {
                        let temporality = u.int_in_range(-1..=3)?;
                        let data = match u.int_in_range(0..=5)? {
                            0 => None,
                            1 => Some(metric::Data::Gauge(Gauge {
                                data_points: number_points(u)?,
                            })),
                            2 => Some(metric::Data::Sum(Sum {
                                data_points: number_points(u)?,
                                aggregation_temporality: temporality,
                                is_monotonic: u.arbitrary()?,
                            })),
                            3 => Some(metric::Data::Histogram(Histogram {
                                data_points: count(u, 2, |u| {
                                    let bounds: Vec<f64> = count(u, 5, double)?;
                                    let mut counts: Vec<u64> = (0..=bounds.len())
                                        .map(|_| u.arbitrary())
                                        .collect::<Result<_>>()?;
                                    if u.ratio(1, 8)? {
                                        counts.truncate(u.int_in_range(0..=counts.len())?);
                                    }
                                    Ok(HistogramDataPoint {
                                        attributes: attributes(u, 0)?,
                                        start_time_unix_nano: time(u)?,
                                        time_unix_nano: time(u)?,
                                        count: u.arbitrary()?,
                                        sum: optional_double(u)?,
                                        bucket_counts: counts,
                                        explicit_bounds: bounds,
                                        exemplars: exemplars(u)?,
                                        flags: u.int_in_range(0..=1)?,
                                        min: optional_double(u)?,
                                        max: optional_double(u)?,
                                    })
                                })?,
                                aggregation_temporality: temporality,
                            })),
                            4 => Some(metric::Data::ExponentialHistogram(ExponentialHistogram {
                                data_points: count(u, 2, |u| {
                                    Ok(ExponentialHistogramDataPoint {
                                        attributes: attributes(u, 0)?,
                                        start_time_unix_nano: time(u)?,
                                        time_unix_nano: time(u)?,
                                        count: u.arbitrary()?,
                                        sum: optional_double(u)?,
                                        scale: if u.ratio(3, 4)? {
                                            u.int_in_range(-10..=20)?
                                        } else {
                                            u.arbitrary()?
                                        },
                                        zero_count: u.arbitrary()?,
                                        positive: buckets(u)?,
                                        negative: buckets(u)?,
                                        flags: u.int_in_range(0..=1)?,
                                        exemplars: exemplars(u)?,
                                        min: optional_double(u)?,
                                        max: optional_double(u)?,
                                        zero_threshold: double(u)?,
                                    })
                                })?,
                                aggregation_temporality: temporality,
                            })),
                            _ => Some(metric::Data::Summary(Summary {
                                data_points: count(u, 2, |u| {
                                    Ok(SummaryDataPoint {
                                        attributes: attributes(u, 0)?,
                                        start_time_unix_nano: time(u)?,
                                        time_unix_nano: time(u)?,
                                        count: u.arbitrary()?,
                                        sum: double(u)?,
                                        quantile_values: count(u, 4, |u| {
                                            Ok(ValueAtQuantile {
                                                quantile: double(u)?,
                                                value: double(u)?,
                                            })
                                        })?,
                                        flags: u.int_in_range(0..=1)?,
                                    })
                                })?,
                            })),
                        };
                        Ok(Metric {
                            name: if u.ratio(3, 4)? {
                                (*u.choose(&[
                                    "http.server.duration",
                                    "cpu",
                                    "a b",
                                    "",
                                    "up-time",
                                    "1x",
                                    "m\\",
                                ])?)
                                .to_owned()
                            } else {
                                u.arbitrary()?
                            },
                            description: text(u)?,
                            unit: text(u)?,
                            metadata: attributes(u, 1)?,
                            data,
                        })
                    })?,
                    ..Default::default()
                })
            })?,
            ..Default::default()
        })
    })?;
    Ok(ExportMetricsServiceRequest { resource_metrics })
}

fn config(u: &mut Unstructured<'_>) -> Result<MappingConfig> {
    let dimensions = |u: &mut Unstructured<'_>, default: &[&str]| -> Result<Vec<String>> {
        Ok(match u.int_in_range(0..=3)? {
            0 => Vec::new(),
            1 => count(u, 3, key)?,
            _ => default.iter().map(|s| (*s).to_owned()).collect(),
        })
    };
    let encoder = EncoderOptions::new(*u.choose(Dialect::ALL)?)
        .with_float_format(*u.choose(&[FloatFormat::Shortest, FloatFormat::GoStrconv])?)
        .with_non_finite(*u.choose(&[NonFinite::Skip, NonFinite::Error])?)
        .with_precision(*u.choose(&[
            Precision::Nanoseconds,
            Precision::Microseconds,
            Precision::Seconds,
        ])?)
        .with_tag_order(*u.choose(&[TagOrder::Sorted, TagOrder::AsGiven])?);
    Ok(MappingConfig::default()
        .with_encoder(encoder)
        .with_span_dimensions(dimensions(u, &otlp_influx::DEFAULT_SPAN_DIMENSIONS)?)
        .with_log_record_dimensions(dimensions(u, &otlp_influx::DEFAULT_LOG_RECORD_DIMENSIONS)?)
        .with_metrics_schema(*u.choose(MetricsSchema::ALL)?)
        .with_stable_columns(u.arbitrary()?))
}

enum Request {
    Traces(ExportTraceServiceRequest),
    Logs(ExportLogsServiceRequest),
    Metrics(ExportMetricsServiceRequest),
}

fn map(mapper: &mut OtlpMapper, request: &Request) -> (lineproto::Encoder, MappingReport) {
    let mut out = mapper.new_encoder();
    let mut report = MappingReport::new();
    match request {
        Request::Traces(r) => mapper.map_proto_traces(r, &mut out, &mut report),
        Request::Logs(r) => mapper.map_proto_logs(r, &mut out, &mut report),
        Request::Metrics(r) => mapper.map_proto_metrics(r, &mut out, &mut report),
    }
    (out, report)
}

fn check(out: &lineproto::Encoder, report: &MappingReport, dialect: Dialect) {
    let bytes = out.as_bytes();
    let ends = out.line_ends();
    assert_eq!(ends.len(), out.line_count());
    assert_eq!(report.lines as usize, ends.len(), "report: {report}");
    let mut start = 0;
    for &end in ends {
        assert!(end > start && end <= bytes.len(), "line ends {ends:?}");
        assert_eq!(bytes[end - 1], b'\n');
        start = end;
    }
    assert_eq!(start, bytes.len(), "bytes after the last line");
    let _ = report.to_string();

    let text = std::str::from_utf8(bytes).expect("lines are UTF-8");
    let iox_reads =
        matches!(dialect, Dialect::InfluxDbV3 | Dialect::Datalayers) || !text.contains('\\');
    if !iox_reads {
        return;
    }
    let parsed = parse_lines(text)
        .collect::<std::result::Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("{dialect:?} output does not parse: {e}\n{text}"));
    assert_eq!(parsed.len(), ends.len(), "{text}");
    for line in &parsed {
        for (key, value) in &line.field_set {
            if key.as_str() == "attributes" {
                let FieldValue::String(json) = value else {
                    panic!("attributes is {value:?}")
                };
                let json: serde_json::Value = serde_json::from_str(json.as_str())
                    .unwrap_or_else(|e| panic!("attributes is not JSON ({e}): {json:?}"));
                assert!(json.is_object(), "{json}");
            }
        }
    }
}

/// Known bug, reported to the owner of `otlp_influx::metrics` (`exponential.rs`): exponential
/// histogram counts are summed with `+` (buckets past the largest double, the zero bucket), which
/// panics in debug builds and wraps in release when the input's counts add up past `u64::MAX`.
/// While this is `true` such requests are not mapped; set it to `false` once the sums saturate.
const SKIP_EXPONENTIAL_COUNT_OVERFLOW: bool = false;

fn exponential_counts_overflow(request: &ExportMetricsServiceRequest) -> bool {
    let points = request
        .resource_metrics
        .iter()
        .flat_map(|r| &r.scope_metrics)
        .flat_map(|s| &s.metrics)
        .filter_map(|m| match &m.data {
            Some(metric::Data::ExponentialHistogram(h)) => Some(&h.data_points),
            _ => None,
        })
        .flatten();
    points.into_iter().any(|p| {
        let sides = [&p.positive, &p.negative];
        let mut counts = sides.into_iter().flatten().flat_map(|b| &b.bucket_counts);
        counts
            .try_fold(p.zero_count, |sum, &c| sum.checked_add(c))
            .is_none()
    })
}

/// `body` decoded by prost as a request of `signal`.
fn decode(signal: u8, body: &[u8]) -> Option<Request> {
    Some(match signal {
        0 => Request::Traces(ExportTraceServiceRequest::decode(body).ok()?),
        1 => Request::Logs(ExportLogsServiceRequest::decode(body).ok()?),
        _ => Request::Metrics(ExportMetricsServiceRequest::decode(body).ok()?),
    })
}

fn encoded_len(request: &Request) -> usize {
    match request {
        Request::Traces(r) => r.encoded_len(),
        Request::Logs(r) => r.encoded_len(),
        Request::Metrics(r) => r.encoded_len(),
    }
}

/// `body` read in place (`map_request`), with a mapper of `config`.
fn map_in_place(
    config: &MappingConfig,
    signal: u8,
    body: &[u8],
) -> std::result::Result<(lineproto::Encoder, MappingReport), otlp_influx::DecodeError> {
    let mut mapper = OtlpMapper::new(config.clone()).expect("a valid config");
    let mut out = mapper.new_encoder();
    let mut report = MappingReport::new();
    let signal = [Signal::Traces, Signal::Logs, Signal::Metrics][usize::from(signal.min(2))];
    mapper.map_request(signal, Encoding::Protobuf, body, &mut out, &mut report)?;
    Ok((out, report))
}

fn run(data: &[u8]) -> Result<()> {
    let mut u = Unstructured::new(data);
    let config = config(&mut u)?;
    let dialect = config.encoder.dialect;
    let Ok(mut mapper) = OtlpMapper::new(config.clone()) else {
        return Ok(());
    };
    let signal = u.int_in_range(0..=2)?;
    let body = if u.ratio(1, 4)? {
        // Raw protobuf, as received.
        u.take_rest().to_vec()
    } else {
        // Built, then encoded (the receiver's view of it).
        match signal {
            0 => traces(&mut u)?.encode_to_vec(),
            1 => logs(&mut u)?.encode_to_vec(),
            _ => metrics(&mut u)?.encode_to_vec(),
        }
    };
    // The in-place reader against prost, the oracle: the same acceptance for any bytes.
    let request = decode(signal, &body);
    let in_place = map_in_place(&config, signal, &body);
    assert_eq!(
        in_place.is_ok(),
        request.is_some(),
        "prost and the in-place reader disagree on {body:02x?}: {:?}",
        in_place.as_ref().err()
    );
    let Some(request) = request else {
        return Ok(());
    };
    if let Request::Metrics(r) = &request
        && SKIP_EXPONENTIAL_COUNT_OVERFLOW
        && exponential_counts_overflow(r)
    {
        return Ok(());
    }
    let (first, report) = map(&mut mapper, &request);
    check(&first, &report, dialect);
    let (second, again) = map(&mut mapper, &request);
    assert_eq!(
        first.as_bytes(),
        second.as_bytes(),
        "a reused mapper writes other bytes"
    );
    assert_eq!(report.lines, again.lines);
    assert_eq!(report.dropped(), again.dropped());
    // And the same lines, where the body says each thing once (prost merges repeated
    // messages; the reader keeps the last of two lists given as one attribute value).
    if let Ok((out, in_place_report)) = in_place
        && encoded_len(&request) == body.len()
    {
        assert_eq!(
            String::from_utf8_lossy(out.as_bytes()),
            String::from_utf8_lossy(first.as_bytes())
        );
        assert_eq!(in_place_report, report);
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(data);
});
