//! OTLP protobuf requests read in place: the body is validated once against the OTLP message
//! tables with prost's acceptance rules (`schema.rs`: the same bodies fail, nothing allocated),
//! then each signal's mapping reads spans, records and points straight from it through the view
//! traits (`traces/wire.rs`, `logs/wire.rs`, `metrics/wire.rs`): strings and bytes borrowed from
//! the body, no owned message tree, no allocation per span once the mapper's scratch has grown.
//!
//! Fields read as prost's decoding has them: a repeated singular field's last value wins, a
//! repeated message field (resource, scope, status, buckets) is the merge of its occurrences,
//! repeated fields keep their order whether packed or not, unknown fields are skipped. One
//! case is simplified: two `AnyValue` members or two occurrences of a `KeyValue`'s value that
//! are both lists (or both maps) keep the last one, where prost would concatenate them; no
//! encoder writes that.

#[cfg(test)]
mod oracle_tests;
pub(crate) mod schema;
pub(crate) mod wire;

use super::{DecodeError, Encoding, Signal};
use crate::traces::wire::{WireEvent, WireLink};
use crate::view::Attr;
use crate::{MappingReport, OtlpMapper};
use schema::{Unknown, WireError};

/// The request message of each signal.
fn request_message(signal: Signal) -> &'static schema::Message {
    match signal {
        Signal::Traces => &schema::TRACES_REQUEST,
        Signal::Logs => &schema::LOGS_REQUEST,
        Signal::Metrics => &schema::METRICS_REQUEST,
    }
}

/// Validates `body` as a request of `signal` and maps it (see [`OtlpMapper::map_request`]).
pub(crate) fn map_request(
    mapper: &mut OtlpMapper,
    signal: Signal,
    body: &[u8],
    out: &mut lineproto::Encoder,
    report: &mut MappingReport,
) -> Result<(), DecodeError> {
    schema::validate(body, request_message(signal), Unknown::Skip)
        .map_err(|e| decode_error(signal, e))?;
    match signal {
        Signal::Traces => mapper.map_wire_traces(body, out, report),
        Signal::Logs => mapper.map_wire_logs(body, out, report),
        Signal::Metrics => mapper.map_wire_metrics(body, out, report),
    }
    Ok(())
}

fn decode_error(signal: Signal, error: WireError) -> DecodeError {
    let error = error.into_inner();
    let mut decode_error = DecodeError::new(signal, Encoding::Protobuf, error.message);
    decode_error.offset = Some(error.offset);
    if !error.path.is_empty() {
        let fields: Vec<String> = error
            .path
            .iter()
            .map(|(message, field)| format!("{message}.{field}"))
            .collect();
        decode_error.path = Some(fields.join(" > "));
    }
    decode_error
}

/// The signal of a protobuf body: the one request type it is valid as with every field known
/// (another type's fields are unknown to it). `None` when no type or more than one fits (an
/// empty body fits all).
pub fn protobuf_signal(body: &[u8]) -> Option<Signal> {
    let mut fits = Signal::ALL
        .iter()
        .copied()
        .filter(|s| schema::validate(body, request_message(*s), Unknown::Refuse).is_ok());
    match (fits.next(), fits.next()) {
        (Some(signal), None) => Some(signal),
        _ => None,
    }
}

/// The mapper's reusable scratch for in-place protobuf: the current resource's and scope's
/// attributes, and the current span's events and links. Kept empty between requests, with a
/// `'static` lifetime, and re-typed for each body's borrow (see `crate::recycle`).
#[derive(Debug, Default)]
pub(crate) struct WireScratch<'b> {
    pub(crate) resource: Vec<Attr<'b>>,
    pub(crate) scope: Vec<Attr<'b>>,
    pub(crate) events: Vec<WireEvent<'b>>,
    pub(crate) links: Vec<WireLink<'b>>,
}

impl WireScratch<'_> {
    /// The same buffers, emptied, for another borrow.
    pub(crate) fn recycle<'c>(self) -> WireScratch<'c> {
        WireScratch {
            resource: crate::recycle(self.resource),
            scope: crate::recycle(self.scope),
            events: crate::recycle(self.events),
            links: crate::recycle(self.links),
        }
    }
}

impl OtlpMapper {
    /// The wire scratch, for a body's borrow.
    pub(crate) fn take_wire<'b>(&mut self) -> WireScratch<'b> {
        std::mem::take(&mut self.wire).recycle()
    }

    /// Gives the wire scratch back.
    pub(crate) fn return_wire(&mut self, scratch: WireScratch<'_>) {
        self.wire = scratch.recycle();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use prost::Message as _;

    #[test]
    fn the_signal_of_a_protobuf_body_is_the_type_that_reads_it_whole() {
        use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
        let logs = ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                scope_logs: vec![ScopeLogs {
                    log_records: vec![LogRecord {
                        time_unix_nano: 5,
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
        .encode_to_vec();
        assert_eq!(protobuf_signal(&logs), Some(Signal::Logs));
        assert_eq!(protobuf_signal(b""), None);
        assert_eq!(protobuf_signal(&[0xff]), None);
    }

    #[test]
    fn errors_say_what_where_and_in_which_field() {
        use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
        let mut body = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans: vec![Span {
                        name: "ab".into(),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
        .encode_to_vec();
        let at = body.windows(2).position(|w| w == b"ab").unwrap();
        body[at] = 0xff;
        let error = decode_error(
            Signal::Traces,
            schema::validate(&body, &schema::TRACES_REQUEST, Unknown::Skip).unwrap_err(),
        );
        assert_eq!(
            error.to_string(),
            format!(
                "invalid protobuf traces request at byte {at}, in \
                 ExportTraceServiceRequest.resource_spans > ResourceSpans.scope_spans > \
                 ScopeSpans.spans > Span.name: invalid string value: data is not UTF-8 encoded"
            )
        );
        let error = decode_error(
            Signal::Logs,
            schema::validate(&[0x0f], &schema::LOGS_REQUEST, Unknown::Skip).unwrap_err(),
        );
        assert_eq!(
            error.to_string(),
            "invalid protobuf logs request at byte 0: invalid wire type value: 7"
        );
    }
}
