//! Attribute values of every input kind, seen through one borrowed view, plus the two text forms
//! the schema needs: pdata `AsString` (tag values, log bodies) and Go `encoding/json` (the
//! `attributes` field).
//!
//! The SDK (`opentelemetry::Value`, `opentelemetry::logs::AnyValue`) and the OTLP protobuf types
//! (`opentelemetry_proto` `AnyValue`) all implement [`AttributeValue`], whose only job is to hand
//! out a [`ValueView`]. Everything after that is written once.
//!
//! Output goes to a [`TextSink`]: a `String`, or a `lineproto::StrFieldWriter` so that JSON is
//! written straight into a line-protocol string field without an intermediate buffer.
//!
//! ```
//! use otlp_influx::value::{AttributeValue, ValueView, write_json_object};
//! let v = opentelemetry::Value::F64(1e21);
//! let mut text = String::new();
//! v.append_as_string(&mut text).unwrap();
//! assert_eq!(text, "1e+21");
//!
//! let mut json = String::new();
//! // Entries sorted by key, as Go writes them.
//! write_json_object(&[("a", ValueView::Int(-1)), ("b", ValueView::Str("<&>"))], &mut json).unwrap();
//! assert_eq!(json, r#"{"a":-1,"b":"\u003c\u0026\u003e"}"#);
//! ```

use std::collections::HashMap;

use opentelemetry::{Array, Key, StringValue, Value, logs::AnyValue as SdkAnyValue};
use opentelemetry_proto::tonic::common::v1::{
    AnyValue as ProtoAnyValue, KeyValue as ProtoKeyValue, any_value::Value as ProtoValue,
};

/// Where text goes: a `String`, or a line-protocol string field being written.
pub trait TextSink {
    /// Appends `s`.
    fn push_str(&mut self, s: &str);

    /// Appends one ASCII byte (punctuation of the JSON writer).
    fn push_ascii(&mut self, b: u8) {
        debug_assert!(b.is_ascii());
        self.push_str(char::from(b).encode_utf8(&mut [0; 4]));
    }
}

impl TextSink for String {
    fn push_str(&mut self, s: &str) {
        Self::push_str(self, s);
    }

    fn push_ascii(&mut self, b: u8) {
        self.push(char::from(b));
    }
}

impl TextSink for lineproto::StrFieldWriter<'_> {
    fn push_str(&mut self, s: &str) {
        lineproto::StrFieldWriter::push_str(self, s);
    }
}

/// Collects small pieces of text in a stack buffer and hands them to the inner sink in larger
/// runs (a JSON document is written as many tiny pieces; a line-protocol string field escapes
/// each piece it receives, with a fixed cost per call). Flushes when full and when dropped.
#[derive(Debug)]
pub struct Chunked<'s, S: TextSink> {
    sink: &'s mut S,
    buf: [u8; CHUNK],
    len: usize,
}

const CHUNK: usize = 512;

impl<'s, S: TextSink> Chunked<'s, S> {
    /// Wraps `sink`.
    pub fn new(sink: &'s mut S) -> Self {
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

/// `a == b` for attribute keys, a word at a time instead of a call to `memcmp` (which costs
/// more than the comparison for keys this short).
#[inline]
pub(crate) fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let word = |w: &[u8]| u64::from_le_bytes(w.try_into().unwrap_or_default());
    match (a.last_chunk::<8>(), b.last_chunk::<8>()) {
        (Some(a_last), Some(b_last)) if a.len() <= 64 => {
            a_last == b_last
                && a.chunks_exact(8)
                    .zip(b.chunks_exact(8))
                    .all(|(x, y)| word(x) == word(y))
        }
        _ => a == b,
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

/// Why a value has no JSON form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    /// Go `encoding/json` refuses NaN and infinities (`json: unsupported value: NaN`).
    #[error("json: unsupported value: {0}")]
    NonFinite(&'static str),
}

/// A borrowed view of one attribute value, whatever its source type.
#[derive(Debug, Clone, Copy)]
pub enum ValueView<'a> {
    /// No value (pdata `Empty`): JSON `null`, `AsString` `""`.
    Empty,
    /// A string.
    Str(&'a str),
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// A double.
    Double(f64),
    /// Raw bytes: base64 in text and JSON.
    Bytes(&'a [u8]),
    /// A list of values.
    Array(ArrayView<'a>),
    /// A map of string keys to values.
    Map(MapView<'a>),
}

/// A list of values from one of the supported sources (see [`ValueView::Array`]).
#[derive(Debug, Clone, Copy)]
pub struct ArrayView<'a>(ArrayRepr<'a>);

/// Where the elements of an [`ArrayView`] live.
#[derive(Debug, Clone, Copy)]
enum ArrayRepr<'a> {
    /// SDK `Array::Bool`.
    Bool(&'a [bool]),
    /// SDK `Array::I64`.
    Int(&'a [i64]),
    /// SDK `Array::F64`.
    Double(&'a [f64]),
    /// SDK `Array::String`.
    Str(&'a [StringValue]),
    /// SDK logs `AnyValue::ListAny`.
    SdkAny(&'a [SdkAnyValue]),
    /// OTLP `ArrayValue`.
    Proto(&'a [ProtoAnyValue]),
    /// An OTLP/JSON `arrayValue`.
    #[cfg(feature = "json")]
    Json(&'a [crate::decode::json::AnyValue<'a>]),
}

impl<'a> ArrayView<'a> {
    /// An OTLP/JSON `arrayValue`.
    #[cfg(feature = "json")]
    pub(crate) fn json(values: &'a [crate::decode::json::AnyValue<'a>]) -> Self {
        Self(ArrayRepr::Json(values))
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match self.0 {
            ArrayRepr::Bool(v) => v.len(),
            ArrayRepr::Int(v) => v.len(),
            ArrayRepr::Double(v) => v.len(),
            ArrayRepr::Str(v) => v.len(),
            ArrayRepr::SdkAny(v) => v.len(),
            ArrayRepr::Proto(v) => v.len(),
            #[cfg(feature = "json")]
            ArrayRepr::Json(v) => v.len(),
        }
    }

    /// True when the list has no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element at `index` (panics when out of bounds, like slice indexing).
    pub fn get(&self, index: usize) -> ValueView<'a> {
        match self.0 {
            ArrayRepr::Bool(v) => ValueView::Bool(v[index]),
            ArrayRepr::Int(v) => ValueView::Int(v[index]),
            ArrayRepr::Double(v) => ValueView::Double(v[index]),
            ArrayRepr::Str(v) => ValueView::Str(v[index].as_str()),
            ArrayRepr::SdkAny(v) => v[index].view(),
            ArrayRepr::Proto(v) => v[index].view(),
            #[cfg(feature = "json")]
            ArrayRepr::Json(v) => v[index].view(),
        }
    }

    /// The elements in order.
    pub fn iter(&self) -> impl Iterator<Item = ValueView<'a>> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Whether a double in the list, or nested in it, is NaN or infinite.
    fn has_non_finite(&self) -> bool {
        match self.0 {
            ArrayRepr::Double(v) => v.iter().any(|f| !f.is_finite()),
            ArrayRepr::Bool(_) | ArrayRepr::Int(_) | ArrayRepr::Str(_) => false,
            _ => self.iter().any(|v| v.has_non_finite()),
        }
    }
}

/// A map of values from one of the supported sources (see [`ValueView::Map`]).
#[derive(Debug, Clone, Copy)]
pub struct MapView<'a>(MapRepr<'a>);

/// Where the entries of a [`MapView`] live.
#[derive(Debug, Clone, Copy)]
enum MapRepr<'a> {
    /// SDK logs `AnyValue::Map` (unordered).
    SdkAny(&'a HashMap<Key, SdkAnyValue>),
    /// OTLP `KeyValueList` (ordered; a repeated key: the last one wins, as in pdata `AsRaw`).
    Proto(&'a [ProtoKeyValue]),
    /// An OTLP/JSON `kvlistValue` (ordered, like `Proto`).
    #[cfg(feature = "json")]
    Json(&'a [crate::decode::json::KeyValue<'a>]),
}

impl<'a> MapView<'a> {
    /// An OTLP/JSON `kvlistValue`.
    #[cfg(feature = "json")]
    pub(crate) fn json(entries: &'a [crate::decode::json::KeyValue<'a>]) -> Self {
        Self(MapRepr::Json(entries))
    }

    /// Number of entries (duplicates included).
    pub fn len(&self) -> usize {
        match self.0 {
            MapRepr::SdkAny(m) => m.len(),
            MapRepr::Proto(kvs) => kvs.len(),
            #[cfg(feature = "json")]
            MapRepr::Json(kvs) => kvs.len(),
        }
    }

    /// True when the map has no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entries that are written: in source order, without those a later entry with the same
    /// key replaces (pdata `AsRaw` keeps the last one).
    pub fn live_iter(&self) -> impl Iterator<Item = (&'a str, ValueView<'a>)> + '_ {
        self.iter()
            .enumerate()
            .filter(|&(index, (key, _))| !self.is_shadowed(index, key))
            .map(|(_, entry)| entry)
    }

    /// Whether entry `index` (with `key`) is replaced by a later entry of the same key.
    fn is_shadowed(&self, index: usize, key: &str) -> bool {
        match self.0 {
            MapRepr::SdkAny(_) => false,
            _ => self.iter().skip(index + 1).any(|(k, _)| k == key),
        }
    }

    /// Whether the keys are in strictly ascending order (sorted, no duplicate): such a map is
    /// written as it is.
    fn is_sorted_unique(&self) -> bool {
        match self.0 {
            MapRepr::SdkAny(map) => map.len() <= 1,
            MapRepr::Proto(kvs) => kvs.windows(2).all(|w| w[0].key < w[1].key),
            #[cfg(feature = "json")]
            MapRepr::Json(kvs) => kvs.windows(2).all(|w| w[0].key < w[1].key),
        }
    }

    /// The entries, in source order.
    pub fn iter(&self) -> MapIter<'a> {
        MapIter(match self.0 {
            MapRepr::SdkAny(m) => MapIterRepr::SdkAny(m.iter()),
            MapRepr::Proto(kvs) => MapIterRepr::Proto(kvs.iter()),
            #[cfg(feature = "json")]
            MapRepr::Json(kvs) => MapIterRepr::Json(kvs.iter()),
        })
    }
}

/// Iterator over the entries of a [`MapView`].
#[derive(Debug)]
pub struct MapIter<'a>(MapIterRepr<'a>);

#[derive(Debug)]
enum MapIterRepr<'a> {
    SdkAny(std::collections::hash_map::Iter<'a, Key, SdkAnyValue>),
    Proto(std::slice::Iter<'a, ProtoKeyValue>),
    #[cfg(feature = "json")]
    Json(std::slice::Iter<'a, crate::decode::json::KeyValue<'a>>),
}

impl<'a> Iterator for MapIter<'a> {
    type Item = (&'a str, ValueView<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            MapIterRepr::SdkAny(it) => it.next().map(|(k, v)| (k.as_str(), v.view())),
            MapIterRepr::Proto(it) => it.next().map(|kv| (kv.key.as_str(), kv.value.view())),
            #[cfg(feature = "json")]
            MapIterRepr::Json(it) => it.next().map(|kv| (&*kv.key, kv.value.view())),
        }
    }
}

/// Anything that can be seen as a [`ValueView`]: the SDK and OTLP attribute value types.
pub trait AttributeValue {
    /// The borrowed view of this value.
    fn view(&self) -> ValueView<'_>;

    /// Appends the pdata `AsString` text of this value (see [`ValueView::append_as_string`]).
    fn append_as_string(&self, out: &mut impl TextSink) -> Result<(), JsonError> {
        self.view().append_as_string(out)
    }
}

impl AttributeValue for ValueView<'_> {
    fn view(&self) -> ValueView<'_> {
        *self
    }
}

impl AttributeValue for Value {
    fn view(&self) -> ValueView<'_> {
        match self {
            Self::Bool(b) => ValueView::Bool(*b),
            Self::I64(i) => ValueView::Int(*i),
            Self::F64(f) => ValueView::Double(*f),
            Self::String(s) => ValueView::Str(s.as_str()),
            Self::Array(Array::Bool(v)) => ValueView::Array(ArrayView(ArrayRepr::Bool(v))),
            Self::Array(Array::I64(v)) => ValueView::Array(ArrayView(ArrayRepr::Int(v))),
            Self::Array(Array::F64(v)) => ValueView::Array(ArrayView(ArrayRepr::Double(v))),
            Self::Array(Array::String(v)) => ValueView::Array(ArrayView(ArrayRepr::Str(v))),
            // Both enums are `#[non_exhaustive]`: a future variant is seen as "no value"
            // rather than a panic.
            _ => ValueView::Empty,
        }
    }
}

impl AttributeValue for SdkAnyValue {
    fn view(&self) -> ValueView<'_> {
        match self {
            Self::Int(i) => ValueView::Int(*i),
            Self::Double(f) => ValueView::Double(*f),
            Self::String(s) => ValueView::Str(s.as_str()),
            Self::Boolean(b) => ValueView::Bool(*b),
            Self::Bytes(b) => ValueView::Bytes(b),
            Self::ListAny(l) => ValueView::Array(ArrayView(ArrayRepr::SdkAny(l))),
            Self::Map(m) => ValueView::Map(MapView(MapRepr::SdkAny(m))),
            _ => ValueView::Empty,
        }
    }
}

impl AttributeValue for ProtoAnyValue {
    fn view(&self) -> ValueView<'_> {
        match &self.value {
            None => ValueView::Empty,
            Some(ProtoValue::StringValue(s)) => ValueView::Str(s),
            Some(ProtoValue::BoolValue(b)) => ValueView::Bool(*b),
            Some(ProtoValue::IntValue(i)) => ValueView::Int(*i),
            Some(ProtoValue::DoubleValue(f)) => ValueView::Double(*f),
            Some(ProtoValue::ArrayValue(a)) => {
                ValueView::Array(ArrayView(ArrayRepr::Proto(&a.values)))
            }
            Some(ProtoValue::KvlistValue(m)) => ValueView::Map(MapView(MapRepr::Proto(&m.values))),
            Some(ProtoValue::BytesValue(b)) => ValueView::Bytes(b),
            // A string-table index only means something inside a profiles dictionary.
            Some(ProtoValue::StringValueStrindex(_)) => ValueView::Empty,
        }
    }
}

impl<T: AttributeValue> AttributeValue for Option<T> {
    fn view(&self) -> ValueView<'_> {
        self.as_ref().map_or(ValueView::Empty, T::view)
    }
}

impl<'a> ValueView<'a> {
    /// Appends the pdata `Value.AsString()` text:
    /// strings raw, `true`/`false`, decimal integers, ES6 floats ([`write_es6_float`]; NaN and
    /// infinities as `NaN`/`Infinity`/`-Infinity`, as pdata >= 1.57), base64 bytes (padded),
    /// maps and lists as Go `encoding/json` (HTML-escaped, as `json.Marshal`), empty as `""`.
    ///
    /// A map or list holding NaN/infinity has no JSON form: nothing is appended and the error
    /// is returned (pdata gives `""` here).
    pub fn append_as_string(&self, out: &mut impl TextSink) -> Result<(), JsonError> {
        match *self {
            Self::Empty => {}
            Self::Str(s) => out.push_str(s),
            Self::Bool(b) => out.push_str(if b { "true" } else { "false" }),
            Self::Int(i) => out.push_str(itoa::Buffer::new().format(i)),
            Self::Double(f) if f.is_nan() => out.push_str("NaN"),
            Self::Double(f) if f.is_infinite() => {
                out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" })
            }
            Self::Double(f) => write_es6_float(f, out),
            Self::Bytes(b) => write_base64(b, out),
            Self::Array(_) | Self::Map(_) => self.write_json(out)?,
        }
        Ok(())
    }

    /// True when this value, or anything nested in it, is a NaN or infinite double.
    #[inline]
    pub fn has_non_finite(&self) -> bool {
        match *self {
            Self::Double(f) => !f.is_finite(),
            // Lists and maps (rare) out of line, so that the scalar test inlines.
            Self::Array(_) | Self::Map(_) => self.nested_has_non_finite(),
            _ => false,
        }
    }

    fn nested_has_non_finite(&self) -> bool {
        match *self {
            Self::Array(a) => a.has_non_finite(),
            // Only what is written counts: a NaN under a key repeated later never reaches Go.
            Self::Map(m) => m
                .iter()
                .enumerate()
                .any(|(i, (key, v))| v.has_non_finite() && !m.is_shadowed(i, key)),
            _ => false,
        }
    }

    /// Writes this value as Go `json.Marshal` would write `Value.AsRaw()`. Nothing is written
    /// when the value holds a NaN or infinity.
    pub fn write_json(&self, out: &mut impl TextSink) -> Result<(), JsonError> {
        check_finite(self)?;
        write_json_unchecked(*self, &mut Chunked::new(out));
        Ok(())
    }
}

fn check_finite(v: &ValueView<'_>) -> Result<(), JsonError> {
    if v.has_non_finite() {
        return Err(JsonError::NonFinite(non_finite_name(v)));
    }
    Ok(())
}

fn non_finite_name(v: &ValueView<'_>) -> &'static str {
    fn first(v: ValueView<'_>) -> Option<f64> {
        match v {
            ValueView::Double(f) if !f.is_finite() => Some(f),
            ValueView::Array(a) => a.iter().find_map(first),
            ValueView::Map(m) => m.live_iter().find_map(|(_, v)| first(v)),
            _ => None,
        }
    }
    match first(*v) {
        Some(f) if f.is_nan() => "NaN",
        Some(f) if f > 0.0 => "+Inf",
        _ => "-Inf",
    }
}

/// Writes a JSON object from entries already sorted by key and free of duplicate keys (the
/// caller's job: the span mapper merges and sorts three attribute levels with a reused scratch).
/// Fails, writing nothing, if a value holds NaN/infinity.
pub fn write_json_object(
    entries: &[(&str, ValueView<'_>)],
    out: &mut impl TextSink,
) -> Result<(), JsonError> {
    for (_, v) in entries {
        check_finite(v)?;
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

/// One attribute on its way into a JSON object: `seq` is its input position, so that sorting
/// needs no stable (possibly allocating) sort to let the last duplicate win.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry<'a> {
    /// The key's first 8 bytes, big-endian: most comparisons end here, without a `memcmp`.
    pub(crate) prefix: u64,
    pub(crate) key: &'a str,
    pub(crate) seq: u32,
    pub(crate) value: ValueView<'a>,
    /// Whether the entry belongs in the JSON object (dimensions go to tags instead).
    pub(crate) in_json: bool,
}

impl<'a> Entry<'a> {
    #[inline]
    pub(crate) fn new(key: &'a str, seq: u32, value: ValueView<'a>, in_json: bool) -> Self {
        Self {
            prefix: key_prefix(key),
            key,
            seq,
            value,
            in_json,
        }
    }
}

/// The first 8 bytes of `key`, zero padded, big-endian: ordered as the keys are, where they
/// differ in those bytes.
#[inline]
pub(crate) fn key_prefix(key: &str) -> u64 {
    match key.as_bytes().first_chunk::<8>() {
        Some(head) => u64::from_be_bytes(*head),
        None => key
            .bytes()
            .chain(std::iter::repeat(0))
            .take(8)
            .fold(0, |acc, b| (acc << 8) | u64::from(b)),
    }
}

/// Sorts entries by key; of entries with the same key only the last one (highest `seq`) stays.
/// In place and allocation-free (`sort_unstable_by` never allocates).
pub(crate) fn sort_dedup_last_wins(entries: &mut Vec<Entry<'_>>) {
    let order = |a: &Entry<'_>, b: &Entry<'_>| {
        a.prefix
            .cmp(&b.prefix)
            .then_with(|| a.key.cmp(b.key))
            .then(a.seq.cmp(&b.seq))
    };
    // Input that is already in order (a sorted OTLP list) costs one pass.
    if !entries.is_sorted_by(|a, b| order(a, b).is_le()) {
        entries.sort_unstable_by(order);
    }
    let same_key = |a: &Entry<'_>, b: &Entry<'_>| a.prefix == b.prefix && a.key == b.key;
    // Most attribute lists have no duplicate: nothing to move then.
    let Some(first_dup) = entries.windows(2).position(|w| same_key(&w[0], &w[1])) else {
        return;
    };
    let mut write = first_dup;
    for read in first_dup..entries.len() {
        let last_of_run =
            read + 1 == entries.len() || !same_key(&entries[read + 1], &entries[read]);
        if last_of_run {
            entries.swap(write, read);
            write += 1;
        }
    }
    entries.truncate(write);
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
pub fn write_json_str(s: &str, out: &mut impl TextSink) {
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

/// Writes raw bytes as a Go `encoding/json` string: like [`write_json_str`], with each invalid
/// UTF-8 sequence replaced by `\ufffd` (what Go does for a `string` holding invalid UTF-8).
pub fn write_json_str_lossy(bytes: &[u8], out: &mut impl TextSink) {
    out.push_ascii(b'"');
    for chunk in bytes.utf8_chunks() {
        write_json_str_content(chunk.valid(), out);
        if !chunk.invalid().is_empty() {
            out.push_str("\\ufffd");
        }
    }
    out.push_ascii(b'"');
}

/// Shortest round-trip decimal digits of a finite, non-zero `|f|` and the decimal exponent of
/// the first digit (`f = 0.d1d2… × 10^(exp+1)`, i.e. `d1.d2… × 10^exp`).
fn shortest_digits(f: f64) -> ([u8; 17], usize, i32) {
    let mut ryu_buf = ryu::Buffer::new();
    let text = ryu_buf.format_finite(f.abs()).as_bytes();
    let (mantissa, exp_part) = match text.iter().position(|&c| c == b'e') {
        Some(p) => (&text[..p], parse_i32(&text[p + 1..])),
        None => (text, 0),
    };
    let mut digits = [0u8; 17];
    let mut n = 0;
    let mut point = None;
    let mut leading_zeros = 0i32;
    for &c in mantissa {
        if c == b'.' {
            point = Some(n as i32 + leading_zeros);
            continue;
        }
        if n == 0 && c == b'0' {
            // zeros before the first significant digit
            leading_zeros += 1;
            continue;
        }
        digits[n] = c;
        n += 1;
    }
    // Trailing zeros (ryu writes `100.0`) are not significant.
    while n > 1 && digits[n - 1] == b'0' {
        n -= 1;
    }
    let int_len = point.unwrap_or((mantissa.len()) as i32);
    // Position of the first significant digit relative to the decimal point.
    let exp = int_len - leading_zeros - 1 + exp_part;
    (digits, n, exp)
}

fn parse_i32(s: &[u8]) -> i32 {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let v = digits
        .iter()
        .fold(0i32, |acc, &d| acc * 10 + i32::from(d - b'0'));
    if neg { -v } else { v }
}

/// Writes a finite double as Go `encoding/json` and pdata `AsString` do (ES6 number text):
/// plain decimal with the shortest round-trip digits, unless `|f| < 1e-6` or `|f| >= 1e21`
/// (then `d[.ddd]e±d…`, e.g. `1e-7`, `1.5e+21`). `-0.0` is written `-0`.
/// Non-finite values are the caller's business (JSON refuses them; AsString names them).
pub fn write_es6_float(f: f64, out: &mut impl TextSink) {
    let mut buf = [0u8; 40];
    let len = format_es6(f, &mut buf);
    out.push_str(std::str::from_utf8(&buf[..len]).unwrap_or_default());
}

fn format_es6(f: f64, buf: &mut [u8; 40]) -> usize {
    // Fastest path: a short decimal (`0.125`, `3.1`, `200`) found by scaling, no ryu.
    if let Some((digits, decimals)) = short_decimal(f) {
        let mut at = 0;
        if f.is_sign_negative() {
            buf[0] = b'-';
            at = 1;
        }
        let mut itoa_buf = itoa::Buffer::new();
        let text = itoa_buf.format(digits).as_bytes();
        // Zeros between the point and the digits (`0.0125`): `decimals` can exceed the digits.
        let (int_part, frac_part) = text.split_at(text.len().saturating_sub(decimals));
        if int_part.is_empty() {
            buf[at] = b'0';
            at += 1;
        } else {
            buf[at..at + int_part.len()].copy_from_slice(int_part);
            at += int_part.len();
        }
        if decimals > 0 {
            buf[at] = b'.';
            at += 1;
            let zeros = decimals - frac_part.len();
            buf[at..at + zeros].fill(b'0');
            at += zeros;
            buf[at..at + frac_part.len()].copy_from_slice(frac_part);
            at += frac_part.len();
        }
        return at;
    }
    // Fast path: ryu writes plain decimals for 1e-5 <= |f| < 1e16, the same digits ES6 writes
    // there, except that ryu adds `.0` to integers.
    if let Some(text) = plain_shortest_decimal(f, &mut ryu::Buffer::new()) {
        buf[..text.len()].copy_from_slice(text.as_bytes());
        return text.len();
    }
    format_es6_digits(f, buf)
}

/// `|f|` as `digits / 10^decimals` with the fewest decimals (at most 8) that read back as `f`,
/// for `1e-5 <= |f| < 1e15` and `digits < 2^52`: those are the shortest round-trip digits (ryu's
/// and Go's). Why: the division is correctly rounded, so equality means the decimal reads back
/// as `f`; below 2^52 decimals with that many places are spaced wider than doubles, so no other
/// one does; fewer places would have been found first, and a decimal with more places has more
/// significant digits.
fn short_decimal(f: f64) -> Option<(u64, usize)> {
    const POW10: [f64; 9] = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8];
    const TWO_POW_52: f64 = 4_503_599_627_370_496.0;
    let a = f.abs();
    if !(1e-5..1e15).contains(&a) {
        return None;
    }
    for (decimals, &scale) in POW10.iter().enumerate() {
        let scaled = a * scale;
        if scaled >= TWO_POW_52 {
            return None;
        }
        // Near a whole number when it matters (see the check below), so truncating the sum rounds.
        let digits = ((scaled + 0.5) as u64) as f64;
        if digits / scale == a {
            // A whole number below 2^52: the conversions are exact.
            return Some((digits as u64, decimals));
        }
    }
    None
}

/// The shortest round-trip digits of `f` in plain decimal notation, where ryu writes them so
/// (`1e-5 <= |f| < 1e16`, integers without ryu's `.0`): there this is both the ES6 text and Go's
/// `strconv.FormatFloat(f, 'f', -1, 64)`. `None` elsewhere (the callers' slower general path).
pub(crate) fn plain_shortest_decimal(f: f64, buf: &mut ryu::Buffer) -> Option<&str> {
    if !(1e-5..1e16).contains(&f.abs()) {
        return None;
    }
    let text = buf.format_finite(f);
    (!text.contains('e')).then(|| text.strip_suffix(".0").unwrap_or(text))
}

fn format_es6_digits(f: f64, buf: &mut [u8; 40]) -> usize {
    let mut len = 0;
    let mut push = |b: u8, len: &mut usize| {
        buf[*len] = b;
        *len += 1;
    };
    if f.is_sign_negative() {
        push(b'-', &mut len);
    }
    if f == 0.0 {
        push(b'0', &mut len);
        return len;
    }
    let abs = f.abs();
    let (digits, n, exp) = shortest_digits(f);
    if !(1e-6..1e21).contains(&abs) {
        push(digits[0], &mut len);
        if n > 1 {
            push(b'.', &mut len);
            for &d in &digits[1..n] {
                push(d, &mut len);
            }
        }
        push(b'e', &mut len);
        push(if exp < 0 { b'-' } else { b'+' }, &mut len);
        let e = exp.unsigned_abs();
        // Go writes at least two exponent digits, then the JSON encoder trims `e-0X` to `e-X`;
        // positive exponents here are always >= 21.
        let mut ebuf = itoa::Buffer::new();
        for &d in ebuf.format(e).as_bytes() {
            push(d, &mut len);
        }
    } else if exp >= 0 {
        let int_digits = exp as usize + 1;
        for &d in &digits[..n.min(int_digits)] {
            push(d, &mut len);
        }
        for _ in n..int_digits {
            push(b'0', &mut len);
        }
        if n > int_digits {
            push(b'.', &mut len);
            for &d in &digits[int_digits..n] {
                push(d, &mut len);
            }
        }
    } else {
        push(b'0', &mut len);
        push(b'.', &mut len);
        for _ in 0..(-exp - 1) {
            push(b'0', &mut len);
        }
        for &d in &digits[..n] {
            push(d, &mut len);
        }
    }
    len
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Writes `bytes` as standard, padded base64 (Go `base64.StdEncoding`), in stack-sized chunks.
pub fn write_base64(bytes: &[u8], out: &mut impl TextSink) {
    let mut buf = [0u8; 256];
    for block in bytes.chunks(192) {
        let mut len = 0;
        for group in block.chunks(3) {
            let b0 = group[0];
            let b1 = group.get(1).copied().unwrap_or(0);
            let b2 = group.get(2).copied().unwrap_or(0);
            buf[len] = BASE64[(b0 >> 2) as usize];
            buf[len + 1] = BASE64[(((b0 & 0x03) << 4) | (b1 >> 4)) as usize];
            buf[len + 2] = if group.len() > 1 {
                BASE64[(((b1 & 0x0f) << 2) | (b2 >> 6)) as usize]
            } else {
                b'='
            };
            buf[len + 3] = if group.len() > 2 {
                BASE64[(b2 & 0x3f) as usize]
            } else {
                b'='
            };
            len += 4;
        }
        out.push_str(std::str::from_utf8(&buf[..len]).unwrap_or_default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn es6(f: f64) -> String {
        let mut s = String::new();
        write_es6_float(f, &mut s);
        s
    }

    fn json_str(s: &str) -> String {
        let mut out = String::new();
        write_json_str(s, &mut out);
        out
    }

    fn as_string(v: impl AttributeValue) -> String {
        let mut out = String::new();
        v.append_as_string(&mut out).unwrap();
        out
    }

    #[test]
    fn es6_floats_match_go() {
        // Expected values are Go `json.Marshal(float64)` outputs.
        for (f, want) in [
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (100.0, "100"),
            (87.332, "87.332"),
            (0.1 + 0.2, "0.30000000000000004"),
            (123456789.0, "123456789"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (1.5e300, "1.5e+300"),
            (0.000001, "0.000001"),
            (1e-7, "1e-7"),
            (1.5e-10, "1.5e-10"),
            (1.2345e-7, "1.2345e-7"),
            (5e-324, "5e-324"),
            (-2.5, "-2.5"),
            (0.001234, "0.001234"),
            (123.456, "123.456"),
            (1e16, "10000000000000000"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (-1e-7, "-1e-7"),
        ] {
            assert_eq!(es6(f), want, "{f:e}");
        }
    }

    #[test]
    fn es6_fast_path_agrees_with_the_digit_layout() {
        for f in [
            1e-5,
            1.5e-5,
            0.1,
            1.0,
            7.0,
            123.456,
            1e15,
            9.999999999999998e15,
            -3.25,
            1e6,
        ] {
            let mut fast = [0; 40];
            let mut slow = [0; 40];
            let n = format_es6(f, &mut fast);
            let m = format_es6_digits(f, &mut slow);
            assert_eq!(fast[..n], slow[..m], "{f:e}");
        }
    }

    #[test]
    fn short_decimals_agree_with_the_digit_layout() {
        // Short decimals, their neighbouring doubles (which need all their digits), and
        // pseudo-random doubles of every magnitude the fast path takes.
        let mut values = Vec::new();
        for k in 0..=10 {
            let scale = 10f64.powi(k);
            for i in (1..3000u32).chain([9_999_999, 123_456_789, 4_503_599, 4_294_967_295]) {
                let f = f64::from(i) / scale;
                values.extend([f, f.next_up(), f.next_down(), -f]);
            }
        }
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let f = f64::from_bits(state);
            if f.is_finite() {
                values.push(f);
                // Rounded to a few decimals, so that the fast path takes many of them.
                let exp = (state % 20) as i32 - 6;
                values.push((f.fract() * 1e4).round() / 1e4 * 10f64.powi(exp));
            }
        }
        let mut taken = 0;
        for f in values {
            let mut fast = [0; 40];
            let mut slow = [0; 40];
            let n = format_es6(f, &mut fast);
            let m = format_es6_digits(f, &mut slow);
            assert_eq!(
                fast[..n],
                slow[..m],
                "{f:e} {:?}",
                std::str::from_utf8(&fast[..n])
            );
            taken += usize::from(short_decimal(f).is_some());
        }
        assert!(taken > 50_000, "the fast path took only {taken} values");
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
    fn invalid_utf8_becomes_replacement_escape() {
        let mut out = String::new();
        write_json_str_lossy(b"a\xffb\xe2\x80c<", &mut out);
        assert_eq!(out, r#""a\ufffdb\ufffdc\u003c""#);
        let mut out = String::new();
        write_json_str_lossy("ok\"".as_bytes(), &mut out);
        assert_eq!(out, r#""ok\"""#);
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

    #[test]
    fn base64_is_padded_standard() {
        for (input, want) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg=="),
            (b"\xff\xfe\xfd", "//79"),
        ] {
            let mut out = String::new();
            write_base64(input, &mut out);
            assert_eq!(out, want);
        }
        // Longer than one stack chunk.
        let long = vec![0u8; 1000];
        let mut out = String::new();
        write_base64(&long, &mut out);
        assert_eq!(out.len(), 1336);
        assert!(out.ends_with("AA=="));
        assert!(out.trim_end_matches("==").bytes().all(|b| b == b'A'));
    }

    #[test]
    fn as_string_rules() {
        assert_eq!(as_string(Value::from("x y")), "x y");
        assert_eq!(as_string(Value::Bool(true)), "true");
        assert_eq!(as_string(Value::I64(-42)), "-42");
        assert_eq!(as_string(Value::F64(1e21)), "1e+21");
        assert_eq!(as_string(Value::F64(0.5)), "0.5");
        assert_eq!(as_string(Value::F64(f64::NAN)), "NaN");
        assert_eq!(as_string(Value::F64(f64::INFINITY)), "Infinity");
        assert_eq!(as_string(Value::F64(f64::NEG_INFINITY)), "-Infinity");
        assert_eq!(
            as_string(Value::Array(Array::String(vec!["a<".into(), "b".into()]))),
            r#"["a\u003c","b"]"#
        );
        assert_eq!(
            as_string(Value::Array(Array::F64(vec![1.0, 1e-7]))),
            "[1,1e-7]"
        );
        assert_eq!(
            as_string(SdkAnyValue::Bytes(Box::new(b"hi".to_vec()))),
            "aGk="
        );
        assert_eq!(as_string(ProtoAnyValue { value: None }), "");
        let mut map = HashMap::new();
        map.insert(Key::from("z"), SdkAnyValue::Int(1));
        map.insert(
            Key::from("a"),
            SdkAnyValue::ListAny(Box::new(vec![
                SdkAnyValue::Boolean(false),
                SdkAnyValue::Bytes(Box::new(vec![1, 2])),
            ])),
        );
        assert_eq!(
            as_string(SdkAnyValue::Map(Box::new(map))),
            r#"{"a":[false,"AQI="],"z":1}"#
        );
    }

    #[test]
    fn non_finite_inside_a_container_has_no_json() {
        let v = Value::Array(Array::F64(vec![1.0, f64::NAN]));
        let mut out = String::new();
        assert_eq!(
            v.append_as_string(&mut out),
            Err(JsonError::NonFinite("NaN"))
        );
        assert_eq!(out, "");
        let v = ValueView::Double(f64::NEG_INFINITY);
        assert_eq!(v.write_json(&mut out), Err(JsonError::NonFinite("-Inf")));
        assert_eq!(
            write_json_object(
                &[
                    ("a", ValueView::Int(1)),
                    ("b", ValueView::Double(f64::INFINITY))
                ],
                &mut out
            ),
            Err(JsonError::NonFinite("+Inf"))
        );
        assert_eq!(out, "");
    }

    #[test]
    fn proto_maps_sort_keys_and_last_duplicate_wins() {
        use opentelemetry_proto::tonic::common::v1::{ArrayValue, KeyValueList};
        let kv = |k: &str, v: ProtoValue| ProtoKeyValue {
            key: k.into(),
            value: Some(ProtoAnyValue { value: Some(v) }),
            ..Default::default()
        };
        let map = ProtoAnyValue {
            value: Some(ProtoValue::KvlistValue(KeyValueList {
                values: vec![
                    kv("b", ProtoValue::IntValue(1)),
                    kv("a", ProtoValue::StringValue("x".into())),
                    kv("b", ProtoValue::IntValue(2)),
                    kv(
                        "c",
                        ProtoValue::ArrayValue(ArrayValue {
                            values: vec![ProtoAnyValue { value: None }],
                        }),
                    ),
                ],
            })),
        };
        let mut out = String::new();
        map.view().write_json(&mut out).unwrap();
        assert_eq!(out, r#"{"a":"x","b":2,"c":[null]}"#);
    }

    #[test]
    fn a_nan_replaced_by_a_later_duplicate_key_is_not_written_so_not_refused() {
        // Go (pdata AsRaw, last key wins) never sees the first "a"; found by the otlp_json fuzz target.
        use opentelemetry_proto::tonic::common::v1::KeyValueList;
        let kv = |k: &str, v: ProtoValue| ProtoKeyValue {
            key: k.into(),
            value: Some(ProtoAnyValue { value: Some(v) }),
            ..Default::default()
        };
        let map = |values| ProtoAnyValue {
            value: Some(ProtoValue::KvlistValue(KeyValueList { values })),
        };
        let shadowed = map(vec![
            kv("a", ProtoValue::DoubleValue(f64::NAN)),
            kv("a", ProtoValue::IntValue(1)),
        ]);
        let mut out = String::new();
        assert_eq!(shadowed.view().write_json(&mut out), Ok(()));
        assert_eq!(out, r#"{"a":1}"#);

        let last_is_nan = map(vec![
            kv("a", ProtoValue::IntValue(1)),
            kv("a", ProtoValue::DoubleValue(f64::INFINITY)),
        ]);
        let mut out = String::new();
        assert_eq!(
            last_is_nan.view().write_json(&mut out),
            Err(JsonError::NonFinite("+Inf"))
        );
        assert_eq!(out, "");
    }

    #[test]
    fn sort_dedup_keeps_last() {
        let mut v: Vec<Entry<'_>> = [("b", 1), ("a", 2), ("b", 3), ("a", 4), ("c", 5)]
            .into_iter()
            .zip(0u32..)
            .map(|((key, i), seq)| Entry::new(key, seq, ValueView::Int(i), true))
            .collect();
        sort_dedup_last_wins(&mut v);
        let got: Vec<(&str, i64)> = v
            .iter()
            .map(|e| match e.value {
                ValueView::Int(i) => (e.key, i),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(got, vec![("a", 4), ("b", 3), ("c", 5)]);
    }

    #[test]
    fn word_comparison_agrees_with_str() {
        let parts = [
            "",
            "a",
            "\0",
            "http.req",
            "http.request.",
            "service.",
            "\u{7f}",
            "é",
            "zz",
        ];
        let mut texts = Vec::new();
        for a in parts {
            for b in parts {
                for c in parts {
                    texts.push(format!("{a}{b}{c}"));
                }
            }
        }
        texts.push("x".repeat(80));
        texts.push(format!("{}y", "x".repeat(79)));
        for a in &texts {
            for b in &texts {
                assert_eq!(same_text(a, b), a == b, "{a:?} {b:?}");
            }
        }
    }
}
