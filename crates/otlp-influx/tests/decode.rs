//! `OtlpMapper::map_request`: OTLP/JSON and protobuf bodies of the same request give the same
//! lines and the same report (random requests in every JSON spelling the mapping allows), a bad
//! value costs only the smallest unit that holds it, and received and rejected items are
//! counted for partial success.

#![cfg(feature = "json")]

mod common;
mod requests;

use lineproto::{Dialect, EncoderOptions, FloatFormat};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use otlp_influx::decode::{Encoding, Signal};
use otlp_influx::{
    DecodeError, DropReason, MappingConfig, MappingReport, MetricsSchema, OtlpMapper,
};
use proptest::prelude::*;
use prost::Message;
use requests::{JsonStyle, Rng, Shape};

fn config(rng: &mut Rng) -> MappingConfig {
    let dialect = rng.pick(&[
        Dialect::InfluxDbV1,
        Dialect::InfluxDbV2,
        Dialect::InfluxDbV3,
        Dialect::Datalayers,
    ]);
    let float = rng.pick(&[FloatFormat::Shortest, FloatFormat::GoStrconv]);
    let mut config = MappingConfig::default()
        .with_encoder(EncoderOptions::new(dialect).with_float_format(float))
        .with_metrics_schema(rng.pick(MetricsSchema::ALL))
        .with_stable_columns(rng.one_in(3));
    if rng.one_in(2) {
        config.span_dimensions = vec!["service.name".into(), "db.statement".into(), "a".into()];
        config.log_record_dimensions = vec!["host.name".into(), "b".into()];
    }
    config
}

fn map(
    config: &MappingConfig,
    signal: Signal,
    encoding: Encoding,
    body: &[u8],
) -> Result<(Vec<u8>, MappingReport), DecodeError> {
    let mut mapper = OtlpMapper::new(config.clone()).unwrap();
    let mut out = mapper.new_encoder();
    let mut report = MappingReport::new();
    mapper.map_request(signal, encoding, body, &mut out, &mut report)?;
    Ok((out.as_bytes().to_vec(), report))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The request through protobuf and through JSON in `style`: same lines, same report.
fn assert_same(config: &MappingConfig, signal: Signal, protobuf: &[u8], json: &str) {
    let (lines, report) = map(config, signal, Encoding::Protobuf, protobuf).unwrap();
    let (json_lines, json_report) = map(config, signal, Encoding::Json, json.as_bytes())
        .unwrap_or_else(|e| panic!("{e}\n{json}"));
    assert_eq!(text(&json_lines), text(&lines), "{json}");
    assert_eq!(json_report, report, "{json}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn json_and_protobuf_give_the_same_lines(seed in any::<u64>(), style_seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let config = config(&mut rng);
        let shape = Shape::default();
        let mut style = if style_seed % 4 == 0 { JsonStyle::canonical() } else { JsonStyle::varied(style_seed) };
        let traces = requests::traces(&mut rng, shape);
        assert_same(&config, Signal::Traces, &traces.encode_to_vec(), &requests::traces_json(&traces, &mut style));
        let logs = requests::logs(&mut rng, shape);
        assert_same(&config, Signal::Logs, &logs.encode_to_vec(), &requests::logs_json(&logs, &mut style));
        let metrics = requests::metrics(&mut rng, shape);
        assert_same(&config, Signal::Metrics, &metrics.encode_to_vec(), &requests::metrics_json(&metrics, &mut style));
    }
}

/// The generator really produces what the property needs (a test that cannot fail is worse
/// than none).
#[test]
fn the_random_requests_hold_nan_escapes_and_every_spelling() {
    let mut seen_nan = false;
    let mut seen_snake = false;
    let mut seen_name = false;
    let mut lines = 0;
    for seed in 0..200 {
        let mut rng = Rng::new(seed);
        let request = requests::metrics(&mut rng, Shape::default());
        let json = requests::metrics_json(&request, &mut JsonStyle::varied(seed));
        seen_nan |= json.contains("\"NaN\"");
        seen_snake |= json.contains("\"resource_metrics\"") || json.contains("\"data_points\"");
        let traces = requests::traces(&mut rng, Shape::default());
        let json = requests::traces_json(&traces, &mut JsonStyle::varied(seed));
        seen_name |= json.contains("SPAN_KIND_") || json.contains("STATUS_CODE_");
        let config = MappingConfig::default();
        lines += map(&config, Signal::Traces, Encoding::Json, json.as_bytes())
            .unwrap()
            .1
            .lines;
    }
    assert!(seen_nan && seen_snake && seen_name);
    // (About a third of the random requests are empty; the generator's draws shift with its
    // value kinds, so the bound leaves room: 452 lines with the string-table index kind.)
    assert!(lines > 400, "{lines} lines");
}

const SPAN: &str = r#"{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","name":"op","kind":2,"startTimeUnixNano":"10","endTimeUnixNano":"15"}"#;

fn spans_request(spans: &[&str]) -> String {
    format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"svc"}}}}]}},"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    )
}

fn map_json(signal: Signal, body: &str) -> (String, MappingReport) {
    let (lines, report) = map(
        &MappingConfig::default(),
        signal,
        Encoding::Json,
        body.as_bytes(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    (text(&lines), report)
}

#[test]
fn one_undecodable_span_costs_only_itself() {
    let bad_id = SPAN.replace("00f067aa0ba902b7", "not-hex-at-all!!");
    let bad_time = SPAN.replace(
        r#""startTimeUnixNano":"10""#,
        r#""startTimeUnixNano":"ten""#,
    );
    let not_an_object = "42";
    let body = spans_request(&[SPAN, &bad_id, SPAN, &bad_time, not_an_object]);
    let (lines, report) = map_json(Signal::Traces, &body);
    assert_eq!(lines.lines().count(), 2, "{lines}");
    assert_eq!((report.spans.received, report.spans.rejected), (5, 3));
    assert_eq!(report.count(DropReason::UndecodableItem), 3);
    assert_eq!(
        report.messages(),
        [
            "undecodable_item: resourceSpans[0].scopeSpans[0].spans[1].spanId: expected a span \
             id of 16 hex digits, found the string \"not-hex-at-all!!\"",
            "undecodable_item: resourceSpans[0].scopeSpans[0].spans[3].startTimeUnixNano: \
             expected an unsigned 64-bit integer, found the string \"ten\"",
            "undecodable_item: resourceSpans[0].scopeSpans[0].spans[4]: expected a span object, \
             found a number",
        ]
    );
    assert!(
        report
            .error_message()
            .unwrap()
            .starts_with("undecodable_item: resourceSpans[0].scopeSpans[0].spans[1].spanId")
    );
}

#[test]
fn a_bad_attribute_event_or_link_costs_only_itself() {
    let span = SPAN.replace(
        r#""kind":2"#,
        r#""kind":"SPAN_KIND_SERVER","attributes":[
            {"key":"db.statement","value":{"stringValue":"SELECT 1"}},
            {"key":"bad","value":{"intValue":"12abc"}},
            {"key":"two","value":{"intValue":"1","boolValue":true}},
            {"key":"ratio","value":{"doubleValue":"NaN"}}],
          "events":[{"name":"ok","timeUnixNano":"11"},{"name":"bad","timeUnixNano":[]}],
          "links":[7,{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","traceState":"k=v"}]"#,
    );
    let (lines, report) = map_json(Signal::Traces, &spans_request(&[&span]));
    assert_eq!((report.spans.received, report.spans.rejected), (1, 0));
    assert_eq!(report.count(DropReason::UndecodableValue), 2, "{report}");
    assert_eq!(report.count(DropReason::UndecodableItem), 2, "{report}");
    assert_eq!(report.count(DropReason::NonFiniteAttributes), 1, "{report}");
    let span_line = lines.lines().find(|l| l.starts_with("spans,")).unwrap();
    // Two undecodable attributes and the NaN: 3 dropped; the statement is written.
    assert!(
        span_line.contains(r#"attributes="{\"db.statement\":\"SELECT 1\"}",dropped_attributes_count=3u,dropped_events_count=1u,dropped_links_count=1u"#),
        "{span_line}"
    );
    assert_eq!(
        lines.lines().count(),
        3,
        "the good event, the good link, the span: {lines}"
    );
    let messages = report.messages().join("\n");
    for expected in [
        "undecodable_value: resourceSpans[0].scopeSpans[0].spans[0].attributes[1].value.intValue: expected a 64-bit integer, found the string \"12abc\"",
        "undecodable_value: resourceSpans[0].scopeSpans[0].spans[0].attributes[2].value: more than one of stringValue",
        "undecodable_item: resourceSpans[0].scopeSpans[0].spans[0].events[1].timeUnixNano: expected an unsigned 64-bit integer, found an array",
        "undecodable_item: resourceSpans[0].scopeSpans[0].spans[0].links[0]: expected a link object, found a number",
    ] {
        assert!(
            messages.contains(expected),
            "{expected}\nnot in\n{messages}"
        );
    }
}

#[test]
fn a_resource_that_cannot_be_read_rejects_its_items() {
    let body = format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":5}},"scopeSpans":[{{"spans":[{SPAN},{SPAN}]}}]}},{{"scopeSpans":[{{"scope":{{"name":7}},"spans":[{SPAN}]}},{{"spans":[{SPAN}]}}]}}]}}"#
    );
    let (lines, report) = map_json(Signal::Traces, &body);
    assert_eq!(lines.lines().count(), 1, "{lines}");
    assert_eq!((report.spans.received, report.spans.rejected), (4, 3));
    assert_eq!(
        report.messages(),
        [
            "undecodable_item: resourceSpans[0].resource.attributes: expected an array, found a number",
            "undecodable_item: resourceSpans[1].scopeSpans[0].scope.name: expected a string, found a number",
        ]
    );
}

#[test]
fn non_finite_doubles_parse_everywhere_a_double_can_appear() {
    let body = r#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[
        {"name":"g","gauge":{"dataPoints":[
            {"timeUnixNano":"1","asDouble":"NaN"},
            {"timeUnixNano":"2","asDouble":"Infinity","exemplars":[{"timeUnixNano":"2","asDouble":"-Infinity","traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7"}]},
            {"timeUnixNano":"3","asDouble":"1.5","attributes":[{"key":"w","value":{"doubleValue":"-Infinity"}}]}]}},
        {"name":"h","histogram":{"aggregationTemporality":"AGGREGATION_TEMPORALITY_CUMULATIVE","dataPoints":[
            {"timeUnixNano":"4","count":"3","sum":"NaN","min":"-Infinity","max":"Infinity",
             "bucketCounts":["1",2],"explicitBounds":["Infinity"]}]}},
        {"name":"e","exponentialHistogram":{"dataPoints":[
            {"timeUnixNano":"5","count":2,"sum":"Infinity","scale":0,"zeroCount":"1","zeroThreshold":"NaN",
             "positive":{"offset":0,"bucketCounts":["1"]}}]}},
        {"name":"s","summary":{"dataPoints":[
            {"timeUnixNano":"6","count":"1","sum":"NaN","quantileValues":[{"quantile":"NaN","value":"Infinity"},{"quantile":0.5,"value":2}]}]}}
    ]}]}]}"#;
    let config = MappingConfig::new(Dialect::InfluxDbV2);
    let (lines, report) = map(&config, Signal::Metrics, Encoding::Json, body.as_bytes()).unwrap();
    let lines = text(&lines);
    // Every point decoded; the two non-finite gauges wrote no line.
    assert_eq!(
        (report.data_points.received, report.data_points.rejected),
        (6, 2),
        "{report}\n{lines}"
    );
    assert_eq!(report.count(DropReason::UndecodableItem), 0, "{report}");
    assert_eq!(report.count(DropReason::UndecodableValue), 0, "{report}");
    assert!(lines.contains("g,w=-Infinity gauge=1.5 3\n"), "{lines}");
    assert!(lines.contains("h +Inf=3,count=3 4\n"), "{lines}");
    assert!(lines.contains("s 0.5=2,count=1 6\n"), "{lines}");
    assert!(report.count(DropReason::NonFiniteValue) >= 8, "{report}");
}

#[test]
fn snake_case_names_enum_names_and_numbers_are_accepted() {
    let canonical = map_json(Signal::Traces, &spans_request(&[SPAN])).0;
    let spelled = r#"{"resource_spans":[{"resource":{"attributes":[{"key":"service.name","value":{"string_value":"svc"}}]},
        "scope_spans":[{"spans":[{"trace_id":"4BF92F3577B34DA6A3CE929D0E0E4736","span_id":"00F067AA0BA902B7",
        "name":"op","kind":"SPAN_KIND_SERVER","start_time_unix_nano":10,"end_time_unix_nano":1.5e1,
        "status":null,"flags":"ignored","unknown":{"deep":[1,2,{"x":null}]}}]}]}]}"#;
    assert_eq!(map_json(Signal::Traces, spelled).0, canonical);
    let with_status = SPAN.replace(
        r#""kind":2"#,
        r#""kind":2,"status":{"code":"STATUS_CODE_ERROR","message":"m"}"#,
    );
    assert!(
        map_json(Signal::Traces, &spans_request(&[&with_status]))
            .0
            .contains("otel.status_code=\"Error\",otel.status_description=\"m\"")
    );
    let unknown_name = SPAN.replace(r#""kind":2"#, r#""kind":"SPAN_KIND_SIDEWAYS""#);
    let (_, report) = map_json(Signal::Traces, &spans_request(&[&unknown_name]));
    assert_eq!(report.spans.rejected, 1);
    assert!(
        report.messages()[0].contains("kind: expected a span kind"),
        "{report:?}"
    );
}

#[test]
fn protobuf_requests_count_items_and_refuse_malformed_bodies() {
    let mut request = common::fodder_proto_traces();
    let mut no_id = request.resource_spans[0].scope_spans[0].spans[0].clone();
    no_id.trace_id.clear();
    request.resource_spans[0].scope_spans[0].spans.push(no_id);
    let body = request.encode_to_vec();
    let (lines, report) = map(
        &MappingConfig::default(),
        Signal::Traces,
        Encoding::Protobuf,
        &body,
    )
    .unwrap();
    let spans = request.resource_spans[0].scope_spans[0].spans.len() as u64;
    assert_eq!((report.spans.received, report.spans.rejected), (spans, 1));
    // The same lines as mapping the decoded request.
    let mut mapper = OtlpMapper::new(MappingConfig::default()).unwrap();
    let mut out = mapper.new_encoder();
    let mut direct = MappingReport::new();
    mapper.map_proto_traces(
        &ExportTraceServiceRequest::decode(&body[..]).unwrap(),
        &mut out,
        &mut direct,
    );
    assert_eq!(out.as_bytes(), &lines[..]);
    assert_eq!(direct, report);

    let error = map(
        &MappingConfig::default(),
        Signal::Traces,
        Encoding::Protobuf,
        &body[..body.len() - 1],
    )
    .unwrap_err();
    assert_eq!(error.encoding(), Encoding::Protobuf);
    assert!(
        error
            .to_string()
            .starts_with("invalid protobuf traces request"),
        "{error}"
    );
}
