//! The OTLP request messages as field tables, and the validator that accepts exactly what prost
//! accepts for `opentelemetry-proto`'s generated types: every key well formed, every known
//! field with its wire type, lengths inside the body, strings UTF-8, packed fixed64 lists whole,
//! unknown fields (groups included) skipped, and prost's recursion limit (100 nested messages;
//! its `DecodeContext` arithmetic, unknown fields included). It allocates nothing unless it
//! fails; the mapping then reads the body trusting its structure.

use super::wire::{END_GROUP, I32, I64, LEN, START_GROUP, VARINT, is_ascii, varint};

/// How a known field is encoded.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    /// Not a field of this message.
    Unknown,
    /// `int32`, `int64`, `uint32`, `uint64`, `sint32`, `bool`, enums.
    Varint,
    /// `fixed64`, `sfixed64`, `double`.
    Fixed64,
    /// `fixed32`.
    Fixed32,
    /// `bytes`.
    Bytes,
    /// `string` (UTF-8 checked).
    Str,
    /// A message.
    Message(&'static Message),
    /// `repeated fixed64` / `repeated double`: packed, or one value per field.
    RepeatedFixed64,
    /// `repeated uint64`: packed, or one value per field.
    RepeatedVarint,
}

/// A message type: its name and its fields, indexed by field number.
#[derive(Debug)]
pub(crate) struct Message {
    pub(crate) name: &'static str,
    /// `(name, kind)` by field number (index 0 unused).
    fields: &'static [(&'static str, Kind)],
}

impl Message {
    fn field(&self, number: u32) -> (&'static str, Kind) {
        self.fields
            .get(number as usize)
            .copied()
            .unwrap_or(("", Kind::Unknown))
    }
}

/// The kind of field `number` of `message` (for the tests' re-encoder).
#[cfg(test)]
pub(crate) fn field_kind(message: &Message, number: u32) -> Kind {
    message.field(number).1
}

const U: (&str, Kind) = ("", Kind::Unknown);

macro_rules! message {
    ($static:ident, $name:literal, [$($field:expr),* $(,)?]) => {
        pub(crate) static $static: Message = Message { name: $name, fields: &[U, $($field),*] };
    };
}

use Kind::{Bytes, Fixed32, Fixed64, Message as M, RepeatedFixed64, RepeatedVarint, Str, Varint};

// ---- common, resource ----
message!(
    ANY_VALUE,
    "AnyValue",
    [
        ("string_value", Str),
        ("bool_value", Varint),
        ("int_value", Varint),
        ("double_value", Fixed64),
        ("array_value", M(&ARRAY_VALUE)),
        ("kvlist_value", M(&KEY_VALUE_LIST)),
        ("bytes_value", Bytes),
        ("string_value_strindex", Varint),
    ]
);
message!(ARRAY_VALUE, "ArrayValue", [("values", M(&ANY_VALUE))]);
message!(KEY_VALUE_LIST, "KeyValueList", [("values", M(&KEY_VALUE))]);
message!(
    KEY_VALUE,
    "KeyValue",
    [
        ("key", Str),
        ("value", M(&ANY_VALUE)),
        ("key_strindex", Varint)
    ]
);
message!(
    SCOPE,
    "InstrumentationScope",
    [
        ("name", Str),
        ("version", Str),
        ("attributes", M(&KEY_VALUE)),
        ("dropped_attributes_count", Varint),
    ]
);
message!(
    ENTITY_REF,
    "EntityRef",
    [
        ("schema_url", Str),
        ("type", Str),
        ("id_keys", Str),
        ("description_keys", Str),
    ]
);
message!(
    RESOURCE,
    "Resource",
    [
        ("attributes", M(&KEY_VALUE)),
        ("dropped_attributes_count", Varint),
        ("entity_refs", M(&ENTITY_REF)),
    ]
);

// ---- traces ----
message!(
    TRACES_REQUEST,
    "ExportTraceServiceRequest",
    [("resource_spans", M(&RESOURCE_SPANS))]
);
message!(
    RESOURCE_SPANS,
    "ResourceSpans",
    [
        ("resource", M(&RESOURCE)),
        ("scope_spans", M(&SCOPE_SPANS)),
        ("schema_url", Str),
    ]
);
message!(
    SCOPE_SPANS,
    "ScopeSpans",
    [
        ("scope", M(&SCOPE)),
        ("spans", M(&SPAN)),
        ("schema_url", Str),
    ]
);
message!(
    SPAN,
    "Span",
    [
        ("trace_id", Bytes),
        ("span_id", Bytes),
        ("trace_state", Str),
        ("parent_span_id", Bytes),
        ("name", Str),
        ("kind", Varint),
        ("start_time_unix_nano", Fixed64),
        ("end_time_unix_nano", Fixed64),
        ("attributes", M(&KEY_VALUE)),
        ("dropped_attributes_count", Varint),
        ("events", M(&EVENT)),
        ("dropped_events_count", Varint),
        ("links", M(&LINK)),
        ("dropped_links_count", Varint),
        ("status", M(&STATUS)),
        ("flags", Fixed32),
    ]
);
message!(
    EVENT,
    "Event",
    [
        ("time_unix_nano", Fixed64),
        ("name", Str),
        ("attributes", M(&KEY_VALUE)),
        ("dropped_attributes_count", Varint),
    ]
);
message!(
    LINK,
    "Link",
    [
        ("trace_id", Bytes),
        ("span_id", Bytes),
        ("trace_state", Str),
        ("attributes", M(&KEY_VALUE)),
        ("dropped_attributes_count", Varint),
        ("flags", Fixed32),
    ]
);
message!(STATUS, "Status", [U, ("message", Str), ("code", Varint)]);

// ---- logs ----
message!(
    LOGS_REQUEST,
    "ExportLogsServiceRequest",
    [("resource_logs", M(&RESOURCE_LOGS))]
);
message!(
    RESOURCE_LOGS,
    "ResourceLogs",
    [
        ("resource", M(&RESOURCE)),
        ("scope_logs", M(&SCOPE_LOGS)),
        ("schema_url", Str),
    ]
);
message!(
    SCOPE_LOGS,
    "ScopeLogs",
    [
        ("scope", M(&SCOPE)),
        ("log_records", M(&LOG_RECORD)),
        ("schema_url", Str),
    ]
);
message!(
    LOG_RECORD,
    "LogRecord",
    [
        ("time_unix_nano", Fixed64),
        ("severity_number", Varint),
        ("severity_text", Str),
        U,
        ("body", M(&ANY_VALUE)),
        ("attributes", M(&KEY_VALUE)),
        ("dropped_attributes_count", Varint),
        ("flags", Fixed32),
        ("trace_id", Bytes),
        ("span_id", Bytes),
        ("observed_time_unix_nano", Fixed64),
        ("event_name", Str),
    ]
);

// ---- metrics ----
message!(
    METRICS_REQUEST,
    "ExportMetricsServiceRequest",
    [("resource_metrics", M(&RESOURCE_METRICS)),]
);
message!(
    RESOURCE_METRICS,
    "ResourceMetrics",
    [
        ("resource", M(&RESOURCE)),
        ("scope_metrics", M(&SCOPE_METRICS)),
        ("schema_url", Str),
    ]
);
message!(
    SCOPE_METRICS,
    "ScopeMetrics",
    [
        ("scope", M(&SCOPE)),
        ("metrics", M(&METRIC)),
        ("schema_url", Str),
    ]
);
message!(
    METRIC,
    "Metric",
    [
        ("name", Str),
        ("description", Str),
        ("unit", Str),
        U,
        ("gauge", M(&GAUGE)),
        U,
        ("sum", M(&SUM)),
        U,
        ("histogram", M(&HISTOGRAM)),
        ("exponential_histogram", M(&EXPONENTIAL_HISTOGRAM)),
        ("summary", M(&SUMMARY)),
        ("metadata", M(&KEY_VALUE)),
    ]
);
message!(GAUGE, "Gauge", [("data_points", M(&NUMBER_POINT))]);
message!(
    SUM,
    "Sum",
    [
        ("data_points", M(&NUMBER_POINT)),
        ("aggregation_temporality", Varint),
        ("is_monotonic", Varint),
    ]
);
message!(
    HISTOGRAM,
    "Histogram",
    [
        ("data_points", M(&HISTOGRAM_POINT)),
        ("aggregation_temporality", Varint),
    ]
);
message!(
    EXPONENTIAL_HISTOGRAM,
    "ExponentialHistogram",
    [
        ("data_points", M(&EXPONENTIAL_POINT)),
        ("aggregation_temporality", Varint),
    ]
);
message!(SUMMARY, "Summary", [("data_points", M(&SUMMARY_POINT))]);
message!(
    NUMBER_POINT,
    "NumberDataPoint",
    [
        U,
        ("start_time_unix_nano", Fixed64),
        ("time_unix_nano", Fixed64),
        ("as_double", Fixed64),
        ("exemplars", M(&EXEMPLAR)),
        ("as_int", Fixed64),
        ("attributes", M(&KEY_VALUE)),
        ("flags", Varint),
    ]
);
message!(
    HISTOGRAM_POINT,
    "HistogramDataPoint",
    [
        U,
        ("start_time_unix_nano", Fixed64),
        ("time_unix_nano", Fixed64),
        ("count", Fixed64),
        ("sum", Fixed64),
        ("bucket_counts", RepeatedFixed64),
        ("explicit_bounds", RepeatedFixed64),
        ("exemplars", M(&EXEMPLAR)),
        ("attributes", M(&KEY_VALUE)),
        ("flags", Varint),
        ("min", Fixed64),
        ("max", Fixed64),
    ]
);
message!(
    EXPONENTIAL_POINT,
    "ExponentialHistogramDataPoint",
    [
        ("attributes", M(&KEY_VALUE)),
        ("start_time_unix_nano", Fixed64),
        ("time_unix_nano", Fixed64),
        ("count", Fixed64),
        ("sum", Fixed64),
        ("scale", Varint),
        ("zero_count", Fixed64),
        ("positive", M(&BUCKETS)),
        ("negative", M(&BUCKETS)),
        ("flags", Varint),
        ("exemplars", M(&EXEMPLAR)),
        ("min", Fixed64),
        ("max", Fixed64),
        ("zero_threshold", Fixed64),
    ]
);
message!(
    BUCKETS,
    "Buckets",
    [("offset", Varint), ("bucket_counts", RepeatedVarint)]
);
message!(
    SUMMARY_POINT,
    "SummaryDataPoint",
    [
        U,
        ("start_time_unix_nano", Fixed64),
        ("time_unix_nano", Fixed64),
        ("count", Fixed64),
        ("sum", Fixed64),
        ("quantile_values", M(&QUANTILE)),
        ("attributes", M(&KEY_VALUE)),
        ("flags", Varint),
    ]
);
message!(
    QUANTILE,
    "ValueAtQuantile",
    [("quantile", Fixed64), ("value", Fixed64)]
);
message!(
    EXEMPLAR,
    "Exemplar",
    [
        U,
        ("time_unix_nano", Fixed64),
        ("as_double", Fixed64),
        ("span_id", Bytes),
        ("trace_id", Bytes),
        ("as_int", Fixed64),
        ("filtered_attributes", M(&KEY_VALUE)),
    ]
);

/// prost's recursion limit (`RECURSION_LIMIT`).
const RECURSION_LIMIT: u32 = 100;

/// Why a body is not a valid request: prost's message for it, where (byte offset), and the
/// fields it was in (outermost first).
///
/// Boxed: the validator returns it through every level, and the common case must stay cheap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WireError(Box<WireErrorInner>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WireErrorInner {
    pub(crate) message: String,
    pub(crate) offset: usize,
    pub(crate) path: Vec<(&'static str, &'static str)>,
}

impl std::ops::Deref for WireError {
    type Target = WireErrorInner;
    fn deref(&self) -> &WireErrorInner {
        &self.0
    }
}

impl WireError {
    #[cold]
    fn new(message: impl Into<String>, offset: usize) -> Self {
        Self(Box::new(WireErrorInner {
            message: message.into(),
            offset,
            path: Vec::new(),
        }))
    }

    #[cold]
    fn within(mut self, message: &'static str, field: &'static str) -> Self {
        self.0.path.insert(0, (message, field));
        self
    }

    pub(crate) fn into_inner(self) -> WireErrorInner {
        *self.0
    }
}

/// Whether `bytes` are UTF-8: ASCII (the common case) checked eight bytes at a time, anything
/// else by the standard library.
#[inline]
fn is_utf8(bytes: &[u8]) -> bool {
    is_ascii(bytes) || std::str::from_utf8(bytes).is_ok()
}

/// Whether unknown fields are allowed (prost skips them) or make the body fail (to tell which
/// request type a body holds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unknown {
    Skip,
    Refuse,
}

/// Validates `body` as a `message`, as prost's `Message::decode` would.
pub(crate) fn validate(
    body: &[u8],
    message: &'static Message,
    unknown: Unknown,
) -> Result<(), WireError> {
    Validator { body, unknown }.message(0, body.len(), message, RECURSION_LIMIT)
}

struct Validator<'b> {
    body: &'b [u8],
    unknown: Unknown,
}

fn wire_type_name(wire_type: u8) -> &'static str {
    match wire_type {
        VARINT => "Varint",
        I64 => "SixtyFourBit",
        LEN => "LengthDelimited",
        START_GROUP => "StartGroup",
        END_GROUP => "EndGroup",
        _ => "ThirtyTwoBit",
    }
}

/// Whether `kv` is a valid `KeyValue` of the shape every encoder writes: the key (field 1),
/// then the value (field 2) holding one string, bool, integer or double, every length in one
/// byte. Anything else goes through the general validator.
#[inline]
fn usual_key_value(kv: &[u8]) -> bool {
    let [0x0a, key_len, rest @ ..] = kv else {
        return false;
    };
    let Some((key, rest)) = split_short(rest, *key_len) else {
        return false;
    };
    let [0x12, value_len, rest @ ..] = rest else {
        return false;
    };
    let Some((value, rest)) = split_short(rest, *value_len) else {
        return false;
    };
    rest.is_empty()
        && match value {
            // All ASCII (framing included) is the common case: one check.
            [0x0a, len, text @ ..] => {
                usize::from(*len) == text.len()
                    && *len < 0x80
                    && (is_ascii(kv) || (is_utf8(key) && is_utf8(text)))
            }
            _ if !is_utf8(key) => false,
            [0x10 | 0x18, number @ ..] => {
                let mut pos = 0;
                varint(number, &mut pos).is_some() && pos == number.len()
            }
            [0x21, double @ ..] => double.len() == 8,
            _ => false,
        }
}

/// The first `len` bytes and the rest, for a one-byte length.
#[inline(always)]
fn split_short(bytes: &[u8], len: u8) -> Option<(&[u8], &[u8])> {
    (len < 0x80 && usize::from(len) <= bytes.len()).then(|| bytes.split_at(usize::from(len)))
}

#[cold]
#[inline(never)]
fn wrong_wire_type(wire_type: u8, expected: u8, at: usize) -> WireError {
    WireError::new(
        format!(
            "invalid wire type: {} (expected {})",
            wire_type_name(wire_type),
            wire_type_name(expected)
        ),
        at,
    )
}

#[cold]
#[inline(never)]
fn bad_key(key: u64, at: usize) -> WireError {
    let wire_type = key & 7;
    if key > u64::from(u32::MAX) {
        WireError::new(format!("invalid key value: {key}"), at)
    } else if wire_type > u64::from(I32) {
        WireError::new(format!("invalid wire type value: {wire_type}"), at)
    } else {
        WireError::new("invalid tag value: 0", at)
    }
}

impl Validator<'_> {
    /// The fields of `message` in `body[pos..end]`; `ctx` is prost's recursion count for them.
    fn message(
        &self,
        mut pos: usize,
        end: usize,
        message: &'static Message,
        ctx: u32,
    ) -> Result<(), WireError> {
        let body = self.body.get(..end).unwrap_or_default();
        while pos < end {
            if let Some(next) = self.usual_field(body, pos, message, ctx) {
                pos = next;
                continue;
            }
            let (number, wire_type) = self.key(&mut pos, end)?;
            let (name, kind) = message.field(number);
            self.field(&mut pos, end, number, wire_type, kind, ctx)
                .map_err(|e| match kind {
                    Kind::Unknown => e,
                    _ => e.within(message.name, name),
                })?;
        }
        Ok(())
    }

    /// The field at `pos` when it is of the usual shape (a one-byte key of a known field of
    /// the right wire type, a one-byte length or varint) and valid: where the next one starts.
    /// `None` sends it through the general path, which also says what is wrong.
    #[inline(always)]
    fn usual_field(
        &self,
        body: &[u8],
        pos: usize,
        message: &'static Message,
        ctx: u32,
    ) -> Option<usize> {
        let &key = body.get(pos)?;
        if key >= 0x80 {
            return None;
        }
        let (_, kind) = message.field(u32::from(key >> 3));
        let wire_type = key & 7;
        let at = pos + 1;
        let short_len = |body: &[u8]| {
            let &len = body.get(at)?;
            let start = at + 1;
            (len < 0x80 && start + usize::from(len) <= body.len())
                .then(|| (start, start + usize::from(len)))
        };
        match (kind, wire_type) {
            (Kind::Fixed64, I64) => (at + 8 <= body.len()).then_some(at + 8),
            (Kind::Fixed32, I32) => (at + 4 <= body.len()).then_some(at + 4),
            (Kind::Varint, VARINT) => (*body.get(at)? < 0x80).then_some(at + 1),
            (Kind::Bytes, LEN) => short_len(body).map(|(_, stop)| stop),
            (Kind::Str, LEN) => {
                let (start, stop) = short_len(body)?;
                is_utf8(&body[start..stop]).then_some(stop)
            }
            (Kind::Message(inner), LEN) if std::ptr::eq(inner, &KEY_VALUE) && ctx >= 2 => {
                let (start, stop) = short_len(body)?;
                usual_key_value(&body[start..stop]).then_some(stop)
            }
            _ => None,
        }
    }

    #[inline]
    fn key(&self, pos: &mut usize, end: usize) -> Result<(u32, u8), WireError> {
        let at = *pos;
        // One-byte keys (field numbers below 16), the common case.
        if let Some(&key) = self.body.get(at)
            && key < 0x80
            && at < end
        {
            let (number, wire_type) = (u32::from(key >> 3), key & 7);
            if number != 0 && wire_type <= I32 {
                *pos = at + 1;
                return Ok((number, wire_type));
            }
        }
        let key = self.varint(pos, end)?;
        let wire_type = (key & 7) as u8;
        let number = (key >> 3) as u32;
        if key > u64::from(u32::MAX) || wire_type > I32 || number == 0 {
            return Err(bad_key(key, at));
        }
        Ok((number, wire_type))
    }

    #[inline]
    fn varint(&self, pos: &mut usize, end: usize) -> Result<u64, WireError> {
        let at = *pos;
        match self.body.get(..end).and_then(|body| varint(body, pos)) {
            Some(value) => Ok(value),
            None => Err(WireError::new("invalid varint", at)),
        }
    }

    /// `n` more bytes, within the message.
    #[inline]
    fn take(&self, pos: &mut usize, end: usize, n: u64) -> Result<(usize, usize), WireError> {
        match usize::try_from(n).ok().and_then(|n| pos.checked_add(n)) {
            Some(stop) if stop <= end => {
                let start = *pos;
                *pos = stop;
                Ok((start, stop))
            }
            _ => Err(WireError::new("buffer underflow", *pos)),
        }
    }

    #[inline]
    fn length(&self, pos: &mut usize, end: usize) -> Result<(usize, usize), WireError> {
        let len = self.varint(pos, end)?;
        self.take(pos, end, len)
    }

    #[inline]
    fn expect(&self, wire_type: u8, expected: u8, at: usize) -> Result<(), WireError> {
        if wire_type == expected {
            return Ok(());
        }
        Err(wrong_wire_type(wire_type, expected, at))
    }

    fn field(
        &self,
        pos: &mut usize,
        end: usize,
        number: u32,
        wire_type: u8,
        kind: Kind,
        ctx: u32,
    ) -> Result<(), WireError> {
        let at = *pos;
        match kind {
            Kind::Unknown => {
                if self.unknown == Unknown::Refuse {
                    return Err(WireError::new(format!("unknown field {number}"), at));
                }
                self.skip(pos, end, number, wire_type, ctx)
            }
            Kind::Varint => {
                self.expect(wire_type, VARINT, at)?;
                self.varint(pos, end).map(drop)
            }
            Kind::Fixed64 => {
                self.expect(wire_type, I64, at)?;
                self.take(pos, end, 8).map(drop)
            }
            Kind::Fixed32 => {
                self.expect(wire_type, I32, at)?;
                self.take(pos, end, 4).map(drop)
            }
            Kind::Bytes => {
                self.expect(wire_type, LEN, at)?;
                self.length(pos, end).map(drop)
            }
            Kind::Str => {
                self.expect(wire_type, LEN, at)?;
                let (start, stop) = self.length(pos, end)?;
                if !is_utf8(&self.body[start..stop]) {
                    return Err(WireError::new(
                        "invalid string value: data is not UTF-8 encoded",
                        start,
                    ));
                }
                Ok(())
            }
            Kind::Message(message) => {
                self.expect(wire_type, LEN, at)?;
                if ctx == 0 {
                    return Err(WireError::new("recursion limit reached", at));
                }
                let (start, stop) = self.length(pos, end)?;
                // Most messages are attributes of the usual shape: checked in one go.
                if std::ptr::eq(message, &KEY_VALUE)
                    && ctx >= 2
                    && usual_key_value(&self.body[start..stop])
                {
                    return Ok(());
                }
                self.message(start, stop, message, ctx - 1)
            }
            Kind::RepeatedFixed64 if wire_type == LEN => {
                let (start, stop) = self.length(pos, end)?;
                if (stop - start) % 8 != 0 {
                    return Err(WireError::new("buffer underflow", stop));
                }
                Ok(())
            }
            Kind::RepeatedFixed64 => {
                self.expect(wire_type, I64, at)?;
                self.take(pos, end, 8).map(drop)
            }
            Kind::RepeatedVarint if wire_type == LEN => {
                let (mut start, stop) = self.length(pos, end)?;
                while start < stop {
                    let at = start;
                    varint(&self.body[..stop], &mut start)
                        .ok_or_else(|| WireError::new("delimited length exceeded", at))?;
                }
                Ok(())
            }
            Kind::RepeatedVarint => {
                self.expect(wire_type, VARINT, at)?;
                self.varint(pos, end).map(drop)
            }
        }
    }

    /// prost's `skip_field`.
    fn skip(
        &self,
        pos: &mut usize,
        end: usize,
        number: u32,
        wire_type: u8,
        ctx: u32,
    ) -> Result<(), WireError> {
        let at = *pos;
        if ctx == 0 {
            return Err(WireError::new("recursion limit reached", at));
        }
        match wire_type {
            VARINT => self.varint(pos, end).map(drop),
            I64 => self.take(pos, end, 8).map(drop),
            I32 => self.take(pos, end, 4).map(drop),
            LEN => self.length(pos, end).map(drop),
            START_GROUP => loop {
                let (inner, inner_type) = self.key(pos, end)?;
                if inner_type == END_GROUP {
                    if inner != number {
                        return Err(WireError::new("unexpected end group tag", at));
                    }
                    return Ok(());
                }
                self.skip(pos, end, inner, inner_type, ctx - 1)?;
            },
            _ => Err(WireError::new("unexpected end group tag", at)),
        }
    }
}
