//! The reference's metric tests, ported: `otel2influx/metrics_telegraf_prometheus_v{1,2}_test.go`
//! (gauge, gauge from sum, sum, histogram in both temporalities, histogram without the infinity
//! bucket, summary), the integration fodder, byte-exact single lines, `otel-v1` and exemplars.
//! Lines are parsed back with `influxdb-line-protocol` and compared as (measurement, tags, typed
//! fields, timestamp), in line order as the Go tests do.

mod common;
mod metrics_support;

use metrics_support::*;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::{
    AggregationTemporality, Exemplar, Gauge, Histogram, HistogramDataPoint, NumberDataPoint, Sum,
    Summary, SummaryDataPoint, exemplar, metric::Data, summary_data_point::ValueAtQuantile,
};
use otlp_influx::MetricsSchema::{
    self, OtelV1, TelegrafPrometheusV1 as V1, TelegrafPrometheusV2 as V2,
};

const CUMULATIVE: i32 = AggregationTemporality::Cumulative as i32;
const DELTA: i32 = AggregationTemporality::Delta as i32;

/// Resource tag of the v1 tests (`container.name`) and of the v2 tests (`node`), then the scope tags.
fn base(schema: MetricsSchema) -> Vec<(&'static str, &'static str)> {
    let resource = if schema == V1 {
        ("container.name", "42")
    } else {
        ("node", "42")
    };
    vec![
        resource,
        ("otel.library.name", "My Library"),
        ("otel.library.version", "latest"),
    ]
}

fn with(
    schema: MetricsSchema,
    extra: &[(&'static str, &'static str)],
) -> Vec<(&'static str, &'static str)> {
    let mut tags = base(schema);
    tags.extend_from_slice(extra);
    tags
}

fn req(
    schema: MetricsSchema,
    metrics: Vec<opentelemetry_proto::tonic::metrics::v1::Metric>,
) -> ExportMetricsServiceRequest {
    let (k, v) = base(schema)[0];
    request(vec![kv(k, s(v))], ("My Library", "latest"), metrics)
}

fn engine_points() -> Vec<NumberDataPoint> {
    vec![
        double_point(vec![kv("engine_id", i(0))], START, TS, 23.9),
        double_point(vec![kv("engine_id", i(1))], START, TS, 11.9),
    ]
}

fn code_method() -> Vec<KeyValue> {
    vec![kv("code", i(200)), kv("method", s("post"))]
}

fn requests_points() -> Vec<NumberDataPoint> {
    vec![
        double_point(code_method(), START, TS, 1027.0),
        double_point(
            vec![kv("code", i(400)), kv("method", s("post"))],
            START,
            TS,
            3.0,
        ),
    ]
}

fn histogram(temporality: i32, counts: &[u64], min_max: bool) -> Data {
    Data::Histogram(Histogram {
        aggregation_temporality: temporality,
        data_points: vec![HistogramDataPoint {
            attributes: code_method(),
            start_time_unix_nano: START,
            time_unix_nano: TS,
            count: 144_320,
            sum: Some(53_423.0),
            bucket_counts: counts.to_vec(),
            explicit_bounds: vec![0.05, 0.1, 0.2, 0.5, 1.0],
            min: min_max.then_some(0.0),
            max: min_max.then_some(100.0),
            ..Default::default()
        }],
    })
}

const ALL_BUCKETS: [u64; 6] = [24054, 9390, 66948, 28997, 4599, 10332];
const NO_INF_BUCKET: [u64; 5] = [24054, 9390, 66948, 28997, 4599];
const CUMULATIVE_BUCKETS: [(&str, f64); 6] = [
    ("0.05", 24054.0),
    ("0.1", 33444.0),
    ("0.2", 100392.0),
    ("0.5", 129389.0),
    ("1", 133988.0),
    ("+Inf", 144320.0),
];

fn summary() -> Data {
    let quantiles = [
        (0.01, 3102.0),
        (0.05, 3272.0),
        (0.5, 4773.0),
        (0.9, 9001.0),
        (0.99, 76656.0),
    ];
    Data::Summary(Summary {
        data_points: vec![SummaryDataPoint {
            attributes: code_method(),
            start_time_unix_nano: START,
            time_unix_nano: TS,
            count: 2693,
            sum: 17_560_473.0,
            quantile_values: quantiles
                .iter()
                .map(|&(quantile, value)| ValueAtQuantile { quantile, value })
                .collect(),
            ..Default::default()
        }],
    })
}

fn start() -> (&'static str, F) {
    ("start_time_unix_nano", F::I(START as i64))
}

fn assert_clean_points(
    schema: MetricsSchema,
    request: &ExportMetricsServiceRequest,
    expected: Vec<Point>,
) {
    let (points, report) = map_points(schema, request);
    assert_eq!(points, expected);
    assert!(report.is_clean(), "{report}");
}

// ---- telegraf-prometheus-v1 ----

#[test]
fn v1_gauge() {
    let request = req(
        V1,
        vec![metric(
            "cache_age_seconds",
            Data::Gauge(Gauge {
                data_points: engine_points(),
            }),
        )],
    );
    let expected = vec![
        point(
            "cache_age_seconds",
            &with(V1, &[("engine_id", "0")]),
            &[start(), ("gauge", F::F(23.9))],
            TS,
        ),
        point(
            "cache_age_seconds",
            &with(V1, &[("engine_id", "1")]),
            &[start(), ("gauge", F::F(11.9))],
            TS,
        ),
    ];
    assert_clean_points(V1, &request, expected);
}

#[test]
fn v1_gauge_from_sum() {
    // Cumulative non-monotonic, delta monotonic and delta non-monotonic sums are all gauges.
    for (temporality, monotonic) in [(CUMULATIVE, false), (DELTA, true), (DELTA, false)] {
        let sum = Sum {
            data_points: engine_points(),
            aggregation_temporality: temporality,
            is_monotonic: monotonic,
        };
        let request = req(V1, vec![metric("cache_age_seconds", Data::Sum(sum))]);
        let expected = vec![
            point(
                "cache_age_seconds",
                &with(V1, &[("engine_id", "0")]),
                &[start(), ("gauge", F::F(23.9))],
                TS,
            ),
            point(
                "cache_age_seconds",
                &with(V1, &[("engine_id", "1")]),
                &[start(), ("gauge", F::F(11.9))],
                TS,
            ),
        ];
        assert_clean_points(V1, &request, expected);
    }
}

#[test]
fn v1_sum() {
    let sum = Sum {
        data_points: requests_points(),
        aggregation_temporality: CUMULATIVE,
        is_monotonic: true,
    };
    let request = req(V1, vec![metric("http_requests_total", Data::Sum(sum))]);
    let expected = vec![
        point(
            "http_requests_total",
            &with(V1, &[("code", "200"), ("method", "post")]),
            &[start(), ("counter", F::F(1027.0))],
            TS,
        ),
        point(
            "http_requests_total",
            &with(V1, &[("code", "400"), ("method", "post")]),
            &[start(), ("counter", F::F(3.0))],
            TS,
        ),
    ];
    assert_clean_points(V1, &request, expected);
}

#[test]
fn v1_histogram() {
    for temporality in [CUMULATIVE, DELTA] {
        let request = req(
            V1,
            vec![metric(
                "http_request_duration_seconds",
                histogram(temporality, &ALL_BUCKETS, true),
            )],
        );
        let mut fields = vec![
            start(),
            ("count", F::F(144320.0)),
            ("sum", F::F(53423.0)),
            ("min", F::F(0.0)),
            ("max", F::F(100.0)),
        ];
        fields.extend(CUMULATIVE_BUCKETS.iter().map(|&(k, v)| (k, F::F(v))));
        let expected = vec![point(
            "http_request_duration_seconds",
            &with(V1, &[("code", "200"), ("method", "post")]),
            &fields,
            TS,
        )];
        assert_clean_points(V1, &request, expected);
    }
}

#[test]
fn v1_histogram_missing_infinity_bucket() {
    for temporality in [CUMULATIVE, DELTA] {
        let request = req(
            V1,
            vec![metric(
                "http_request_duration_seconds",
                histogram(temporality, &NO_INF_BUCKET, false),
            )],
        );
        let mut fields = vec![start(), ("count", F::F(144320.0)), ("sum", F::F(53423.0))];
        fields.extend(CUMULATIVE_BUCKETS[..5].iter().map(|&(k, v)| (k, F::F(v))));
        let expected = vec![point(
            "http_request_duration_seconds",
            &with(V1, &[("code", "200"), ("method", "post")]),
            &fields,
            TS,
        )];
        assert_clean_points(V1, &request, expected);
    }
}

#[test]
fn v1_summary() {
    let request = req(V1, vec![metric("rpc_duration_seconds", summary())]);
    let fields = [
        start(),
        ("count", F::F(2693.0)),
        ("sum", F::F(17560473.0)),
        ("0.01", F::F(3102.0)),
        ("0.05", F::F(3272.0)),
        ("0.5", F::F(4773.0)),
        ("0.9", F::F(9001.0)),
        ("0.99", F::F(76656.0)),
    ];
    let expected = vec![point(
        "rpc_duration_seconds",
        &with(V1, &[("code", "200"), ("method", "post")]),
        &fields,
        TS,
    )];
    assert_clean_points(V1, &request, expected);
}

// ---- telegraf-prometheus-v2 ----

#[test]
fn v2_gauge() {
    let request = req(
        V2,
        vec![metric(
            "cache_age_seconds",
            Data::Gauge(Gauge {
                data_points: engine_points(),
            }),
        )],
    );
    let expected = vec![
        point(
            "prometheus",
            &with(V2, &[("engine_id", "0")]),
            &[start(), ("cache_age_seconds", F::F(23.9))],
            TS,
        ),
        point(
            "prometheus",
            &with(V2, &[("engine_id", "1")]),
            &[start(), ("cache_age_seconds", F::F(11.9))],
            TS,
        ),
    ];
    assert_clean_points(V2, &request, expected);
}

#[test]
fn v2_gauge_from_sum() {
    for (temporality, monotonic) in [(CUMULATIVE, false), (DELTA, true), (DELTA, false)] {
        let sum = Sum {
            data_points: engine_points(),
            aggregation_temporality: temporality,
            is_monotonic: monotonic,
        };
        let request = req(V2, vec![metric("cache_age_seconds", Data::Sum(sum))]);
        let expected = vec![
            point(
                "prometheus",
                &with(V2, &[("engine_id", "0")]),
                &[start(), ("cache_age_seconds", F::F(23.9))],
                TS,
            ),
            point(
                "prometheus",
                &with(V2, &[("engine_id", "1")]),
                &[start(), ("cache_age_seconds", F::F(11.9))],
                TS,
            ),
        ];
        assert_clean_points(V2, &request, expected);
    }
}

#[test]
fn v2_sum() {
    let sum = Sum {
        data_points: requests_points(),
        aggregation_temporality: CUMULATIVE,
        is_monotonic: true,
    };
    let request = req(V2, vec![metric("http_requests_total", Data::Sum(sum))]);
    let expected = vec![
        point(
            "prometheus",
            &with(V2, &[("code", "200"), ("method", "post")]),
            &[start(), ("http_requests_total", F::F(1027.0))],
            TS,
        ),
        point(
            "prometheus",
            &with(V2, &[("code", "400"), ("method", "post")]),
            &[start(), ("http_requests_total", F::F(3.0))],
            TS,
        ),
    ];
    assert_clean_points(V2, &request, expected);
}

/// The v2 histogram lines: the stats line (with the start time), then one `le` line per bucket
/// (without it).
fn v2_histogram_lines(buckets: &[(&'static str, f64)], min_max: bool) -> Vec<Point> {
    let tags = with(V2, &[("code", "200"), ("method", "post")]);
    let mut fields = vec![
        start(),
        ("http_request_duration_seconds_count", F::F(144320.0)),
        ("http_request_duration_seconds_sum", F::F(53423.0)),
    ];
    if min_max {
        fields.push(("http_request_duration_seconds_min", F::F(0.0)));
        fields.push(("http_request_duration_seconds_max", F::F(100.0)));
    }
    let mut lines = vec![point("prometheus", &tags, &fields, TS)];
    for &(le, count) in buckets {
        let mut bucket_tags = tags.clone();
        bucket_tags.push(("le", le));
        lines.push(point(
            "prometheus",
            &bucket_tags,
            &[("http_request_duration_seconds_bucket", F::F(count))],
            TS,
        ));
    }
    lines
}

#[test]
fn v2_histogram() {
    for temporality in [CUMULATIVE, DELTA] {
        let request = req(
            V2,
            vec![metric(
                "http_request_duration_seconds",
                histogram(temporality, &ALL_BUCKETS, true),
            )],
        );
        assert_clean_points(V2, &request, v2_histogram_lines(&CUMULATIVE_BUCKETS, true));
    }
}

#[test]
fn v2_histogram_missing_infinity_bucket() {
    for temporality in [CUMULATIVE, DELTA] {
        let request = req(
            V2,
            vec![metric(
                "http_request_duration_seconds",
                histogram(temporality, &NO_INF_BUCKET, false),
            )],
        );
        assert_clean_points(
            V2,
            &request,
            v2_histogram_lines(&CUMULATIVE_BUCKETS[..5], false),
        );
    }
}

#[test]
fn v2_summary() {
    let request = req(V2, vec![metric("rpc_duration_seconds", summary())]);
    let tags = with(V2, &[("code", "200"), ("method", "post")]);
    let mut expected = vec![point(
        "prometheus",
        &tags,
        &[
            start(),
            ("rpc_duration_seconds_count", F::F(2693.0)),
            ("rpc_duration_seconds_sum", F::F(17560473.0)),
        ],
        TS,
    )];
    for (quantile, value) in [
        ("0.01", 3102.0),
        ("0.05", 3272.0),
        ("0.5", 4773.0),
        ("0.9", 9001.0),
        ("0.99", 76656.0),
    ] {
        let mut quantile_tags = tags.clone();
        quantile_tags.push(("quantile", quantile));
        expected.push(point(
            "prometheus",
            &quantile_tags,
            &[("rpc_duration_seconds", F::F(value))],
            TS,
        ));
    }
    assert_clean_points(V2, &request, expected);
}

// ---- integration fodder (tests-integration/test_fodder.go, metrics) ----

#[test]
fn integration_fodder_v1() {
    const FODDER_TS: u64 = 1_622_848_686_000_000_000;
    let request = request(
        vec![],
        ("", ""),
        vec![
            metric(
                "cpu_temp",
                Data::Gauge(Gauge {
                    data_points: vec![double_point(
                        vec![kv("foo", s("bar"))],
                        0,
                        FODDER_TS,
                        87.332,
                    )],
                }),
            ),
            metric(
                "http_request_duration_seconds",
                Data::Histogram(Histogram {
                    aggregation_temporality: CUMULATIVE,
                    data_points: vec![HistogramDataPoint {
                        attributes: vec![kv("region", s("eu"))],
                        time_unix_nano: FODDER_TS,
                        count: 144_320,
                        sum: Some(53_423.0),
                        bucket_counts: ALL_BUCKETS.to_vec(),
                        explicit_bounds: vec![0.05, 0.1, 0.2, 0.5, 1.0],
                        ..Default::default()
                    }],
                }),
            ),
            metric(
                "http_requests_total",
                Data::Sum(Sum {
                    aggregation_temporality: CUMULATIVE,
                    is_monotonic: true,
                    data_points: vec![
                        double_point(
                            vec![kv("method", s("post")), kv("code", s("200"))],
                            0,
                            FODDER_TS,
                            1027.0,
                        ),
                        double_point(
                            vec![kv("method", s("post")), kv("code", s("400"))],
                            0,
                            FODDER_TS,
                            3.0,
                        ),
                    ],
                }),
            ),
        ],
    );
    // The fodder's expected text, verbatim.
    let expected = parse(
        "cpu_temp,foo=bar gauge=87.332 1622848686000000000\n\
         http_request_duration_seconds,region=eu count=144320,sum=53423,0.05=24054,0.1=33444,0.2=100392,0.5=129389,1=133988,+Inf=144320 1622848686000000000\n\
         http_requests_total,code=200,method=post counter=1027 1622848686000000000\n\
         http_requests_total,code=400,method=post counter=3 1622848686000000000\n",
    );
    assert_clean_points(V1, &request, expected);
}

// ---- byte-exact single lines (sorted fields, Go %g floats) ----

#[test]
fn byte_exact_v1_histogram_line() {
    let request = req(
        V1,
        vec![metric(
            "http_request_duration_seconds",
            histogram(CUMULATIVE, &ALL_BUCKETS, true),
        )],
    );
    let (text, _) = map_with(V1, reference_options(), &request);
    assert_eq!(
        text,
        "http_request_duration_seconds,code=200,container.name=42,method=post,otel.library.name=My\\ Library,\
         otel.library.version=latest +Inf=144320,0.05=24054,0.1=33444,0.2=100392,0.5=129389,1=133988,\
         count=144320,max=100,min=0,start_time_unix_nano=1395066363000000001i,sum=53423 1395066363000000123\n"
    );
}

#[test]
fn byte_exact_summary_uses_go_exponent_form() {
    let request = req(V1, vec![metric("rpc_duration_seconds", summary())]);
    let (text, _) = map_with(V1, reference_options(), &request);
    assert_eq!(
        text,
        "rpc_duration_seconds,code=200,container.name=42,method=post,otel.library.name=My\\ Library,\
         otel.library.version=latest 0.01=3102,0.05=3272,0.5=4773,0.9=9001,0.99=76656,count=2693,\
         start_time_unix_nano=1395066363000000001i,sum=1.7560473e+07 1395066363000000123\n"
    );
}

#[test]
fn byte_exact_int_gauge_and_v2_bucket_line() {
    let gauge = Data::Gauge(Gauge {
        data_points: vec![int_point(vec![kv("k", s("v"))], 0, 7, -5)],
    });
    let (text, _) = map_with(
        V1,
        reference_options(),
        &request(vec![], ("", ""), vec![metric("g", gauge.clone())]),
    );
    assert_eq!(text, "g,k=v gauge=-5i 7\n");

    let request = req(
        V2,
        vec![metric("h", histogram(CUMULATIVE, &ALL_BUCKETS, false))],
    );
    let (text, _) = map_with(V2, reference_options(), &request);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 7);
    assert_eq!(
        lines[0],
        "prometheus,code=200,method=post,node=42,otel.library.name=My\\ Library,otel.library.version=latest \
         h_count=144320,h_sum=53423,start_time_unix_nano=1395066363000000001i 1395066363000000123"
    );
    assert_eq!(
        lines[6],
        "prometheus,code=200,le=+Inf,method=post,node=42,otel.library.name=My\\ Library,otel.library.version=latest \
         h_bucket=144320 1395066363000000123"
    );
}

// ---- otel-v1 ----

#[test]
fn otel_v1_histogram_matches_the_rendered_line() {
    let mut request = request(
        vec![kv("service.name", s("checkout"))],
        ("", ""),
        vec![metric(
            "duration",
            Data::Histogram(Histogram {
                aggregation_temporality: DELTA,
                data_points: vec![HistogramDataPoint {
                    time_unix_nano: 1_700_000_060_000_000_000,
                    count: 5,
                    sum: Some(12.5),
                    bucket_counts: vec![1, 3, 1],
                    explicit_bounds: vec![2.0, 4.0],
                    min: Some(1.0),
                    max: Some(9.0),
                    ..Default::default()
                }],
            }),
        )],
    );
    request.resource_metrics[0].scope_metrics[0].metrics[0].unit = "ms".into();
    let (text, report) = map_with(OtelV1, reference_options(), &request);
    assert_eq!(
        text,
        "duration_ms_histogram,service.name=checkout count=5u,delta_2=1u,delta_4=3u,max=9,min=1,sum=12.5 1700000060000000000\n"
    );
    assert!(report.is_clean());
}

#[test]
fn otel_v1_sums_name_value_fields_by_temporality_monotonicity_and_type() {
    let request = request(
        vec![],
        ("lib", ""),
        vec![
            metric(
                "calls",
                Data::Sum(Sum {
                    aggregation_temporality: CUMULATIVE,
                    is_monotonic: true,
                    data_points: vec![int_point(vec![kv("a", s("b"))], START, TS, 5)],
                }),
            ),
            metric(
                "level",
                Data::Sum(Sum {
                    aggregation_temporality: DELTA,
                    is_monotonic: false,
                    data_points: vec![double_point(vec![], 0, TS, 0.5)],
                }),
            ),
        ],
    );
    let (points, report) = map_points(OtelV1, &request);
    assert_eq!(
        points,
        vec![
            point(
                "calls__sum",
                &[("a", "b"), ("otel.library.name", "lib")],
                &[start(), ("value_cumulative_monotonic_int", F::I(5))],
                TS
            ),
            point(
                "level__sum",
                &[("otel.library.name", "lib")],
                &[("value_delta_nonmonotonic_double", F::F(0.5))],
                TS
            ),
        ]
    );
    assert!(report.is_clean());
}

#[test]
fn otel_v1_min_max_only_together() {
    let data = |min, max| {
        Data::Histogram(Histogram {
            aggregation_temporality: CUMULATIVE,
            data_points: vec![HistogramDataPoint {
                count: 1,
                bucket_counts: vec![1, 0],
                explicit_bounds: vec![1.0],
                min,
                max,
                time_unix_nano: 1,
                ..Default::default()
            }],
        })
    };
    let request = request(
        vec![kv("k", s("v"))],
        ("", ""),
        vec![metric("h", data(Some(1.0), None))],
    );
    let (text, _) = map_with(OtelV1, reference_options(), &request);
    assert_eq!(text, "h__histogram,k=v count=1u,cumulative_1=1u 1\n");
}

// ---- exemplars ----

fn gauge_with_exemplars() -> Data {
    let mut point = double_point(vec![kv("host", s("a"))], 0, TS, 1.0);
    point.exemplars = vec![
        Exemplar {
            filtered_attributes: vec![kv("user", s("u1"))],
            time_unix_nano: TS - 5,
            value: Some(exemplar::Value::AsDouble(0.25)),
            trace_id: (1..=16).collect(),
            span_id: (1..=8).collect(),
        },
        Exemplar {
            time_unix_nano: TS - 4,
            value: Some(exemplar::Value::AsInt(3)),
            trace_id: vec![0xab; 16],
            span_id: vec![0xcd; 8],
            ..Default::default()
        },
    ];
    Data::Gauge(Gauge {
        data_points: vec![point],
    })
}

#[test]
fn exemplars_follow_their_point_in_v1_and_v2() {
    let trace = "0102030405060708090a0b0c0d0e0f10";
    for (schema, measurement, field) in [(V1, "latency", "gauge"), (V2, "prometheus", "latency")] {
        let request = request(
            vec![kv("service.name", s("svc"))],
            ("", ""),
            vec![metric("latency", gauge_with_exemplars())],
        );
        let (points, report) = map_points(schema, &request);
        assert_eq!(
            points,
            vec![
                point(
                    measurement,
                    &[("host", "a"), ("service.name", "svc")],
                    &[(field, F::F(1.0))],
                    TS
                ),
                point(
                    "latency_exemplar",
                    &[
                        ("span_id", "0102030405060708"),
                        ("trace_id", trace),
                        ("user", "u1")
                    ],
                    &[("gauge", F::F(0.25))],
                    TS - 5
                ),
                point(
                    "latency_exemplar",
                    &[
                        ("span_id", "cdcdcdcdcdcdcdcd"),
                        ("trace_id", &"ab".repeat(16))
                    ],
                    &[("gauge", F::I(3))],
                    TS - 4
                ),
            ],
            "{schema}"
        );
        assert!(report.is_clean());
    }
}

#[test]
fn otel_v1_writes_no_exemplars() {
    let Data::Gauge(gauge) = gauge_with_exemplars() else {
        unreachable!()
    };
    let sum = Sum {
        data_points: gauge.data_points,
        aggregation_temporality: CUMULATIVE,
        is_monotonic: true,
    };
    let request = request(
        vec![kv("k", s("v"))],
        ("", ""),
        vec![metric("latency", Data::Sum(sum))],
    );
    let (points, _) = map_points(OtelV1, &request);
    assert_eq!(points.len(), 1);
    assert_eq!(points[0].0, "latency__sum");
}

#[test]
fn v2_le_and_quantile_tags_replace_an_attribute_of_the_same_key() {
    let mut data = histogram(CUMULATIVE, &[1, 2], false);
    let Data::Histogram(h) = &mut data else {
        unreachable!()
    };
    h.data_points[0].explicit_bounds = vec![0.5];
    h.data_points[0].attributes = vec![kv("le", s("attr")), kv("quantile", s("attr"))];
    let (points, _) = map_points(V2, &req(V2, vec![metric("h", data)]));
    let le: Vec<&str> = points.iter().map(|p| p.1["le"].as_str()).collect();
    assert_eq!(
        le,
        ["attr", "0.5", "+Inf"],
        "the stats line keeps the attribute, bucket lines get the bound"
    );
    assert!(points.iter().all(|p| p.1["quantile"] == "attr"));
}

#[test]
fn v2_keeps_the_underscore_of_an_empty_metric_name() {
    let request = req(
        V2,
        vec![metric("", histogram(CUMULATIVE, &NO_INF_BUCKET, false))],
    );
    let (points, report) = map_points(V2, &request);
    let keys: Vec<&str> = points[0].2.keys().map(String::as_str).collect();
    assert_eq!(keys, ["_count", "_sum", "start_time_unix_nano"]);
    assert!(points[1..].iter().all(|p| p.2.contains_key("_bucket")));
    assert!(report.is_clean());
}
