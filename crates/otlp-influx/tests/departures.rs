//! The deliberate departures from the reference, one test each (see the crate docs), plus the
//! stable-columns mode checked against its own DDL.

mod common;

use common::*;
use lineproto::{Dialect, EncoderOptions, FloatFormat};
use opentelemetry::{InstrumentationScope, logs::LogRecord as _};
use opentelemetry_proto::tonic::{
    collector::trace::v1::ExportTraceServiceRequest,
    common::v1::{ArrayValue, InstrumentationScope as PScope, any_value::Value as PValue},
    logs::v1::LogRecord as PLogRecord,
    resource::v1::Resource as PResource,
    trace::v1::span,
};
use opentelemetry_sdk::logs::LogBatch;
use otlp_influx::{
    DdlOptions, DropReason, MappingConfig, MappingReport, OtlpMapper, PLACEHOLDER,
    PreparedResource, stable_columns_ddl,
};

fn config(dialect: Dialect) -> MappingConfig {
    MappingConfig::default()
        .with_encoder(EncoderOptions::new(dialect).with_float_format(FloatFormat::GoStrconv))
}

fn map_traces(
    config: MappingConfig,
    request: &ExportTraceServiceRequest,
) -> (String, MappingReport) {
    let mut mapper = OtlpMapper::new(config).unwrap();
    let mut out = mapper.new_encoder();
    let mut report = MappingReport::new();
    mapper.map_proto_traces(request, &mut out, &mut report);
    (String::from_utf8(out.as_bytes().to_vec()).unwrap(), report)
}

fn map_logs(config: MappingConfig, records: Vec<PLogRecord>) -> (String, MappingReport) {
    let mut request = fodder_proto_logs();
    request.resource_logs[0].scope_logs[0].log_records = records;
    let mut mapper = OtlpMapper::new(config).unwrap();
    let mut out = mapper.new_encoder();
    let mut report = MappingReport::new();
    mapper.map_proto_logs(&request, &mut out, &mut report);
    (String::from_utf8(out.as_bytes().to_vec()).unwrap(), report)
}

fn simple_span(n: u8) -> opentelemetry_proto::tonic::trace::v1::Span {
    proto_span(trace_id(1, 1), span_id(n), [0; 8], "op", 2, 10, 15)
}

fn simple_line(n: u8) -> String {
    format!(
        "spans,span_id=000000000000000{n},trace_id=00000000000000010000000000000001 \
         duration_nano=5i,end_time_unix_nano=15i,span.kind=\"Server\",span.name=\"op\" 10\n"
    )
}

#[test]
fn a_span_without_ids_costs_only_its_own_lines() {
    let mut no_trace = simple_span(2);
    no_trace.trace_id = vec![0; 16];
    no_trace.events = vec![span::Event {
        name: "lost with its span".into(),
        ..Default::default()
    }];
    let mut no_span = simple_span(3);
    no_span.span_id = Vec::new();
    let request = proto_request(vec![simple_span(1), no_trace, no_span, simple_span(4)]);
    let (lines, report) = map_traces(config(Dialect::InfluxDbV2), &request);
    assert_eq!(lines, simple_line(1) + &simple_line(4));
    assert_eq!(report.count(DropReason::SpanWithoutTraceId), 1);
    assert_eq!(report.count(DropReason::SpanWithoutSpanId), 1);
    assert_eq!(report.lines, 2);
}

#[test]
fn a_rejected_line_is_rolled_back_and_counted_the_rest_is_kept() {
    // Datalayers needs a tag on every line: a log record without trace context and without a
    // `service.name` has none in the reference schema.
    let mut with_service =
        fodder_proto_logs().resource_logs[0].scope_logs[0].log_records[0].clone();
    with_service
        .attributes
        .push(pkv("service.name", PValue::StringValue("svc".into())));
    let mut bare = with_service.clone();
    bare.trace_id.clear();
    bare.attributes.clear();
    let (lines, report) = map_logs(
        config(Dialect::Datalayers),
        vec![with_service.clone(), bare, with_service],
    );
    assert_eq!(report.lines, 2);
    assert_eq!(report.count(DropReason::LineRejected), 1);
    assert!(
        report.messages()[0].contains("no tags"),
        "{:?}",
        report.messages()
    );
    assert_eq!(parse(&lines).len(), 2);
}

#[test]
fn a_dimension_at_two_levels_does_not_fail_the_batch_the_last_level_wins() {
    let mut span = simple_span(1);
    span.attributes = vec![pkv("service.name", PValue::StringValue("from-span".into()))];
    let mut request = proto_request(vec![span, simple_span(2)]);
    request.resource_spans[0].resource = Some(PResource {
        attributes: vec![pkv(
            "service.name",
            PValue::StringValue("from-resource".into()),
        )],
        ..Default::default()
    });
    request.resource_spans[0].scope_spans[0].scope = Some(PScope {
        attributes: vec![pkv(
            "service.name",
            PValue::StringValue("from-scope".into()),
        )],
        ..Default::default()
    });
    let (lines, report) = map_traces(config(Dialect::InfluxDbV2), &request);
    assert!(report.is_clean(), "{report}");
    let first = lines.lines().next().unwrap();
    // As the reference with a no-op logger: the tag takes the last value, and the repeated
    // dimension's last value also lands in the JSON.
    assert!(
        first.starts_with("spans,service.name=from-span,span_id=0000000000000001,"),
        "{first}"
    );
    assert!(
        first.contains(r#"attributes="{\"service.name\":\"from-span\"}""#),
        "{first}"
    );
    let second = lines.lines().nth(1).unwrap();
    assert!(
        second.starts_with("spans,service.name=from-scope,"),
        "{second}"
    );
}

#[test]
fn empty_events_and_links_are_dropped_and_counted_nothing_else_is_lost() {
    let mut span = simple_span(1);
    span.events = vec![
        span::Event::default(),
        span::Event {
            name: "kept".into(),
            time_unix_nano: 12,
            ..Default::default()
        },
    ];
    span.links = vec![
        span::Link {
            trace_id: trace_id(9, 9).to_vec(),
            span_id: span_id(9).to_vec(),
            ..Default::default()
        },
        span::Link {
            trace_id: trace_id(9, 9).to_vec(),
            ..Default::default()
        },
    ];
    span.dropped_events_count = 2;
    let (lines, report) = map_traces(
        config(Dialect::InfluxDbV2),
        &proto_request(vec![simple_span(2), span]),
    );
    assert_eq!(report.count(DropReason::EmptyEvent), 1);
    assert_eq!(report.count(DropReason::EmptyLink), 1);
    assert_eq!(report.count(DropReason::LinkWithoutId), 1);
    assert_eq!(
        lines,
        simple_line(2)
            + "logs,span_id=0000000000000001,trace_id=00000000000000010000000000000001 event.name=\"kept\" 12\n"
            + "spans,span_id=0000000000000001,trace_id=00000000000000010000000000000001 \
               dropped_events_count=3u,dropped_links_count=2u,duration_nano=5i,\
               end_time_unix_nano=15i,span.kind=\"Server\",span.name=\"op\" 10\n"
    );
}

#[test]
fn an_event_keeps_its_dropped_attributes_count_even_without_attributes() {
    let mut span = simple_span(1);
    span.events = vec![span::Event {
        dropped_attributes_count: 4,
        time_unix_nano: 11,
        ..Default::default()
    }];
    let (lines, report) = map_traces(config(Dialect::InfluxDbV1), &proto_request(vec![span]));
    assert!(report.is_clean(), "{report}");
    // InfluxDB 1.x has no unsigned type: counts are written as `i`.
    assert!(lines.starts_with(
        "logs,span_id=0000000000000001,trace_id=00000000000000010000000000000001 dropped_attributes_count=4i 11\n"
    ), "{lines}");
}

#[test]
fn a_non_finite_attribute_costs_only_itself() {
    let mut span = simple_span(1);
    span.attributes = vec![
        pkv("ok", PValue::IntValue(1)),
        pkv(
            "ratios",
            PValue::ArrayValue(ArrayValue {
                values: vec![opentelemetry_proto::tonic::common::v1::AnyValue {
                    value: Some(PValue::DoubleValue(f64::NAN)),
                }],
            }),
        ),
    ];
    span.dropped_attributes_count = 1;
    let (lines, report) = map_traces(config(Dialect::InfluxDbV2), &proto_request(vec![span]));
    assert_eq!(report.count(DropReason::NonFiniteAttributes), 1);
    assert!(
        report.messages()[0].contains("attribute \"ratios\" is NaN or infinite"),
        "{:?}",
        report.messages()
    );
    // The reference drops the whole field (and counts 1 + the span's own 2 attributes); here
    // the finite attribute stays, and only the bad one is counted.
    assert!(lines.contains(r#"attributes="{\"ok\":1}""#), "{lines}");
    assert!(lines.contains("dropped_attributes_count=2u,"), "{lines}");

    // What the Python SDK sends: NaN and infinities beside a statement, in a span, an event, a
    // link and a log record.
    let statement = || pkv("db.statement", PValue::StringValue("SELECT 1".into()));
    let mut span = simple_span(2);
    span.attributes = vec![
        statement(),
        pkv("nan", PValue::DoubleValue(f64::NAN)),
        pkv("inf", PValue::DoubleValue(f64::INFINITY)),
        pkv("-inf", PValue::DoubleValue(f64::NEG_INFINITY)),
    ];
    span.events = vec![span::Event {
        name: "e".into(),
        time_unix_nano: 11,
        attributes: span.attributes.clone(),
        ..Default::default()
    }];
    span.links = vec![span::Link {
        trace_id: trace_id(7, 7).to_vec(),
        span_id: span_id(7).to_vec(),
        attributes: span.attributes.clone(),
        ..Default::default()
    }];
    let (lines, report) = map_traces(config(Dialect::InfluxDbV2), &proto_request(vec![span]));
    assert_eq!(report.count(DropReason::NonFiniteAttributes), 9, "{report}");
    assert_eq!(report.lines, 3, "{report}");
    for line in lines.lines() {
        assert!(
            line.contains(
                r#"attributes="{\"db.statement\":\"SELECT 1\"}",dropped_attributes_count=3u"#
            ),
            "{line}"
        );
    }
    let mut record = fodder_proto_logs().resource_logs[0].scope_logs[0].log_records[0].clone();
    record.attributes = vec![statement(), pkv("nan", PValue::DoubleValue(f64::NAN))];
    record.dropped_attributes_count = 0;
    let (lines, report) = map_logs(config(Dialect::InfluxDbV2), vec![record]);
    assert_eq!(report.count(DropReason::NonFiniteAttributes), 1, "{report}");
    assert!(
        lines.contains(r#"attributes="{\"db.statement\":\"SELECT 1\"}""#)
            && lines.contains("dropped_attributes_count=1u"),
        "{lines}"
    );
}

#[test]
fn an_invalid_tag_value_drops_only_that_tag_and_keeps_the_value_in_the_json() {
    let mut request = proto_request(vec![simple_span(1)]);
    request.resource_spans[0].resource = Some(PResource {
        attributes: vec![pkv(
            "service.name",
            PValue::StringValue("two\nlines".into()),
        )],
        ..Default::default()
    });
    let (lines, report) = map_traces(config(Dialect::InfluxDbV2), &request);
    assert_eq!(report.count(DropReason::InvalidTagValue), 1);
    assert_eq!(report.lines, 1);
    let parsed = parse(&lines);
    assert!(!parsed[0].1.contains_key("service.name"));
    assert_eq!(
        parsed[0].2["attributes"],
        Field::S(r#"{"service.name":"two\nlines"}"#.into())
    );

    // A trailing backslash in a log dimension: same rule.
    let mut record = fodder_proto_logs().resource_logs[0].scope_logs[0].log_records[0].clone();
    record.attributes = vec![pkv("service.name", PValue::StringValue("C:\\".into()))];
    let (lines, report) = map_logs(config(Dialect::InfluxDbV2), vec![record]);
    assert_eq!(report.count(DropReason::InvalidTagValue), 1);
    assert!(
        lines.contains(r#"attributes="{\"service.name\":\"C:\\\\\"}""#),
        "{lines}"
    );
}

#[test]
fn an_attribute_named_like_a_field_replaces_it_as_in_the_reference() {
    let mut span = simple_span(1);
    span.attributes = vec![pkv("span.name", PValue::StringValue("attr".into()))];
    let (lines, report) = map_traces(config(Dialect::InfluxDbV2), &proto_request(vec![span]));
    assert_eq!(report.count(DropReason::TagFieldCollision), 1);
    assert_eq!(
        lines,
        "spans,span.name=attr,span_id=0000000000000001,trace_id=00000000000000010000000000000001 \
         dropped_attributes_count=1u,duration_nano=5i,end_time_unix_nano=15i,span.kind=\"Server\" 10\n"
    );
}

#[test]
fn a_log_record_without_timestamp_uses_its_observed_time() {
    let mut record = fodder_proto_logs().resource_logs[0].scope_logs[0].log_records[0].clone();
    record.time_unix_nano = 0;
    record.observed_time_unix_nano = 1622848686000000123;
    let (lines, _) = map_logs(config(Dialect::InfluxDbV2), vec![record]);
    let parsed = parse(&lines);
    assert_eq!(parsed[0].3, Some(1622848686000000123));
    assert_eq!(
        parsed[0].2["observed_time_unix_nano"],
        Field::I(1622848686000000123)
    );

    // The same from the SDK.
    let mut record = sdk_log_record();
    record.set_observed_timestamp(time(77));
    record.set_body("b".into());
    let scope = InstrumentationScope::builder("s").build();
    let data = [(&record, &scope)];
    let mut mapper = OtlpMapper::new(config(Dialect::InfluxDbV2)).unwrap();
    let mut out = mapper.new_encoder();
    let mut report = MappingReport::new();
    let resource = opentelemetry_sdk::Resource::builder_empty()
        .with_attributes([opentelemetry::KeyValue::new("service.name", "svc")])
        .build();
    mapper.map_sdk_logs(
        &PreparedResource::new(&resource),
        &LogBatch::new(&data),
        &mut out,
        &mut report,
    );
    assert_eq!(
        std::str::from_utf8(out.as_bytes()).unwrap(),
        "logs,service.name=svc body=\"b\",observed_time_unix_nano=77i 77\n"
    );
}

#[test]
fn stable_columns_write_every_declared_tag_and_only_declared_columns() {
    let config = MappingConfig::default()
        .with_stable_columns(true)
        .with_span_dimensions(["service.name", "span.name", "http.route"]);
    let ddl = stable_columns_ddl(&config, &DdlOptions::default()).unwrap();
    let tables: Vec<(String, Vec<String>, Vec<String>)> =
        ddl.iter().map(|s| declared_columns(s)).collect();

    // Fodder (no resource: service.name missing) plus realistic spans and a log without trace
    // context.
    let mut mapper = OtlpMapper::new(config).unwrap();
    let mut out = mapper.new_encoder();
    let mut report = MappingReport::new();
    mapper.map_proto_traces(&fodder_proto_traces(), &mut out, &mut report);
    let resource = opentelemetry_sdk::Resource::builder_empty()
        .with_attributes([opentelemetry::KeyValue::new("service.name", "orders")])
        .build();
    let spans: Vec<_> = (0..3).map(realistic_sdk_span).collect();
    mapper.map_sdk_spans(
        &mapper.prepare_resource(&resource),
        &spans,
        &mut out,
        &mut report,
    );
    let mut logs = fodder_proto_logs();
    logs.resource_logs[0].scope_logs[0].log_records[0]
        .trace_id
        .clear();
    mapper.map_proto_logs(&logs, &mut out, &mut report);
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.lines, 5 + 9 + 1);

    let text = std::str::from_utf8(out.as_bytes()).unwrap();
    for (measurement, tags, fields, _) in parse(text) {
        let (_, declared_tags, declared_fields) = tables
            .iter()
            .find(|(t, _, _)| *t == measurement)
            .unwrap_or_else(|| panic!("no DDL for {measurement}"));
        let tag_keys: Vec<_> = tags.keys().cloned().collect();
        assert_eq!(&tag_keys, declared_tags, "{measurement}");
        assert!(tags.values().all(|v| !v.is_empty()));
        for key in fields.keys() {
            assert!(
                declared_fields.contains(key),
                "{measurement}.{key} not declared"
            );
        }
    }
    // Missing values are the placeholder; the span name fills its own dimension.
    assert!(text.contains(&format!(
        "spans,http.route={PLACEHOLDER},service.name={PLACEHOLDER},span.name=cpu_temp,span_id=0000000000000003,"
    )), "{text}");
    assert!(
        text.contains(&format!(
            "logs,service.name={PLACEHOLDER},span_id={PLACEHOLDER},trace_id={PLACEHOLDER} "
        )),
        "{text}"
    );
    assert!(
        text.contains("logs,service.name=orders,span_id="),
        "events get the resource's service.name: {text}"
    );
}

/// (table, tag columns, field columns) from a generated `CREATE TABLE`.
fn declared_columns(ddl: &str) -> (String, Vec<String>, Vec<String>) {
    let name = |line: &str| line.split('`').nth(1).unwrap().to_owned();
    let table = ddl.split('`').nth(1).unwrap().to_owned();
    let mut tags = Vec::new();
    let mut fields = Vec::new();
    for line in ddl.lines().skip(1) {
        let line = line.trim();
        if line.starts_with("`time`") || !line.starts_with('`') {
            continue;
        }
        if line.ends_with("NOT NULL,") {
            tags.push(name(line));
        } else {
            fields.push(name(line));
        }
    }
    (table, tags, fields)
}
