//! OTLP/JSON requests (feature `json`): the body is parsed once with serde_json into the
//! borrowed structs of [`model`] (strings point into the body), then mapped through the same
//! view traits and schema code as SDK and protobuf input (`traces/json.rs`, `logs/json.rs`,
//! `metrics/json.rs`).
//!
//! Why this design: serde's error model ends the parse at the first error, so per-item error
//! isolation needs a visitor that never returns a semantic error. Every value is read with
//! `deserialize_any` into a type that consumes whatever it meets ([`de::Decode`]); a wrong value
//! becomes a noted problem that the nearest unit which can be left out absorbs. One pass over
//! the body, no intermediate `serde_json::Value` tree, no re-parse of raw items, strings
//! borrowed unless they hold escapes; the cost is one `Vec` per list in the request.

mod de;
pub(crate) mod model;

use serde::de::DeserializeSeed;

pub(crate) use model::{AnyValue, KeyValue};

use super::{DecodeError, Encoding, Signal};
use crate::{MappingReport, OtlpMapper};
use de::{Ctx, Decode, Seed};

/// Decodes `body` as an OTLP/JSON request of `signal` and maps it (see
/// [`OtlpMapper::map_request`]).
pub(crate) fn map_request(
    mapper: &mut OtlpMapper,
    signal: Signal,
    body: &[u8],
    out: &mut lineproto::Encoder,
    report: &mut MappingReport,
) -> Result<(), DecodeError> {
    let mut ctx = Ctx::default();
    match signal {
        Signal::Traces => {
            let request: model::Request<'_, model::ScopeLevel<'_, model::Span<'_>>> =
                parse(body, signal, &mut ctx)?;
            count_problems(ctx, report);
            mapper.map_json_traces(&request, out, report);
        }
        Signal::Logs => {
            let request: model::Request<'_, model::ScopeLevel<'_, model::LogRecord<'_>>> =
                parse(body, signal, &mut ctx)?;
            count_problems(ctx, report);
            mapper.map_json_logs(&request, out, report);
        }
        Signal::Metrics => {
            let request: model::Request<'_, model::ScopeMetrics<'_>> =
                parse(body, signal, &mut ctx)?;
            count_problems(ctx, report);
            mapper.map_json_metrics(&request, out, report);
        }
    }
    Ok(())
}

/// Parses the whole body (syntax errors and a top level that is not an object are errors).
fn parse<'de, T: Decode<'de>>(
    body: &'de [u8],
    signal: Signal,
    ctx: &mut Ctx,
) -> Result<T, DecodeError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let parsed = Seed::<T>::new(ctx)
        .deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|()| value))
        .map_err(|e| syntax_error(&e, body, signal, ctx))?;
    let not_object = || {
        let mut error =
            DecodeError::new(signal, Encoding::Json, "the request is not a JSON object");
        error.offset = Some(body.len() - body.trim_ascii_start().len());
        error
    };
    if body.trim_ascii_start().first() != Some(&b'{') {
        return Err(not_object());
    }
    // An object decodes: its problems are absorbed inside.
    parsed.map_err(|_| not_object())
}

/// A serde_json error as a [`DecodeError`]: its message, byte offset, line and column, and the
/// JSON path the parse had reached.
fn syntax_error(error: &serde_json::Error, body: &[u8], signal: Signal, ctx: &Ctx) -> DecodeError {
    let text = error.to_string();
    let message = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(message, _)| message);
    let mut decode_error = DecodeError::new(signal, Encoding::Json, message);
    let (line, column) = (error.line(), error.column());
    if line > 0 {
        let line_start = body
            .split_inclusive(|b| *b == b'\n')
            .take(line - 1)
            .map(<[u8]>::len)
            .sum::<usize>();
        decode_error.offset = Some((line_start + column.saturating_sub(1)).min(body.len()));
        decode_error.line_column = Some((line, column));
    }
    let path = ctx.path_text();
    if !path.is_empty() {
        decode_error.path = Some(path);
    }
    decode_error
}

/// Counts what the decoding left out, in the order it was found.
fn count_problems(mut ctx: Ctx, report: &mut MappingReport) {
    debug_assert!(ctx.take_pending().is_none(), "every problem is absorbed");
    for problem in ctx.problems {
        let message = problem.message;
        report.record_drop(problem.reason, || {
            message.unwrap_or_else(|| "(not kept: too many problems)".into())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DropReason, MappingConfig};

    fn map(signal: Signal, body: &str) -> (String, MappingReport) {
        let mut mapper = OtlpMapper::new(MappingConfig::default()).unwrap();
        let mut out = mapper.new_encoder();
        let mut report = MappingReport::new();
        mapper
            .map_request(
                signal,
                Encoding::Json,
                body.as_bytes(),
                &mut out,
                &mut report,
            )
            .unwrap_or_else(|e| panic!("{e}"));
        (String::from_utf8(out.as_bytes().to_vec()).unwrap(), report)
    }

    fn error(signal: Signal, body: &str) -> DecodeError {
        let mut mapper = OtlpMapper::new(MappingConfig::default()).unwrap();
        let mut out = mapper.new_encoder();
        let mut report = MappingReport::new();
        let error = mapper
            .map_request(
                signal,
                Encoding::Json,
                body.as_bytes(),
                &mut out,
                &mut report,
            )
            .unwrap_err();
        assert!(out.as_bytes().is_empty());
        assert_eq!(
            report,
            MappingReport::new(),
            "an error leaves the report alone"
        );
        error
    }

    #[test]
    fn an_empty_object_is_an_empty_request() {
        for &signal in Signal::ALL {
            for body in [
                "{}",
                " {\n} ",
                r#"{"resourceSpans":null,"unknown":[1,{"a":2}]}"#,
            ] {
                let (lines, report) = map(signal, body);
                assert_eq!(lines, "");
                assert_eq!(report, MappingReport::new(), "{body}");
            }
        }
    }

    #[test]
    fn syntax_errors_and_non_objects_fail_the_request_with_where() {
        let e = error(
            Signal::Traces,
            "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{,",
        );
        assert_eq!(e.message(), "key must be a string");
        assert_eq!(e.offset(), Some(44));
        assert_eq!(e.line_column(), Some((1, 45)));
        assert_eq!(e.path(), Some("resourceSpans[0].scopeSpans[0].spans[0]"));
        assert_eq!(
            e.to_string(),
            "invalid OTLP/JSON traces request at byte 44 (line 1, column 45), in \
             resourceSpans[0].scopeSpans[0].spans[0]: key must be a string"
        );
        let e = error(Signal::Logs, "{}\n{}");
        assert_eq!(e.message(), "trailing characters");
        assert_eq!(e.line_column(), Some((2, 1)));
        assert_eq!(e.offset(), Some(3));
        for body in ["[]", "5", "\"x\"", "null", ""] {
            let e = error(Signal::Metrics, body);
            assert!(
                e.message() == "the request is not a JSON object"
                    || e.message() == "EOF while parsing a value",
                "{body}: {e}"
            );
        }
    }

    #[test]
    fn a_bad_structure_below_the_top_is_counted_not_fatal() {
        let (lines, report) = map(Signal::Traces, r#"{"resourceSpans":5}"#);
        assert_eq!(lines, "");
        assert_eq!(report.count(DropReason::UndecodableItem), 1);
        assert_eq!(
            report.messages(),
            ["undecodable_item: resourceSpans: expected an array, found a number"]
        );
    }
}
