//! `otel-lp` as a user runs it: the built binary on fixture files and stdin.

mod support;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use support::{TempFile, fixture, otel_lp};

#[test]
fn help_version_and_usage_errors() {
    let run = otel_lp(&["--help"], None);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("convert"), "{}", run.stdout);

    let run = otel_lp(&["--version"], None);
    assert_eq!(
        (run.code, run.stdout.trim()),
        (0, concat!("otel-lp ", env!("CARGO_PKG_VERSION")))
    );

    let run = otel_lp(&["convert", "--help"], None);
    assert_eq!(run.code, 0);
    for option in [
        "--input <FILE>",
        "--format",
        "--dialect",
        "--span-dimensions",
        "--metrics-schema",
        "--stable-columns",
    ] {
        assert!(
            run.stdout.contains(option),
            "{option} missing:\n{}",
            run.stdout
        );
    }

    for (args, message) in [
        (&[][..], "Usage: otel-lp <COMMAND>"),
        (&["frobnicate"][..], "unrecognized subcommand 'frobnicate'"),
        (&["convert", "--nope"][..], "unexpected argument '--nope'"),
        (
            &["convert", "--dialect", "influxdb-v9"][..],
            "invalid value 'influxdb-v9' for '--dialect",
        ),
        (
            &["convert", "--metrics-schema", "v3"][..],
            "invalid value 'v3' for '--metrics-schema",
        ),
        (
            &["convert", "--format", "xml"][..],
            "[possible values: json, proto]",
        ),
        (
            &["convert", "--span-dimensions", "a,a"][..],
            "duplicate span dimension",
        ),
        (&["convert", "stray"][..], "unexpected argument 'stray'"),
    ] {
        let run = otel_lp(args, Some(b""));
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty());
    }
}

#[test]
fn metrics_json_lines_to_influxdb_v1_lines() {
    let run = otel_lp(
        &[
            "convert",
            "--input",
            &fixture("metrics.jsonl"),
            "--dialect",
            "influxdb-v1",
            "--float-format",
            "go",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "cpu_temp,foo=bar,otel.library.name=shop,otel.library.version=1.2,service.name=checkout gauge=87.332 1622848686000000000",
            "http_requests_total,code=200,method=post,otel.library.name=shop,otel.library.version=1.2,service.name=checkout \
             counter=1027i,start_time_unix_nano=1622848600000000000i 1622848686000000000",
            "http_request_duration_seconds,otel.library.name=shop,region=eu,service.name=checkout \
             +Inf=144320,0.05=24054,0.1=33444,0.2=100392,0.5=129389,1=133988,count=144320,max=100,min=0,sum=53423 1622848686000000000",
            "http_request_duration_seconds_exemplar,span_id=eee19b7ec3c1b174,trace_id=5b8efff798038103d269b633813fc60c,user=u1 \
             gauge=0.7 1622848685000000000",
            "rpc_duration_seconds,otel.library.name=shop,service.name=checkout 0.5=4773,0.99=76656,count=2693,sum=1.7560473e+07 \
             1622848686000000000",
            "payload_size,otel.library.name=shop,service.name=checkout +Inf=6,0=1,4=3,8=6,count=6,sum=120 1622848686000000000",
        ]
    );
}

#[test]
fn metrics_schema_option_reaches_the_mapper() {
    let run = otel_lp(
        &[
            "convert",
            "--input",
            &fixture("metrics.jsonl"),
            "--metrics-schema",
            "telegraf-prometheus-v2",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("prometheus,") && l.contains(" cpu_temp=87.332 ")),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(",le=0.05,"));
}

#[test]
fn traces_json_lines_and_pretty_printed_logs_from_stdin() {
    let run = otel_lp(&["convert", "--input", &fixture("traces.jsonl")], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let measurements: Vec<&str> = run
        .stdout
        .lines()
        .map(|l| l.split([',', ' ']).next().unwrap())
        .collect();
    assert_eq!(
        measurements.iter().filter(|m| **m == "spans").count(),
        2,
        "{}",
        run.stdout
    );
    assert_eq!(
        measurements.iter().filter(|m| **m == "logs").count(),
        1,
        "the span event"
    );
    assert_eq!(
        measurements.iter().filter(|m| **m == "span-links").count(),
        1
    );
    // Default span dimensions: service.name (the span name is a field, as in the reference).
    assert!(
        run.stdout.contains("spans,service.name=checkout,span_id="),
        "{}",
        run.stdout
    );

    let traces = std::fs::read(fixture("traces.jsonl")).unwrap();
    let run = otel_lp(
        &["convert", "--span-dimensions", "http.method"],
        Some(&traces),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("spans,http.method=GET,span_id="),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("service.name=checkout"),
        "{}",
        run.stdout
    );

    let logs = std::fs::read(fixture("logs.json")).unwrap();
    let run = otel_lp(&["convert"], Some(&logs));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 2, "{}", run.stdout);
    assert!(
        run.stdout
            .lines()
            .all(|l| l.starts_with("logs,service.name=checkout")),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("body=\"order placed\""));
}

/// Each fixture line as a protobuf file: `--format proto` detects the signal and gives the same
/// lines as the JSON input.
#[test]
fn protobuf_input_gives_the_json_lines() {
    let fixtures = [("traces.jsonl", 0), ("metrics.jsonl", 1), ("logs.json", 2)];
    for (name, kind) in fixtures {
        let json = std::fs::read_to_string(fixture(name)).unwrap();
        let documents: Vec<String> = if name.ends_with(".jsonl") {
            json.lines().map(str::to_owned).collect()
        } else {
            vec![json]
        };
        for (i, document) in documents.iter().enumerate() {
            let bytes = match kind {
                0 => serde_json::from_str::<ExportTraceServiceRequest>(document)
                    .unwrap()
                    .encode_to_vec(),
                1 => serde_json::from_str::<ExportMetricsServiceRequest>(document)
                    .unwrap()
                    .encode_to_vec(),
                _ => serde_json::from_str::<ExportLogsServiceRequest>(document)
                    .unwrap()
                    .encode_to_vec(),
            };
            let file = TempFile::new(&format!("{name}-{i}.pb"), &bytes);
            let from_proto = otel_lp(
                &["convert", "--format", "proto", "--input", file.path()],
                None,
            );
            let from_json = otel_lp(&["convert"], Some(document.as_bytes()));
            assert_eq!(from_proto.code, 0, "{name}: {}", from_proto.stderr);
            assert!(!from_proto.stdout.is_empty());
            assert_eq!(from_proto.stdout, from_json.stdout, "{name} #{i}");
        }
    }
}

#[test]
fn garbage_protobuf_is_a_clear_error() {
    let file = TempFile::new("garbage.pb", &[0xff, 0xff, 0xff, 0x01, 0x02]);
    let run = otel_lp(
        &["convert", "--format", "proto", "--input", file.path()],
        None,
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("not an OTLP traces, logs or metrics request"),
        "{}",
        run.stderr
    );
    let run = otel_lp(
        &[
            "convert",
            "--format",
            "proto",
            "--signal",
            "logs",
            "--input",
            file.path(),
        ],
        None,
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("not an OTLP logs request"),
        "{}",
        run.stderr
    );
}

#[test]
fn malformed_lines_are_reported_by_number_and_the_rest_converted() {
    let run = otel_lp(
        &[
            "convert",
            "--input",
            &fixture("malformed.jsonl"),
            "--dialect",
            "influxdb-v1",
        ],
        None,
    );
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "up,job=a gauge=1i 1\nup,job=c gauge=1i 3\n");
    assert!(
        run.stderr.contains(
            "line 2: invalid OTLP/JSON metrics request at column 85: EOF while parsing a list"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("line 4: no resourceSpans, resourceLogs or resourceMetrics key"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("2 malformed request(s) skipped"),
        "{}",
        run.stderr
    );
}

#[test]
fn malformed_document_reports_line_and_column() {
    let run = otel_lp(
        &["convert"],
        Some(b"{\n  \"resourceSpans\": [\n    {,\n]}\n"),
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(
            "input: invalid OTLP/JSON traces request at line 3, column 6: key must be a string"
        ),
        "{}",
        run.stderr
    );
    let run = otel_lp(&["convert", "--input", "no/such/file.json"], None);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("cannot read no/such/file.json"),
        "{}",
        run.stderr
    );
}

#[test]
fn dropped_records_are_counted_on_stderr_and_good_lines_kept() {
    let run = otel_lp(&["convert", "--input", &fixture("droppable.jsonl")], None);
    assert_eq!(run.code, 0, "drops are reported, not failures");
    assert_eq!(
        run.stdout,
        "latency,host=h1 +Inf=3,1=1,count=3,sum=4 2\nup,host=h1 gauge=1i 4\n"
    );
    assert!(
        run.stderr
            .contains("2 lines written, 2 dropped (empty_point: 1, invalid_histogram: 1)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("latency: 4 bucket counts for 1 explicit bounds"),
        "{}",
        run.stderr
    );
}

#[test]
fn blank_input_is_no_request() {
    let run = otel_lp(&["convert"], Some(b"\n  \n"));
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, "", "")
    );
}

#[test]
fn stable_columns_option_reaches_the_mapper() {
    let args = [
        "convert",
        "--input",
        &fixture("traces.jsonl"),
        "--span-dimensions",
        "service.name,http.route",
    ];
    let plain = otel_lp(&args, None);
    assert!(!plain.stdout.contains("http.route="), "{}", plain.stdout);
    let stable = otel_lp(&[&args[..], &["--stable-columns"]].concat(), None);
    assert_eq!(stable.code, 0, "{}", stable.stderr);
    let spans: Vec<&str> = stable
        .stdout
        .lines()
        .filter(|l| l.starts_with("spans,"))
        .collect();
    assert_eq!(spans.len(), 2);
    assert!(
        spans.iter().all(|l| l.starts_with("spans,http.route=")),
        "{}",
        stable.stdout
    );
}

#[test]
fn signal_detection_looks_at_object_keys_only() {
    // An attribute *named* resourceLogs is a string value, not the request's key.
    let input = br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"up","gauge":{"dataPoints":[{"attributes":[{"key":"resourceLogs","value":{"stringValue":"\"resourceSpans\":"}}],"timeUnixNano":"1","asInt":"1"}]}}]}]}]}
{"resourceSpans":[],"resourceLogs":[]}
not json
"#;
    let run = otel_lp(&["convert", "--dialect", "influxdb-v1"], Some(input));
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stdout,
        "up,resourceLogs=\"resourceSpans\": gauge=1i 1\n"
    );
    assert!(
        run.stderr
            .contains("line 2: more than one of resourceSpans, resourceLogs, resourceMetrics"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("line 3: invalid JSON at column"),
        "{}",
        run.stderr
    );
}
