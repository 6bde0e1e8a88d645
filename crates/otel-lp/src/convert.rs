//! `otel-lp convert`: OTLP (JSON or protobuf) in, line protocol out.
//!
//! Input is OTLP/JSON as the collector's file exporter writes it (one export request per line, or
//! one request spanning the whole input, e.g. pretty-printed), or one binary
//! `Export{Trace,Logs,Metrics}ServiceRequest`; without `--format` the content says which
//! (`otlp_influx::Encoding::sniff`). The signal is detected per request (the `resourceSpans` /
//! `resourceLogs` / `resourceMetrics` key, or for protobuf the one message type that reads it
//! whole), or forced with `--signal`. Decoding and mapping are `OtlpMapper::map_request`, as in
//! an OTLP receiver: `{}` is an empty request, `"NaN"` doubles parse, and an item that cannot
//! be decoded costs only itself.
//!
//! Lines go to stdout as each request is mapped. Records the mapper has to drop are counted and
//! reported on stderr by reason; the good lines are still written and the exit code stays 0.
//! A request that cannot be decoded is reported (with its line number for JSON lines), the others are
//! still converted, and the exit code is 1.

use std::fmt;
use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;

use lineproto::{Dialect, Encoder};
use otlp_influx::decode::{DecodeError, Encoding, protobuf_signal};
use otlp_influx::{MappingConfig, MappingReport, OtlpMapper};

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

    /// Input encoding [default: detected from the content]
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
        format: args.format,
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
    let written = converter
        .input(&input, options.format, options.signal)
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

    /// The signal as `otlp_influx` names it.
    fn otlp(self) -> otlp_influx::Signal {
        match self {
            Self::Traces => otlp_influx::Signal::Traces,
            Self::Logs => otlp_influx::Signal::Logs,
            Self::Metrics => otlp_influx::Signal::Metrics,
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
    /// `None`: detected from the content.
    format: Option<Format>,
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
    /// The whole input, as `format`, or as its content says (`Encoding::sniff`; blank input has
    /// no request).
    fn input(
        &mut self,
        input: &[u8],
        format: Option<Format>,
        signal: Option<Signal>,
    ) -> io::Result<()> {
        let format = format.unwrap_or_else(|| match Encoding::sniff(input) {
            Some(Encoding::Protobuf) if !input.trim_ascii().is_empty() => Format::Proto,
            _ => Format::Json,
        });
        match format {
            Format::Json => self.json(input, signal),
            Format::Proto => self.proto(input, signal),
        }
    }

    /// OTLP/JSON: one request spanning the input (e.g. pretty-printed), or one request per line
    /// (JSON lines, as the collector's file exporter writes). Blank input has no request.
    fn json(&mut self, input: &[u8], signal: Option<Signal>) -> io::Result<()> {
        let Some(first) = non_blank_lines(input).next() else {
            return Ok(());
        };
        let one_per_line = first.1.len() < input.trim_ascii().len() && is_json_object(first.1);
        if !one_per_line {
            match json_signal(input, signal, true) {
                Err(_) if is_json_lines(input) => {}
                found => return self.map_json(Place::Input, input, found, true),
            }
        }
        for (number, line) in non_blank_lines(input) {
            let found = json_signal(line, signal, false);
            self.map_json(Place::Line(number), line, found, false)?;
        }
        Ok(())
    }

    /// Maps one OTLP/JSON request of the `found` signal (`None`: an empty request).
    fn map_json(
        &mut self,
        place: Place,
        text: &[u8],
        found: Result<Option<Signal>, String>,
        with_line: bool,
    ) -> io::Result<()> {
        let decoded = match found {
            Ok(Some(signal)) => self
                .map(signal, Encoding::Json, text)
                .map_err(|e| json_decode_error(&e, signal, with_line)),
            Ok(None) => Ok(()),
            Err(err) => Err(err),
        };
        self.finish(place, decoded)
    }

    /// One binary OTLP request.
    fn proto(&mut self, input: &[u8], signal: Option<Signal>) -> io::Result<()> {
        if input.is_empty() {
            return Ok(());
        }
        let decoded = match signal {
            Some(signal) => self
                .map(signal, Encoding::Protobuf, input)
                .map_err(|e| format!("not an OTLP {} request: {}", signal.name(), detail(&e))),
            None => match protobuf_signal(input) {
                Some(found) => {
                    let signal = Signal::ALL
                        .iter()
                        .copied()
                        .find(|s| s.otlp() == found)
                        .unwrap_or(Signal::Traces);
                    self.map(signal, Encoding::Protobuf, input)
                        .map_err(|e| e.to_string())
                }
                None => Err(
                    "not an OTLP traces, logs or metrics request (use --signal to force one)"
                        .to_owned(),
                ),
            },
        };
        self.finish(Place::Input, decoded)
    }

    /// Decodes and maps one request into the encoder.
    fn map(&mut self, signal: Signal, encoding: Encoding, body: &[u8]) -> Result<(), DecodeError> {
        let (mapper, encoder, report) = (&mut *self.mapper, &mut self.encoder, &mut self.report);
        mapper.map_request(signal.otlp(), encoding, body, encoder, report)
    }

    /// Writes the lines of a mapped request, or reports why there are none.
    fn finish(&mut self, place: Place, decoded: Result<(), String>) -> io::Result<()> {
        if let Err(err) = decoded {
            eprintln!("otel-lp convert: {place}: {err}");
            self.malformed += 1;
        }
        self.out.write_all(self.encoder.as_bytes())?;
        self.encoder.clear();
        Ok(())
    }
}

/// What a decoding error says, with where when known.
fn detail(err: &DecodeError) -> String {
    match err.path() {
        Some(path) => format!("{} (in {path})", err.message()),
        None => err.message().to_owned(),
    }
}

/// A JSON decoding error as `invalid OTLP/JSON traces request at line L, column C: message`, or
/// `at column C: message` for one line of JSON lines (whose number the caller reports), with
/// the JSON path at the end when known.
fn json_decode_error(err: &DecodeError, signal: Signal, with_line: bool) -> String {
    let mut text = format!("invalid OTLP/JSON {} request", signal.name());
    match err.line_column() {
        Some((line, column)) if with_line => text += &format!(" at line {line}, column {column}"),
        Some((_, column)) => text += &format!(" at column {column}"),
        None => {}
    }
    text + ": " + &detail(err)
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

/// The signal of one OTLP/JSON request: `--signal`, or the one top-level key among
/// `resourceSpans`/`resourceLogs`/`resourceMetrics` (found by a byte search, so the document is
/// parsed once, by the decoder). `None` for `{}`, an empty request of any signal.
/// `with_line`: report a syntax error's line too.
fn json_signal(
    text: &[u8],
    signal: Option<Signal>,
    with_line: bool,
) -> Result<Option<Signal>, String> {
    if let Some(signal) = signal {
        return Ok(Some(signal));
    }
    let present: Vec<Signal> = Signal::ALL
        .iter()
        .copied()
        .filter(|s| has_json_key(text, s.json_key()))
        .collect();
    match present.as_slice() {
        [signal] => Ok(Some(*signal)),
        [] => {
            // Not an OTLP request: a syntax error says more than a missing key.
            let value = serde_json::from_slice::<serde_json::Value>(text)
                .map_err(|e| format!("invalid JSON {}", json_error(&e, with_line)))?;
            if value.as_object().is_some_and(serde_json::Map::is_empty) {
                return Ok(None);
            }
            Err("no resourceSpans, resourceLogs or resourceMetrics key".to_owned())
        }
        _ => Err("more than one of resourceSpans, resourceLogs, resourceMetrics".to_owned()),
    }
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
