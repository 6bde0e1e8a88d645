//! Escaping, one byte-class lookup table per context, unescaped runs copied in bulk.
//!
//! Names (measurement, tag keys, tag values, field keys) are short: a table lookup per byte finds
//! the next byte that needs attention, and the run before it is copied with one
//! `extend_from_slice`. The same scan validates (control bytes, backslash rules), so a valid name
//! costs one pass. String field values can be long and dense with quotes (JSON), so they are
//! escaped 8 bytes at a time: a word-wide test that yields the escape positions as bits, and
//! fixed-size stores that need no branch per byte.

use crate::copy::append;
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

/// `0x01` in every byte.
const ONES: u64 = 0x0101_0101_0101_0101;
/// `0x80` in every byte.
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether any byte of `word` is zero (exact as a yes/no answer: a borrow only propagates past
/// a byte that is zero itself).
#[inline(always)]
const fn has_zero_byte(word: u64) -> bool {
    word.wrapping_sub(ONES) & !word & HIGHS != 0
}

/// Whether any byte of `word` needs attention in a name in some context: a control byte, space,
/// `,`, `=`, `\` or DEL (the bytes [`needs_attention_in_name`] flags), eight bytes at a time.
const fn word_needs_attention(word: u64) -> bool {
    // Bytes below `!` (controls and space): subtracting borrows into the high bit, which a byte
    // that had it set (>= 0x80) does not count.
    let below_bang = word.wrapping_sub(ONES * 0x21) & !word & HIGHS != 0;
    below_bang
        | has_zero_byte(word ^ (ONES * 0x7f))
        | has_zero_byte(word ^ (ONES * b'\\' as u64))
        | has_zero_byte(word ^ (ONES * b',' as u64))
        | has_zero_byte(word ^ (ONES * b'=' as u64))
}

/// The 8 bytes of `bytes` from `at` as a little-endian word.
#[inline(always)]
const fn word_at(bytes: &[u8], at: usize) -> u64 {
    match bytes.split_at(at).1.first_chunk::<8>() {
        Some(chunk) => u64::from_le_bytes(*chunk),
        None => panic!("8 bytes from `at`"),
    }
}

/// Whether `bytes` is a name every context writes as is, with no rule to check: not empty and
/// without a byte that needs attention (a leading `#` is the caller's to check, it only matters
/// for measurements). A `const fn`, so static names get the answer at compile time.
#[inline]
pub(crate) const fn is_plain_name(bytes: &[u8]) -> bool {
    let len = bytes.len();
    // Short names as one word of overlapping pieces that cover every byte.
    let word = if len >= 8 {
        let mut at = 0;
        while at + 8 < len {
            if word_needs_attention(word_at(bytes, at)) {
                return false;
            }
            at += 8;
        }
        // The last word overlaps the ones before: no padding needed.
        word_at(bytes, len - 8)
    } else if let (Some(first), Some(last)) = (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
        u32::from_le_bytes(*first) as u64 | ((u32::from_le_bytes(*last) as u64) << 32)
    } else if len > 0 {
        u64::from_le_bytes([bytes[0], bytes[len / 2], bytes[len - 1], 0, 0, 0, 0, 0])
            | ((ONES << 24) * b'a' as u64)
    } else {
        return false;
    };
    !word_needs_attention(word)
}

/// [`is_plain_name`] for run time: names of 16 bytes or more 16 bytes a step (SIMD compares,
/// where `is_plain_name` must stay a `const fn`); the same answer for every name (tested).
/// Shorter names take the word-wide test straight from registers: gathering them into a padded
/// block first costs a store-forwarding stall (the block is stored in pieces, then loaded whole),
/// which profiling showed as a third of a metric line.
#[inline(always)]
pub(crate) fn is_plain_name_now(bytes: &[u8]) -> bool {
    match bytes.last_chunk::<LANES>() {
        Some(last) => {
            let (blocks, _) = bytes.as_chunks::<LANES>();
            !blocks.iter().any(block_needs_attention) && !block_needs_attention(last)
        }
        None => is_plain_name(bytes),
    }
}

/// Whether any byte of `block` needs attention in a name.
#[inline(always)]
fn block_needs_attention(block: &Block) -> bool {
    name_flags(block) != 0
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
        append(self, run);
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
#[inline(always)]
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
    if is_plain_name_now(bytes) {
        // The common case, decided a block at a time (more instructions than the table loop
        // below, but no branch per byte: measurably faster).
        sink.copy(bytes);
        return Ok(());
    }
    escape_name_slowly(sink, bytes, context, rule)
}

/// [`escape_name`] past its checks of the ends, for names with a byte that needs attention
/// (out of line: it keeps the common case small).
#[inline(never)]
fn escape_name_slowly<S: Sink>(
    sink: &mut S,
    bytes: &[u8],
    context: NameContext,
    rule: BackslashRule,
) -> Result<(), ScanError> {
    let table = context.table();
    // One pass, one table lookup per byte; plain runs are copied whole.
    let mut run_start = 0;
    for (at, &byte) in bytes.iter().enumerate() {
        match table[usize::from(byte)] {
            PLAIN => {}
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
                // A backslash; never the last byte (checked before).
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
    }
    sink.copy(&bytes[run_start..]);
    Ok(())
}

/// Bytes escaped inside a string field value (between the quotes). LF, CR and TAB are written
/// raw: InfluxDB 1.x stores `\n` as the two characters, and both the Go and the IOx parser accept
/// a raw LF inside quotes.
const STRING_ESCAPED: [u8; 2] = [b'"', b'\\'];

/// Bytes handled per step of the block scans.
const LANES: usize = 16;

type Block = [u8; LANES];

/// One flag byte per byte of `block`: `0xFF` where `special` holds, else 0, as a little-endian
/// `u128` (so `trailing_zeros() / 8` is the first flagged position). A plain loop over a
/// fixed-size block that the compiler turns into SIMD compares. Two details matter (checked in
/// the generated code): the `0xFF` mask form (with `0`/`1` flags it falls back to per-byte
/// code), and keeping the function out of line (inlined, the surrounding code gets the SIMD
/// undone).
macro_rules! block_flags_fn {
    ($name:ident, $special:path) => {
        #[inline(never)]
        fn $name(block: &Block) -> u128 {
            let mut flags = [0u8; LANES];
            for (flag, &byte) in flags.iter_mut().zip(block) {
                *flag = 0u8.wrapping_sub(u8::from($special(byte)));
            }
            u128::from_le_bytes(flags)
        }
    };
}

block_flags_fn!(name_flags, needs_attention_in_name);

/// A superset of the bytes the name table does not class as plain, in every context (the table
/// decides what they mean).
#[inline(always)]
fn needs_attention_in_name(byte: u8) -> bool {
    (byte < 0x20)
        | (byte == 0x7f)
        | (byte == b'\\')
        | (byte == b',')
        | (byte == b' ')
        | (byte == b'=')
}

#[inline(always)]
fn is_string_escaped(byte: u8) -> bool {
    (byte == STRING_ESCAPED[0]) | (byte == STRING_ESCAPED[1])
}

/// Bytes handled per step of the string escaper: one `u64`.
const WORD: usize = 8;

/// A word and at least the word after it: "the rest of the word from `pos`" is one fixed-size
/// load, read from the input itself (a copy would be stored and reloaded at once, which stalls
/// the CPU on every escape).
type Window = [u8; 2 * WORD];

/// The high bit of each byte of `word` that is `"` or `\\`, exactly (no borrow between bytes).
#[inline(always)]
const fn string_escape_bits(word: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    /// High bit set in exactly the zero bytes of `v`.
    const fn zero_bytes(v: u64) -> u64 {
        !(((v & LOW7).wrapping_add(LOW7)) | v | LOW7)
    }
    zero_bytes(word ^ (ONES * b'"' as u64)) | zero_bytes(word ^ (ONES * b'\\' as u64))
}

/// Writes the first `len` bytes of the window's first word escaped at `dst[at..]`, returns the
/// new end.
///
/// The whole word is stored at once; each escape then stores a backslash and the rest of the
/// word again, one byte further, so the work is per escape, not per byte. `dst` needs
/// `WORD + 1` bytes of slack after the output.
#[inline(always)]
fn escape_word(dst: &mut [u8], at: usize, window: &Window, len: usize) -> usize {
    let word = window.first_chunk::<WORD>().expect("a window holds a word");
    dst[at..at + WORD].copy_from_slice(word);
    let mut mask = string_escape_bits(u64::from_le_bytes(*word));
    // `word[pos]` lands at `at + pos` plus the escapes before it.
    let mut end = at;
    while mask != 0 {
        let pos = (mask.trailing_zeros() / 8) as usize;
        let to = end + pos;
        dst[to] = b'\\';
        dst[to + 1..to + 1 + WORD].copy_from_slice(&window[pos..pos + WORD]);
        end += 1;
        mask &= mask - 1;
    }
    end + len
}

/// From this length on, a value that starts clean is searched with `memchr2` (a call costs about
/// as much as scanning a few words).
const MEMCHR_MIN: usize = 64;

/// Appends `value` escaped for a string field (without the surrounding quotes).
///
/// Dense text (JSON: a quote every few bytes) is escaped a word at a time; a clean stretch of
/// two words or more is skipped with `memchr2` (SIMD, 16 or 32 bytes a step) and copied in one
/// go, so long plain runs cost a search and a copy, not a loop.
pub(crate) fn escape_string_value(out: &mut Vec<u8>, value: &[u8]) {
    // Clean words are copied in one go; escaping starts at the first word that needs it.
    let clean = match value.first_chunk::<{ 2 * WORD }>() {
        // Long values that start clean: up to the first byte to escape in one search.
        Some(first)
            if value.len() >= MEMCHR_MIN
                && string_escape_bits(u64::from_le_bytes(*word_of(first, 0))) == 0 =>
        {
            memchr::memchr2(b'"', b'\\', value).unwrap_or(value.len())
        }
        Some(_) if value.len() >= MEMCHR_MIN => 0,
        _ => {
            let (words, tail) = value.as_chunks::<WORD>();
            let clean_words = words
                .iter()
                .take_while(|word| string_escape_bits(u64::from_le_bytes(**word)) == 0)
                .count();
            if clean_words == words.len() && !tail.iter().any(|&byte| is_string_escaped(byte)) {
                value.len()
            } else {
                clean_words * WORD
            }
        }
    };
    append(out, &value[..clean]);
    let rest = &value[clean..];
    if rest.is_empty() {
        return;
    }
    let start = out.len();
    // Worst case every byte is escaped, plus slack for the fixed-size stores; trimmed below.
    out.resize(start + 2 * rest.len() + 2 * WORD, 0);
    let dst = &mut out[start..];
    let mut at = 0;
    let mut offset = 0;
    // Words with a whole word after them read the rest of the word from the input...
    while let Some(window) = rest
        .get(offset..)
        .and_then(|r| r.first_chunk::<{ 2 * WORD }>())
    {
        if string_escape_bits(u64::from_le_bytes(*word_of(window, 0))) == 0
            && string_escape_bits(u64::from_le_bytes(*word_of(window, WORD))) == 0
        {
            // A clean stretch: up to the next byte to escape (or the end) in one copy.
            let run = memchr::memchr2(b'"', b'\\', &rest[offset + 2 * WORD..])
                .map_or(rest.len() - offset, |next| next + 2 * WORD);
            dst[at..at + run].copy_from_slice(&rest[offset..offset + run]);
            at += run;
            offset += run;
            continue;
        }
        at = escape_word(dst, at, window, WORD);
        offset += WORD;
    }
    // ... the last one or two from a padded copy.
    let tail = &rest[offset..];
    let mut padded = [0u8; 3 * WORD];
    padded[..tail.len()].copy_from_slice(tail);
    for (i, chunk) in tail.chunks(WORD).enumerate() {
        let window = padded[i * WORD..]
            .first_chunk::<{ 2 * WORD }>()
            .expect("24 bytes hold two windows");
        at = escape_word(dst, at, window, chunk.len());
    }
    out.truncate(start + at);
}

/// The word at `at` of a window.
#[inline(always)]
fn word_of(window: &Window, at: usize) -> &[u8; WORD] {
    window[at..]
        .first_chunk::<WORD>()
        .expect("a window holds two words")
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
    fn the_name_prefilter_flags_every_byte_a_table_does_not_pass() {
        for byte in 0..=255u8 {
            for table in [&MEASUREMENT_TABLE, &KEY_OR_TAG_VALUE_TABLE] {
                if table[usize::from(byte)] != PLAIN {
                    assert!(needs_attention_in_name(byte), "{byte:#x}");
                }
            }
        }
    }

    #[test]
    fn plain_names_are_exactly_those_without_a_byte_needing_attention() {
        // Every byte value at every position of names of every length the word code handles
        // differently (padded, two halves, whole words plus an overlapping last one).
        for len in 1..=50 {
            for pos in 0..len {
                for byte in 0..=255u8 {
                    let mut name = vec![b'k'; len];
                    name[pos] = byte;
                    assert_eq!(
                        is_plain_name(&name),
                        !needs_attention_in_name(byte),
                        "len {len} pos {pos} byte {byte:#x}"
                    );
                    assert_eq!(
                        is_plain_name_now(&name),
                        !needs_attention_in_name(byte),
                        "now: len {len} pos {pos} byte {byte:#x}"
                    );
                }
            }
        }
        assert!(!is_plain_name(b""));
        assert!(!is_plain_name_now(b""));
        const { assert!(is_plain_name(b"service.name")) };
    }

    #[test]
    fn string_escape_bits_flag_exactly_the_escaped_bytes() {
        // Every byte value at every position, next to quotes, backslashes and zero bytes (the
        // neighbours a borrowing zero-byte test would get wrong).
        for pos in 0..WORD {
            for byte in 0..=255u8 {
                for fill in [b'x', b'"', b'\\', 0, 0xff] {
                    let mut word = [fill; WORD];
                    word[pos] = byte;
                    let expected = word.iter().enumerate().fold(0u64, |bits, (i, &b)| {
                        bits | (u64::from(is_string_escaped(b)) << (8 * i + 7))
                    });
                    assert_eq!(string_escape_bits(u64::from_le_bytes(word)), expected);
                }
            }
        }
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
