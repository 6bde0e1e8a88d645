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

use lineproto::{Dialect, Encoder};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use otlp_influx::{MappingConfig, MappingReport, OtlpMapper};
use prost::Message;

use crate::args::{EXIT_FAILURE, MappingArgs, usage_error};

/// Convert OTLP traces, logs or metrics (JSON or protobuf) to line protocol on stdout
///
/// Mapping drops are reported on stderr by reason and the other lines are still written (exit
/// 0); a request that cannot be decoded is reported and skipped (exit 1).
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  otel-lp convert --input traces.jsonl --dialect influxdb-v1
  otel-lp convert --input request.pb --format proto --signal metrics
  curl -s http://collector/dump | otel-lp convert --span-dimensions service.name,http.route")]
pub(crate) struct ConvertArgs {
    /// Read FILE instead of stdin
    #[arg(long, value_name = "FILE")]
    input: Option<String>,

    /// Input encoding [default: json]
    #[arg(long, value_enum)]
    format: Option<Format>,

    /// The signal of the input [default: detected per request]
    #[arg(long, value_enum)]
    signal: Option<Signal>,

    #[command(flatten)]
    mapping: MappingArgs,
}

/// Runs `otel-lp convert`.
pub(crate) fn run(args: ConvertArgs) -> ExitCode {
    let config = match args.mapping.mapping_config(Dialect::default()) {
        Ok(config) => config,
        Err(err) => return usage_error(&["convert"], err),
    };
    let options = Options {
        input: args.input,
        format: args.format.unwrap_or(Format::Json),
        signal: args.signal,
        config,
    };
    let mut mapper = match OtlpMapper::new(options.config) {
        Ok(mapper) => mapper,
        Err(err) => return usage_error(&["convert"], err),
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// OTLP/JSON: a request per line, or one request spanning the input
    Json,
    /// One binary OTLP request
    Proto,
}

/// Which OTLP request type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
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
        let Some(first) = non_blank_lines(input).next() else {
            return Ok(());
        };
        let one_per_line = first.1.len() < input.trim_ascii().len() && is_json_object(first.1);
        if !one_per_line {
            match json_request(input, signal, true) {
                Err(_) if is_json_lines(input) => {}
                request => return self.convert(Place::Input, request),
            }
        }
        for (number, line) in non_blank_lines(input) {
            self.convert(Place::Line(number), json_request(line, signal, false))?;
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

/// `serde_json`'s error as `at line L, column C: message`, or `at column C: message` for one line
/// of JSON lines (whose number the caller reports).
fn json_error(err: &serde_json::Error, with_line: bool) -> String {
    let text = err.to_string();
    let message = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(message, _)| message);
    if with_line {
        format!("at line {}, column {}: {message}", err.line(), err.column())
    } else {
        format!("at column {}: {message}", err.column())
    }
}

/// Whether some line of `input` is a whole JSON object on its own: then the input is JSON lines
/// (a pretty-printed request has no such line), and a bad line is reported by its number.
fn is_json_lines(input: &[u8]) -> bool {
    non_blank_lines(input).any(|(_, line)| is_json_object(line))
}

/// Decodes one OTLP/JSON request: the signal is `--signal`, or the one top-level key among
/// `resourceSpans`/`resourceLogs`/`resourceMetrics` (found by a byte search, so the document is
/// parsed once, straight into its type). `with_line`: report the error's line too.
fn json_request(text: &[u8], signal: Option<Signal>, with_line: bool) -> Result<Request, String> {
    let signal = match signal {
        Some(signal) => signal,
        None => {
            let present: Vec<Signal> = Signal::ALL
                .into_iter()
                .filter(|s| has_json_key(text, s.json_key()))
                .collect();
            match present.as_slice() {
                [signal] => *signal,
                [] => {
                    // Not an OTLP request: a syntax error says more than a missing key.
                    serde_json::from_slice::<serde_json::Value>(text)
                        .map_err(|e| format!("invalid JSON {}", json_error(&e, with_line)))?;
                    return Err("no resourceSpans, resourceLogs or resourceMetrics key".to_owned());
                }
                _ => {
                    return Err(
                        "more than one of resourceSpans, resourceLogs, resourceMetrics".to_owned(),
                    );
                }
            }
        }
    };
    let invalid = |e: serde_json::Error| {
        format!(
            "invalid OTLP/JSON {} request {}",
            signal.name(),
            json_error(&e, with_line)
        )
    };
    Ok(match signal {
        Signal::Traces => Request::Traces(serde_json::from_slice(text).map_err(invalid)?),
        Signal::Logs => Request::Logs(serde_json::from_slice(text).map_err(invalid)?),
        Signal::Metrics => Request::Metrics(serde_json::from_slice(text).map_err(invalid)?),
    })
}

/// Whether `"key"` occurs as an object key (followed by `:`). A string *value* cannot be followed
/// by `:` and quotes inside strings are escaped, so in OTLP/JSON this only matches the top-level
/// key of the request (attribute keys are values: `{"key": "...", "value": ...}`).
fn has_json_key(text: &[u8], key: &str) -> bool {
    let quoted = format!("\"{key}\"");
    text.windows(quoted.len())
        .enumerate()
        .filter(|(_, window)| *window == quoted.as_bytes())
        .any(|(at, _)| text[at + quoted.len()..].trim_ascii_start().first() == Some(&b':'))
}

/// The non-blank lines, trimmed, with their 1-based numbers.
fn non_blank_lines(input: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    input
        .split(|b| *b == b'\n')
        .enumerate()
        .map(|(index, line)| (index + 1, line.trim_ascii()))
        .filter(|(_, line)| !line.is_empty())
}

fn is_json_object(text: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(text).is_ok_and(|v| v.is_object())
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
