//! Attribute values of every input kind, seen through one borrowed view ([`ValueView`]), and
//! their pdata `AsString` text (tag values, log bodies): this module. The other text forms the
//! schema needs are private to the crate, one file each: Go `encoding/json` (the `attributes`
//! field, `json.rs`), ES6 number text (`es6.rs`), and the key comparisons both use
//! (`keys.rs`); bytes are base64 by the `base64` crate.
//!
//! The SDK (`opentelemetry::Value`, `opentelemetry::logs::AnyValue`), the OTLP protobuf types
//! (`opentelemetry_proto` `AnyValue`) and the decoded OTLP/JSON values all implement
//! [`AttributeValue`], whose only job is to hand out a [`ValueView`]. Everything after that is
//! written once.
//!
//! Output goes to a [`TextSink`]: a `String`, or a `lineproto::StrFieldWriter` so that text is
//! written straight into a line-protocol string field without an intermediate buffer.
//!
//! The module is public for code that needs the very text the mapper writes (a trace reader
//! matching tag values or attributes, a test oracle): [`AttributeValue::append_as_string`] and
//! the [`ValueView`] it works on are part of the crate's API. The writers behind them are not.
//!
//! ```
//! use opentelemetry::{Array, Value};
//! use otlp_influx::value::AttributeValue;
//! let mut text = String::new();
//! Value::F64(1e21).append_as_string(&mut text).unwrap();
//! assert_eq!(text, "1e+21");
//!
//! // Lists and maps are their Go JSON text (HTML-escaped, as `json.Marshal`).
//! let mut json = String::new();
//! let list = Value::Array(Array::String(vec!["<&>".into(), "b".into()]));
//! list.append_as_string(&mut json).unwrap();
//! assert_eq!(json, r#"["\u003c\u0026\u003e","b"]"#);
//! ```

pub(crate) mod es6;
pub(crate) mod json;
pub(crate) mod keys;

use std::collections::HashMap;

use opentelemetry::{Array, Key, StringValue, Value, logs::AnyValue as SdkAnyValue};
use opentelemetry_proto::tonic::common::v1::{
    AnyValue as ProtoAnyValue, KeyValue as ProtoKeyValue, any_value::Value as ProtoValue,
};

use crate::decode::protobuf::wire;
use es6::write_es6_float;
use json::{Chunked, write_json_unchecked};

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

/// Why a value has no JSON form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonError {
    /// Go `encoding/json` refuses NaN and infinities (`json: unsupported value: NaN`).
    #[error("json: unsupported value: {0}")]
    NonFinite(&'static str),
}

/// A borrowed view of one attribute value, whatever its source type.
///
/// `#[non_exhaustive]`: OTLP's `AnyValue` has grown before (the profiles string-table index),
/// so a match on a view needs a wildcard arm.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
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
    /// An OTLP protobuf `ArrayValue` message, read in place from the request body.
    Wire(&'a [u8]),
}

impl<'a> ArrayView<'a> {
    /// An `ArrayValue` message in a (validated) protobuf body.
    pub(crate) fn wire(message: &'a [u8]) -> Self {
        Self(ArrayRepr::Wire(message))
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
            ArrayRepr::Wire(m) => wire::messages(m, 1).count(),
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
            ArrayRepr::Wire(m) => match wire::messages(m, 1).nth(index) {
                Some(value) => wire::any_value(value),
                None => panic!("index {index} out of bounds"),
            },
        }
    }

    /// The elements in order.
    pub fn iter(&self) -> impl Iterator<Item = ValueView<'a>> + '_ {
        // In place protobuf is read once, front to back; the other sources by index.
        let (indexed, wire) = match self.0 {
            ArrayRepr::Wire(m) => (0, Some(wire::messages(m, 1).map(wire::any_value))),
            _ => (self.len(), None),
        };
        (0..indexed)
            .map(|i| self.get(i))
            .chain(wire.into_iter().flatten())
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
    /// An OTLP protobuf `KeyValueList` message, read in place (ordered, like `Proto`).
    Wire(&'a [u8]),
}

impl<'a> MapView<'a> {
    /// A `KeyValueList` message in a (validated) protobuf body.
    pub(crate) fn wire(message: &'a [u8]) -> Self {
        Self(MapRepr::Wire(message))
    }

    /// Number of entries (duplicates included).
    pub fn len(&self) -> usize {
        match self.0 {
            MapRepr::SdkAny(m) => m.len(),
            MapRepr::Proto(kvs) => kvs.len(),
            #[cfg(feature = "json")]
            MapRepr::Json(kvs) => kvs.len(),
            MapRepr::Wire(m) => wire::messages(m, 1).count(),
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
            MapRepr::Wire(_) => {
                let mut keys = self.iter().map(|(key, _)| key);
                let mut previous = keys.next();
                keys.all(|key| {
                    let ascending = previous.is_some_and(|p| p < key);
                    previous = Some(key);
                    ascending
                })
            }
        }
    }

    /// The entries, in source order.
    pub fn iter(&self) -> MapIter<'a> {
        MapIter(match self.0 {
            MapRepr::SdkAny(m) => MapIterRepr::SdkAny(m.iter()),
            MapRepr::Proto(kvs) => MapIterRepr::Proto(kvs.iter()),
            #[cfg(feature = "json")]
            MapRepr::Json(kvs) => MapIterRepr::Json(kvs.iter()),
            MapRepr::Wire(m) => MapIterRepr::Wire(wire::Fields::new(m)),
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
    Wire(wire::Fields<'a>),
}

impl<'a> Iterator for MapIter<'a> {
    type Item = (&'a str, ValueView<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            MapIterRepr::SdkAny(it) => it.next().map(|(k, v)| (k.as_str(), v.view())),
            MapIterRepr::Proto(it) => it.next().map(|kv| (kv.key.as_str(), kv.value.view())),
            #[cfg(feature = "json")]
            MapIterRepr::Json(it) => it.next().map(|kv| (&*kv.key, kv.value.view())),
            MapIterRepr::Wire(fields) => fields
                .find(|(number, _)| *number == 1)
                .map(|(_, kv)| wire::key_value(kv.bytes())),
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

#[cfg(feature = "json")]
impl AttributeValue for crate::decode::json::AnyValue<'_> {
    fn view(&self) -> ValueView<'_> {
        match self {
            Self::Empty => ValueView::Empty,
            Self::Str(s) => ValueView::Str(s),
            Self::Bool(b) => ValueView::Bool(*b),
            Self::Int(i) => ValueView::Int(*i),
            Self::Double(f) => ValueView::Double(*f),
            Self::Bytes(b) => ValueView::Bytes(b),
            Self::Array(values) => ValueView::Array(ArrayView(ArrayRepr::Json(values))),
            Self::Map(entries) => ValueView::Map(MapView(MapRepr::Json(entries))),
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
    /// strings raw, `true`/`false`, decimal integers, ES6 number text for doubles (shortest
    /// round-trip digits, plain decimal unless `|f| < 1e-6` or `|f| >= 1e21`: `1e+21`, `1e-7`;
    /// NaN and infinities as `NaN`/`Infinity`/`-Infinity`, as pdata >= 1.57), base64 bytes (padded),
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
    pub(crate) fn write_json(&self, out: &mut impl TextSink) -> Result<(), JsonError> {
        check_finite(self)?;
        write_json_unchecked(*self, &mut Chunked::new(out));
        Ok(())
    }
}

pub(crate) fn check_finite(v: &ValueView<'_>) -> Result<(), JsonError> {
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

/// Writes `bytes` as standard, padded base64 (Go `base64.StdEncoding`), in stack-sized chunks.
pub(crate) fn write_base64(bytes: &[u8], out: &mut impl TextSink) {
    use base64::Engine as _;
    let mut buf = [0u8; 256];
    // 192 bytes make exactly 256 characters, without padding until the last chunk.
    for block in bytes.chunks(192) {
        let len = base64::engine::general_purpose::STANDARD
            .encode_slice(block, &mut buf)
            .unwrap_or_default();
        out.push_str(std::str::from_utf8(&buf[..len]).unwrap_or_default());
    }
}

#[cfg(test)]
mod tests {
    use super::json::write_json_object;
    use super::*;

    fn as_string(v: impl AttributeValue) -> String {
        let mut out = String::new();
        v.append_as_string(&mut out).unwrap();
        out
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
}
