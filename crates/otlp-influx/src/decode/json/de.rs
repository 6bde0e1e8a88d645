//! The serde glue of the OTLP/JSON decoder: every value is read with `deserialize_any` into a
//! type that says what it accepts ([`Decode`]). A value of the wrong kind is consumed (so the
//! parse goes on) and becomes [`Bad`]: a semantic problem, noted with its JSON path, that the
//! nearest enclosing unit which can be left out (an attribute, an event, a span...) absorbs.
//! Only syntax errors are serde errors, and they end the whole request.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::marker::PhantomData;

use serde::Deserializer;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::DropReason;
use crate::report::MAX_MESSAGES;

/// A value that could not be decoded (the problem is noted in the [`Ctx`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bad;

/// A decoded value, or [`Bad`].
pub(crate) type Decoded<T> = Result<T, Bad>;

/// One step of a JSON path.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Seg {
    Field(&'static str),
    Index(usize),
}

/// A problem absorbed by some unit of the request, to be counted when the request is mapped.
#[derive(Debug)]
pub(crate) struct Problem {
    pub(crate) reason: DropReason,
    /// `path: what is wrong`; only the first few problems keep their text (a report keeps no
    /// more).
    pub(crate) message: Option<String>,
}

/// The decoding context: where the parse is, and the problems found so far.
#[derive(Debug, Default)]
pub(crate) struct Ctx {
    pub(crate) path: Vec<Seg>,
    /// The problem of the value being decoded, not absorbed yet.
    pending: Option<String>,
    pub(crate) problems: Vec<Problem>,
}

impl Ctx {
    /// The current path, e.g. `resourceSpans[0].scopeSpans[1].spans[3].traceId`.
    pub(crate) fn path_text(&self) -> String {
        let mut text = String::new();
        for seg in &self.path {
            match seg {
                Seg::Field(name) => {
                    if !text.is_empty() {
                        text.push('.');
                    }
                    text.push_str(name);
                }
                Seg::Index(i) => {
                    let _ = write!(text, "[{i}]");
                }
            }
        }
        text
    }

    /// `path: what` (or `what` at the top).
    fn message(&self, what: impl FnOnce() -> String) -> String {
        let path = self.path_text();
        if path.is_empty() {
            what()
        } else {
            format!("{path}: {}", what())
        }
    }

    /// Notes that the value at the current path is not what it should be.
    pub(crate) fn bad(&mut self, what: impl FnOnce() -> String) -> Bad {
        if self.pending.is_none() && self.problems.len() < MAX_MESSAGES {
            self.pending = Some(self.message(what));
        }
        Bad
    }

    /// The problem of a value that was read, noted, and then found wrong where it is (counted
    /// with `reason` right away).
    pub(crate) fn problem(&mut self, reason: DropReason, what: impl FnOnce() -> String) {
        let message = (self.problems.len() < MAX_MESSAGES).then(|| self.message(what));
        self.problems.push(Problem { reason, message });
    }

    /// The problem noted for the value just read, not absorbed by any unit (the whole request's).
    pub(crate) fn take_pending(&mut self) -> Option<String> {
        self.pending.take()
    }

    /// A value of the wrong kind: `expected` and what was `found`.
    pub(crate) fn mismatch(&mut self, expected: &str, found: Found<'_>) -> Bad {
        self.bad(|| format!("expected {expected}, found {found}"))
    }

    /// Decodes a unit that is left out alone when it cannot be decoded: its problem is counted
    /// with `reason`, and the problems of the units around it are kept apart.
    pub(crate) fn absorbing<T: MaybeBad, E>(
        &mut self,
        reason: DropReason,
        decode: impl FnOnce(&mut Self) -> Result<T, E>,
    ) -> Result<T, E> {
        let outer = self.pending.take();
        let result = decode(self)?;
        if result.is_bad() {
            let message = self.pending.take();
            self.problems.push(Problem { reason, message });
        }
        self.pending = outer;
        Ok(result)
    }

    /// Decodes the value of object field `name` as a `T` (the path says where).
    pub(crate) fn field<'de, A: MapAccess<'de>, T: Decode<'de>>(
        &mut self,
        map: &mut A,
        name: &'static str,
    ) -> Result<Decoded<T>, A::Error> {
        self.path.push(Seg::Field(name));
        let value = map.next_value_seed(Seed::<T>::new(self))?;
        self.path.pop();
        Ok(value)
    }

    /// Decodes array element `index` as a `T`; `None` after the last one.
    pub(crate) fn element<'de, A: SeqAccess<'de>, T: Decode<'de>>(
        &mut self,
        seq: &mut A,
        index: usize,
    ) -> Result<Option<Decoded<T>>, A::Error> {
        self.path.push(Seg::Index(index));
        let value = seq.next_element_seed(Seed::<T>::new(self))?;
        self.path.pop();
        Ok(value)
    }
}

/// A decoding result that may be [`Bad`].
pub(crate) trait MaybeBad {
    fn is_bad(&self) -> bool;
}

impl<T> MaybeBad for Decoded<T> {
    fn is_bad(&self) -> bool {
        self.is_err()
    }
}

impl<T> MaybeBad for Option<Decoded<T>> {
    fn is_bad(&self) -> bool {
        matches!(self, Some(Err(Bad)))
    }
}

/// The kind of a JSON value that was found instead of the expected one.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Found<'a> {
    Str(&'a str),
    Number,
    Bool,
    Array,
    Object,
}

impl fmt::Display for Found<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Str(s) if s.len() <= 40 => write!(f, "the string {s:?}"),
            Self::Str(_) => f.write_str("a string"),
            Self::Number => f.write_str("a number"),
            Self::Bool => f.write_str("a boolean"),
            Self::Array => f.write_str("an array"),
            Self::Object => f.write_str("an object"),
        }
    }
}

/// A type an OTLP/JSON value decodes into. Each method handles one kind of JSON value; the
/// defaults refuse it (consuming arrays and objects, so that the parse goes on). `null` is an
/// absent field: the default value.
pub(crate) trait Decode<'de>: Sized + Default {
    /// What the value must be, for messages (`a string`, `an object`).
    const EXPECTED: &'static str;

    fn from_str(_: Cow<'de, str>, found: Found<'_>, ctx: &mut Ctx) -> Decoded<Self> {
        Err(ctx.mismatch(Self::EXPECTED, found))
    }
    fn from_u64(_: u64, ctx: &mut Ctx) -> Decoded<Self> {
        Err(ctx.mismatch(Self::EXPECTED, Found::Number))
    }
    fn from_i64(_: i64, ctx: &mut Ctx) -> Decoded<Self> {
        Err(ctx.mismatch(Self::EXPECTED, Found::Number))
    }
    fn from_f64(_: f64, ctx: &mut Ctx) -> Decoded<Self> {
        Err(ctx.mismatch(Self::EXPECTED, Found::Number))
    }
    fn from_bool(_: bool, ctx: &mut Ctx) -> Decoded<Self> {
        Err(ctx.mismatch(Self::EXPECTED, Found::Bool))
    }
    fn from_seq<A: SeqAccess<'de>>(mut seq: A, ctx: &mut Ctx) -> Result<Decoded<Self>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Err(ctx.mismatch(Self::EXPECTED, Found::Array)))
    }
    fn from_map<A: MapAccess<'de>>(map: A, ctx: &mut Ctx) -> Result<Decoded<Self>, A::Error> {
        skip_map(map)?;
        Ok(Err(ctx.mismatch(Self::EXPECTED, Found::Object)))
    }
}

/// Consumes the rest of an object.
pub(crate) fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_key::<IgnoredAny>()?.is_some() {
        map.next_value::<IgnoredAny>()?;
    }
    Ok(())
}

/// Reads one value as a `T` (see [`Decode`]).
pub(crate) struct Seed<'c, T> {
    ctx: &'c mut Ctx,
    target: PhantomData<T>,
}

impl<'c, T> Seed<'c, T> {
    pub(crate) fn new(ctx: &'c mut Ctx) -> Self {
        Self {
            ctx,
            target: PhantomData,
        }
    }
}

impl<'de, T: Decode<'de>> DeserializeSeed<'de> for Seed<'_, T> {
    type Value = Decoded<T>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, T: Decode<'de>> Visitor<'de> for Seed<'_, T> {
    type Value = Decoded<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTED)
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(T::from_str(Cow::Borrowed(v), Found::Str(v), self.ctx))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        // A string with escapes: serde_json hands out a transient copy.
        Ok(T::from_str(
            Cow::Owned(v.to_owned()),
            Found::Str(v),
            self.ctx,
        ))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(T::from_u64(v, self.ctx))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(T::from_i64(v, self.ctx))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(T::from_f64(v, self.ctx))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(T::from_bool(v, self.ctx))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Ok(T::default()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        T::from_seq(seq, self.ctx)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::from_map(map, self.ctx)
    }
}

/// An object key, matched against a field table without copying it.
pub(crate) struct KeySeed<'t, F: Copy> {
    pub(crate) fields: &'t [(&'static str, &'static str, F)],
}

/// What an object key names: a known field (by its lowerCamelCase or snake_case name), or
/// something else (ignored).
pub(crate) fn field_of<F: Copy>(
    fields: &[(&'static str, &'static str, F)],
    key: &str,
) -> Option<F> {
    fields
        .iter()
        .find(|(camel, snake, _)| key == *camel || key == *snake)
        .map(|&(_, _, field)| field)
}

impl<'de, F: Copy> DeserializeSeed<'de> for KeySeed<'_, F> {
    type Value = Option<F>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de, F: Copy> Visitor<'de> for KeySeed<'_, F> {
    type Value = Option<F>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E>(self, key: &str) -> Result<Self::Value, E> {
        Ok(field_of(self.fields, key))
    }
}

/// Reads the keys of an object, calling `on_field` with each known field (which must read its
/// value, e.g. with [`Ctx::field`]); unknown fields are skipped.
pub(crate) fn for_each_field<'de, A: MapAccess<'de>, F: Copy>(
    mut map: A,
    fields: &[(&'static str, &'static str, F)],
    ctx: &mut Ctx,
    mut on_field: impl FnMut(F, &mut A, &mut Ctx) -> Result<(), A::Error>,
) -> Result<(), A::Error> {
    while let Some(field) = map.next_key_seed(KeySeed { fields })? {
        match field {
            Some(field) => on_field(field, &mut map, ctx)?,
            None => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(())
}

// ---- Scalars ----

/// Reads a `T` the way the proto3 JSON mapping writes integers: a number, or a decimal string.
fn integer<T: TryFrom<i128>>(
    text_or_number: Result<&str, f64>,
    expected: &str,
    found: Found<'_>,
    ctx: &mut Ctx,
) -> Decoded<T> {
    let wide: Option<i128> = match text_or_number {
        Ok(text) => text.parse::<i128>().ok().or_else(|| {
            // `1e3`, `12.0`: accepted when the number is a whole one (as protojson does).
            looks_numeric(text)
                .then(|| text.parse::<f64>().ok())
                .flatten()
                .and_then(whole)
        }),
        Err(number) => whole(number),
    };
    match wide.and_then(|v| T::try_from(v).ok()) {
        Some(v) => Ok(v),
        None => Err(ctx.mismatch(expected, found)),
    }
}

/// A double with no fraction, within ±2^64, as an integer.
fn whole(f: f64) -> Option<i128> {
    (f.fract() == 0.0 && f.abs() <= 18_446_744_073_709_551_616.0).then_some(f as i128)
}

/// Whether `text` is made of JSON number characters (so that Rust's `parse` does not accept
/// `inf` or `NaN` spelled in ways proto3 JSON does not).
fn looks_numeric(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
}

macro_rules! integer_type {
    ($name:ident, $inner:ty, $expected:literal) => {
        #[doc = concat!("A `", stringify!($inner), "` field: a number or a decimal string.")]
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub(crate) struct $name(pub(crate) $inner);

        impl<'de> Decode<'de> for $name {
            const EXPECTED: &'static str = $expected;

            fn from_str(v: Cow<'de, str>, found: Found<'_>, ctx: &mut Ctx) -> Decoded<Self> {
                integer(Ok(&v), Self::EXPECTED, found, ctx).map(Self)
            }
            fn from_u64(v: u64, ctx: &mut Ctx) -> Decoded<Self> {
                <$inner>::try_from(v)
                    .map(Self)
                    .map_err(|_| ctx.mismatch(Self::EXPECTED, Found::Number))
            }
            fn from_i64(v: i64, ctx: &mut Ctx) -> Decoded<Self> {
                <$inner>::try_from(v)
                    .map(Self)
                    .map_err(|_| ctx.mismatch(Self::EXPECTED, Found::Number))
            }
            fn from_f64(v: f64, ctx: &mut Ctx) -> Decoded<Self> {
                integer(Err(v), Self::EXPECTED, Found::Number, ctx).map(Self)
            }
        }
    };
}

integer_type!(U64, u64, "an unsigned 64-bit integer");
integer_type!(I64, i64, "a 64-bit integer");
integer_type!(U32, u32, "an unsigned 32-bit integer");
integer_type!(I32, i32, "a 32-bit integer");

/// A `double` field: a number, `"NaN"`, `"Infinity"`, `"-Infinity"`, or a numeric string.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct F64(pub(crate) f64);

impl<'de> Decode<'de> for F64 {
    const EXPECTED: &'static str = "a number (or \"NaN\", \"Infinity\", \"-Infinity\")";

    fn from_str(v: Cow<'de, str>, found: Found<'_>, ctx: &mut Ctx) -> Decoded<Self> {
        match &*v {
            "NaN" => Ok(Self(f64::NAN)),
            "Infinity" => Ok(Self(f64::INFINITY)),
            "-Infinity" => Ok(Self(f64::NEG_INFINITY)),
            text if looks_numeric(text) => match text.parse() {
                Ok(f) => Ok(Self(f)),
                Err(_) => Err(ctx.mismatch(Self::EXPECTED, found)),
            },
            _ => Err(ctx.mismatch(Self::EXPECTED, found)),
        }
    }
    fn from_u64(v: u64, _: &mut Ctx) -> Decoded<Self> {
        Ok(Self(v as f64))
    }
    fn from_i64(v: i64, _: &mut Ctx) -> Decoded<Self> {
        Ok(Self(v as f64))
    }
    fn from_f64(v: f64, _: &mut Ctx) -> Decoded<Self> {
        Ok(Self(v))
    }
}

/// A `bool` field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Bool(pub(crate) bool);

impl<'de> Decode<'de> for Bool {
    const EXPECTED: &'static str = "true or false";

    fn from_bool(v: bool, _: &mut Ctx) -> Decoded<Self> {
        Ok(Self(v))
    }
}

/// A `string` field, borrowed from the body unless it holds escapes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Str<'de>(pub(crate) Cow<'de, str>);

impl<'de> Decode<'de> for Str<'de> {
    const EXPECTED: &'static str = "a string";

    fn from_str(v: Cow<'de, str>, _: Found<'_>, _: &mut Ctx) -> Decoded<Self> {
        Ok(Self(v))
    }
}

/// A trace or span id: `N` bytes as `2N` hex digits (OTLP/JSON's rule, not base64); `""` is no
/// id (all zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HexId<const N: usize>(pub(crate) [u8; N]);

impl<const N: usize> Default for HexId<N> {
    fn default() -> Self {
        Self([0; N])
    }
}

impl<'de, const N: usize> Decode<'de> for HexId<N> {
    const EXPECTED: &'static str = if N == 16 {
        "a trace id of 32 hex digits"
    } else {
        "a span id of 16 hex digits"
    };

    fn from_str(v: Cow<'de, str>, found: Found<'_>, ctx: &mut Ctx) -> Decoded<Self> {
        let text = v.as_bytes();
        if text.is_empty() {
            return Ok(Self::default());
        }
        let mut id = [0; N];
        let digit = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
        if text.len() == 2 * N {
            for (byte, pair) in id.iter_mut().zip(text.chunks_exact(2)) {
                match (digit(pair[0]), digit(pair[1])) {
                    (Some(hi), Some(lo)) => *byte = hi << 4 | lo,
                    _ => return Err(ctx.mismatch(Self::EXPECTED, found)),
                }
            }
            return Ok(Self(id));
        }
        Err(ctx.mismatch(Self::EXPECTED, found))
    }
}

/// A `bytes` field: standard or URL-safe base64, padded or not (proto3 JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Bytes(pub(crate) Vec<u8>);

impl<'de> Decode<'de> for Bytes {
    const EXPECTED: &'static str = "base64 text";

    fn from_str(v: Cow<'de, str>, found: Found<'_>, ctx: &mut Ctx) -> Decoded<Self> {
        use base64::Engine as _;
        use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
        const CONFIG: GeneralPurposeConfig =
            GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
        const STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, CONFIG);
        const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, CONFIG);
        let engine = if v.contains(['-', '_']) {
            &URL_SAFE
        } else {
            &STANDARD
        };
        engine
            .decode(v.as_bytes())
            .map(Self)
            .map_err(|_| ctx.mismatch(Self::EXPECTED, found))
    }
}

/// An enum field: its number, or its name (`SPAN_KIND_SERVER`), as `from_name` reads it.
pub(crate) trait EnumNames {
    const EXPECTED: &'static str;
    fn from_name(name: &str) -> Option<i32>;
}

/// An enum field of the names `E`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Enum<E>(pub(crate) i32, PhantomData<E>);

impl<E> Default for Enum<E> {
    fn default() -> Self {
        Self(0, PhantomData)
    }
}

impl<'de, E: EnumNames> Decode<'de> for Enum<E> {
    const EXPECTED: &'static str = E::EXPECTED;

    fn from_str(v: Cow<'de, str>, found: Found<'_>, ctx: &mut Ctx) -> Decoded<Self> {
        match E::from_name(&v) {
            Some(n) => Ok(Self(n, PhantomData)),
            None => Err(ctx.mismatch(Self::EXPECTED, found)),
        }
    }
    fn from_u64(v: u64, ctx: &mut Ctx) -> Decoded<Self> {
        I32::from_u64(v, ctx).map(|n| Self(n.0, PhantomData))
    }
    fn from_i64(v: i64, ctx: &mut Ctx) -> Decoded<Self> {
        I32::from_i64(v, ctx).map(|n| Self(n.0, PhantomData))
    }
    fn from_f64(v: f64, ctx: &mut Ctx) -> Decoded<Self> {
        I32::from_f64(v, ctx).map(|n| Self(n.0, PhantomData))
    }
}

/// A list of `T` where one bad element makes the whole list bad (nested values).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct List<T>(pub(crate) Vec<T>);

impl<T> Default for List<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<'de, T: Decode<'de>> Decode<'de> for List<T> {
    const EXPECTED: &'static str = "an array";

    fn from_seq<A: SeqAccess<'de>>(mut seq: A, ctx: &mut Ctx) -> Result<Decoded<Self>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        let mut bad = false;
        while let Some(item) = ctx.element::<A, T>(&mut seq, items.len())? {
            match item {
                Ok(item) => items.push(item),
                Err(Bad) => {
                    bad = true;
                    // Keep counting the positions for the paths of later problems.
                    items.push(T::default());
                }
            }
        }
        Ok(if bad { Err(Bad) } else { Ok(Self(items)) })
    }
}

/// A list of `T` where each bad element is left out alone and counted with `R`'s reason.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Isolated<T, R> {
    pub(crate) items: Vec<T>,
    /// How many elements were left out.
    pub(crate) left_out: u32,
    reason: PhantomData<R>,
}

impl<T, R> Default for Isolated<T, R> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            left_out: 0,
            reason: PhantomData,
        }
    }
}

/// The drop reason of the elements an [`Isolated`] list leaves out.
pub(crate) trait Reason {
    const REASON: DropReason;
}

/// Elements counted as [`DropReason::UndecodableValue`] (attributes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ValueReason;
impl Reason for ValueReason {
    const REASON: DropReason = DropReason::UndecodableValue;
}

/// Elements counted as [`DropReason::UndecodableItem`] (events, links, exemplars).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ItemReason;
impl Reason for ItemReason {
    const REASON: DropReason = DropReason::UndecodableItem;
}

impl<'de, T: Decode<'de>, R: Reason> Decode<'de> for Isolated<T, R> {
    const EXPECTED: &'static str = "an array";

    fn from_seq<A: SeqAccess<'de>>(mut seq: A, ctx: &mut Ctx) -> Result<Decoded<Self>, A::Error> {
        let mut list = Self::default();
        list.items.reserve(seq.size_hint().unwrap_or(0));
        for index in 0.. {
            let item = ctx.absorbing(R::REASON, |ctx| ctx.element::<A, T>(&mut seq, index))?;
            match item {
                None => break,
                Some(Ok(item)) => list.items.push(item),
                Some(Err(Bad)) => list.left_out += 1,
            }
        }
        Ok(Ok(list))
    }
}

/// Where a decoded item's problem went: an item that could not be decoded is kept as
/// `Undecodable`, so that it is counted as received and rejected.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) enum Item<T> {
    Decoded(T),
    #[default]
    Undecodable,
}

/// A list of items (spans, log records, data points): each bad one is counted as
/// [`DropReason::UndecodableItem`] and kept as [`Item::Undecodable`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Items<T>(pub(crate) Vec<Item<T>>);

impl<T> Default for Items<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<'de, T: Decode<'de>> Decode<'de> for Items<T> {
    const EXPECTED: &'static str = "an array";

    fn from_seq<A: SeqAccess<'de>>(mut seq: A, ctx: &mut Ctx) -> Result<Decoded<Self>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        loop {
            let index = items.len();
            let item = ctx.absorbing(DropReason::UndecodableItem, |ctx| {
                ctx.element::<A, T>(&mut seq, index)
            })?;
            match item {
                None => break,
                Some(Ok(item)) => items.push(Item::Decoded(item)),
                Some(Err(Bad)) => items.push(Item::Undecodable),
            }
        }
        Ok(Ok(Self(items)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode<T: for<'de> Decode<'de>>(json: &str) -> (Decoded<T>, Ctx) {
        let mut ctx = Ctx::default();
        let mut de = serde_json::Deserializer::from_str(json);
        let value = Seed::<T>::new(&mut ctx).deserialize(&mut de).unwrap();
        de.end().unwrap();
        (value, ctx)
    }

    #[test]
    fn integers_are_numbers_or_decimal_strings() {
        assert_eq!(
            decode::<U64>("\"18446744073709551615\"").0,
            Ok(U64(u64::MAX))
        );
        assert_eq!(decode::<U64>("18446744073709551615").0, Ok(U64(u64::MAX)));
        assert_eq!(decode::<U64>("1e3").0, Ok(U64(1000)));
        assert_eq!(decode::<U64>("\"12.0\"").0, Ok(U64(12)));
        assert_eq!(
            decode::<I64>("\"-9223372036854775808\"").0,
            Ok(I64(i64::MIN))
        );
        assert_eq!(decode::<I64>("-5").0, Ok(I64(-5)));
        assert_eq!(decode::<U64>("null").0, Ok(U64(0)));
        for bad in [
            "-1", "\"-1\"", "1.5", "\"x\"", "\"\"", "true", "[]", "{}", "1e30",
        ] {
            let (value, ctx) = decode::<U64>(bad);
            assert_eq!(value, Err(Bad), "{bad}");
            assert!(
                ctx.pending
                    .as_deref()
                    .unwrap()
                    .contains("expected an unsigned 64-bit integer"),
                "{:?}",
                ctx.pending
            );
        }
        assert_eq!(decode::<I64>("9223372036854775808").0, Err(Bad));
        assert_eq!(decode::<U32>("4294967296").0, Err(Bad));
        assert_eq!(decode::<I32>("\"-2147483648\"").0, Ok(I32(i32::MIN)));
    }

    #[test]
    fn doubles_take_the_proto3_special_names_only() {
        assert_eq!(decode::<F64>("1.5").0, Ok(F64(1.5)));
        assert_eq!(decode::<F64>("\"1.5\"").0, Ok(F64(1.5)));
        assert_eq!(decode::<F64>("3").0, Ok(F64(3.0)));
        assert!(decode::<F64>("\"NaN\"").0.unwrap().0.is_nan());
        assert_eq!(decode::<F64>("\"Infinity\"").0, Ok(F64(f64::INFINITY)));
        assert_eq!(decode::<F64>("\"-Infinity\"").0, Ok(F64(f64::NEG_INFINITY)));
        for bad in [
            "\"nan\"",
            "\"inf\"",
            "\"infinity\"",
            "\"+Infinity\"",
            "\"\"",
            "true",
        ] {
            assert_eq!(decode::<F64>(bad).0, Err(Bad), "{bad}");
        }
        // Correctly rounded (serde_json's float_roundtrip).
        let tricky = "0.30000000000000004";
        assert_eq!(
            decode::<F64>(tricky).0.unwrap().0.to_bits(),
            (0.1f64 + 0.2).to_bits()
        );
    }

    #[test]
    fn ids_are_hex_and_bytes_base64() {
        assert_eq!(
            decode::<HexId<8>>("\"00F067aa0ba902b7\"").0,
            Ok(HexId([0, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]))
        );
        assert_eq!(decode::<HexId<8>>("\"\"").0, Ok(HexId([0; 8])));
        let (value, ctx) = decode::<HexId<16>>("\"AAECAwQFBgcICQoLDA0ODw==\"");
        assert_eq!(value, Err(Bad));
        assert!(ctx.pending.unwrap().contains("a trace id of 32 hex digits"));
        assert_eq!(decode::<HexId<8>>("\"00f067aa0ba902bx\"").0, Err(Bad));
        assert_eq!(decode::<Bytes>("\"aGk=\"").0, Ok(Bytes(b"hi".to_vec())));
        assert_eq!(decode::<Bytes>("\"aGk\"").0, Ok(Bytes(b"hi".to_vec())));
        assert_eq!(decode::<Bytes>("\"-_8\"").0, Ok(Bytes(vec![0xfb, 0xff])));
        assert_eq!(decode::<Bytes>("\"+/8=\"").0, Ok(Bytes(vec![0xfb, 0xff])));
        assert_eq!(decode::<Bytes>("\"a\"").0, Err(Bad));
    }

    #[test]
    fn isolated_lists_leave_out_bad_elements_and_count_them() {
        let (value, ctx) = decode::<Isolated<U64, ValueReason>>("[1, \"x\", 3, [4], 5]");
        let list = value.unwrap();
        assert_eq!(list.items, [U64(1), U64(3), U64(5)]);
        assert_eq!(list.left_out, 2);
        assert_eq!(ctx.problems.len(), 2);
        assert_eq!(
            ctx.problems[0].message.as_deref(),
            Some("[1]: expected an unsigned 64-bit integer, found the string \"x\"")
        );
        assert_eq!(
            ctx.problems[1].message.as_deref(),
            Some("[3]: expected an unsigned 64-bit integer, found an array")
        );
        // One bad element spoils a plain list.
        assert_eq!(decode::<List<U64>>("[1, \"x\"]").0, Err(Bad));
    }
}
