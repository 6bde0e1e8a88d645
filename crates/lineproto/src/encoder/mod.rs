//! The [`Encoder`]: appends validated, escaped lines to a reused buffer.

use std::cmp::Ordering;
use std::ops::Range;

use crate::copy::{append, append_framed};
use crate::error::{LineError, NameError, NameKind};
use crate::escape::{
    BackslashRule, NameContext, ScanError, escape_name, escape_string_value, is_plain_name_now,
};
use crate::float::write_float;
use crate::hex::push_hex;
use crate::int::{append_i64, append_u64};
use crate::lines::Lines;
use crate::name::{AsName, key_prefix};
use crate::nested::{EscapedText, NestedEscapes, escape_char, escape_nested};
use crate::options::{Dialect, EncoderOptions, NonFinite, TagOrder};

mod template;

pub use template::{LineTemplate, TemplateError, TemplatedLine};

/// A field value of any line-protocol type, for code that maps values dynamically. Line
/// protocol has exactly these five types, so the enum is exhaustive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldValue<'a> {
    /// Signed integer, written `-3i`.
    I64(i64),
    /// Unsigned integer, written `7u` (`7i` for [`Dialect::InfluxDbV1`]).
    U64(u64),
    /// Float, written per [`FloatFormat`](crate::FloatFormat).
    F64(f64),
    /// Boolean, written `true`/`false`.
    Bool(bool),
    /// String, written quoted with `"` and `\` escaped.
    Str(&'a str),
}

impl From<i64> for FieldValue<'_> {
    fn from(value: i64) -> Self {
        Self::I64(value)
    }
}

impl From<u64> for FieldValue<'_> {
    fn from(value: u64) -> Self {
        Self::U64(value)
    }
}

impl From<f64> for FieldValue<'_> {
    fn from(value: f64) -> Self {
        Self::F64(value)
    }
}

impl From<bool> for FieldValue<'_> {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

impl<'a> From<&'a str> for FieldValue<'a> {
    fn from(value: &'a str) -> Self {
        Self::Str(value)
    }
}

/// A tag value on its way into the line.
#[derive(Debug, Clone, Copy)]
enum TagValue<'v> {
    /// Text, checked and escaped.
    Text(&'v str),
    /// Bytes written as lowercase hex (nothing to check but that there are some).
    Hex(&'v [u8]),
}

/// Cumulative counters of an [`Encoder`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EncoderStats {
    /// Lines committed.
    pub lines: u64,
    /// Lines refused (`end_line` returned an error); cancelled lines are not counted.
    pub rejected_lines: u64,
    /// NaN/inf float fields skipped under [`NonFinite::Skip`].
    pub skipped_non_finite: u64,
}

/// Where the line being built stands; decides which calls are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    /// No line open: only `start_line` is allowed.
    Idle,
    /// Measurement written, tags may follow.
    Tags,
    /// At least one field written (or skipped as NaN): more fields or `end_line`.
    Fields,
    /// The line has an error; every call is a no-op until `end_line`/`cancel_line`.
    Failed,
}

/// A tag buffered for [`TagOrder::Sorted`]: ranges into `SortedTags::text`.
#[derive(Debug, Clone)]
struct TagSlot {
    /// The key's first 8 bytes, big-endian, zero-padded: orders like the key itself (keys hold no
    /// zero byte), so most comparisons are one integer compare.
    prefix: u64,
    /// The raw key (sort key).
    key: Range<usize>,
    /// The escaped `,key=value` to write (its start also records call order).
    segment: Range<usize>,
}

/// Reused scratch space for sorting tags; it only grows, so steady state never allocates.
///
/// Tags are written straight into the line at their place in key order (few and short: moving a
/// new one before the ones that sort after it is a small rotate, and none at all when they come
/// sorted, the usual case); only their offsets are noted, in `in_line`. A key that needs escaping
/// moves them all here (its raw key is the sort key), and sorting takes over.
#[derive(Debug, Default)]
struct SortedTags {
    text: Vec<u8>,
    slots: Vec<TagSlot>,
    /// Whether the line's tags so far are in the line itself, sorted (else in `text`).
    in_order: bool,
    /// For each tag written into the line: where its `,` and its key's end are, relative to the
    /// line's start (so `Encoder::clear` moving the open line does not invalidate them).
    in_line: Vec<(usize, usize)>,
    /// [`key_prefix`] of the last key in `in_line`: a key with a greater prefix sorts after it
    /// without comparing the keys.
    last_prefix: u64,
}

impl SortedTags {
    fn clear(&mut self) {
        self.text.clear();
        self.slots.clear();
        self.in_line.clear();
        self.in_order = true;
    }

    /// Moves the tags written into the line (from `line_start` in `buf`) to `text` as slots.
    #[cold]
    fn take_from_line(&mut self, buf: &mut Vec<u8>, line_start: usize) {
        self.in_order = false;
        let Some(&(first, _)) = self.in_line.first() else {
            return;
        };
        let first = line_start + first;
        self.text.extend_from_slice(&buf[first..]);
        for (i, &(start, key_end)) in self.in_line.iter().enumerate() {
            let end = self
                .in_line
                .get(i + 1)
                .map_or(buf.len(), |&(next, _)| line_start + next);
            let (start, key_end, end) = (
                line_start + start - first,
                line_start + key_end - first,
                end - first,
            );
            // Keys in the line were written unescaped: the key in the segment is the raw key.
            let key = start + 1..key_end;
            self.slots.push(TagSlot {
                prefix: key_prefix(&self.text[key.clone()]),
                key,
                segment: start..end,
            });
        }
        buf.truncate(first);
    }

    /// Sorts by key (stable, so for equal keys the later one comes last), writes each key's last
    /// value to `out`, returns how many tags were written.
    fn write_sorted(&mut self, out: &mut Vec<u8>) -> usize {
        let text = &self.text;
        // Slots are pushed in call order and their ranges ascend, so `segment.start` breaks
        // ties: an unstable sort (never allocates) then behaves as a stable one.
        self.slots.sort_unstable_by(|a, b| {
            a.prefix
                .cmp(&b.prefix)
                .then_with(|| text[a.key.clone()].cmp(&text[b.key.clone()]))
                .then(a.segment.start.cmp(&b.segment.start))
        });
        let mut written = 0;
        for (i, slot) in self.slots.iter().enumerate() {
            let superseded = self.slots.get(i + 1).is_some_and(|next| {
                next.prefix == slot.prefix && text[next.key.clone()] == text[slot.key.clone()]
            });
            if !superseded {
                out.extend_from_slice(&text[slot.segment.clone()]);
                written += 1;
            }
        }
        written
    }
}

/// Encodes lines into a reused buffer.
///
/// Calls per line: [`start_line`](Self::start_line), [`tag`](Self::tag)*, `field_*`+,
/// [`end_line`](Self::end_line). The order is checked at run time. The first error of a line
/// sticks (later calls on that line are no-ops); `end_line` returns it and rolls the line back,
/// so [`as_bytes`](Self::as_bytes) only ever holds whole valid lines and the next line can follow.
///
/// ```
/// use lineproto::{Dialect, Encoder, EncoderOptions, LineError};
/// let mut encoder = Encoder::new(EncoderOptions::new(Dialect::InfluxDbV1));
/// encoder.start_line("cpu").tag("host", "a b").field_u64("n", 7).field_f64("load", 0.5);
/// encoder.end_line(Some(1_700_000_000_000_000_000)).unwrap();
///
/// encoder.start_line("cpu").tag("host", "a").field_u64("n", u64::MAX);
/// assert!(matches!(encoder.end_line(None), Err(LineError::UnsignedOutOfRange { .. })));
///
/// assert_eq!(encoder.as_bytes(), b"cpu,host=a\\ b n=7i,load=0.5 1700000000000000000\n");
/// assert_eq!(encoder.stats().rejected_lines, 1);
/// ```
#[derive(Debug)]
pub struct Encoder {
    buf: Vec<u8>,
    line_ends: Vec<usize>,
    options: EncoderOptions,
    backslash: BackslashRule,
    /// Offset of the line being built (the rollback point).
    line_start: usize,
    section: Section,
    /// Tags counted on the open line (checked for [`LineError::NoTags`]).
    tags_on_line: usize,
    /// Fields written on the open line (skipped NaNs do not count).
    fields_on_line: usize,
    error: Option<LineError>,
    sorted_tags: SortedTags,
    stats: EncoderStats,
}

impl Default for Encoder {
    fn default() -> Self {
        Self::new(EncoderOptions::default())
    }
}

impl Encoder {
    /// An encoder with an empty buffer.
    pub fn new(options: EncoderOptions) -> Self {
        Self::with_buffer(Vec::new(), options)
    }

    /// An encoder writing into `buf`, which is cleared (its capacity is kept).
    pub fn with_buffer(mut buf: Vec<u8>, options: EncoderOptions) -> Self {
        buf.clear();
        Self {
            buf,
            line_ends: Vec::new(),
            options,
            backslash: BackslashRule::for_dialect(options.dialect),
            line_start: 0,
            section: Section::Idle,
            tags_on_line: 0,
            fields_on_line: 0,
            error: None,
            sorted_tags: SortedTags::default(),
            stats: EncoderStats::default(),
        }
    }

    /// The options this encoder was made with.
    pub fn options(&self) -> &EncoderOptions {
        &self.options
    }

    /// Records the first error of the line; later calls on the line become no-ops.
    #[cold]
    fn fail(&mut self, error: LineError) {
        if self.section == Section::Idle {
            // A call without an open line: open an empty failed one so `end_line` reports it.
            self.line_start = self.buf.len();
        }
        self.section = Section::Failed;
        self.error.get_or_insert(error);
    }

    /// Writes a name escaped; maps a scan error to the line error for `what`. A name known to be
    /// plain ([`AsName::is_plain`]) or found plain at once is copied as is.
    #[inline(always)]
    fn write_name(&mut self, name: &str, plain: bool, what: NameKind) -> bool {
        let bytes = name.as_bytes();
        let plain = plain
            || (is_plain_name_now(bytes) && (what != NameKind::Measurement || bytes[0] != b'#'));
        // `time` is a reserved key for InfluxDB 1.x.
        let reserved = what != NameKind::Measurement
            && self.options.dialect == Dialect::InfluxDbV1
            && name == "time";
        if plain && !reserved {
            let out = match (what, self.options.tag_order) {
                (NameKind::TagKey, TagOrder::Sorted) if !self.sorted_tags.in_order => {
                    &mut self.sorted_tags.text
                }
                _ => &mut self.buf,
            };
            append(out, bytes);
            return true;
        }
        self.write_name_escaped(name, reserved, what)
    }

    /// Writes `before`, a tag or field key and `=` ([`write_name`](Self::write_name) with its
    /// frame: one capacity check for all three when the key is plain).
    #[inline(always)]
    fn write_key(&mut self, key: &str, plain: bool, what: NameKind, before: u8) -> bool {
        let bytes = key.as_bytes();
        let plain = plain || is_plain_name_now(bytes);
        // `time` is a reserved key for InfluxDB 1.x.
        let reserved = self.options.dialect == Dialect::InfluxDbV1 && key == "time";
        let to_text = what == NameKind::TagKey
            && self.options.tag_order == TagOrder::Sorted
            && !self.sorted_tags.in_order;
        let out = if to_text {
            &mut self.sorted_tags.text
        } else {
            &mut self.buf
        };
        if plain && !reserved {
            append_framed(out, before, bytes, b'=');
            return true;
        }
        out.push(before);
        let ok = self.write_name_escaped(key, reserved, what);
        let out = if to_text {
            &mut self.sorted_tags.text
        } else {
            &mut self.buf
        };
        out.push(b'=');
        ok
    }

    /// [`write_name`](Self::write_name) for names to escape or check further (or refuse).
    #[inline(never)]
    fn write_name_escaped(&mut self, name: &str, reserved: bool, what: NameKind) -> bool {
        let context = match what {
            NameKind::Measurement => NameContext::Measurement,
            NameKind::TagKey => NameContext::TagKeyOrValue,
            NameKind::FieldKey => NameContext::FieldKey,
        };
        let out = match (what, self.options.tag_order) {
            (NameKind::TagKey, TagOrder::Sorted) if !self.sorted_tags.in_order => {
                &mut self.sorted_tags.text
            }
            _ => &mut self.buf,
        };
        let result = if reserved {
            Err(ScanError::Invalid(NameError::Reserved))
        } else {
            escape_name(out, name, context, self.backslash)
        };
        match result {
            Ok(()) => true,
            Err(error) => {
                self.fail(match error {
                    ScanError::Invalid(source) => LineError::InvalidName {
                        what,
                        name: name.to_owned(),
                        source,
                    },
                    ScanError::AmbiguousBackslash => LineError::AmbiguousBackslash {
                        key: name.to_owned(),
                    },
                });
                false
            }
        }
    }

    /// Starts a line with `measurement`.
    ///
    /// Calling it while a line is open is an error of the open line
    /// ([`LineError::OutOfOrder`]); end or cancel the line first.
    pub fn start_line<'a>(&mut self, measurement: impl AsName<'a>) -> &mut Self {
        match self.section {
            Section::Idle => {}
            Section::Failed => return self,
            Section::Tags | Section::Fields => {
                self.fail(LineError::OutOfOrder { call: "start_line" });
                return self;
            }
        }
        let plain = measurement.is_plain();
        let table_name_ok =
            self.options.dialect != Dialect::Datalayers || measurement.is_datalayers_table_name();
        let measurement = measurement.name_str();
        self.line_start = self.buf.len();
        self.tags_on_line = 0;
        self.fields_on_line = 0;
        self.sorted_tags.clear();
        self.section = Section::Tags;
        if self.write_name(measurement, plain, NameKind::Measurement) && !table_name_ok {
            self.fail(LineError::InvalidMeasurementForDialect {
                name: measurement.to_owned(),
                dialect: self.options.dialect,
            });
        }
        self
    }

    /// Adds a tag. Allowed after `start_line`, before the first field.
    ///
    /// The value must be non-empty, without control bytes and without a trailing backslash
    /// ([`LineError::InvalidTagValue`]); skip empty values before calling if they may occur.
    pub fn tag<'a>(&mut self, key: impl AsName<'a>, value: &str) -> &mut Self {
        self.tag_value(key, TagValue::Text(value))
    }

    /// Adds a tag whose value is the lowercase hex of `id` (a trace or span id), written
    /// straight into the line: hex digits need no escaping, so nothing is checked but that `id`
    /// is not empty ([`LineError::InvalidTagValue`]).
    ///
    /// ```
    /// use lineproto::{Dialect, Encoder, EncoderOptions};
    /// let mut encoder = Encoder::new(EncoderOptions::new(Dialect::InfluxDbV1));
    /// encoder
    ///     .start_line("spans")
    ///     .tag_hex("span_id", &[0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7])
    ///     .field_hex("parent_span_id", &[0xab; 8]);
    /// encoder.end_line(None).unwrap();
    /// assert_eq!(
    ///     encoder.as_bytes(),
    ///     b"spans,span_id=00f067aa0ba902b7 parent_span_id=\"abababababababab\"\n"
    /// );
    /// ```
    pub fn tag_hex<'a>(&mut self, key: impl AsName<'a>, id: &[u8]) -> &mut Self {
        self.tag_value(key, TagValue::Hex(id))
    }

    fn tag_value<'a>(&mut self, key: impl AsName<'a>, value: TagValue<'_>) -> &mut Self {
        match self.section {
            Section::Tags => {}
            Section::Failed => return self,
            Section::Idle | Section::Fields => {
                self.fail(LineError::OutOfOrder { call: "tag" });
                return self;
            }
        }
        let plain = key.is_plain();
        let key = key.name_str();
        let sorted = self.options.tag_order == TagOrder::Sorted;
        if sorted && self.sorted_tags.in_order {
            if self.tag_in_line(key, plain, value) {
                return self;
            }
            self.sorted_tags
                .take_from_line(&mut self.buf, self.line_start);
        }
        let out = if sorted {
            &mut self.sorted_tags.text
        } else {
            &mut self.buf
        };
        let segment_start = out.len();
        if !self.write_key(key, plain, NameKind::TagKey, b',') {
            return self;
        }
        let out = if sorted {
            &mut self.sorted_tags.text
        } else {
            &mut self.buf
        };
        let key_end = out.len() - 1;
        if !self.write_tag_value(key, value) {
            return self;
        }
        if sorted {
            let text = &mut self.sorted_tags.text;
            let segment_end = text.len();
            // The sort key is the raw key: the one in the segment when escaping left it as is
            // (escaping only ever adds bytes), else a copy after the segment.
            let key_range = if key_end - (segment_start + 1) == key.len() {
                segment_start + 1..key_end
            } else {
                text.extend_from_slice(key.as_bytes());
                segment_end..text.len()
            };
            self.sorted_tags.slots.push(TagSlot {
                prefix: key_prefix(key.as_bytes()),
                key: key_range,
                segment: segment_start..segment_end,
            });
        } else {
            self.tags_on_line += 1;
        }
        self
    }

    /// Writes a tag of a [`TagOrder::Sorted`] line straight into the line, at its place in key
    /// order (a later tag with the same key replaces the earlier one). True if done (or the line
    /// failed), false if the key needs escaping: such tags go through the scratch space, where
    /// the raw key is kept for sorting.
    fn tag_in_line(&mut self, key: &str, plain: bool, value: TagValue<'_>) -> bool {
        let line_start = self.line_start;
        // Usually the new key sorts last: its first eight bytes, or one comparison, show it.
        let prefix = key_prefix(key.as_bytes());
        let in_line = &self.sorted_tags.in_line;
        let mut index = in_line.len();
        let mut replaces = false;
        let sorts_last = index == 0 || prefix > self.sorted_tags.last_prefix;
        while let Some(&(start, key_end)) = index
            .checked_sub(1)
            .and_then(|i| in_line.get(i))
            .filter(|_| !sorts_last)
        {
            match self.buf[line_start + start + 1..line_start + key_end].cmp(key.as_bytes()) {
                Ordering::Less => break,
                Ordering::Equal => {
                    replaces = true;
                    index -= 1;
                    break;
                }
                Ordering::Greater => index -= 1,
            }
        }
        let segment_start = self.buf.len();
        if !self.write_key(key, plain, NameKind::TagKey, b',') {
            return true;
        }
        if self.buf.len() - segment_start != key.len() + 2 {
            self.buf.truncate(segment_start);
            return false;
        }
        if !self.write_tag_value(key, value) {
            return true;
        }
        let in_line = &mut self.sorted_tags.in_line;
        let Some(&(at, _)) = in_line.get(index) else {
            in_line.push((
                segment_start - line_start,
                segment_start - line_start + 1 + key.len(),
            ));
            self.sorted_tags.last_prefix = prefix;
            return true;
        };
        // Move the new segment before the tags that sort after it (few, short: a small rotate).
        let new_len = self.buf.len() - segment_start;
        let old_len = if replaces {
            let old_end = in_line
                .get(index + 1)
                .map_or(segment_start - line_start, |&(next, _)| next);
            self.buf.drain(line_start + at..line_start + old_end);
            in_line.remove(index);
            old_end - at
        } else {
            0
        };
        self.buf[line_start + at..].rotate_right(new_len);
        for entry in &mut in_line[index..] {
            entry.0 = entry.0 + new_len - old_len;
            entry.1 = entry.1 + new_len - old_len;
        }
        in_line.insert(index, (at, at + 1 + key.len()));
        true
    }

    /// Writes a tag value escaped into the current tag destination; false if it failed the line.
    fn write_tag_value(&mut self, key: &str, value: TagValue<'_>) -> bool {
        let out = if self.options.tag_order == TagOrder::Sorted && !self.sorted_tags.in_order {
            &mut self.sorted_tags.text
        } else {
            &mut self.buf
        };
        let value = match value {
            TagValue::Text(text) => text,
            TagValue::Hex(id) if !id.is_empty() => {
                push_hex(out, id);
                return true;
            }
            // An empty id is an empty value: refused as such below.
            TagValue::Hex(_) => "",
        };
        match escape_name(out, value, NameContext::TagKeyOrValue, self.backslash) {
            Ok(()) => true,
            Err(error) => {
                let key = key.to_owned();
                self.fail(match error {
                    ScanError::Invalid(reason) => LineError::InvalidTagValue { key, reason },
                    ScanError::AmbiguousBackslash => LineError::AmbiguousBackslash { key },
                });
                false
            }
        }
    }

    /// Leaves the tag section: writes buffered tags, checks the dialect's tag requirement.
    fn finish_tags(&mut self) -> bool {
        if self.options.tag_order == TagOrder::Sorted && self.sorted_tags.in_order {
            self.tags_on_line = self.sorted_tags.in_line.len();
        } else if self.options.tag_order == TagOrder::Sorted {
            self.tags_on_line = self.sorted_tags.write_sorted(&mut self.buf);
        }
        if self.tags_on_line == 0 && self.options.dialect == Dialect::Datalayers {
            self.fail(LineError::NoTags);
            return false;
        }
        true
    }

    /// Checks that a field may come now, leaving the tag section on the first field call
    /// (written or skipped). False if the line failed (now or before).
    #[inline]
    fn enter_fields(&mut self) -> bool {
        match self.section {
            Section::Fields => true,
            Section::Tags => {
                let ok = self.finish_tags();
                if ok {
                    self.section = Section::Fields;
                }
                ok
            }
            Section::Failed => false,
            Section::Idle => {
                self.fail(LineError::OutOfOrder { call: "field" });
                false
            }
        }
    }

    /// Writes the separator, the escaped key and `=`. False if the key is invalid.
    #[inline]
    fn write_field_key(&mut self, key: &str, plain: bool) -> bool {
        let separator = if self.fields_on_line == 0 { b' ' } else { b',' };
        self.fields_on_line += 1;
        self.write_key(key, plain, NameKind::FieldKey, separator)
    }

    /// Adds a field of any type (the typed `field_*` methods call this).
    ///
    /// A NaN/inf float is skipped and counted, or fails the line, per [`NonFinite`]; an unsigned
    /// value above `i64::MAX` fails the line for [`Dialect::InfluxDbV1`].
    pub fn field<'a>(&mut self, key: impl AsName<'a>, value: FieldValue<'_>) -> &mut Self {
        if !self.enter_fields() {
            return self;
        }
        let plain = key.is_plain();
        let key = key.name_str();
        if self.field_allowed(key, value) && self.write_field_key(key, plain) {
            self.write_field_value(value);
        }
        self
    }

    /// Applies the value rules before a field is written: a NaN/inf float is skipped and
    /// counted or fails the line ([`NonFinite`]), an unsigned value the dialect cannot carry
    /// fails it. True if the field is to be written.
    #[inline]
    fn field_allowed(&mut self, key: &str, value: FieldValue<'_>) -> bool {
        match value {
            FieldValue::F64(float) if !float.is_finite() => {
                match self.options.non_finite {
                    NonFinite::Skip => self.stats.skipped_non_finite += 1,
                    NonFinite::Error => self.fail(LineError::NonFiniteFloat {
                        key: key.to_owned(),
                    }),
                }
                false
            }
            FieldValue::U64(value)
                if !self.options.dialect.supports_unsigned() && i64::try_from(value).is_err() =>
            {
                self.fail(LineError::UnsignedOutOfRange {
                    key: key.to_owned(),
                    value,
                });
                false
            }
            _ => true,
        }
    }

    /// Writes a field's value (its key and `=` are written).
    #[inline]
    fn write_field_value(&mut self, value: FieldValue<'_>) {
        let dialect = self.options.dialect;
        let buf = &mut self.buf;
        match value {
            FieldValue::I64(int) => {
                append_i64(buf, int);
                buf.push(b'i');
            }
            FieldValue::U64(unsigned) => {
                append_u64(buf, unsigned);
                buf.push(if dialect.supports_unsigned() {
                    b'u'
                } else {
                    b'i'
                });
            }
            FieldValue::F64(float) => write_float(buf, float, self.options.float_format),
            FieldValue::Bool(boolean) => {
                buf.extend_from_slice(if boolean { b"true" } else { b"false" });
            }
            FieldValue::Str(text) => {
                buf.push(b'"');
                escape_string_value(buf, text.as_bytes());
                buf.push(b'"');
            }
        }
    }

    /// Adds a signed integer field (`-3i`).
    #[inline]
    pub fn field_i64<'a>(&mut self, key: impl AsName<'a>, value: i64) -> &mut Self {
        self.field(key, FieldValue::I64(value))
    }

    /// Adds an unsigned integer field (`7u`, or `7i` for [`Dialect::InfluxDbV1`]).
    #[inline]
    pub fn field_u64<'a>(&mut self, key: impl AsName<'a>, value: u64) -> &mut Self {
        self.field(key, FieldValue::U64(value))
    }

    /// Adds a float field (see [`FloatFormat`](crate::FloatFormat) and [`NonFinite`]).
    #[inline]
    pub fn field_f64<'a>(&mut self, key: impl AsName<'a>, value: f64) -> &mut Self {
        self.field(key, FieldValue::F64(value))
    }

    /// Adds a boolean field (`true`/`false`).
    #[inline]
    pub fn field_bool<'a>(&mut self, key: impl AsName<'a>, value: bool) -> &mut Self {
        self.field(key, FieldValue::Bool(value))
    }

    /// Adds a string field; `"` and `\` are escaped, every other byte (LF, TAB, unicode) is
    /// written as is.
    #[inline]
    pub fn field_str<'a>(&mut self, key: impl AsName<'a>, value: &str) -> &mut Self {
        self.field(key, FieldValue::Str(value))
    }

    /// Adds a string field holding the lowercase hex of `id` (a trace or span id), written
    /// straight into the line (see [`Encoder::tag_hex`]).
    pub fn field_hex<'a>(&mut self, key: impl AsName<'a>, id: &[u8]) -> &mut Self {
        if !self.enter_fields() {
            return self;
        }
        let plain = key.is_plain();
        if self.write_field_key(key.name_str(), plain) {
            self.write_hex_value(id);
        }
        self
    }

    /// Writes `id` as a quoted hex string (the field's key and `=` are written).
    #[inline]
    fn write_hex_value(&mut self, id: &[u8]) {
        self.buf.push(b'"');
        push_hex(&mut self.buf, id);
        self.buf.push(b'"');
    }

    /// Adds a string field whose content is produced piecewise (e.g. a JSON document written
    /// straight into the line, no intermediate `String`): `write` gets a writer that escapes
    /// what it is given for a string field.
    ///
    /// ```
    /// use lineproto::{Dialect, Encoder, EncoderOptions};
    /// use std::fmt::Write as _;
    /// let mut encoder = Encoder::new(EncoderOptions::new(Dialect::InfluxDbV3));
    /// encoder.start_line("m").field_str_with("attributes", |w| {
    ///     w.push_str("{\"n\":");
    ///     write!(w, "{}", 42).unwrap();
    ///     w.push_char('}');
    /// });
    /// encoder.end_line(None).unwrap();
    /// assert_eq!(encoder.as_bytes(), b"m attributes=\"{\\\"n\\\":42}\"\n");
    /// ```
    pub fn field_str_with<'a>(
        &mut self,
        key: impl AsName<'a>,
        write: impl FnOnce(&mut StrFieldWriter<'_>),
    ) -> &mut Self {
        if !self.enter_fields() {
            return self;
        }
        let plain = key.is_plain();
        let key = key.name_str();
        if self.write_field_key(key, plain) {
            self.write_str_value_with(key, write);
        }
        self
    }

    /// Writes a string value produced by `write` (the field's key and `=` are written).
    fn write_str_value_with(&mut self, key: &str, write: impl FnOnce(&mut StrFieldWriter<'_>)) {
        self.buf.push(b'"');
        let mut writer = StrFieldWriter {
            start: self.buf.len(),
            out: &mut self.buf,
            raw_bytes: false,
        };
        write(&mut writer);
        let utf8_ok = !writer.raw_bytes || std::str::from_utf8(&writer.out[writer.start..]).is_ok();
        self.buf.push(b'"');
        if !utf8_ok {
            self.fail(LineError::InvalidUtf8 {
                key: key.to_owned(),
            });
        }
    }

    /// Ends the line with an optional timestamp in Unix nanoseconds (`None`: the server's time),
    /// scaled to the [`Precision`](crate::Precision) by floor division.
    ///
    /// `Ok` means the line is committed. `Err` returns the line's first error; the line was
    /// rolled back and is counted in [`EncoderStats::rejected_lines`].
    pub fn end_line(&mut self, timestamp_ns: Option<i64>) -> Result<(), LineError> {
        match self.section {
            Section::Idle => self.fail(LineError::OutOfOrder { call: "end_line" }),
            Section::Tags => {
                if self.finish_tags() {
                    self.fail(LineError::NoFields);
                }
            }
            Section::Fields if self.fields_on_line == 0 => self.fail(LineError::NoFields),
            Section::Fields | Section::Failed => {}
        }
        if self.section == Section::Failed {
            return Err(self.reject());
        }
        if let Some(timestamp) = timestamp_ns {
            self.buf.push(b' ');
            append_i64(&mut self.buf, self.options.precision.scale(timestamp));
        }
        self.buf.push(b'\n');
        self.line_ends.push(self.buf.len());
        self.section = Section::Idle;
        self.stats.lines += 1;
        Ok(())
    }

    /// Rolls back a failed line, counts it, hands out its error.
    #[cold]
    fn reject(&mut self) -> LineError {
        let error = self
            .error
            .take()
            .unwrap_or(LineError::OutOfOrder { call: "end_line" });
        self.rollback();
        self.stats.rejected_lines += 1;
        error
    }

    /// Rolls the open line back without counting an error (no-op without an open line).
    pub fn cancel_line(&mut self) {
        if self.section != Section::Idle {
            self.rollback();
        }
    }

    fn rollback(&mut self) {
        self.buf.truncate(self.line_start);
        self.section = Section::Idle;
        self.fields_on_line = 0;
        self.error = None;
    }

    /// The sticky error of the line being built, if it failed.
    pub fn line_error(&self) -> Option<&LineError> {
        self.error.as_ref()
    }

    /// The committed lines (never a partial line, even while one is being built).
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.committed_len()]
    }

    fn committed_len(&self) -> usize {
        self.line_ends.last().copied().unwrap_or(0)
    }

    /// Length of the committed lines in bytes.
    pub fn len(&self) -> usize {
        self.committed_len()
    }

    /// Whether no line is committed.
    pub fn is_empty(&self) -> bool {
        self.line_ends.is_empty()
    }

    /// Number of committed lines in the buffer.
    pub fn line_count(&self) -> usize {
        self.line_ends.len()
    }

    /// Exclusive end offset of each committed line in [`as_bytes`](Self::as_bytes). String fields
    /// may hold a raw LF, so never split the buffer on `b'\n'`; use these (or
    /// [`lines`](Self::lines)).
    pub fn line_ends(&self) -> &[usize] {
        &self.line_ends
    }

    /// The committed lines with their boundaries.
    pub fn lines(&self) -> Lines<'_> {
        Lines::new(self.as_bytes(), &self.line_ends)
    }

    /// Drops the committed lines, keeping the capacity (and a line being built, if any).
    pub fn clear(&mut self) {
        let committed = self.committed_len();
        self.buf.drain(..committed);
        // An open line starts where the committed lines end.
        self.line_start = self.line_start.saturating_sub(committed);
        self.line_ends.clear();
    }

    /// Hands the committed lines out, leaving an empty buffer (a line being built stays).
    pub fn take_buffer(&mut self) -> Vec<u8> {
        let committed = self.committed_len();
        let open = self.buf[committed..].to_vec();
        let mut taken = std::mem::replace(&mut self.buf, open);
        taken.truncate(committed);
        self.line_start = self.line_start.saturating_sub(committed);
        self.line_ends.clear();
        taken
    }

    /// Cumulative counters.
    pub fn stats(&self) -> &EncoderStats {
        &self.stats
    }
}

/// Streams the content of a string field into the line, escaping `"` and `\`
/// (see [`Encoder::field_str_with`]). Also implements [`std::fmt::Write`] and [`std::io::Write`]
/// (bytes given through `io::Write` are checked to be UTF-8 when the field ends; invalid UTF-8
/// fails the line with [`LineError::InvalidUtf8`]).
#[derive(Debug)]
pub struct StrFieldWriter<'b> {
    out: &'b mut Vec<u8>,
    /// Where the field's content starts in `out`.
    start: usize,
    /// Whether bytes came through `io::Write` (and need a UTF-8 check).
    raw_bytes: bool,
}

impl StrFieldWriter<'_> {
    /// Appends `text`, escaped.
    #[inline]
    pub fn push_str(&mut self, text: &str) {
        escape_string_value(self.out, text.as_bytes());
    }

    /// Appends one character, escaped.
    #[inline]
    pub fn push_char(&mut self, c: char) {
        escape_char(self.out, c);
    }

    /// Appends `text` in an inner format described by `escapes` (each byte through the inner
    /// format's escaping, then line protocol's, in one pass); returns how many bytes of `text`
    /// were written: all, or those before its first stop byte (see [`NestedEscapes`]).
    #[inline]
    pub fn push_nested(&mut self, text: &str, escapes: &NestedEscapes) -> usize {
        escape_nested(self.out, text.as_bytes(), escapes)
    }

    /// Appends text escaped ahead of time (see [`EscapedText`]): a plain copy.
    #[inline]
    pub fn push_escaped(&mut self, text: &EscapedText) {
        text.append_to(self.out);
    }
}

impl std::fmt::Write for StrFieldWriter<'_> {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        self.push_str(text);
        Ok(())
    }
}

impl std::io::Write for StrFieldWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.raw_bytes = true;
        escape_string_value(self.out, bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
