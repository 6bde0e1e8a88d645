//! Go `encoding/json` text of attribute values, as `json.Marshal` writes `Value.AsRaw()`: keys
//! sorted at every level (the last duplicate winning), `<` `>` `&` escaped, `\b` `\f` `\u00XX`
//! for control characters, U+2028/U+2029 escaped, ES6 number text, bytes as base64.
//!
//! Written into a plain [`TextSink`] through [`Chunked`] (pieces collected in a stack buffer), or
//! straight into a line-protocol string field ([`FieldJson`]): Go's escaping and line protocol's
//! are one table pass ([`GO_JSON_IN_FIELD`]), and object keys come escaped from a
//! [`JsonKeyCache`].

use super::es6::write_es6_float;
use super::keys::{Entry, same_text, sort_dedup_last_wins};
use super::{MapView, TextSink, ValueView, write_base64};

/// Collects small pieces of text in a stack buffer and hands them to the inner sink in larger
/// runs (a JSON document is written as many tiny pieces; a line-protocol string field escapes
/// each piece it receives, with a fixed cost per call). Flushes when full and when dropped.
#[derive(Debug)]
pub(crate) struct Chunked<'s, S: TextSink> {
    sink: &'s mut S,
    buf: [u8; CHUNK],
    len: usize,
}

const CHUNK: usize = 512;

impl<'s, S: TextSink> Chunked<'s, S> {
    /// Wraps `sink`.
    pub(crate) fn new(sink: &'s mut S) -> Self {
        Self {
            sink,
            buf: [0; CHUNK],
            len: 0,
        }
    }

    /// Writes `s` as a JSON string (see [`write_json_str`]). Short strings are escaped straight
    /// into the buffer a word at a time; long ones go through the run-copying writer.
    fn push_json_str(&mut self, s: &str) {
        let bytes = s.as_bytes();
        // Worst case: two quotes and six bytes per input byte, plus the slack of a whole-word
        // store at the end.
        let worst = 2 + 6 * bytes.len() + 8;
        if worst > CHUNK - self.len {
            self.flush();
            if worst > CHUNK {
                self.push_ascii(b'"');
                write_json_str_content(s, self);
                self.push_ascii(b'"');
                return;
            }
        }
        let buf = &mut self.buf[self.len..self.len + worst];
        buf[0] = b'"';
        let mut at = 1;
        let mut i = 0;
        // Clean 8-byte words are copied whole; a word with something to escape goes byte by byte.
        while let Some(word) = bytes.get(i..i + 8) {
            if word_needs_json_escape(word) {
                let end = i + 8;
                while i < end {
                    escape_json_byte(bytes, &mut i, buf, &mut at);
                }
            } else {
                buf[at..at + 8].copy_from_slice(word);
                at += 8;
                i += 8;
            }
        }
        // The last 0-7 bytes, padded with a plain byte, are checked and stored as one word (the
        // bytes stored past the end are overwritten by what comes next).
        let rest = bytes.len() - i;
        if rest > 0 {
            let tail = match bytes.last_chunk::<8>() {
                // The last word, shifted so that the bytes not written yet come first.
                Some(last) => u64::from_le_bytes(*last) >> (8 * (8 - rest)),
                None => bytes
                    .iter()
                    .rev()
                    .fold(0, |acc, &b| (acc << 8) | u64::from(b)),
            };
            let word = tail | (u64::from_le_bytes([b'a'; 8]) << (8 * rest));
            if u64_needs_json_escape(word) {
                while i < bytes.len() {
                    escape_json_byte(bytes, &mut i, buf, &mut at);
                }
            } else {
                buf[at..at + 8].copy_from_slice(&word.to_le_bytes());
                at += rest;
            }
        }
        buf[at] = b'"';
        self.len += at + 1;
    }

    fn flush(&mut self) {
        if self.len > 0 {
            // The buffer only ever holds whole `&str` pieces, so this never fails.
            self.sink
                .push_str(std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default());
            self.len = 0;
        }
    }
}

impl<S: TextSink> TextSink for Chunked<'_, S> {
    fn push_str(&mut self, s: &str) {
        if self.len + s.len() > CHUNK {
            self.flush();
            if s.len() > CHUNK / 2 {
                self.sink.push_str(s);
                return;
            }
        }
        self.buf[self.len..self.len + s.len()].copy_from_slice(s.as_bytes());
        self.len += s.len();
    }

    fn push_ascii(&mut self, b: u8) {
        debug_assert!(b.is_ascii());
        if self.len == CHUNK {
            self.flush();
        }
        self.buf[self.len] = b;
        self.len += 1;
    }
}

impl<S: TextSink> Drop for Chunked<'_, S> {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Where the JSON writer's pieces go: plain text through [`Chunked`], or a line-protocol string
/// field written in one pass ([`FieldJson`]).
pub(crate) trait JsonSink: TextSink {
    /// Writes `s` as a JSON string (see [`write_json_str`]).
    fn push_json_str(&mut self, s: &str);

    /// Writes `key` as an object key: the JSON string and `:`.
    fn push_json_key(&mut self, key: &str) {
        self.push_json_str(key);
        self.push_ascii(b':');
    }
}

impl<S: TextSink> JsonSink for Chunked<'_, S> {
    fn push_json_str(&mut self, s: &str) {
        Chunked::push_json_str(self, s);
    }
}

/// JSON written straight into a line-protocol string field: strings go through
/// [`GO_JSON_IN_FIELD`], so Go's escaping and line protocol's cost one pass, with no buffer in
/// between; object keys, which repeat from line to line, come escaped from a [`JsonKeyCache`].
pub(crate) struct FieldJson<'w, 'b> {
    pub(crate) field: &'w mut lineproto::StrFieldWriter<'b>,
    pub(crate) keys: &'w mut JsonKeyCache,
}

impl TextSink for FieldJson<'_, '_> {
    fn push_str(&mut self, s: &str) {
        self.field.push_str(s);
    }

    fn push_ascii(&mut self, b: u8) {
        self.field.push_char(char::from(b));
    }
}

impl JsonSink for FieldJson<'_, '_> {
    fn push_json_str(&mut self, s: &str) {
        write_json_str_escaped(self.field, s);
    }

    fn push_json_key(&mut self, key: &str) {
        self.field.push_escaped(self.keys.get(key));
    }
}

/// Appends `"key":` as a JSON object key, escaped for a line-protocol string field.
pub(crate) fn push_escaped_json_key(out: &mut lineproto::EscapedText, key: &str) {
    write_json_str_escaped(out, key);
    out.push_char(':');
}

/// What [`write_json_str_escaped`] writes into: a field, or a piece escaped ahead of time.
pub(crate) trait EscapedSink {
    fn push_char(&mut self, c: char);
    fn push_str(&mut self, s: &str);
    fn push_nested(&mut self, s: &str, escapes: &lineproto::NestedEscapes) -> usize;
}

impl EscapedSink for lineproto::StrFieldWriter<'_> {
    fn push_char(&mut self, c: char) {
        lineproto::StrFieldWriter::push_char(self, c);
    }
    fn push_str(&mut self, s: &str) {
        lineproto::StrFieldWriter::push_str(self, s);
    }
    fn push_nested(&mut self, s: &str, escapes: &lineproto::NestedEscapes) -> usize {
        lineproto::StrFieldWriter::push_nested(self, s, escapes)
    }
}

impl EscapedSink for lineproto::EscapedText {
    fn push_char(&mut self, c: char) {
        Self::push_char(self, c);
    }
    fn push_str(&mut self, s: &str) {
        Self::push_str(self, s);
    }
    fn push_nested(&mut self, s: &str, escapes: &lineproto::NestedEscapes) -> usize {
        Self::push_nested(self, s, escapes)
    }
}

/// Writes `s` as a Go JSON string (quotes included) escaped for a line-protocol string field.
fn write_json_str_escaped(out: &mut impl EscapedSink, s: &str) {
    out.push_char('"');
    write_json_str_inside(out, s);
    out.push_char('"');
}

/// The inside of [`write_json_str_escaped`]: `s` escaped, without the quotes.
#[inline]
pub(crate) fn write_json_str_inside(out: &mut impl EscapedSink, s: &str) {
    let written = out.push_nested(s, &GO_JSON_IN_FIELD);
    if written < s.len() {
        write_json_str_after_stop(out, &s[written..]);
    }
}

/// The rest of a JSON string from a 0xE2 lead byte on (U+2028 and U+2029 are escaped; other
/// characters starting with it are not).
#[cold]
fn write_json_str_after_stop(out: &mut impl EscapedSink, mut rest: &str) {
    while let Some(c) = rest.chars().next() {
        match c {
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            _ => out.push_char(c),
        }
        rest = &rest[c.len_utf8()..];
        rest = &rest[out.push_nested(rest, &GO_JSON_IN_FIELD)..];
    }
}

/// JSON object keys (`"key":`) escaped for a line-protocol field, remembered by key: attribute
/// keys repeat on every line, so most are escaped once per mapper. A hash table of two choices
/// per key (hashed on its length and first and last bytes), each slot holding the last key put
/// there; its buffers are reused, so a warm cache does not allocate.
#[derive(Debug)]
pub(crate) struct JsonKeyCache {
    slots: Box<[KeySlot; KEY_CACHE_SLOTS]>,
}

#[derive(Debug, Default)]
struct KeySlot {
    key: String,
    escaped: lineproto::EscapedText,
}

const KEY_CACHE_SLOTS: usize = 256;

impl Default for JsonKeyCache {
    fn default() -> Self {
        Self {
            slots: Box::new(std::array::from_fn(|_| KeySlot::default())),
        }
    }
}

impl JsonKeyCache {
    /// `"key":` escaped for a line-protocol field.
    fn get(&mut self, key: &str) -> &lineproto::EscapedText {
        let (first, second) = key_slots(key);
        // An empty `escaped` is a slot never filled (a filled one holds at least `"":`).
        let holds =
            |slot: &KeySlot| same_text(&slot.key, key) && !slot.escaped.as_bytes().is_empty();
        let index = if holds(&self.slots[first]) {
            first
        } else if holds(&self.slots[second]) {
            second
        } else {
            // A free slot if there is one; else the first choice (rarely a key pushes out one
            // that is still in use).
            let index = if self.slots[first].escaped.as_bytes().is_empty() {
                first
            } else if self.slots[second].escaped.as_bytes().is_empty() {
                second
            } else {
                first
            };
            let slot = &mut self.slots[index];
            slot.key.clear();
            slot.key.push_str(key);
            slot.escaped.clear();
            push_escaped_json_key(&mut slot.escaped, key);
            index
        };
        &self.slots[index].escaped
    }
}

/// The two cache slots of `key`, from a multiplicative hash of its length and its first and last
/// (up to) eight bytes.
#[inline]
fn key_slots(key: &str) -> (usize, usize) {
    let bytes = key.as_bytes();
    let (first, last) = match (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
        (Some(first), Some(last)) => (u64::from_le_bytes(*first), u64::from_le_bytes(*last)),
        _ => {
            let short = bytes.iter().fold(0u64, |h, &b| (h << 8) | u64::from(b));
            (short, 0)
        }
    };
    let h = (first ^ last.rotate_left(29) ^ bytes.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let bits = KEY_CACHE_SLOTS.trailing_zeros();
    (
        (h >> (64 - bits)) as usize,
        (h >> (32 - bits)) as usize % KEY_CACHE_SLOTS,
    )
}

/// [`JSON_ESCAPE`] as a line-protocol nested table: each escape sequence, escaped again for the
/// field; 0xE2 stops the one-pass writer (U+2028/U+2029 depend on the bytes after it).
const GO_JSON_IN_FIELD: lineproto::NestedEscapes = {
    let mut table = lineproto::NestedEscapes::IDENTITY;
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table = match JSON_ESCAPE[byte] {
            0 => table,
            1 => table.escape(
                b,
                &[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[(b >> 4) as usize],
                    HEX[(b & 0xf) as usize],
                ],
            ),
            2 => table.stop(b),
            letter => table.escape(b, &[b'\\', letter]),
        };
        byte += 1;
    }
    table
};

/// Writes a JSON object from entries already sorted by key and free of duplicate keys (the
/// caller's job: the span mapper merges and sorts three attribute levels with a reused scratch).
/// Fails, writing nothing, if a value holds NaN/infinity.
#[cfg(test)]
pub(crate) fn write_json_object(
    entries: &[(&str, ValueView<'_>)],
    out: &mut impl TextSink,
) -> Result<(), super::JsonError> {
    for (_, v) in entries {
        super::check_finite(v)?;
    }
    write_json_object_unchecked(entries.iter().copied(), &mut Chunked::new(out));
    Ok(())
}

/// [`write_json_object`] over an iterator, without the NaN check: the caller has checked.
pub(crate) fn write_json_object_unchecked<'e>(
    entries: impl Iterator<Item = (&'e str, ValueView<'e>)>,
    out: &mut impl JsonSink,
) {
    out.push_ascii(b'{');
    for (i, (k, v)) in entries.enumerate() {
        if i > 0 {
            out.push_ascii(b',');
        }
        out.push_json_key(k);
        write_json_unchecked(v, out);
    }
    out.push_ascii(b'}');
}

/// Writes `v` as Go `json.Marshal` does, without the NaN check: the caller has checked.
pub(crate) fn write_json_unchecked(v: ValueView<'_>, out: &mut impl JsonSink) {
    match v {
        ValueView::Empty => out.push_str("null"),
        ValueView::Str(s) => out.push_json_str(s),
        ValueView::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        ValueView::Int(i) => out.push_str(itoa::Buffer::new().format(i)),
        ValueView::Double(f) => write_es6_float(f, out),
        ValueView::Bytes(b) => {
            out.push_ascii(b'"');
            write_base64(b, out);
            out.push_ascii(b'"');
        }
        ValueView::Array(a) => {
            out.push_ascii(b'[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    out.push_ascii(b',');
                }
                write_json_unchecked(item, out);
            }
            out.push_ascii(b']');
        }
        ValueView::Map(m) => write_json_map(m, out),
    }
}

/// Go sorts map keys at every level. Nested maps only come from logs and OTLP input; an OTLP
/// list that is already sorted is written without any scratch, otherwise the keys are sorted in
/// a small temporary vector (the SDK span path never has nested maps).
fn write_json_map(m: MapView<'_>, out: &mut impl JsonSink) {
    if m.is_sorted_unique() {
        write_json_object_unchecked(m.iter(), out);
        return;
    }
    let mut entries: Vec<Entry<'_>> = m
        .iter()
        .zip(0u32..)
        .map(|((key, value), seq)| Entry::new(key, seq, value, true))
        .collect();
    sort_dedup_last_wins(&mut entries);
    write_json_object_unchecked(entries.iter().map(|e| (e.key, e.value)), out);
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// What Go `encoding/json` (with HTML escaping, Go >= 1.22) does to each byte:
/// 0 = copy, 1 = `\u00XX`, 2 = maybe U+2028/U+2029 (lead byte 0xE2), other = the letter of a
/// two-character escape.
const JSON_ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    t[0xe2] = 2;
    let mut i = 0;
    while i < 0x20 {
        t[i] = 1;
        i += 1;
    }
    t[b'\n' as usize] = b'n';
    t[b'\r' as usize] = b'r';
    t[b'\t' as usize] = b't';
    t[0x08] = b'b';
    t[0x0c] = b'f';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t[b'<' as usize] = 1;
    t[b'>' as usize] = 1;
    t[b'&' as usize] = 1;
    t
};

/// Writes `s` as a Go `encoding/json` string (quotes included): `\"`, `\\`, `\n`, `\r`, `\t`,
/// `\b`, `\f`, other control bytes as `\u00XX`, `<` `>` `&` as `\u003c` `\u003e` `\u0026`,
/// U+2028/U+2029 escaped; every other character raw. Runs of plain bytes are copied at once.
#[cfg(test)]
pub(crate) fn write_json_str(s: &str, out: &mut impl TextSink) {
    Chunked::new(out).push_json_str(s);
}

/// The inside of a JSON string (no quotes), escaped as in [`write_json_str`].
fn write_json_str_content(s: &str, out: &mut impl TextSink) {
    let bytes = s.as_bytes();
    let mut run_start = 0;
    let mut i = 0;
    let mut block_end = 0;
    while i < bytes.len() {
        if i >= block_end {
            // Skip clean 8-byte words at once, then look at the next word byte by byte.
            while let Some(word) = bytes.get(i..i + 8)
                && !word_needs_json_escape(word)
            {
                i += 8;
            }
            block_end = i + 8;
            if i >= bytes.len() {
                break;
            }
        }
        if JSON_ESCAPE[usize::from(bytes[i])] == 0 {
            i += 1;
            continue;
        }
        let (mut next, mut seq, mut seq_len) = (i, [0u8; 6], 0);
        escape_json_byte(bytes, &mut next, &mut seq, &mut seq_len);
        if seq[..seq_len] == bytes[i..next] {
            // Copied unchanged (a 0xE2 lead byte of another character): part of the run.
            i = next;
            continue;
        }
        out.push_str(&s[run_start..i]);
        out.push_str(std::str::from_utf8(&seq[..seq_len]).unwrap_or_default());
        i = next;
        run_start = i;
    }
    out.push_str(&s[run_start..]);
}

/// Escapes `bytes[*i]` (with U+2028/U+2029, the two bytes after it) into `buf[*at..]`, advancing
/// both positions. `buf` has room for the worst case (six bytes).
#[inline(always)]
fn escape_json_byte(bytes: &[u8], i: &mut usize, buf: &mut [u8], at: &mut usize) {
    let b = bytes[*i];
    *i += 1;
    match JSON_ESCAPE[usize::from(b)] {
        0 => {
            buf[*at] = b;
            *at += 1;
        }
        1 => {
            buf[*at..*at + 6].copy_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]);
            *at += 6;
        }
        2 => match bytes.get(*i..*i + 2) {
            // U+2028 / U+2029 (e2 80 a8 / e2 80 a9).
            Some(&[0x80, last @ (0xa8 | 0xa9)]) => {
                let digit = if last == 0xa8 { b'8' } else { b'9' };
                buf[*at..*at + 6].copy_from_slice(&[b'\\', b'u', b'2', b'0', b'2', digit]);
                *at += 6;
                *i += 2;
            }
            _ => {
                buf[*at] = b;
                *at += 1;
            }
        },
        letter => {
            buf[*at] = b'\\';
            buf[*at + 1] = letter;
            *at += 2;
        }
    }
}

/// Whether an 8-byte word holds a byte that [`JSON_ESCAPE`] does not class as plain (SWAR: the
/// classic "has a zero byte" test on `word ^ broadcast(byte)`, and "has a byte < 0x20"). Exact
/// as a yes/no answer.
#[inline]
fn word_needs_json_escape(word: &[u8]) -> bool {
    u64_needs_json_escape(u64::from_le_bytes(word.try_into().unwrap_or([0; 8])))
}

/// [`word_needs_json_escape`] of a word loaded little-endian.
#[inline]
fn u64_needs_json_escape(v: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has = |b: u8| {
        let x = v ^ (ONES * u64::from(b));
        x.wrapping_sub(ONES) & !x & HIGHS
    };
    // A zero byte in `(v ^ a) & !(a ^ b)` means a byte equal to `a` or `b` when they differ in
    // one bit: `"`/`&` (0x22/0x26) and `<`/`>` (0x3c/0x3e) take one test each.
    let has_either = |a: u8, b: u8| {
        let x = (v ^ (ONES * u64::from(a))) & !(ONES * u64::from(a ^ b));
        x.wrapping_sub(ONES) & !x & HIGHS
    };
    let below_space = v.wrapping_sub(ONES * 0x20) & !v & HIGHS;
    (below_space | has_either(b'"', b'&') | has_either(b'<', b'>') | has(b'\\') | has(0xe2)) != 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn json_str(s: &str) -> String {
        let mut out = String::new();
        write_json_str(s, &mut out);
        out
    }

    #[test]
    fn long_and_short_json_strings_escape_alike() {
        for len in (0..=40).chain([80, 85, 86, 100, 600]) {
            let text: String = "<a\"\u{2028}\u{1}é".chars().cycle().take(len).collect();
            let mut fast = String::new();
            write_json_str(&text, &mut fast);
            let mut slow = String::from("\"");
            write_json_str_content(&text, &mut slow);
            slow.push('"');
            assert_eq!(fast, slow, "{len}");
        }
    }

    #[test]
    fn json_strings_follow_go_encoding_json() {
        assert_eq!(json_str("plain"), r#""plain""#);
        assert_eq!(json_str("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(json_str("\n\r\t"), r#""\n\r\t""#);
        // Go >= 1.22 writes \b and \f as short escapes.
        assert_eq!(json_str("\u{8}\u{c}"), r#""\b\f""#);
        assert_eq!(json_str("\u{0}\u{1}\u{1f}"), r#""\u0000\u0001\u001f""#);
        // DEL and other non-ASCII stay raw.
        assert_eq!(json_str("\u{7f}é日"), "\"\u{7f}é日\"");
        // HTML escaping, as json.Marshal does.
        assert_eq!(json_str("<a&b>"), r#""\u003ca\u0026b\u003e""#);
        assert_eq!(json_str("x\u{2028}y\u{2029}z"), r#""x\u2028y\u2029z""#);
        // U+2027 and U+202A (same lead bytes) are not escaped.
        assert_eq!(json_str("\u{2027}\u{202a}"), "\"\u{2027}\u{202a}\"");
        assert_eq!(json_str(""), r#""""#);
    }

    #[test]
    fn word_scan_agrees_with_the_byte_table() {
        for b in 0..=255u8 {
            for pos in 0..8 {
                let mut word = [b'a'; 8];
                word[pos] = b;
                assert_eq!(
                    word_needs_json_escape(&word),
                    JSON_ESCAPE[usize::from(b)] != 0,
                    "byte {b:#x} at {pos}"
                );
            }
        }
        // Long strings with escapes at every offset, across word boundaries.
        for pos in 0..40 {
            let mut text = "x".repeat(40);
            text.replace_range(pos..pos + 1, "<");
            let got = json_str(&text);
            let want = format!("\"{}\\u003c{}\"", &text[..pos], &text[pos + 1..]);
            assert_eq!(got, want);
        }
        assert_eq!(json_str("0123456\u{2028}9"), r#""0123456\u20289""#);
        // Every special byte at every position of short strings (the padded last word).
        for len in 1..=20 {
            for pos in 0..len {
                for special in [
                    "\"", "&", "<", ">", "\\", "\n", "\u{1f}", "\u{2028}", "\u{2027}",
                ] {
                    let mut text = "y".repeat(len);
                    text.replace_range(pos..pos + 1, special);
                    let mut slow = String::from("\"");
                    write_json_str_content(&text, &mut slow);
                    slow.push('"');
                    assert_eq!(json_str(&text), slow, "{text:?}");
                }
            }
        }
    }

    #[test]
    fn json_in_a_field_is_the_plain_json_escaped_for_the_field() {
        // Every string of up to 3 characters over the interesting ones, as key and as value
        // (twice, so that keys also come from the cache): the one-pass writer gives exactly
        // the plain JSON text escaped as a string field.
        let alphabet = [
            "a", "\"", "\\", "<", "&", "\n", "\u{1}", "\u{7f}", "é", "\u{2028}", "\u{2029}",
            "\u{2030}", "\u{20ac}",
        ];
        let mut strings = vec![String::new()];
        for len in 1..=3u32 {
            for n in 0..alphabet.len().pow(len) {
                strings.push(
                    (0..len)
                        .map(|k| alphabet[n / alphabet.len().pow(k) % alphabet.len()])
                        .collect(),
                );
            }
        }
        let options = lineproto::EncoderOptions::new(lineproto::Dialect::InfluxDbV1);
        let mut keys = JsonKeyCache::default();
        for s in &strings {
            let entries = [(s.as_str(), ValueView::Str(s)), ("k", ValueView::Str(s))];
            let mut plain = String::new();
            write_json_object(&entries, &mut plain).unwrap();
            let mut expected = lineproto::Encoder::new(options);
            expected.start_line("m").field_str("j", &plain);
            expected.end_line(None).unwrap();
            for _ in 0..2 {
                let mut one_pass = lineproto::Encoder::new(options);
                one_pass.start_line("m").field_str_with("j", |w| {
                    let mut sink = FieldJson {
                        field: w,
                        keys: &mut keys,
                    };
                    write_json_object_unchecked(entries.iter().copied(), &mut sink);
                });
                one_pass.end_line(None).unwrap();
                assert_eq!(one_pass.as_bytes(), expected.as_bytes(), "{s:?}");
            }
        }
    }

    #[test]
    fn chunked_sink_keeps_every_piece_in_order() {
        let mut out = String::new();
        {
            let mut sink = Chunked::new(&mut out);
            for i in 0..200 {
                sink.push_str(itoa::Buffer::new().format(i));
                sink.push_str(",");
            }
            sink.push_str(&"x".repeat(CHUNK + 1));
            sink.push_str("é");
        }
        let expected: String =
            (0..200).map(|i| format!("{i},")).collect::<String>() + &"x".repeat(CHUNK + 1) + "é";
        assert_eq!(out, expected);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Any string comes back unchanged, and the text holds none of the bytes Go escapes.
        #[test]
        fn json_strings_round_trip(s in any::<String>()) {
            let mut out = String::new();
            write_json_str(&s, &mut out);
            prop_assert_eq!(serde_json::from_str::<String>(&out).unwrap(), s);
            let inner = &out[1..out.len() - 1];
            prop_assert!(!inner.bytes().any(|b| b < 0x20 || b"<>&".contains(&b)), "{}", out);
            let separators = ['\u{2028}', '\u{2029}'];
            prop_assert!(!inner.contains(separators), "{}", out);
        }
    }
}
