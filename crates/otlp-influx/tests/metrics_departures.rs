//! The deliberate departures from the reference (see the `metrics` module docs), one test each:
//! a bad point costs only its own lines and is counted; NaN/infinity skipped and counted;
//! exponential histograms mapped; Datalayers measurement names and fallback tag; tag rules.

mod common;
mod metrics_support;

use lineproto::{Dialect, EncoderOptions, FloatFormat};
use metrics_support::*;
use opentelemetry_proto::tonic::metrics::v1::{
    AggregationTemporality, Exemplar, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge,
    Histogram, HistogramDataPoint, NumberDataPoint, Sum, Summary, SummaryDataPoint, exemplar,
    exponential_histogram_data_point::Buckets, metric::Data,
};
use otlp_influx::DropReason;
use otlp_influx::MetricsSchema::{OtelV1, TelegrafPrometheusV1 as V1, TelegrafPrometheusV2 as V2};

const CUMULATIVE: i32 = AggregationTemporality::Cumulative as i32;
const DELTA: i32 = AggregationTemporality::Delta as i32;

fn gauge(points: Vec<NumberDataPoint>) -> Data {
    Data::Gauge(Gauge {
        data_points: points,
    })
}

fn explicit_histogram(
    counts: Vec<u64>,
    bounds: Vec<f64>,
    sum: f64,
    time: u64,
) -> HistogramDataPoint {
    HistogramDataPoint {
        attributes: vec![kv("k", s("v"))],
        time_unix_nano: time,
        count: counts.iter().sum(),
        sum: Some(sum),
        bucket_counts: counts,
        explicit_bounds: bounds,
        ..Default::default()
    }
}

#[test]
fn nan_gauge_drops_only_its_point_and_is_counted() {
    let request = request(
        vec![kv("host", s("h"))],
        ("", ""),
        vec![metric(
            "temp",
            gauge(vec![
                double_point(vec![kv("i", i(0))], 0, 1, 20.5),
                double_point(vec![kv("i", i(1))], 0, 2, f64::NAN),
                double_point(vec![kv("i", i(2))], 0, 3, f64::INFINITY),
                double_point(vec![kv("i", i(3))], 0, 4, 21.0),
            ]),
        )],
    );
    for schema in [V1, V2] {
        let (points, report) = map_points(schema, &request);
        assert_eq!(
            points.iter().map(|p| p.3.unwrap()).collect::<Vec<_>>(),
            [1, 4],
            "{schema}"
        );
        assert_eq!(report.count(DropReason::NonFiniteValue), 2);
        assert_eq!(
            report.count(DropReason::EmptyPoint),
            2,
            "the points left without a field"
        );
        assert_eq!(report.lines, 2);
    }
}

#[test]
fn nan_field_is_skipped_and_the_rest_of_the_line_kept() {
    let mut histogram = explicit_histogram(vec![1, 2], vec![10.0], f64::NAN, 9);
    histogram.min = Some(f64::NEG_INFINITY);
    let request = request(
        vec![],
        ("", ""),
        vec![metric(
            "h",
            Data::Histogram(Histogram {
                data_points: vec![histogram],
                aggregation_temporality: CUMULATIVE,
            }),
        )],
    );
    let (points, report) = map_points(V1, &request);
    assert_eq!(
        points,
        vec![point(
            "h",
            &[("k", "v")],
            &[("+Inf", F::F(3.0)), ("10", F::F(1.0)), ("count", F::F(3.0))],
            9
        )]
    );
    assert_eq!(report.count(DropReason::NonFiniteValue), 2, "sum and min");
    assert_eq!(report.count(DropReason::EmptyPoint), 0);
}

#[test]
fn bucket_bound_mismatch_drops_only_that_point() {
    let bad = explicit_histogram(vec![1, 2, 3, 4], vec![1.0], 5.0, 2);
    let good = explicit_histogram(vec![1, 2], vec![1.0], 5.0, 3);
    let data = Data::Histogram(Histogram {
        data_points: vec![bad, good],
        aggregation_temporality: CUMULATIVE,
    });
    let request = request(
        vec![],
        ("", ""),
        vec![
            metric("h", data),
            metric("g", gauge(vec![double_point(vec![], 0, 4, 1.0)])),
        ],
    );
    for (schema, lines) in [(V1, 2), (V2, 4)] {
        let (points, report) = map_points(schema, &request);
        assert_eq!(
            points.len(),
            lines,
            "{schema}: good histogram + gauge, nothing of the bad point"
        );
        assert!(points.iter().all(|p| p.3 != Some(2)));
        assert_eq!(report.count(DropReason::InvalidHistogram), 1);
        assert_eq!(report.dropped(), 1);
        assert!(
            report.messages()[0].contains("4 bucket counts for 1 explicit bounds"),
            "{:?}",
            report.messages()
        );
    }
}

#[test]
fn empty_histogram_buckets_are_accepted() {
    let histogram = HistogramDataPoint {
        count: 4,
        sum: Some(2.0),
        time_unix_nano: 1,
        ..Default::default()
    };
    let request = request(
        vec![kv("k", s("v"))],
        ("", ""),
        vec![metric(
            "h",
            Data::Histogram(Histogram {
                data_points: vec![histogram],
                aggregation_temporality: DELTA,
            }),
        )],
    );
    let (points, report) = map_points(V1, &request);
    assert_eq!(
        points,
        vec![point(
            "h",
            &[("k", "v")],
            &[("count", F::F(4.0)), ("sum", F::F(2.0))],
            1
        )]
    );
    assert!(report.is_clean());
}

#[test]
fn point_without_value_is_counted() {
    let empty = NumberDataPoint {
        time_unix_nano: 5,
        ..Default::default()
    };
    let request = request(
        vec![kv("k", s("v"))],
        ("", ""),
        vec![metric("g", gauge(vec![empty, int_point(vec![], 0, 6, 1)]))],
    );
    let (points, report) = map_points(V1, &request);
    assert_eq!(points.len(), 1);
    assert_eq!(report.count(DropReason::EmptyPoint), 1);
}

#[test]
fn otel_v1_skips_gauges_and_summaries_but_writes_the_rest() {
    let summary = Data::Summary(Summary {
        data_points: vec![SummaryDataPoint {
            count: 1,
            sum: 1.0,
            time_unix_nano: 1,
            ..Default::default()
        }],
    });
    let sum = Data::Sum(Sum {
        data_points: vec![int_point(vec![kv("k", s("v"))], 0, 3, 7)],
        aggregation_temporality: CUMULATIVE,
        is_monotonic: true,
    });
    let request = request(
        vec![],
        ("", ""),
        vec![
            metric("g", gauge(vec![double_point(vec![], 0, 2, 1.0)])),
            metric("s", summary),
            metric("c", sum),
        ],
    );
    let (points, report) = map_points(OtelV1, &request);
    assert_eq!(
        points,
        vec![point(
            "c__sum",
            &[("k", "v")],
            &[("value_cumulative_monotonic_int", F::I(7))],
            3
        )]
    );
    assert_eq!(report.count(DropReason::UnsupportedMetric), 2);
}

fn exponential(point: ExponentialHistogramDataPoint) -> Data {
    Data::ExponentialHistogram(ExponentialHistogram {
        data_points: vec![point],
        aggregation_temporality: DELTA,
    })
}

fn exponential_point() -> ExponentialHistogramDataPoint {
    // scale 0: positive buckets 1..=2 are (2,4] and (4,8]; negative bucket 0 is [-2,-1).
    ExponentialHistogramDataPoint {
        attributes: vec![kv("k", s("v"))],
        time_unix_nano: 10,
        start_time_unix_nano: 5,
        count: 10,
        sum: Some(30.0),
        min: Some(-1.5),
        max: Some(7.0),
        scale: 0,
        zero_count: 2,
        positive: Some(Buckets {
            offset: 1,
            bucket_counts: vec![3, 4],
        }),
        negative: Some(Buckets {
            offset: 0,
            bucket_counts: vec![1],
        }),
        ..Default::default()
    }
}

#[test]
fn exponential_histogram_v1_gets_cumulative_le_fields() {
    let request = request(
        vec![],
        ("", ""),
        vec![metric("latency", exponential(exponential_point()))],
    );
    let (points, report) = map_points(V1, &request);
    let fields = [
        ("-1", F::F(1.0)),
        ("0", F::F(3.0)),
        ("4", F::F(6.0)),
        ("8", F::F(10.0)),
        ("+Inf", F::F(10.0)),
        ("count", F::F(10.0)),
        ("sum", F::F(30.0)),
        ("min", F::F(-1.5)),
        ("max", F::F(7.0)),
        ("start_time_unix_nano", F::I(5)),
    ];
    assert_eq!(points, vec![point("latency", &[("k", "v")], &fields, 10)]);
    assert!(report.is_clean());
}

#[test]
fn exponential_histogram_v2_gets_le_lines_and_otel_v1_its_own_measurement() {
    let request = request(
        vec![],
        ("", ""),
        vec![metric("latency", exponential(exponential_point()))],
    );
    let (points, _) = map_points(V2, &request);
    let le: Vec<(&str, &F)> = points[1..]
        .iter()
        .map(|p| (p.1["le"].as_str(), &p.2["latency_bucket"]))
        .collect();
    assert_eq!(
        le,
        [
            ("-1", &F::F(1.0)),
            ("0", &F::F(3.0)),
            ("4", &F::F(6.0)),
            ("8", &F::F(10.0)),
            ("+Inf", &F::F(10.0))
        ]
    );
    assert_eq!(points[0].2["latency_count"], F::F(10.0));

    let (points, _) = map_points(OtelV1, &request);
    assert_eq!(points.len(), 1);
    assert_eq!(points[0].0, "latency__exponentialhistogram");
    assert_eq!(points[0].2["delta_-1"], F::U(1));
    assert_eq!(points[0].2["delta_0"], F::U(2));
    assert_eq!(points[0].2["delta_8"], F::U(4));
    assert_eq!(points[0].2["count"], F::U(10));
}

#[test]
fn exponential_histogram_with_fractional_scale_keeps_counts() {
    let mut point = exponential_point();
    point.scale = 3;
    point.positive = Some(Buckets {
        offset: -3,
        bucket_counts: vec![1, 0, 2, 5],
    });
    point.negative = None;
    point.count = 10;
    let request = request(vec![], ("", ""), vec![metric("x", exponential(point))]);
    let (points, report) = map_points(V1, &request);
    assert!(report.is_clean());
    let fields = &points[0].2;
    assert_eq!(fields["+Inf"], F::F(10.0));
    // Bucket 0 at scale 3 ends at 2^(1/8).
    assert_eq!(fields[&2f64.powf(0.125).to_string()], F::F(10.0));
    assert_eq!(fields["1"], F::F(5.0), "bucket -1 ends at exactly 1");
}

fn datalayers() -> EncoderOptions {
    EncoderOptions::new(Dialect::Datalayers).with_float_format(FloatFormat::GoStrconv)
}

#[test]
fn datalayers_measurement_names_are_rewritten_into_its_rule() {
    let long = format!("app.{}", "segment".repeat(12));
    let request = request(
        vec![kv("k", s("v"))],
        ("", ""),
        vec![
            metric(
                "http/server:requests",
                gauge(vec![double_point(vec![], 0, 1, 1.0)]),
            ),
            metric("9lives", gauge(vec![double_point(vec![], 0, 2, 1.0)])),
            metric(&long, gauge(vec![double_point(vec![], 0, 3, 1.0)])),
        ],
    );
    let (text, report) = map_with(V1, datalayers(), &request);
    let names: Vec<String> = parse(&text).into_iter().map(|p| p.0).collect();
    assert_eq!(names[0], "http_server_requests");
    assert_eq!(names[1], "_9lives");
    assert_eq!(names[2].len(), 63);
    assert!(names[2].starts_with("app.segmentsegment"));
    assert!(report.is_clean());
    // Each rename is counted (not as a drop) and shown.
    assert_eq!(report.renamed_measurements, 3);
    assert!(
        report
            .to_string()
            .ends_with(", 3 measurements renamed for Datalayers"),
        "{report}"
    );
    // Other dialects keep the names.
    let (text, report) = map_with(V1, reference_options(), &request);
    assert_eq!(report.renamed_measurements, 0);
    assert!(
        text.starts_with("http/server:requests,k=v gauge=1 1\n"),
        "{text}"
    );
}

#[test]
fn datalayers_lines_without_tags_get_the_metric_tag() {
    let request = request(
        vec![],
        ("", ""),
        vec![metric("up", gauge(vec![int_point(vec![], 0, 1, 1)]))],
    );
    let (text, report) = map_with(V1, datalayers(), &request);
    assert_eq!(text, "up,metric=up gauge=1i 1\n");
    assert!(report.is_clean());
    let (text, _) = map_with(V2, datalayers(), &request);
    assert_eq!(text, "prometheus,metric=up up=1i 1\n");
    // A scope name is a tag: no fallback needed.
    let scoped = metrics_support::request(
        vec![],
        ("lib", ""),
        vec![metric("up", gauge(vec![int_point(vec![], 0, 1, 1)]))],
    );
    assert_eq!(
        map_with(V1, datalayers(), &scoped).0,
        "up,otel.library.name=lib gauge=1i 1\n"
    );
    // InfluxDB accepts lines without tags: no extra tag there.
    assert_eq!(
        map_with(V1, reference_options(), &request).0,
        "up gauge=1i 1\n"
    );
}

#[test]
fn a_bad_tag_value_costs_only_its_line() {
    let request = request(
        vec![],
        ("", ""),
        vec![metric(
            "g",
            gauge(vec![
                double_point(vec![kv("path", s("a\nb"))], 0, 1, 1.0),
                double_point(vec![kv("path", s("ok"))], 0, 2, 2.0),
            ]),
        )],
    );
    let (points, report) = map_points(V1, &request);
    assert_eq!(
        points,
        vec![point("g", &[("path", "ok")], &[("gauge", F::F(2.0))], 2)]
    );
    assert_eq!(report.count(DropReason::LineRejected), 1);
}

#[test]
fn later_levels_override_earlier_ones_and_empty_values_are_not_written() {
    let mut request = request(
        vec![
            kv("host", s("resource")),
            kv("zone", s("z1")),
            kv("", s("ignored")),
        ],
        ("lib", "1.0"),
        vec![metric(
            "g",
            gauge(vec![double_point(
                vec![kv("host", s("point")), kv("zone", s("")), kv("code", i(7))],
                0,
                1,
                1.0,
            )]),
        )],
    );
    request.resource_metrics[0].scope_metrics[0]
        .scope
        .as_mut()
        .unwrap()
        .attributes = vec![kv("otel.library.name", s("scope-attr")), kv("team", s("t"))];
    let (points, _) = map_points(V1, &request);
    assert_eq!(
        points[0]
            .1
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        [
            ("code", "7"),
            ("host", "point"),
            ("otel.library.name", "scope-attr"),
            ("otel.library.version", "1.0"),
            ("team", "t")
        ]
    );
}

#[test]
fn exemplars_without_ids_or_value_are_skipped_and_counted() {
    let mut point = double_point(vec![kv("k", s("v"))], 0, 1, 1.0);
    point.exemplars = vec![
        Exemplar {
            value: Some(exemplar::Value::AsDouble(1.0)),
            span_id: vec![1; 8],
            ..Default::default()
        },
        Exemplar {
            value: Some(exemplar::Value::AsDouble(1.0)),
            trace_id: vec![0; 16],
            span_id: vec![1; 8],
            ..Default::default()
        },
        Exemplar {
            trace_id: vec![1; 16],
            span_id: vec![1; 8],
            ..Default::default()
        },
    ];
    let request = request(vec![], ("", ""), vec![metric("g", gauge(vec![point]))]);
    let (points, report) = map_points(V1, &request);
    assert_eq!(points.len(), 1);
    assert_eq!(report.count(DropReason::EmptyPoint), 3);
}

#[test]
fn unset_times_are_written_as_zero_and_start_time_left_out() {
    let request = request(
        vec![kv("k", s("v"))],
        ("", ""),
        vec![metric("g", gauge(vec![double_point(vec![], 0, 0, 1.5)]))],
    );
    assert_eq!(
        map_with(V1, reference_options(), &request).0,
        "g,k=v gauge=1.5 0\n"
    );
}

#[test]
fn otel_v1_histogram_without_bucket_counts_is_written_without_buckets() {
    let histogram = HistogramDataPoint {
        count: 2,
        sum: Some(3.0),
        explicit_bounds: vec![1.0, 2.0],
        time_unix_nano: 1,
        ..Default::default()
    };
    let data = Data::Histogram(Histogram {
        data_points: vec![histogram],
        aggregation_temporality: DELTA,
    });
    let request = request(vec![kv("k", s("v"))], ("", ""), vec![metric("h", data)]);
    let (text, report) = map_with(OtelV1, reference_options(), &request);
    assert_eq!(text, "h__histogram,k=v count=2u,sum=3 1\n");
    assert!(report.is_clean());
}

#[test]
fn an_empty_metric_name_is_refused_not_invented() {
    let request = request(
        vec![kv("k", s("v"))],
        ("", ""),
        vec![
            metric("", gauge(vec![double_point(vec![], 0, 1, 1.0)])),
            metric("ok", gauge(vec![double_point(vec![], 0, 2, 1.0)])),
        ],
    );
    let (text, report) = map_with(V1, datalayers(), &request);
    assert_eq!(text, "ok,k=v gauge=1 2\n");
    assert_eq!(report.count(DropReason::LineRejected), 1);
}
