//! Drives the `lineproto` encoder with arbitrary names, values, call sequences and options.
//!
//! Checked by the shared oracle (`crates/lineproto/tests/oracle`): nothing panics, after every
//! call the buffer holds exactly the committed whole lines (a failed line leaves nothing), and
//! every committed line parses with `influxdb-line-protocol` back to what was given (exactly for
//! InfluxDB 3 and Datalayers; for the Go dialects wherever IOx and Go read backslashes alike).

#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use lineproto::{Dialect, EncoderOptions, FloatFormat, NonFinite, Precision, TagOrder};

#[path = "../../crates/lineproto/tests/oracle/mod.rs"]
mod oracle;

use oracle::{Op, Value};

/// Characters that hit every escaping and validation branch; other text comes as raw `String`s.
const ALPHABET: &[char] = &[
    'a', 'Z', '0', '_', '.', '-', ' ', ',', '=', '"', '\\', '#', '\n', '\t', '\r', '\0', '\x7f',
    'ü', '😀',
];

fn text(u: &mut Unstructured<'_>) -> Result<String> {
    if u.ratio(1, 8)? {
        return u.arbitrary();
    }
    let len = u.int_in_range(0..=24)?;
    let mut out = String::with_capacity(len);
    for _ in 0..len {
        out.push(*u.choose(ALPHABET)?);
    }
    // Sometimes long, to cross the string escaper's 16-byte blocks many times.
    if u.ratio(1, 16)? {
        out = out.repeat(u.int_in_range(2..=40)?);
    }
    Ok(out)
}

fn value(u: &mut Unstructured<'_>) -> Result<Value> {
    Ok(match u.int_in_range(0..=5)? {
        0 => Value::I64(u.arbitrary()?),
        1 => Value::U64(u.arbitrary()?),
        2 => Value::F64(u.arbitrary()?),
        3 => {
            Value::F64(*u.choose(&[f64::NAN, f64::INFINITY, -0.0, 1e6, 1e-5, 5e-324, f64::MAX])?)
        }
        4 => Value::Bool(u.arbitrary()?),
        _ => Value::Str(text(u)?),
    })
}

fn op(u: &mut Unstructured<'_>) -> Result<Op> {
    Ok(match u.int_in_range(0..=21)? {
        0..=2 => Op::Start(text(u)?),
        3..=6 => Op::Tag(text(u)?, text(u)?),
        20 => Op::TagHex(text(u)?, u.arbitrary()?),
        21 => Op::FieldHex(text(u)?, u.arbitrary()?),
        7..=11 => Op::Field(text(u)?, value(u)?),
        12 => {
            let pieces = u.int_in_range(0..=5)?;
            Op::FieldStrWith(
                text(u)?,
                (0..pieces).map(|_| text(u)).collect::<Result<_>>()?,
            )
        }
        13..=16 => Op::End(u.arbitrary()?),
        17 => Op::Cancel,
        18 => Op::Clear,
        _ => Op::Take,
    })
}

fn options(u: &mut Unstructured<'_>) -> Result<EncoderOptions> {
    Ok(EncoderOptions::new(*u.choose(Dialect::ALL)?)
        .with_float_format(*u.choose(&[FloatFormat::Shortest, FloatFormat::GoStrconv])?)
        .with_non_finite(*u.choose(&[NonFinite::Skip, NonFinite::Error])?)
        .with_precision(*u.choose(&[
            Precision::Nanoseconds,
            Precision::Microseconds,
            Precision::Milliseconds,
            Precision::Seconds,
        ])?)
        .with_tag_order(*u.choose(&[TagOrder::Sorted, TagOrder::AsGiven])?))
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(options) = options(&mut u) else { return };
    let mut ops = Vec::new();
    while !u.is_empty() && ops.len() < 64 {
        match op(&mut u) {
            Ok(op) => ops.push(op),
            Err(_) => break,
        }
    }
    oracle::run(options, &ops);
});
