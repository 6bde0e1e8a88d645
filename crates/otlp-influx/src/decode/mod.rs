//! The decode stage: an OTLP export request body, as an OTLP receiver gets it (protobuf or
//! OTLP/JSON), decoded and mapped in one call ([`OtlpMapper::map_request`]).
//!
//! - **Protobuf** (`application/x-protobuf`, gRPC): the request message, read in place from
//!   the body (no decoded message tree: strings and bytes are borrowed, nothing is allocated
//!   per span); it accepts exactly what prost accepts, and malformed protobuf fails the whole
//!   request with a [`DecodeError`] (what, the byte offset, the fields it was in).
//! - **OTLP/JSON** (`application/json`, feature `json`): the proto3 JSON mapping as the OTLP
//!   specification amends it. Ids are hex; enums are numbers (their names are accepted too);
//!   64-bit integers are strings or numbers; doubles are numbers or `"NaN"`, `"Infinity"`,
//!   `"-Infinity"` (or numeric strings), everywhere a double can appear; keys are lowerCamelCase,
//!   the original snake_case names are accepted too; unknown fields are ignored; `null` is an
//!   absent field; `{}` is a valid empty request. Only malformed JSON syntax (or nesting deeper
//!   than 128 levels), or a top level that is not an object, fails the whole request. A value
//!   that cannot be decoded costs the smallest part that holds it, which is counted in the
//!   [`MappingReport`] with its JSON path:
//!   - an attribute (at any level): left out, added to its item's `dropped_attributes_count`
//!     ([`DropReason::UndecodableValue`]);
//!   - an event, link or exemplar: left out (events and links added to the span's dropped
//!     counts) ([`DropReason::UndecodableItem`]);
//!   - any other field of a span, log record or data point: that item is rejected
//!     ([`DropReason::UndecodableItem`], counted in [`MappingReport::spans`] and its siblings);
//!   - a resource, scope or metric that cannot be read: the items under it are rejected.
//!
//!   Fields the schema does not use (flags, schema URLs, descriptions, metadata) are skipped
//!   unread.
//!
//! ```
//! use otlp_influx::decode::{Encoding, Signal};
//! use otlp_influx::{MappingConfig, MappingReport, OtlpMapper};
//!
//! let body = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{
//!     "traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7",
//!     "name":"GET /cart","kind":2,
//!     "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000001500000",
//!     "attributes":[{"key":"ratio","value":{"doubleValue":"NaN"}},
//!                   {"key":"db.statement","value":{"stringValue":"SELECT 1"}}]}]}]}]}"#;
//! assert_eq!(Encoding::sniff(body), Some(Encoding::Json));
//!
//! let mut mapper = OtlpMapper::new(MappingConfig::default())?;
//! let mut out = mapper.new_encoder();
//! let mut report = MappingReport::new();
//! # #[cfg(feature = "json")] {
//! mapper.map_request(Signal::Traces, Encoding::Json, body, &mut out, &mut report).unwrap();
//! let text = std::str::from_utf8(out.as_bytes()).unwrap();
//! // The NaN attribute is left out and counted; the statement is written.
//! assert!(text.contains(r#"attributes="{\"db.statement\":\"SELECT 1\"}""#), "{text}");
//! assert_eq!((report.spans.received, report.spans.rejected), (1, 0));
//! assert_eq!(report.error_message().unwrap(),
//!     "non_finite_attributes: span 00f067aa0ba902b7: attribute \"ratio\" is NaN or infinite \
//!      (left out of the attributes JSON)");
//! # }
//! # Ok::<(), otlp_influx::ConfigError>(())
//! ```
//!
//! [`DropReason::UndecodableValue`]: crate::DropReason::UndecodableValue
//! [`DropReason::UndecodableItem`]: crate::DropReason::UndecodableItem

#[cfg(feature = "json")]
pub(crate) mod json;
pub(crate) mod protobuf;

use std::fmt;

pub use protobuf::protobuf_signal;

use crate::{MappingReport, OtlpMapper};

/// Which OTLP export request a body holds. OTLP grows signals (profiles are on their way), so
/// the enum is `#[non_exhaustive]`: match it with a wildcard arm that refuses what it does not
/// know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Signal {
    /// `ExportTraceServiceRequest` (`/v1/traces`).
    Traces,
    /// `ExportLogsServiceRequest` (`/v1/logs`).
    Logs,
    /// `ExportMetricsServiceRequest` (`/v1/metrics`).
    Metrics,
}

impl Signal {
    /// Every signal.
    pub const ALL: &[Self] = &[Self::Traces, Self::Logs, Self::Metrics];

    /// `traces`, `logs` or `metrics`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Traces => "traces",
            Self::Logs => "logs",
            Self::Metrics => "metrics",
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a request body is encoded. OTLP defines exactly these two encodings (binary protobuf and
/// its JSON mapping), so the set is closed: matching it needs no wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Binary protobuf (`application/x-protobuf`, gRPC).
    Protobuf,
    /// OTLP/JSON (`application/json`): decoding it needs the `json` feature.
    Json,
}

impl Encoding {
    /// Tells protobuf from JSON by content, for input without a content type (files, stdin).
    ///
    /// An OTLP/JSON request is an object: its first byte is `{`, which no OTLP protobuf request
    /// starts with (it would be field 15 as a group). JSON may start with whitespace, and a
    /// protobuf request usually starts with `\n` (field 1, length-delimited): a body that
    /// starts with whitespace is JSON when its top level does not read as a sequence of
    /// length-delimited protobuf fields and the first byte after the whitespace is `{`. An empty
    /// body is an empty protobuf request. `None` when it is neither.
    ///
    /// ```
    /// use otlp_influx::decode::Encoding;
    /// assert_eq!(Encoding::sniff(b" \n{\"resourceSpans\":[]}"), Some(Encoding::Json));
    /// assert_eq!(Encoding::sniff(&[0x0a, 0x02, 0x0a, 0x00]), Some(Encoding::Protobuf));
    /// assert_eq!(Encoding::sniff(b""), Some(Encoding::Protobuf));
    /// assert_eq!(Encoding::sniff(b"hello"), None);
    /// ```
    pub fn sniff(body: &[u8]) -> Option<Self> {
        match body.first() {
            None => Some(Self::Protobuf),
            Some(b'{') => Some(Self::Json),
            Some(_) if top_level_is_protobuf(body) => Some(Self::Protobuf),
            Some(_) if body.trim_ascii_start().first() == Some(&b'{') => Some(Self::Json),
            Some(_) => None,
        }
    }

    /// `protobuf` or `JSON`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Protobuf => "protobuf",
            Self::Json => "JSON",
        }
    }
}

/// Whether `body` reads as a sequence of protobuf fields whose lengths fit exactly (each key a
/// valid varint with a field number, each length-delimited field inside the body). Only the top
/// level is read.
fn top_level_is_protobuf(mut body: &[u8]) -> bool {
    fn varint(buf: &mut &[u8]) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let (&byte, rest) = buf.split_first()?;
            *buf = rest;
            value |= u64::from(byte & 0x7f) << shift.min(63);
            if byte < 0x80 {
                return Some(value);
            }
        }
        None
    }
    while !body.is_empty() {
        let Some(key) = varint(&mut body) else {
            return false;
        };
        if key >> 3 == 0 {
            return false;
        }
        let skip = match key & 7 {
            0 => varint(&mut body).map(|_| 0),
            1 => Some(8),
            2 => varint(&mut body).and_then(|len| usize::try_from(len).ok()),
            5 => Some(4),
            _ => None,
        };
        match skip {
            Some(n) if n <= body.len() => body = &body[n..],
            _ => return false,
        }
    }
    true
}

/// Why a request body could not be decoded at all (nothing of it was mapped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    signal: Signal,
    encoding: Encoding,
    message: String,
    offset: Option<usize>,
    line_column: Option<(usize, usize)>,
    path: Option<String>,
}

impl DecodeError {
    pub(crate) fn new(signal: Signal, encoding: Encoding, message: impl Into<String>) -> Self {
        Self {
            signal,
            encoding,
            message: message.into(),
            offset: None,
            line_column: None,
            path: None,
        }
    }

    /// The signal the body was decoded as.
    pub fn signal(&self) -> Signal {
        self.signal
    }

    /// The encoding the body was decoded as.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// What is wrong, e.g. `EOF while parsing a list` or `invalid wire type value: 7`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The byte offset in the body where decoding stopped, when known.
    pub fn offset(&self) -> Option<usize> {
        self.offset
    }

    /// JSON: the 1-based line and column of [`DecodeError::offset`].
    pub fn line_column(&self) -> Option<(usize, usize)> {
        self.line_column
    }

    /// Where in the request: a JSON path such as `resourceSpans[0].scopeSpans[2].spans[7]`, or
    /// the protobuf messages and fields such as `ExportTraceServiceRequest.resource_spans`,
    /// when known.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }
}

impl fmt::Display for DecodeError {
    /// `invalid OTLP/JSON traces request at byte 84 (line 1, column 85), in
    /// resourceSpans[0].scopeSpans: EOF while parsing a list`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.encoding {
            Encoding::Protobuf => "protobuf",
            Encoding::Json => "OTLP/JSON",
        };
        write!(f, "invalid {kind} {} request", self.signal)?;
        if let Some(offset) = self.offset {
            write!(f, " at byte {offset}")?;
            if let Some((line, column)) = self.line_column {
                write!(f, " (line {line}, column {column})")?;
            }
        }
        if let Some(path) = &self.path {
            write!(f, ", in {path}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for DecodeError {}

impl OtlpMapper {
    /// Decodes one `Export{Trace,Logs,Metrics}ServiceRequest` body of `signal` in `encoding`
    /// and maps it, as the `map_proto_*` calls do. What the mapping (or, for JSON, the decoding
    /// of one item) drops is counted in `report`, with the items received and rejected in
    /// `report.spans`, `report.log_records` or `report.data_points`: what an OTLP receiver
    /// needs for `partial_success` (see [`MappingReport::error_message`]).
    ///
    /// A body that cannot be decoded at all (malformed protobuf, JSON that is not JSON or not an
    /// object, or JSON without the `json` feature) is an error: then nothing was written to
    /// `out` and `report` is unchanged.
    pub fn map_request(
        &mut self,
        signal: Signal,
        encoding: Encoding,
        body: &[u8],
        out: &mut lineproto::Encoder,
        report: &mut MappingReport,
    ) -> Result<(), DecodeError> {
        match encoding {
            Encoding::Protobuf => protobuf::map_request(self, signal, body, out, report),
            #[cfg(feature = "json")]
            Encoding::Json => json::map_request(self, signal, body, out, report),
            #[cfg(not(feature = "json"))]
            Encoding::Json => Err(DecodeError::new(
                signal,
                encoding,
                "OTLP/JSON support is not built in (the `json` feature of otlp-influx)",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_tells_json_from_protobuf() {
        use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
        use prost::Message as _;
        let request = ExportTraceServiceRequest {
            resource_spans: vec![Default::default(); 3],
        }
        .encode_to_vec();
        assert_eq!(request[0], b'\n');
        assert_eq!(Encoding::sniff(&request), Some(Encoding::Protobuf));
        assert_eq!(Encoding::sniff(b"{}"), Some(Encoding::Json));
        assert_eq!(Encoding::sniff(b"\r\n\t {}"), Some(Encoding::Json));
        // A newline then `{`: field 1 with a length of 123 bytes that the body does not have.
        assert_eq!(
            Encoding::sniff(b"\n{\"resourceSpans\": []}"),
            Some(Encoding::Json)
        );
        assert_eq!(Encoding::sniff(b"[1]"), None);
        assert_eq!(Encoding::sniff(&[0xff, 0xff]), None);
    }
}
