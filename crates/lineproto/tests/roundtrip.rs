//! Property tests: encoded lines read back through `influxdb-line-protocol`'s parser (an
//! independent implementation) as the values that went in, and failed lines leave no bytes.

mod oracle;

use lineproto::{
    Dialect, Encoder, EncoderOptions, FloatFormat, LineTemplate, NonFinite, Precision, TagOrder,
};
use oracle::{Op, Value, run};
use proptest::prelude::*;

/// Characters that exercise every escaping and validation rule.
const HOSTILE: &str = "ab Z09_.-, =\"\\#\n\t\r\0\x7füé😀";

fn hostile_text(max: usize) -> impl Strategy<Value = String> {
    let chars: Vec<char> = HOSTILE.chars().collect();
    prop::collection::vec(prop::sample::select(chars), 0..max).prop_map(|c| c.into_iter().collect())
}

/// Names valid in every dialect's generic rules and free of backslashes (so that the Go
/// dialects can express them): non-empty, no control byte, no leading `#`.
fn plain_name() -> impl Strategy<Value = String> + Clone {
    "[a-zA-Z0-9_ ,=\"ü😀.#-]{1,40}".prop_filter("no leading #", |s| !s.starts_with('#'))
}

/// Names with backslashes anywhere but at the end, for the IOx dialect.
fn v3_name() -> impl Strategy<Value = String> + Clone {
    "[a-zA-Z0-9_ ,=\"\\\\ü😀.#-]{0,39}[a-zA-Z0-9_ ,=\"ü😀.#-]"
        .prop_filter("no leading #", |s| !s.starts_with('#'))
}

fn datalayers_measurement() -> impl Strategy<Value = String> {
    "[A-Za-z_][A-Za-z0-9_.-]{0,20}"
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::I64),
        any::<u64>().prop_map(Value::U64),
        any::<f64>().prop_map(Value::F64),
        any::<bool>().prop_map(Value::Bool),
        hostile_text(40).prop_map(Value::Str),
    ]
}

fn options() -> impl Strategy<Value = EncoderOptions> {
    (
        prop::sample::select(Dialect::ALL),
        prop::sample::select(vec![FloatFormat::Shortest, FloatFormat::GoStrconv]),
        prop::sample::select(vec![NonFinite::Skip, NonFinite::Error]),
        prop::sample::select(vec![
            Precision::Nanoseconds,
            Precision::Microseconds,
            Precision::Milliseconds,
            Precision::Seconds,
        ]),
        prop::sample::select(vec![TagOrder::Sorted, TagOrder::AsGiven]),
    )
        .prop_map(
            |(dialect, float_format, non_finite, precision, tag_order)| {
                EncoderOptions::new(dialect)
                    .with_float_format(float_format)
                    .with_non_finite(non_finite)
                    .with_precision(precision)
                    .with_tag_order(tag_order)
            },
        )
}

/// One well-formed line: start, tags, fields (some via `field_str_with`), end.
fn line_ops(
    measurement: impl Strategy<Value = String>,
    name: impl Strategy<Value = String> + Clone,
    min_tags: usize,
) -> impl Strategy<Value = Vec<Op>> {
    let field = (
        name.clone(),
        value(),
        prop::collection::vec(hostile_text(20), 0..3),
    )
        .prop_map(|(key, value, pieces)| match (value, pieces.is_empty()) {
            (Value::Str(_), false) => Op::FieldStrWith(key, pieces),
            (value, _) => Op::Field(key, value),
        });
    let id = || prop::collection::vec(any::<u8>(), 1..20);
    (
        measurement,
        prop::collection::vec((name.clone(), name.clone()), min_tags..5),
        prop::collection::vec((name.clone(), id()), 0..2),
        prop::collection::vec(field, 1..6),
        prop::option::of((name, id())),
        any::<Option<i64>>(),
    )
        .prop_map(
            |(measurement, tags, hex_tags, fields, hex_field, timestamp)| {
                let mut ops = vec![Op::Start(measurement)];
                ops.extend(tags.into_iter().map(|(k, v)| Op::Tag(k, v)));
                ops.extend(hex_tags.into_iter().map(|(k, id)| Op::TagHex(k, id)));
                ops.extend(fields);
                ops.extend(hex_field.map(|(k, id)| Op::FieldHex(k, id)));
                ops.push(Op::End(timestamp));
                ops
            },
        )
}

/// Whether a line of `ops` must be refused by the value rules (or InfluxDB 1.x's `time` key).
fn refused_for_values(options: &EncoderOptions, ops: &[Op]) -> bool {
    let values: Vec<&Value> = ops
        .iter()
        .filter_map(|op| match op {
            Op::Field(_, value) => Some(value),
            _ => None,
        })
        .collect();
    let non_finite = values
        .iter()
        .filter(|v| matches!(v, Value::F64(f) if !f.is_finite()))
        .count();
    let fields = ops
        .iter()
        .filter(|op| matches!(op, Op::Field(..) | Op::FieldStrWith(..) | Op::FieldHex(..)))
        .count();
    let big_unsigned = values
        .iter()
        .any(|v| matches!(v, Value::U64(u) if *u > i64::MAX as u64));
    let time_key = ops.iter().any(|op| match op {
        Op::Tag(key, _)
        | Op::TagHex(key, _)
        | Op::Field(key, _)
        | Op::FieldStrWith(key, _)
        | Op::FieldHex(key, _) => key == "time",
        _ => false,
    });
    (options.dialect == Dialect::InfluxDbV1 && time_key)
        || (options.non_finite == NonFinite::Error && non_finite > 0)
        || (options.non_finite == NonFinite::Skip && non_finite == fields)
        || (!options.dialect.supports_unsigned() && big_unsigned)
}

fn assert_round_trip(options: EncoderOptions, ops: Vec<Op>) {
    let must_commit = !refused_for_values(&options, &ops);
    let outcome = run(options, &ops);
    if must_commit {
        assert_eq!(outcome.committed, 1, "a valid line was refused: {ops:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// InfluxDB 3: every name the generic rules allow, backslashes included, reads back exactly.
    #[test]
    fn v3_lines_read_back_exactly(
        options in options(),
        ops in line_ops(v3_name(), v3_name(), 0),
    ) {
        assert_round_trip(options.with_dialect(Dialect::InfluxDbV3), ops);
    }

    /// InfluxDB 1.x/2.x: names without backslashes read back exactly (Go and IOx agree there).
    #[test]
    fn go_dialect_lines_read_back_exactly(
        options in options(),
        v2 in any::<bool>(),
        ops in line_ops(plain_name(), plain_name(), 0),
    ) {
        let dialect = if v2 { Dialect::InfluxDbV2 } else { Dialect::InfluxDbV1 };
        assert_round_trip(options.with_dialect(dialect), ops);
    }

    /// Datalayers: valid table names and at least one tag read back exactly.
    #[test]
    fn datalayers_lines_read_back_exactly(
        options in options(),
        ops in line_ops(datalayers_measurement(), plain_name(), 1),
    ) {
        assert_round_trip(options.with_dialect(Dialect::Datalayers), ops);
    }

    /// Anything at all, in any order and any dialect: nothing panics, failed lines leave no
    /// bytes, the buffer holds exactly the committed lines, and every committed line parses
    /// back to what was given.
    #[test]
    fn arbitrary_call_sequences_keep_the_buffer_whole(
        options in options(),
        ops in prop::collection::vec(arbitrary_op(), 0..40),
    ) {
        run(options, &ops);
    }
}

fn arbitrary_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => hostile_text(30).prop_map(Op::Start),
        3 => (hostile_text(24), hostile_text(24)).prop_map(|(k, v)| Op::Tag(k, v)),
        1 => (hostile_text(24), prop::collection::vec(any::<u8>(), 0..20))
            .prop_map(|(k, id)| Op::TagHex(k, id)),
        1 => (hostile_text(8), prop::collection::vec(any::<u8>(), 0..20))
            .prop_map(|(k, id)| Op::FieldHex(k, id)),
        4 => (hostile_text(8), value()).prop_map(|(k, v)| Op::Field(k, v)),
        1 => (hostile_text(8), prop::collection::vec(hostile_text(20), 0..5))
            .prop_map(|(k, p)| Op::FieldStrWith(k, p)),
        3 => any::<Option<i64>>().prop_map(Op::End),
        1 => Just(Op::Cancel),
        1 => Just(Op::Clear),
        1 => Just(Op::Take),
    ]
}

/// One line given twice: through a [`LineTemplate`] by index and through the plain calls by
/// name; the bytes, the result and the counters must be the same.
#[derive(Debug, Clone)]
struct TemplatedCase {
    measurement: String,
    /// Sorted, unique (the template's rule); each with the value to give it, if any (`Hex`:
    /// through `tag_hex`; `try`: through `tag_if_valid`, which the plain calls mirror by
    /// leaving out a value `tag` would refuse).
    tags: Vec<(String, Option<TagInput>)>,
    fields: Vec<(String, Value)>,
    /// Which fields to write, by index, in this order (repeats allowed).
    written: Vec<usize>,
    timestamp: Option<i64>,
}

#[derive(Debug, Clone)]
enum TagInput {
    Text(String),
    Hex(Vec<u8>),
    Try(String),
}

fn templated_case() -> impl Strategy<Value = TemplatedCase> {
    let tag_input = prop_oneof![
        hostile_text(12).prop_map(TagInput::Text),
        prop::collection::vec(any::<u8>(), 0..10).prop_map(TagInput::Hex),
        hostile_text(12).prop_map(TagInput::Try),
    ];
    // Valid names (the template checks them), with every byte that needs escaping, backslashes
    // the dialects treat differently, and the key `time`.
    let key = || {
        prop_oneof![
            9 => "[a-zA-Z0-9_ ,=\"\\\\ü.-]{0,9}[a-zA-Z0-9_ ,=\"ü.-]",
            1 => Just("time".to_owned()),
        ]
    };
    (
        "[a-zA-Z0-9_ ,=\"\\\\ü.#-]{0,9}[a-zA-Z0-9_ ,=\"ü.-]"
            .prop_filter("no leading #", |s| !s.starts_with('#')),
        prop::collection::btree_map(key(), prop::option::of(tag_input), 0..4),
        prop::collection::vec((key(), value()), 1..5),
        prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        any::<Option<i64>>(),
    )
        .prop_map(|(measurement, tags, fields, picks, timestamp)| {
            let written = picks.iter().map(|i| i.index(fields.len())).collect();
            TemplatedCase {
                measurement,
                tags: tags.into_iter().collect(),
                fields,
                written,
                timestamp,
            }
        })
}

/// The plain calls for `case`; `tag_if_valid` is mirrored by asking a scratch encoder whether
/// `tag` accepts the value.
fn plain_line(options: EncoderOptions, case: &TemplatedCase, encoder: &mut Encoder) {
    encoder.start_line(case.measurement.as_str());
    for (key, input) in &case.tags {
        match input {
            None => {}
            Some(TagInput::Text(v)) => {
                encoder.tag(key.as_str(), v);
            }
            Some(TagInput::Hex(id)) => {
                encoder.tag_hex(key.as_str(), id);
            }
            Some(TagInput::Try(v)) => {
                let mut probe = Encoder::new(options);
                probe.start_line("m").tag("k", v).field_bool("f", true);
                if probe.end_line(None).is_ok() {
                    encoder.tag(key.as_str(), v);
                }
            }
        }
    }
    for &i in &case.written {
        let (key, value) = &case.fields[i];
        write_value(value, |v| {
            encoder.field(key.as_str(), v);
        });
    }
}

fn write_value(value: &Value, mut write: impl FnMut(lineproto::FieldValue<'_>)) {
    write(match value {
        Value::I64(v) => lineproto::FieldValue::I64(*v),
        Value::U64(v) => lineproto::FieldValue::U64(*v),
        Value::F64(v) => lineproto::FieldValue::F64(*v),
        Value::Bool(v) => lineproto::FieldValue::Bool(*v),
        Value::Str(v) => lineproto::FieldValue::Str(v),
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// Templated lines are the plain lines: bytes, errors and counters.
    #[test]
    fn templated_lines_are_plain_lines(options in options(), case in templated_case()) {
        let tag_keys: Vec<&str> = case.tags.iter().map(|(k, _)| k.as_str()).collect();
        let field_keys: Vec<&str> = case.fields.iter().map(|(k, _)| k.as_str()).collect();
        let template = LineTemplate::new(&case.measurement, &tag_keys, &field_keys)
            .expect("valid, sorted names");
        let mut plain = Encoder::new(options);
        plain_line(options, &case, &mut plain);
        let plain_result = plain.end_line(case.timestamp);

        let mut templated = Encoder::new(options);
        let mut line = templated.start_templated(&template);
        for (index, (_, input)) in case.tags.iter().enumerate() {
            match input {
                None => {}
                Some(TagInput::Text(v)) => {
                    line.tag(index, v);
                }
                Some(TagInput::Hex(id)) => {
                    line.tag_hex(index, id);
                }
                Some(TagInput::Try(v)) => {
                    line.tag_if_valid(index, v);
                }
            }
        }
        for &i in &case.written {
            write_value(&case.fields[i].1, |v| {
                line.field(i, v);
            });
        }
        let templated_result = line.end(case.timestamp);

        prop_assert_eq!(&templated_result, &plain_result);
        prop_assert_eq!(templated.as_bytes(), plain.as_bytes());
        prop_assert_eq!(templated.stats(), plain.stats());
    }
}

/// Text of plain runs of any length (long ones take the `memchr2` jumps of the string escaper)
/// between quotes, backslashes and other bytes: long and sparse as well as dense.
fn runs_and_escapes() -> impl Strategy<Value = String> {
    let run = "[a-z0-9 ,=ü\n]{0,80}";
    let escapes = prop::sample::select(vec!["\"", "\\", "", "\\\"", "\"\""]);
    prop::collection::vec((run, escapes), 0..30).prop_map(|parts| {
        parts
            .into_iter()
            .map(|(run, escape)| run + escape)
            .collect()
    })
}

/// The string field escaping of the line protocol reference, a character at a time.
fn reference_string_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    /// String fields (whole, and streamed in two pieces) are escaped exactly as the reference
    /// escaper does it.
    #[test]
    fn string_fields_escape_like_the_reference(text in runs_and_escapes(), split in any::<usize>()) {
        let expected = format!("m f=\"{}\"\n", reference_string_escape(&text));
        let mut encoder = Encoder::new(EncoderOptions::new(Dialect::InfluxDbV3));
        encoder.start_line("m").field_str("f", &text);
        encoder.end_line(None).unwrap();
        prop_assert_eq!(String::from_utf8_lossy(encoder.as_bytes()), expected.as_str());

        let split = (0..=split % (text.len() + 1))
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        let (head, tail) = text.split_at(split);
        encoder.clear();
        encoder.start_line("m").field_str_with("f", |w| {
            w.push_str(head);
            w.push_str(tail);
        });
        encoder.end_line(None).unwrap();
        prop_assert_eq!(String::from_utf8_lossy(encoder.as_bytes()), expected.as_str());
    }
}
