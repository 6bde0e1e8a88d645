//! The independent oracle, shared by the proptest round trips (`tests/roundtrip.rs`) and the
//! fuzz target (`fuzz/fuzz_targets/encode.rs`, which includes this file by path).
//!
//! [`run`] drives an [`Encoder`] with any sequence of calls, mirrors each line in a plain model
//! and checks, after every call, that the buffer holds exactly the committed lines, and, for every
//! committed line, that `influxdb-line-protocol`'s parser reads back what the model says.

#![allow(dead_code, unreachable_pub)]

use influxdb_line_protocol::{FieldValue as Parsed, parse_lines};
use lineproto::{Dialect, Encoder, EncoderOptions, LineError, NonFinite, TagOrder};

/// A field value given to the encoder.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    I64(i64),
    U64(u64),
    F64(f64),
    Bool(bool),
    Str(String),
}

/// One encoder call.
#[derive(Debug, Clone)]
pub enum Op {
    Start(String),
    Tag(String, String),
    /// `tag_hex`: the value is the lowercase hex of the bytes.
    TagHex(String, Vec<u8>),
    Field(String, Value),
    /// `field_hex`: a string field holding the lowercase hex of the bytes.
    FieldHex(String, Vec<u8>),
    /// `field_str_with`, the content given in pieces.
    FieldStrWith(String, Vec<String>),
    End(Option<i64>),
    Cancel,
    Clear,
    Take,
}

/// Lowercase hex, the plain way.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What `run` saw, so properties can insist that lines were actually committed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub committed: usize,
    pub rejected: usize,
    /// Committed lines the IOx parser cannot read as meant (Go-dialect backslashes).
    pub unchecked: usize,
}

/// The line being built, as the calls describe it.
#[derive(Debug)]
struct Model {
    measurement: String,
    tags: Vec<(String, String)>,
    fields: Vec<(String, Value)>,
    /// A call came in an order the encoder must refuse.
    out_of_order: bool,
}

/// Drives an encoder with `ops`; panics on the first broken promise.
pub fn run(options: EncoderOptions, ops: &[Op]) -> Outcome {
    let mut encoder = Encoder::new(options);
    let mut committed: Vec<u8> = Vec::new();
    let mut committed_ends: Vec<usize> = Vec::new();
    let mut line: Option<Model> = None;
    // A call without an open line fails the next line.
    let mut orphan_call = false;
    let mut outcome = Outcome::default();
    for op in ops {
        match op {
            Op::Start(measurement) => {
                match &mut line {
                    Some(model) => model.out_of_order = true,
                    None => {
                        line = Some(Model {
                            measurement: measurement.clone(),
                            tags: Vec::new(),
                            fields: Vec::new(),
                            out_of_order: false,
                        });
                    }
                }
                encoder.start_line(measurement.as_str());
            }
            Op::Tag(key, value) => {
                match &mut line {
                    Some(model) if model.fields.is_empty() => {
                        model.tags.push((key.clone(), value.clone()));
                    }
                    Some(model) => model.out_of_order = true,
                    None => orphan_call = true,
                }
                encoder.tag(key.as_str(), value);
            }
            Op::TagHex(key, id) => {
                match &mut line {
                    Some(model) if model.fields.is_empty() => {
                        model.tags.push((key.clone(), hex(id)));
                    }
                    Some(model) => model.out_of_order = true,
                    None => orphan_call = true,
                }
                encoder.tag_hex(key.as_str(), id);
            }
            Op::FieldHex(key, id) => {
                match &mut line {
                    Some(model) => model.fields.push((key.clone(), Value::Str(hex(id)))),
                    None => orphan_call = true,
                }
                encoder.field_hex(key.as_str(), id);
            }
            Op::Field(key, value) => {
                match &mut line {
                    Some(model) => model.fields.push((key.clone(), value.clone())),
                    None => orphan_call = true,
                }
                match value {
                    Value::I64(v) => encoder.field_i64(key.as_str(), *v),
                    Value::U64(v) => encoder.field_u64(key.as_str(), *v),
                    Value::F64(v) => encoder.field_f64(key.as_str(), *v),
                    Value::Bool(v) => encoder.field_bool(key.as_str(), *v),
                    Value::Str(v) => encoder.field_str(key.as_str(), v),
                };
            }
            Op::FieldStrWith(key, pieces) => {
                match &mut line {
                    Some(model) => model
                        .fields
                        .push((key.clone(), Value::Str(pieces.concat()))),
                    None => orphan_call = true,
                }
                // Every way of writing text into the field, in turn: each gives the text itself.
                encoder.field_str_with(key.as_str(), |writer| {
                    for (i, piece) in pieces.iter().enumerate() {
                        match i % 4 {
                            0 => writer.push_str(piece),
                            1 => {
                                let written =
                                    writer.push_nested(piece, &lineproto::NestedEscapes::IDENTITY);
                                assert_eq!(written, piece.len(), "the identity has no stop byte");
                            }
                            2 => {
                                let mut escaped = lineproto::EscapedText::new();
                                escaped.push_str(piece);
                                writer.push_escaped(&escaped);
                            }
                            _ => piece.chars().for_each(|c| writer.push_char(c)),
                        }
                    }
                });
            }
            Op::End(timestamp) => {
                let result = encoder.end_line(*timestamp);
                let model = line.take();
                let must_fail = orphan_call || model.as_ref().is_none_or(|m| m.out_of_order);
                orphan_call = false;
                match result {
                    Ok(()) => {
                        assert!(!must_fail, "out-of-order calls were accepted: {model:?}");
                        let model = model.expect("a committed line was started");
                        let start = committed.len();
                        let bytes = encoder.as_bytes();
                        assert_eq!(&bytes[..start], &committed[..], "committed bytes changed");
                        let new_line = &bytes[start..];
                        if iox_reads_line(options.dialect, &model) {
                            check_line(new_line, &model, *timestamp, &options);
                        } else {
                            outcome.unchecked += 1;
                        }
                        committed.extend_from_slice(new_line);
                        committed_ends.push(committed.len());
                        outcome.committed += 1;
                    }
                    Err(error) => {
                        assert_ne!(error, LineError::TimestampOutOfRange);
                        outcome.rejected += 1;
                    }
                }
            }
            Op::Cancel => {
                line = None;
                orphan_call = false;
                encoder.cancel_line();
            }
            Op::Clear => {
                encoder.clear();
                committed.clear();
                committed_ends.clear();
            }
            Op::Take => {
                assert_eq!(encoder.take_buffer(), committed);
                committed.clear();
                committed_ends.clear();
            }
        }
        // Whatever happened, the buffer holds exactly the committed whole lines.
        assert_eq!(encoder.as_bytes(), &committed[..], "after {op:?}");
        assert_eq!(encoder.line_ends(), &committed_ends[..], "after {op:?}");
        assert_eq!(encoder.len(), committed.len());
    }
    // The whole buffer splits into the same lines (raw LF inside strings included).
    let text = std::str::from_utf8(encoder.as_bytes()).expect("output is UTF-8");
    if outcome.unchecked == 0 {
        let parsed = parse_lines(text).collect::<Result<Vec<_>, _>>();
        let parsed = parsed.unwrap_or_else(|e| panic!("buffer does not parse: {e}\n{text:?}"));
        assert_eq!(parsed.len(), encoder.line_count(), "{text:?}");
    }
    assert_eq!(encoder.stats().lines as usize, outcome.committed);
    assert_eq!(encoder.stats().rejected_lines as usize, outcome.rejected);
    outcome
}

/// Whether the IOx parser reads `name`, as written for `dialect`, back unchanged. In the Go
/// dialects a backslash is written raw: IOx reads a raw `\\\\` as one backslash, and a raw
/// backslash before an escaped byte (allowed in Go tag keys and values) as an escaped backslash
/// followed by a separator. Such lines are checked against a real influxd instead
/// (`tests/influxd_roundtrip.rs`).
fn iox_reads_back(dialect: Dialect, name: &str) -> bool {
    !matches!(dialect, Dialect::InfluxDbV1 | Dialect::InfluxDbV2)
        || !name
            .as_bytes()
            .windows(2)
            .any(|pair| pair[0] == b'\\' && b"\\,= ".contains(&pair[1]))
}

/// Whether IOx can read the whole line of `model` as meant.
fn iox_reads_line(dialect: Dialect, model: &Model) -> bool {
    iox_reads_back(dialect, &model.measurement)
        && model
            .tags
            .iter()
            .all(|(k, v)| iox_reads_back(dialect, k) && iox_reads_back(dialect, v))
        && model.fields.iter().all(|(k, _)| iox_reads_back(dialect, k))
}

fn check_line(line: &[u8], model: &Model, timestamp: Option<i64>, options: &EncoderOptions) {
    let dialect = options.dialect;
    let text = std::str::from_utf8(line).expect("line is UTF-8");
    assert!(text.ends_with('\n'), "{text:?}");
    let mut lines = parse_lines(text);
    let parsed = lines
        .next()
        .expect("one line")
        .unwrap_or_else(|e| panic!("committed line does not parse: {e}\n{text:?}\n{model:?}"));
    assert!(
        lines.next().is_none(),
        "one line parsed as several: {text:?}"
    );

    if iox_reads_back(dialect, &model.measurement) {
        assert_eq!(
            parsed.series.measurement.as_str(),
            model.measurement,
            "{text:?}"
        );
    }

    let mut tags = model.tags.clone();
    if options.tag_order == TagOrder::Sorted {
        // Stable sort keeps call order among equal keys; the last one wins.
        tags.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let mut deduped: Vec<(String, String)> = Vec::new();
        for tag in tags {
            match deduped.last_mut() {
                Some(last) if last.0 == tag.0 => *last = tag,
                _ => deduped.push(tag),
            }
        }
        tags = deduped;
    }
    let parsed_tags = parsed.series.tag_set.as_ref().map_or(&[][..], |t| &t[..]);
    assert_eq!(parsed_tags.len(), tags.len(), "{text:?}");
    for ((parsed_key, parsed_value), (key, value)) in parsed_tags.iter().zip(&tags) {
        assert_eq!(parsed_key.as_str(), key, "{text:?}");
        assert_eq!(parsed_value.as_str(), value, "{text:?}");
    }

    let fields: Vec<&(String, Value)> = model
        .fields
        .iter()
        .filter(|(_, value)| !matches!(value, Value::F64(f) if !f.is_finite()))
        .collect();
    if options.non_finite == NonFinite::Error {
        assert_eq!(
            fields.len(),
            model.fields.len(),
            "a NaN/inf line was committed"
        );
    }
    assert_eq!(parsed.field_set.len(), fields.len(), "{text:?}");
    for ((parsed_key, parsed_value), (key, value)) in parsed.field_set.iter().zip(fields) {
        assert_eq!(parsed_key.as_str(), key, "{text:?}");
        match (value, parsed_value) {
            (Value::I64(a), Parsed::I64(b)) => assert_eq!(a, b),
            (Value::U64(a), Parsed::U64(b)) if dialect.supports_unsigned() => assert_eq!(a, b),
            (Value::U64(a), Parsed::I64(b)) if !dialect.supports_unsigned() => {
                assert_eq!(i64::try_from(*a).ok(), Some(*b));
            }
            (Value::F64(a), Parsed::F64(b)) => assert_eq!(a.to_bits(), b.to_bits(), "{text:?}"),
            (Value::Bool(a), Parsed::Boolean(b)) => assert_eq!(a, b),
            (Value::Str(a), Parsed::String(b)) => assert_eq!(b.as_str(), a, "{text:?}"),
            (given, read) => panic!("field {key:?}: gave {given:?}, read {read:?} in {text:?}"),
        }
    }
    assert_eq!(
        parsed.timestamp,
        timestamp.map(|ns| options.precision.scale(ns)),
        "{text:?}"
    );
}
