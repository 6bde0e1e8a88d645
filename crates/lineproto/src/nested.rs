//! String-field text escaped ahead of the field: text in another format (a JSON document, say)
//! with the inner format's escapes and line protocol's applied in one pass from one table built
//! at compile time, and escaped pieces kept to be written many times.

use std::fmt;

use crate::copy::{Block, append};
use crate::escape::escape_string_value;

/// The longest output of one input byte: an inner escape of up to six bytes (`\u003c`) plus
/// the backslashes line protocol adds to it.
const MAX_OUT: usize = 8;

/// How an inner text format escapes its strings, combined with the escaping of a line-protocol
/// string field, so that [`StrFieldWriter::push_nested`](crate::StrFieldWriter::push_nested)
/// writes text in that format with one lookup per byte instead of two passes (the inner
/// escaping into a buffer, then `"` and `\` escaped again).
///
/// Built in a `const` from [`NestedEscapes::IDENTITY`]: [`escape`](NestedEscapes::escape) gives
/// an ASCII byte its inner escape sequence, [`stop`](NestedEscapes::stop) marks a byte the caller
/// handles itself (a rule that depends on the bytes after it). Whatever the table says, the
/// written text is a valid string field: line protocol's escaping is applied to every output
/// byte, non-ASCII bytes are only ever copied or stopped at, so UTF-8 stays UTF-8.
///
/// ```
/// use lineproto::{Dialect, Encoder, EncoderOptions, NestedEscapes};
///
/// // A toy inner format that escapes `"` as `\"` and writes newlines as `\n`.
/// const INNER: NestedEscapes = NestedEscapes::IDENTITY
///     .escape(b'"', br#"\""#)
///     .escape(b'\\', br"\\")
///     .escape(b'\n', br"\n");
///
/// let mut encoder = Encoder::new(EncoderOptions::new(Dialect::InfluxDbV1));
/// encoder.start_line("m").field_str_with("doc", |w| {
///     w.push_char('"');
///     w.push_nested("say \"hi\"\n", &INNER);
///     w.push_char('"');
/// });
/// encoder.end_line(None).unwrap();
/// // The field holds `"say \"hi\"\n"`, escaped once more for line protocol.
/// assert_eq!(
///     encoder.as_bytes(),
///     concat!(r#"m doc="\"say \\\"hi\\\"\\n\"""#, "\n").as_bytes()
/// );
/// ```
#[derive(Clone)]
pub struct NestedEscapes {
    /// Each byte's output, escaped for line protocol, zero padded.
    output: [[u8; MAX_OUT]; 256],
    /// The length of each byte's output; 0 for a stop byte.
    len: [u8; 256],
    /// Whether a byte is anything but copied as is (a run without one is copied at once).
    special: [bool; 256],
}

impl NestedEscapes {
    /// Every byte copied as is (escaped only for line protocol: `"` and `\`).
    pub const IDENTITY: Self = {
        let mut table = Self {
            output: [[0; MAX_OUT]; 256],
            len: [1; 256],
            special: [false; 256],
        };
        let mut byte = 0;
        while byte < 256 {
            table = table.set(byte as u8, &[byte as u8]);
            byte += 1;
        }
        table
    };

    /// Writes the ASCII `byte` as `inner` (ASCII, at most six bytes), which line protocol's
    /// escaping then applies to. Fails to compile (or panics) for a non-ASCII byte or sequence.
    pub const fn escape(self, byte: u8, inner: &[u8]) -> Self {
        assert!(byte.is_ascii(), "only ASCII bytes can be escaped");
        let mut i = 0;
        while i < inner.len() {
            assert!(inner[i].is_ascii(), "escape sequences must be ASCII");
            i += 1;
        }
        self.set(byte, inner)
    }

    /// Stops [`push_nested`](crate::StrFieldWriter::push_nested) before `byte`, which must be
    /// ASCII or the first byte of a UTF-8 sequence (so that the text written so far ends on a
    /// character boundary).
    pub const fn stop(mut self, byte: u8) -> Self {
        assert!(
            byte.is_ascii() || (byte >= 0xc2 && byte <= 0xf4),
            "a stop byte must start a character"
        );
        self.len[byte as usize] = 0;
        self.special[byte as usize] = true;
        self
    }

    /// `byte` becomes `inner`, with `"` and `\` escaped for line protocol.
    const fn set(mut self, byte: u8, inner: &[u8]) -> Self {
        let mut output = [0u8; MAX_OUT];
        let mut len = 0;
        let mut i = 0;
        while i < inner.len() {
            if inner[i] == b'"' || inner[i] == b'\\' {
                assert!(len < MAX_OUT, "escape sequence too long");
                output[len] = b'\\';
                len += 1;
            }
            assert!(len < MAX_OUT, "escape sequence too long");
            output[len] = inner[i];
            len += 1;
            i += 1;
        }
        let index = byte as usize;
        self.output[index] = output;
        self.len[index] = len as u8;
        self.special[index] = !(len == 1 && output[0] == byte);
        self
    }
}

impl fmt::Debug for NestedEscapes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let special = (0..=255u8).filter(|&b| self.special[usize::from(b)]);
        f.debug_struct("NestedEscapes")
            .field("special_bytes", &special.collect::<Vec<_>>())
            .finish()
    }
}

/// Text escaped for a line-protocol string field once, to be written into many fields (e.g. a
/// JSON key that every line repeats): [`StrFieldWriter::push_escaped`](crate::StrFieldWriter::push_escaped)
/// copies it. It can only be built by escaping, so it is always a valid piece of a field.
///
/// ```
/// use lineproto::{Dialect, Encoder, EncoderOptions, EscapedText};
/// let mut key = EscapedText::new();
/// key.push_str(r#""status":"#);
/// let mut encoder = Encoder::new(EncoderOptions::new(Dialect::InfluxDbV1));
/// encoder.start_line("m").field_str_with("json", |w| {
///     w.push_char('{');
///     w.push_escaped(&key);
///     w.push_str("200}");
/// });
/// encoder.end_line(None).unwrap();
/// assert_eq!(encoder.as_bytes(), b"m json=\"{\\\"status\\\":200}\"\n");
/// ```
#[derive(Debug, Clone)]
pub struct EscapedText {
    bytes: Vec<u8>,
    /// The same bytes in a fixed-size block while they fit (the usual short piece), for
    /// appending without a length-dependent copy.
    block: Option<Block<BLOCK>>,
}

/// How long an [`EscapedText`] may be to be kept in a block too.
const BLOCK: usize = 48;

impl PartialEq for EscapedText {
    fn eq(&self, other: &Self) -> bool {
        // The block only mirrors the bytes.
        self.bytes == other.bytes
    }
}

impl Eq for EscapedText {}

impl Default for EscapedText {
    fn default() -> Self {
        Self::new()
    }
}

impl EscapedText {
    /// Empty text.
    pub const fn new() -> Self {
        Self {
            bytes: Vec::new(),
            block: None,
        }
    }

    /// Empties the text, keeping its capacity.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.block = None;
    }

    /// Appends `text`, escaped.
    pub fn push_str(&mut self, text: &str) {
        escape_string_value(&mut self.bytes, text.as_bytes());
        self.block = Block::new(&self.bytes);
    }

    /// Appends one character, escaped.
    pub fn push_char(&mut self, c: char) {
        escape_char(&mut self.bytes, c);
        self.block = Block::new(&self.bytes);
    }

    /// Appends `text` through `escapes`, as
    /// [`StrFieldWriter::push_nested`](crate::StrFieldWriter::push_nested) does.
    pub fn push_nested(&mut self, text: &str, escapes: &NestedEscapes) -> usize {
        let written = escape_nested(&mut self.bytes, text.as_bytes(), escapes);
        self.block = Block::new(&self.bytes);
        written
    }

    /// The escaped bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Appends the text to `out`.
    #[inline]
    pub(crate) fn append_to(&self, out: &mut Vec<u8>) {
        match &self.block {
            Some(block) => block.append_to(out),
            None => out.extend_from_slice(&self.bytes),
        }
    }
}

/// Appends `c` escaped for a string field.
#[inline]
pub(crate) fn escape_char(out: &mut Vec<u8>, c: char) {
    match u8::try_from(c) {
        Ok(b @ (b'"' | b'\\')) => out.extend_from_slice(&[b'\\', b]),
        Ok(b) if b.is_ascii() => out.push(b),
        _ => escape_string_value(out, c.encode_utf8(&mut [0; 4]).as_bytes()),
    }
}

/// Appends `text` through `escapes`; returns how many bytes were written: all of them, or those
/// before the first stop byte.
pub(crate) fn escape_nested(out: &mut Vec<u8>, text: &[u8], escapes: &NestedEscapes) -> usize {
    let special = |b: &u8| escapes.special[usize::from(*b)];
    // Eight lookups at a time, one branch for them (most text has nothing to escape).
    let (words, _) = text.as_chunks::<8>();
    let clean_words = words
        .iter()
        .take_while(|word| !word.iter().fold(false, |any, b| any | special(b)))
        .count();
    let clean = clean_words * 8
        + text[clean_words * 8..]
            .iter()
            .position(special)
            .unwrap_or(text.len() - clean_words * 8);
    append(out, &text[..clean]);
    let rest = &text[clean..];
    if rest.is_empty() {
        return text.len();
    }
    // From the first special byte on, every byte is one fixed-size store of its output, then
    // the end moves by its length: no branch per byte but the stop test.
    let start = out.len();
    out.resize(start + MAX_OUT * rest.len(), 0);
    let dst = &mut out[start..];
    let mut at = 0;
    for (i, &b) in rest.iter().enumerate() {
        let len = usize::from(escapes.len[usize::from(b)]);
        if len == 0 {
            out.truncate(start + at);
            return clean + i;
        }
        dst[at..at + MAX_OUT].copy_from_slice(&escapes.output[usize::from(b)]);
        at += len;
    }
    out.truncate(start + at);
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSONISH: NestedEscapes = NestedEscapes::IDENTITY
        .escape(b'"', br#"\""#)
        .escape(b'\\', br"\\")
        .escape(b'<', br"\u003c")
        .stop(0xe2);

    fn nested(text: &str) -> (String, usize) {
        let mut out = Vec::new();
        let n = escape_nested(&mut out, text.as_bytes(), &JSONISH);
        (String::from_utf8(out).unwrap(), n)
    }

    #[test]
    fn inner_escapes_are_escaped_again_for_line_protocol() {
        assert_eq!(nested("plain text"), ("plain text".into(), 10));
        assert_eq!(nested(r#"a"b"#), (r#"a\\\"b"#.into(), 3));
        assert_eq!(nested(r"a\b"), (r"a\\\\b".into(), 3));
        assert_eq!(nested("<x<"), (r"\\u003cx\\u003c".into(), 3));
        // Stops before the stop byte, after what came before it, escaped or not.
        assert_eq!(nested("ab\u{2028}c"), ("ab".into(), 2));
        assert_eq!(nested("<\u{2028}c"), (r"\\u003c".into(), 1));
        // Other non-ASCII text is copied.
        assert_eq!(nested("é<ü"), (r"é\\u003cü".into(), 5));
    }

    #[test]
    fn escaped_text_is_appended_whole_at_every_length() {
        let mut text = EscapedText::new();
        for round in 0..2 {
            for len in 0..=2 * BLOCK + 3 {
                text.clear();
                let source: String = (0..len)
                    .map(|i| char::from(b'a' + (i % 26) as u8))
                    .collect();
                // Built in pieces, some escaped, so the head follows every kind of push.
                let (a, b) = source.split_at(len / 2);
                text.push_str(a);
                text.push_char('"');
                text.push_nested(b, &NestedEscapes::IDENTITY);
                let mut out = vec![b'x'; round * 5];
                text.append_to(&mut out);
                let mut expected = vec![b'x'; round * 5];
                expected.extend_from_slice(format!("{a}\\\"{b}").as_bytes());
                assert_eq!(out, expected, "length {len}");
                assert_eq!(text.as_bytes(), &expected[round * 5..]);
            }
        }
    }

    #[test]
    fn identity_only_escapes_for_line_protocol() {
        let mut out = Vec::new();
        escape_nested(&mut out, br#"a"\b"#, &NestedEscapes::IDENTITY);
        assert_eq!(out, br#"a\"\\b"#);
    }

    #[test]
    fn every_output_is_what_line_protocol_escaping_of_the_inner_text_gives() {
        // The one-pass result equals: inner escaping, then the string-field escaping.
        let inner = |b: u8| -> Vec<u8> {
            match b {
                b'"' => br#"\""#.to_vec(),
                b'\\' => br"\\".to_vec(),
                b'<' => br"\u003c".to_vec(),
                other => vec![other],
            }
        };
        for b in 0..=0x7fu8 {
            let mut expected = Vec::new();
            crate::escape::escape_string_value(&mut expected, &inner(b));
            let mut out = Vec::new();
            escape_nested(&mut out, &[b], &JSONISH);
            assert_eq!(out, expected, "byte {b:#04x}");
        }
    }
}
