//! Escaping, one byte-class lookup table per context, unescaped runs copied in bulk.
//!
//! Names (measurement, tag keys, tag values, field keys) are short: a table lookup per byte finds
//! the next byte that needs attention, and the run before it is copied with one
//! `extend_from_slice`. The same scan validates (control bytes, backslash rules), so a valid name
//! costs one pass. String field values can be long and dense with quotes (JSON), so they are
//! escaped 16 bytes at a time: a compare mask the compiler turns into SIMD, and fixed-size stores
//! that need no branch per byte.

use crate::error::NameError;
use crate::options::Dialect;

/// A byte that is copied as is.
const PLAIN: u8 = 0;
/// A byte written with a backslash before it.
const ESCAPED: u8 = 1;
/// A control byte: refused, line protocol has no escape for it.
const CONTROL: u8 = 2;
/// A backslash: what it means depends on the dialect ([`BackslashRule`]).
const BACKSLASH: u8 = 3;

/// Builds the class table of a name context from the bytes it escapes.
const fn name_table(escaped: &[u8]) -> [u8; 256] {
    let mut table = [PLAIN; 256];
    let mut byte = 0;
    while byte < 256 {
        if byte < 0x20 || byte == 0x7f {
            table[byte] = CONTROL;
        }
        byte += 1;
    }
    table[b'\\' as usize] = BACKSLASH;
    let mut i = 0;
    while i < escaped.len() {
        table[escaped[i] as usize] = ESCAPED;
        i += 1;
    }
    table
}

/// Where a name stands in the line, which decides what must be escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameContext {
    /// Measurement: `,` and space are escaped; a leading `#` would make the line a comment.
    Measurement,
    /// Tag key or tag value: `,`, `=` and space are escaped.
    TagKeyOrValue,
    /// Field key: `,`, `=` and space are escaped.
    FieldKey,
}

static MEASUREMENT_TABLE: [u8; 256] = name_table(b", ");
static KEY_OR_TAG_VALUE_TABLE: [u8; 256] = name_table(b",= ");

impl NameContext {
    fn table(self) -> &'static [u8; 256] {
        match self {
            Self::Measurement => &MEASUREMENT_TABLE,
            Self::TagKeyOrValue | Self::FieldKey => &KEY_OR_TAG_VALUE_TABLE,
        }
    }
}

/// What a backslash inside a name or tag value becomes, per dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BackslashRule {
    /// No rule beyond "no trailing backslash": used to validate names without a dialect.
    Any,
    /// Written as `\\` (the IOx parser unescapes it).
    Escape,
    /// The Go parser (InfluxDB 1.x/2.x): written raw. In tag keys and values a byte after a
    /// backslash counts as escaped, so `\\\,` reads back as `\,`; in measurements and field
    /// keys the parser pairs backslashes, so a backslash before an escaped byte is refused
    /// (influxd 1.6.7 answers 400 for such a field key and stores such a measurement renamed).
    Go,
    /// Written raw; refused before an escaped byte or another backslash anywhere (the Go and IOx
    /// parsers disagree there, and Datalayers' parser is not documented).
    Unambiguous,
}

impl BackslashRule {
    pub(crate) const fn for_dialect(dialect: Dialect) -> Self {
        match dialect {
            Dialect::InfluxDbV1 | Dialect::InfluxDbV2 => Self::Go,
            Dialect::InfluxDbV3 => Self::Escape,
            Dialect::Datalayers => Self::Unambiguous,
        }
    }

    /// Whether a raw backslash followed by `next` is refused in `context`.
    fn refuses(self, next: u8, next_class: u8, context: NameContext) -> bool {
        match self {
            Self::Any | Self::Escape => false,
            Self::Go => next_class == ESCAPED && context != NameContext::TagKeyOrValue,
            Self::Unambiguous => next_class == ESCAPED || next == b'\\',
        }
    }
}

/// Why a name could not be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ScanError {
    Invalid(NameError),
    AmbiguousBackslash,
}

/// Where escaped output goes: the line buffer, or nowhere when only validating.
pub(crate) trait Sink {
    /// Appends bytes that need no escaping.
    fn copy(&mut self, run: &[u8]);
    /// Appends a backslash and `byte`.
    fn escape(&mut self, byte: u8);
}

impl Sink for Vec<u8> {
    #[inline]
    fn copy(&mut self, run: &[u8]) {
        self.extend_from_slice(run);
    }

    #[inline]
    fn escape(&mut self, byte: u8) {
        self.extend_from_slice(&[b'\\', byte]);
    }
}

/// A sink that only validates.
pub(crate) struct Discard;

impl Sink for Discard {
    #[inline]
    fn copy(&mut self, _run: &[u8]) {}

    #[inline]
    fn escape(&mut self, _byte: u8) {}
}

/// Validates `name` for `context` and writes it escaped into `sink`, in one pass.
///
/// On error the sink may hold part of the name: the encoder rolls the whole line back.
#[inline]
pub(crate) fn escape_name<S: Sink>(
    sink: &mut S,
    name: &str,
    context: NameContext,
    rule: BackslashRule,
) -> Result<(), ScanError> {
    let bytes = name.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return Err(ScanError::Invalid(NameError::Empty));
    };
    if last == b'\\' {
        return Err(ScanError::Invalid(NameError::TrailingBackslash));
    }
    if first == b'#' && context == NameContext::Measurement {
        return Err(ScanError::Invalid(NameError::LeadingHash));
    }
    let table = context.table();
    let mut run_start = 0;
    let mut from = 0;
    while let Some(offset) = bytes[from..]
        .iter()
        .position(|&b| table[usize::from(b)] != PLAIN)
    {
        let at = from + offset;
        let byte = bytes[at];
        match table[usize::from(byte)] {
            ESCAPED => {
                sink.copy(&bytes[run_start..at]);
                sink.escape(byte);
                run_start = at + 1;
            }
            CONTROL => {
                return Err(ScanError::Invalid(NameError::ControlCharacter {
                    byte,
                    position: at,
                }));
            }
            _ => {
                // A backslash; never the last byte (checked above).
                if rule == BackslashRule::Escape {
                    sink.copy(&bytes[run_start..at]);
                    sink.escape(b'\\');
                    run_start = at + 1;
                } else {
                    let next = bytes[at + 1];
                    if rule.refuses(next, table[usize::from(next)], context) {
                        return Err(ScanError::AmbiguousBackslash);
                    }
                }
            }
        }
        from = at + 1;
    }
    sink.copy(&bytes[run_start..]);
    Ok(())
}

/// Bytes escaped inside a string field value (between the quotes). LF, CR and TAB are written
/// raw: InfluxDB 1.x stores `\n` as the two characters, and both the Go and the IOx parser accept
/// a raw LF inside quotes.
const STRING_ESCAPED: [u8; 2] = [b'"', b'\\'];

/// Bytes handled per step of [`escape_string_value`].
const LANES: usize = 16;

/// Bit `i` set iff `block[i]` must be escaped in a string field. Written as a plain compare loop
/// so the compiler vectorizes it (compare + movemask).
#[inline(always)]
fn string_escape_mask(block: &[u8; LANES]) -> u32 {
    let mut mask = 0u32;
    for (i, &byte) in block.iter().enumerate() {
        let special = (byte == STRING_ESCAPED[0]) | (byte == STRING_ESCAPED[1]);
        mask |= u32::from(special) << i;
    }
    mask
}

/// Writes the first `len` bytes of `block` escaped at `dst[at..]`, returns the new end.
///
/// The whole block is stored at once; each escape then stores a backslash and the rest of the
/// block shifted by one, so the work is per escape, not per byte. `dst` needs `LANES + 1` bytes of
/// slack after the output.
#[inline(always)]
fn escape_block(dst: &mut [u8], mut at: usize, block: [u8; LANES], len: usize) -> usize {
    dst[at..at + LANES].copy_from_slice(&block);
    let mut mask = string_escape_mask(&block);
    if mask == 0 {
        return at + len;
    }
    let word = u128::from_le_bytes(block);
    // `dst[at]` holds `block[done]`.
    let mut done = 0;
    while mask != 0 {
        let pos = mask.trailing_zeros() as usize;
        at += pos - done;
        dst[at] = b'\\';
        dst[at + 1..at + 1 + LANES].copy_from_slice(&(word >> (8 * pos)).to_le_bytes());
        at += 1;
        done = pos;
        mask &= mask - 1;
    }
    at + (len - done)
}

/// Appends `value` escaped for a string field (without the surrounding quotes).
pub(crate) fn escape_string_value(out: &mut Vec<u8>, value: &[u8]) {
    if value.is_empty() {
        return;
    }
    let start = out.len();
    // Worst case every byte is escaped, plus slack for the fixed-size stores; trimmed below.
    out.resize(start + 2 * value.len() + 2 * LANES, 0);
    let dst = &mut out[start..];
    let mut at = 0;
    let mut blocks = value.chunks_exact(LANES);
    for block in &mut blocks {
        let block: [u8; LANES] = block.try_into().expect("chunks_exact yields LANES bytes");
        at = escape_block(dst, at, block, LANES);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        // Zero padding is never escaped, and only `tail.len()` bytes count.
        let mut block = [0u8; LANES];
        block[..tail.len()].copy_from_slice(tail);
        at = escape_block(dst, at, block, tail.len());
    }
    out.truncate(start + at);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string_reference(value: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for &b in value {
            if STRING_ESCAPED.contains(&b) {
                out.push(b'\\');
            }
            out.push(b);
        }
        out
    }

    #[test]
    fn string_blocks_match_a_byte_by_byte_reference() {
        let alphabet = b"a\"\\\n\t x";
        // Every length across block boundaries, with escapes at every offset pattern.
        for len in 0..70 {
            for seed in 0..40u32 {
                let value: Vec<u8> = (0..len)
                    .map(|i| {
                        alphabet
                            [((i as u32 * 7 + seed * 13) ^ (seed >> 1)) as usize % alphabet.len()]
                    })
                    .collect();
                let mut out = b"prefix".to_vec();
                escape_string_value(&mut out, &value);
                assert_eq!(&out[..6], b"prefix");
                assert_eq!(
                    out[6..],
                    string_reference(&value)[..],
                    "len {len} seed {seed}"
                );
            }
        }
    }

    #[test]
    fn every_byte_escaped_doubles() {
        let value = [b'"'; 33];
        let mut out = Vec::new();
        escape_string_value(&mut out, &value);
        assert_eq!(out, b"\\\"".repeat(33));
    }

    #[test]
    fn tables_classify_per_context() {
        assert_eq!(MEASUREMENT_TABLE[usize::from(b'=')], PLAIN);
        assert_eq!(KEY_OR_TAG_VALUE_TABLE[usize::from(b'=')], ESCAPED);
        for table in [&MEASUREMENT_TABLE, &KEY_OR_TAG_VALUE_TABLE] {
            assert_eq!(table[usize::from(b',')], ESCAPED);
            assert_eq!(table[usize::from(b' ')], ESCAPED);
            assert_eq!(table[0], CONTROL);
            assert_eq!(table[0x1f], CONTROL);
            assert_eq!(table[0x7f], CONTROL);
            assert_eq!(table[usize::from(b'\\')], BACKSLASH);
            assert_eq!(table[usize::from(b'"')], PLAIN);
            assert_eq!(table[0x80], PLAIN);
        }
    }
}
