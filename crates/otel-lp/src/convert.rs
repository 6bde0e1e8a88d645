//! `otel-lp convert`: OTLP (JSON or protobuf) in, line protocol out.
//!
//! Input is OTLP/JSON as the collector's file exporter writes it (one export request per line, or
//! one request spanning the whole input, e.g. pretty-printed), or with `--format proto` one binary
//! `Export{Trace,Logs,Metrics}ServiceRequest`. The signal is detected per request (the
//! `resourceSpans` / `resourceLogs` / `resourceMetrics` key, or for protobuf the one message type
//! that decodes and re-encodes to the same length), or forced with `--signal`.
//!
//! Lines go to stdout as each request is mapped. Records the mapper has to drop are counted and
//! reported on stderr by reason; the good lines are still written and the exit code stays 0.
//! A request that cannot be decoded is reported (with its line number for JSON lines), the others are
//! still converted, and the exit code is 1.

use std::fmt;
use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;

use lineproto::{Dialect, Encoder, FloatFormat};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use otlp_influx::{MappingConfig, MappingReport, MetricsSchema, OtlpMapper};
use prost::Message;

use crate::args::{ArgError, Command, EXIT_FAILURE, OptSpec, Parsed};

/// The `convert` grammar.
pub(crate) const COMMAND: Command = Command {
    name: "convert",
    about: "Convert OTLP traces, logs or metrics (JSON or protobuf) to line protocol on stdout.",
    positionals: "",
    options: &[
        OptSpec::value("input", "FILE", "Read FILE instead of stdin"),
        OptSpec::value(
            "format",
            "json|proto",
            "OTLP/JSON: a request per line, or one (default); proto: one binary request",
        ),
        OptSpec::value(
            "signal",
            "traces|logs|metrics",
            "The signal of the input (default: detected)",
        ),
        OptSpec::value(
            "dialect",
            "NAME",
            "datalayers (default), influxdb-v1, influxdb-v2 or influxdb-v3",
        ),
        OptSpec::value(
            "span-dimensions",
            "A,B",
            "Span attributes written as tags (default: service.name,span.name)",
        ),
        OptSpec::value(
            "log-record-dimensions",
            "A,B",
            "Log record attributes written as tags (default: service.name)",
        ),
        OptSpec::value(
            "metrics-schema",
            "NAME",
            "telegraf-prometheus-v1 (default), telegraf-prometheus-v2 or otel-v1",
        ),
        OptSpec::flag(
            "stable-columns",
            "Same tag keys on every line of a measurement (Datalayers tables)",
        ),
        OptSpec::value(
            "float-format",
            "go|shortest",
            "Float text: shortest digits (default), or Go strconv 'g' like the reference",
        ),
    ],
};

/// Runs `otel-lp convert` with the arguments after the subcommand.
pub(crate) fn run(args: Vec<String>) -> ExitCode {
    let parsed = match COMMAND.parse_or_exit(args) {
        Ok(parsed) => parsed,
        Err(code) => return code,
    };
    let options = match Options::from_args(&parsed) {
        Ok(options) => options,
        Err(err) => return COMMAND.usage_error(&err),
    };
    let mut mapper = match OtlpMapper::new(options.config) {
        Ok(mapper) => mapper,
        Err(err) => return COMMAND.usage_error(&err),
    };
    let input = match read_input(options.input.as_deref()) {
        Ok(input) => input,
        Err(err) => {
            let from = options.input.as_deref().unwrap_or("stdin");
            eprintln!("otel-lp convert: cannot read {from}: {err}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };

    let mut converter = Converter {
        encoder: mapper.new_encoder(),
        mapper: &mut mapper,
        report: MappingReport::new(),
        out: BufWriter::new(io::stdout().lock()),
        malformed: 0,
    };
    let written = match options.format {
        Format::Json => converter.json(&input, options.signal),
        Format::Proto => converter.proto(&input, options.signal),
    }
    .and_then(|()| converter.out.flush());
    // A closed pipe (`| head`) is the reader's choice, not a failure.
    if let Err(err) = written
        && err.kind() != io::ErrorKind::BrokenPipe
    {
        eprintln!("otel-lp convert: cannot write output: {err}");
        return ExitCode::from(EXIT_FAILURE);
    }
    let report = &converter.report;
    if !report.is_clean() {
        eprintln!("otel-lp convert: {report}");
        for message in report.messages() {
            eprintln!("  {message}");
        }
    }
    if converter.malformed > 0 {
        eprintln!(
            "otel-lp convert: {} malformed request(s) skipped",
            converter.malformed
        );
        return ExitCode::from(EXIT_FAILURE);
    }
    ExitCode::SUCCESS
}

/// Input encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Proto,
}

/// Which OTLP request type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signal {
    Traces,
    Logs,
    Metrics,
}

impl Signal {
    const ALL: [Self; 3] = [Self::Traces, Self::Logs, Self::Metrics];

    fn name(self) -> &'static str {
        match self {
            Self::Traces => "traces",
            Self::Logs => "logs",
            Self::Metrics => "metrics",
        }
    }

    /// The top-level key of its OTLP/JSON request.
    fn json_key(self) -> &'static str {
        match self {
            Self::Traces => "resourceSpans",
            Self::Logs => "resourceLogs",
            Self::Metrics => "resourceMetrics",
        }
    }
}

struct Options {
    input: Option<String>,
    format: Format,
    signal: Option<Signal>,
    config: MappingConfig,
}

impl Options {
    fn from_args(args: &Parsed) -> Result<Self, ArgError> {
        args.expect_at_most_positionals(0)?;
        let format = args.choice(
            "format",
            &[("json", Format::Json), ("proto", Format::Proto)],
        )?;
        let signal = args.choice("signal", &Signal::ALL.map(|s| (s.name(), s)))?;
        let float_format = args.choice(
            "float-format",
            &[
                ("go", FloatFormat::GoStrconv),
                ("shortest", FloatFormat::Shortest),
            ],
        )?;

        let dialect: Dialect = args.parse_value("dialect")?.unwrap_or_default();
        let mut config = MappingConfig::new(dialect);
        config.encoder = config
            .encoder
            .with_float_format(float_format.unwrap_or_default());
        if let Some(dimensions) = args.list("span-dimensions") {
            config.span_dimensions = dimensions;
        }
        if let Some(dimensions) = args.list("log-record-dimensions") {
            config.log_record_dimensions = dimensions;
        }
        if let Some(schema) = args.parse_value::<MetricsSchema>("metrics-schema")? {
            config.metrics_schema = schema;
        }
        config.stable_columns = args.flag("stable-columns");
        Ok(Self {
            input: args.value("input").map(str::to_owned),
            format: format.unwrap_or(Format::Json),
            signal,
            config,
        })
    }
}

fn read_input(path: Option<&str>) -> io::Result<Vec<u8>> {
    match path {
        Some(path) => std::fs::read(path),
        None => {
            let mut input = Vec::new();
            io::stdin().lock().read_to_end(&mut input)?;
            Ok(input)
        }
    }
}

/// One decoded export request.
enum Request {
    Traces(ExportTraceServiceRequest),
    Logs(ExportLogsServiceRequest),
    Metrics(ExportMetricsServiceRequest),
}

/// Where a request came from, for error messages.
#[derive(Debug, Clone, Copy)]
enum Place {
    /// JSON lines: 1-based line number.
    Line(usize),
    /// The whole input.
    Input,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Line(n) => write!(f, "line {n}"),
            Self::Input => f.write_str("input"),
        }
    }
}

struct Converter<'m, W: Write> {
    mapper: &'m mut OtlpMapper,
    encoder: Encoder,
    report: MappingReport,
    out: W,
    malformed: u64,
}

impl<W: Write> Converter<'_, W> {
    /// OTLP/JSON: one request spanning the input (e.g. pretty-printed), or one request per line
    /// (JSON lines, as the collector's file exporter writes). Blank input has no request.
    fn json(&mut self, input: &[u8], signal: Option<Signal>) -> io::Result<()> {
        if input.trim_ascii().is_empty() {
            return Ok(());
        }
        match serde_json::from_slice(input) {
            Ok(document) => return self.convert(Place::Input, json_request(document, signal)),
            Err(err) if !is_json_lines(input) => {
                return self.convert(Place::Input, Err(json_syntax_error(&err, true)));
            }
            Err(_) => {}
        }
        for (index, line) in input.split(|b| *b == b'\n').enumerate() {
            let line = line.trim_ascii();
            if line.is_empty() {
                continue;
            }
            let request = serde_json::from_slice(line).map_err(|e| json_syntax_error(&e, false));
            self.convert(
                Place::Line(index + 1),
                request.and_then(|doc| json_request(doc, signal)),
            )?;
        }
        Ok(())
    }

    /// One binary OTLP request.
    fn proto(&mut self, input: &[u8], signal: Option<Signal>) -> io::Result<()> {
        let request = match signal {
            Some(signal) => decode_proto(input, signal)
                .map_err(|e| format!("not an OTLP {} request: {e}", signal.name())),
            None => Signal::ALL
                .into_iter()
                .find_map(|signal| {
                    decode_proto(input, signal)
                        .ok()
                        .filter(|r| encoded_len(r) == input.len())
                })
                .ok_or_else(|| {
                    "not an OTLP traces, logs or metrics request (use --signal to force one)"
                        .to_owned()
                }),
        };
        self.convert(Place::Input, request)
    }

    /// Maps one request (or reports why there is none) and writes its lines.
    fn convert(&mut self, place: Place, request: Result<Request, String>) -> io::Result<()> {
        let request = match request {
            Ok(request) => request,
            Err(err) => {
                eprintln!("otel-lp convert: {place}: {err}");
                self.malformed += 1;
                return Ok(());
            }
        };
        let (mapper, encoder, report) = (&mut *self.mapper, &mut self.encoder, &mut self.report);
        match &request {
            Request::Traces(r) => mapper.map_proto_traces(r, encoder, report),
            Request::Logs(r) => mapper.map_proto_logs(r, encoder, report),
            Request::Metrics(r) => mapper.map_proto_metrics(r, encoder, report),
        }
        self.out.write_all(self.encoder.as_bytes())?;
        self.encoder.clear();
        Ok(())
    }
}

/// `serde_json`'s message with its position first: `invalid JSON at line L, column C: ...` for
/// the whole input, `invalid JSON at column C: ...` for one line of JSON lines (whose number the
/// caller reports).
fn json_syntax_error(err: &serde_json::Error, with_line: bool) -> String {
    let text = err.to_string();
    let message = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(message, _)| message);
    if with_line {
        format!(
            "invalid JSON at line {}, column {}: {message}",
            err.line(),
            err.column()
        )
    } else {
        format!("invalid JSON at column {}: {message}", err.column())
    }
}

/// Whether some line of `input` is a whole JSON object on its own: then the input is JSON lines
/// (a pretty-printed request has no such line), and a bad line is reported by its number.
fn is_json_lines(input: &[u8]) -> bool {
    input
        .split(|b| *b == b'\n')
        .any(|line| serde_json::from_slice::<serde_json::Value>(line).is_ok_and(|v| v.is_object()))
}

/// Picks the request type from the top-level key (or `--signal`) and decodes it.
fn json_request(document: serde_json::Value, signal: Option<Signal>) -> Result<Request, String> {
    let serde_json::Value::Object(object) = &document else {
        return Err("expected a JSON object (an OTLP export request)".to_owned());
    };
    let present: Vec<Signal> = Signal::ALL
        .into_iter()
        .filter(|s| object.contains_key(s.json_key()))
        .collect();
    let signal = match (signal, present.as_slice()) {
        (Some(signal), _) => signal,
        (None, [signal]) => *signal,
        (None, []) => {
            return Err("no resourceSpans, resourceLogs or resourceMetrics key".to_owned());
        }
        (None, _) => {
            return Err("more than one of resourceSpans, resourceLogs, resourceMetrics".to_owned());
        }
    };
    let invalid =
        |e: serde_json::Error| format!("invalid OTLP/JSON {} request: {e}", signal.name());
    Ok(match signal {
        Signal::Traces => Request::Traces(serde_json::from_value(document).map_err(invalid)?),
        Signal::Logs => Request::Logs(serde_json::from_value(document).map_err(invalid)?),
        Signal::Metrics => Request::Metrics(serde_json::from_value(document).map_err(invalid)?),
    })
}

fn decode_proto(input: &[u8], signal: Signal) -> Result<Request, prost::DecodeError> {
    Ok(match signal {
        Signal::Traces => Request::Traces(ExportTraceServiceRequest::decode(input)?),
        Signal::Logs => Request::Logs(ExportLogsServiceRequest::decode(input)?),
        Signal::Metrics => Request::Metrics(ExportMetricsServiceRequest::decode(input)?),
    })
}

/// Length of the request encoded again: equal to the input only for the type the input was made
/// from, because decoding another type skips the fields it does not know.
fn encoded_len(request: &Request) -> usize {
    match request {
        Request::Traces(r) => r.encoded_len(),
        Request::Logs(r) => r.encoded_len(),
        Request::Metrics(r) => r.encoded_len(),
    }
}
