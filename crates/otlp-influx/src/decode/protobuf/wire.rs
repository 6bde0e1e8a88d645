//! Protobuf wire format, read in place: varints, keys, and the fields of a message as borrowed
//! slices of the request body. Used on bodies the validator (`schema.rs`) has accepted, so the
//! readers here never meet malformed data; they still stop (never panic) if they do.

use crate::value::ValueView;

/// Field wire types.
pub(crate) const VARINT: u8 = 0;
pub(crate) const I64: u8 = 1;
pub(crate) const LEN: u8 = 2;
pub(crate) const START_GROUP: u8 = 3;
pub(crate) const END_GROUP: u8 = 4;
pub(crate) const I32: u8 = 5;

/// Reads a varint at `*pos`, as prost does: at most 10 bytes, the 10th at most 1 (no overflow of
/// `u64`); `None` when it is malformed or cut short.
#[inline]
pub(crate) fn varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let &first = buf.get(*pos)?;
    if first < 0x80 {
        *pos += 1;
        return Some(u64::from(first));
    }
    varint_long(buf, pos)
}

#[inline(never)]
fn varint_long(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for count in 0..10 {
        let &byte = buf.get(*pos + count)?;
        value |= u64::from(byte & 0x7f) << (7 * count);
        if byte < 0x80 {
            if count == 9 && byte >= 0x02 {
                return None;
            }
            *pos += count + 1;
            return Some(value);
        }
    }
    None
}

/// A field's value, as its wire type carries it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value<'b> {
    Varint(u64),
    I64(u64),
    /// A fixed32 (only `flags` fields, which the schema does not read; the tests' re-encoder
    /// does).
    #[cfg_attr(not(test), allow(dead_code))]
    I32(u32),
    Len(&'b [u8]),
}

impl<'b> Value<'b> {
    /// The bytes of a length-delimited field (empty otherwise).
    #[inline]
    pub(crate) fn bytes(self) -> &'b [u8] {
        match self {
            Self::Len(b) => b,
            _ => &[],
        }
    }

    /// A string field (validated as UTF-8 before mapping; `""` otherwise).
    #[inline]
    pub(crate) fn str(self) -> &'b str {
        std::str::from_utf8(self.bytes()).unwrap_or_default()
    }

    /// A varint field.
    #[inline]
    pub(crate) fn u64(self) -> u64 {
        match self {
            Self::Varint(v) => v,
            _ => 0,
        }
    }

    /// A fixed64 / double / sfixed64 field's 8 bytes.
    #[inline]
    pub(crate) fn fixed64(self) -> u64 {
        match self {
            Self::I64(v) => v,
            _ => 0,
        }
    }

    /// A `double` field.
    #[inline]
    pub(crate) fn f64(self) -> f64 {
        f64::from_bits(self.fixed64())
    }

    /// An `int32` or enum field: the varint cut to 32 bits, as prost does.
    #[inline]
    pub(crate) fn i32(self) -> i32 {
        self.u64() as i32
    }

    /// A `uint32` field.
    #[inline]
    pub(crate) fn u32(self) -> u32 {
        self.u64() as u32
    }

    /// A `sint32` field (zigzag).
    #[inline]
    pub(crate) fn sint32(self) -> i32 {
        let n = self.u64() as u32;
        ((n >> 1) as i32) ^ -((n & 1) as i32)
    }
}

/// The fields of a message, in order: `(field number, value)`. Groups (only ever unknown
/// fields) are skipped.
#[derive(Debug, Clone)]
pub(crate) struct Fields<'b> {
    buf: &'b [u8],
    pos: usize,
}

impl<'b> Fields<'b> {
    #[inline]
    pub(crate) fn new(buf: &'b [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// The byte offset of the next field in the message.
    #[inline]
    pub(crate) fn offset(&self) -> usize {
        self.pos
    }
}

impl<'b> Iterator for Fields<'b> {
    type Item = (u32, Value<'b>);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        // A one-byte key (field numbers below 16) and short lengths and varints: most fields.
        let buf = self.buf;
        let pos = self.pos;
        if let Some(&key) = buf.get(pos)
            && key < 0x80
        {
            let number = u32::from(key >> 3);
            let at = pos + 1;
            match key & 7 {
                LEN => {
                    if let Some(&len) = buf.get(at)
                        && len < 0x80
                        && let Some(bytes) = buf.get(at + 1..at + 1 + usize::from(len))
                    {
                        self.pos = at + 1 + usize::from(len);
                        return Some((number, Value::Len(bytes)));
                    }
                    if let Some(&[low, high]) = buf.get(at..at + 2)
                        && low >= 0x80
                        && high < 0x80
                    {
                        let len = usize::from(low & 0x7f) | usize::from(high) << 7;
                        if let Some(bytes) = buf.get(at + 2..at + 2 + len) {
                            self.pos = at + 2 + len;
                            return Some((number, Value::Len(bytes)));
                        }
                    }
                }
                VARINT => {
                    if let Some(&byte) = buf.get(at)
                        && byte < 0x80
                    {
                        self.pos = at + 1;
                        return Some((number, Value::Varint(u64::from(byte))));
                    }
                }
                I64 => {
                    if let Some(bytes) = buf.get(at..at + 8) {
                        self.pos = at + 8;
                        let word = u64::from_le_bytes(bytes.try_into().unwrap_or_default());
                        return Some((number, Value::I64(word)));
                    }
                }
                _ => {}
            }
        }
        self.next_general()
    }
}

impl<'b> Fields<'b> {
    fn next_general(&mut self) -> Option<(u32, Value<'b>)> {
        loop {
            if self.pos >= self.buf.len() {
                return None;
            }
            let key = varint(self.buf, &mut self.pos)?;
            let number = (key >> 3) as u32;
            let value = match (key & 7) as u8 {
                VARINT => Value::Varint(varint(self.buf, &mut self.pos)?),
                I64 => {
                    let bytes = self.buf.get(self.pos..self.pos + 8)?;
                    self.pos += 8;
                    Value::I64(u64::from_le_bytes(bytes.try_into().ok()?))
                }
                LEN => {
                    let len = usize::try_from(varint(self.buf, &mut self.pos)?).ok()?;
                    let bytes = self.buf.get(self.pos..self.pos.checked_add(len)?)?;
                    self.pos += len;
                    Value::Len(bytes)
                }
                I32 => {
                    let bytes = self.buf.get(self.pos..self.pos + 4)?;
                    self.pos += 4;
                    Value::I32(u32::from_le_bytes(bytes.try_into().ok()?))
                }
                START_GROUP => {
                    skip_group(self.buf, &mut self.pos, number, 0)?;
                    continue;
                }
                _ => return None,
            };
            return Some((number, value));
        }
    }
}

/// Skips a group's fields up to its end tag (the validator bounded the depth).
fn skip_group(buf: &[u8], pos: &mut usize, number: u32, depth: u32) -> Option<()> {
    if depth > 100 {
        return None;
    }
    loop {
        let key = varint(buf, pos)?;
        let inner = (key >> 3) as u32;
        match (key & 7) as u8 {
            VARINT => {
                varint(buf, pos)?;
            }
            I64 => *pos = pos.checked_add(8).filter(|&p| p <= buf.len())?,
            LEN => {
                let len = usize::try_from(varint(buf, pos)?).ok()?;
                *pos = pos.checked_add(len).filter(|&p| p <= buf.len())?;
            }
            I32 => *pos = pos.checked_add(4).filter(|&p| p <= buf.len())?,
            START_GROUP => skip_group(buf, pos, inner, depth + 1)?,
            END_GROUP if inner == number => return Some(()),
            _ => return None,
        }
    }
}

/// The values of field `number` in a message, in order.
#[inline]
pub(crate) fn repeated(buf: &[u8], number: u32) -> impl Iterator<Item = Value<'_>> + Clone {
    Fields::new(buf).filter_map(move |(n, v)| (n == number).then_some(v))
}

/// The length-delimited values of field `number` (messages, strings) in a message, in order.
#[inline]
pub(crate) fn messages(buf: &[u8], number: u32) -> impl Iterator<Item = &[u8]> + Clone {
    repeated(buf, number).map(Value::bytes)
}

/// Where the strings of a run of fields come from: a stretch of the run known to be text
/// (ASCII, checked as UTF-8 once), each string a slice of it. A string past the stretch starts
/// a new one there (binary values, integers and doubles, end a stretch). Attribute keys and
/// values are most of a span's strings, and checking them one by one costs more than reading
/// them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Text<'b> {
    run: &'b [u8],
    /// A checked stretch of `run`.
    text: &'b str,
}

impl<'b> Text<'b> {
    /// Strings of `run` (nothing checked yet).
    #[inline]
    pub(crate) fn new(run: &'b [u8]) -> Self {
        Self { run, text: "" }
    }

    /// `part` (a string field's bytes, inside the run or not) as text.
    #[inline(always)]
    fn str(&mut self, part: &'b [u8]) -> &'b str {
        let offset = (part.as_ptr() as usize).wrapping_sub(self.text.as_ptr() as usize);
        // Inside the checked stretch (ASCII: every offset is a character boundary).
        if offset <= self.text.len() && part.len() <= self.text.len() - offset {
            return self
                .text
                .get(offset..offset + part.len())
                .unwrap_or_default();
        }
        self.restart(part)
    }

    /// Checks the stretch that starts at `part` (or `part` alone, if it is not in the run).
    #[inline(never)]
    fn restart(&mut self, part: &'b [u8]) -> &'b str {
        let offset = (part.as_ptr() as usize).wrapping_sub(self.run.as_ptr() as usize);
        let Some(rest) = self
            .run
            .get(offset..)
            .filter(|rest| part.len() <= rest.len())
        else {
            return std::str::from_utf8(part).unwrap_or_default();
        };
        let ascii = ascii_prefix(rest);
        if ascii < part.len() {
            // Not ASCII: the string alone.
            return std::str::from_utf8(part).unwrap_or_default();
        }
        self.text = std::str::from_utf8(&rest[..ascii]).unwrap_or_default();
        self.text.get(..part.len()).unwrap_or_default()
    }
}

/// Whether every byte is ASCII, eight at a time (the last word overlapping the one before).
#[inline]
pub(crate) fn is_ascii(bytes: &[u8]) -> bool {
    let word = |w: &[u8]| u64::from_le_bytes(w.try_into().unwrap_or_default());
    let high = match bytes.last_chunk::<8>() {
        Some(last) => {
            let mut high = u64::from_le_bytes(*last);
            for w in bytes.chunks_exact(8) {
                high |= word(w);
            }
            high
        }
        None => bytes.iter().fold(0, |high, &b| high | u64::from(b)),
    };
    high & 0x8080_8080_8080_8080 == 0
}

/// An attribute (`KeyValue` message): its key and value, as prost reads them: the last key
/// wins; a value given twice is merged, its last member set wins.
#[inline]
pub(crate) fn key_value(kv: &[u8]) -> (&str, ValueView<'_>) {
    key_value_in(kv, &mut Text::new(kv))
}

/// [`key_value`], its strings taken from `region` when it holds them.
#[inline]
fn key_value_in<'b>(kv: &'b [u8], text: &mut Text<'b>) -> (&'b str, ValueView<'b>) {
    // What every encoder writes: the key (field 1), then the value (field 2), nothing else.
    if let Some((key, rest)) = short_field(kv, 0x0a)
        && let Some((value, rest)) = short_field(rest, 0x12)
        && rest.is_empty()
    {
        let key = text.str(key);
        // A string value, the common case, without the general member reader.
        if let Some((string, tail)) = short_field(value, 0x0a)
            && tail.is_empty()
        {
            return (key, ValueView::Str(text.str(string)));
        }
        return (key, any_value_in(value, text));
    }
    let mut key = "";
    let mut value = ValueView::Empty;
    for (number, field) in Fields::new(kv) {
        match number {
            1 => key = text.str(field.bytes()),
            2 => {
                if let Some(member) = any_value_member(field.bytes(), text) {
                    value = member;
                }
            }
            _ => {}
        }
    }
    (key, value)
}

/// An `AnyValue` message as a [`ValueView`] (no member set: no value).
#[inline]
pub(crate) fn any_value(bytes: &[u8]) -> ValueView<'_> {
    any_value_in(bytes, &mut Text::new(bytes))
}

#[inline]
fn any_value_in<'b>(bytes: &'b [u8], text: &mut Text<'b>) -> ValueView<'b> {
    any_value_member(bytes, text).unwrap_or(ValueView::Empty)
}

/// The last member of an `AnyValue`'s oneof that is set, if any (string-table indexes,
/// meaningful only in profiles, read as no value).
#[inline]
pub(crate) fn any_value_member<'b>(bytes: &'b [u8], text: &mut Text<'b>) -> Option<ValueView<'b>> {
    // A string alone, the common case.
    if let Some((string, rest)) = short_field(bytes, 0x0a)
        && rest.is_empty()
    {
        return Some(ValueView::Str(text.str(string)));
    }
    let mut value = None;
    for (number, field) in Fields::new(bytes) {
        value = Some(match number {
            1 => ValueView::Str(text.str(field.bytes())),
            2 => ValueView::Bool(field.u64() != 0),
            3 => ValueView::Int(field.u64() as i64),
            4 => ValueView::Double(field.f64()),
            5 => ValueView::Array(crate::value::ArrayView::wire(field.bytes())),
            6 => ValueView::Map(crate::value::MapView::wire(field.bytes())),
            7 => ValueView::Bytes(field.bytes()),
            8 => ValueView::Empty,
            _ => continue,
        });
    }
    value
}

/// A length-delimited field with the one-byte key `key` and a one-byte length at the start of
/// `bytes`: its content and what follows. `None` otherwise (the general reader takes over).
#[inline(always)]
fn short_field(bytes: &[u8], key: u8) -> Option<(&[u8], &[u8])> {
    match bytes {
        [k, len, rest @ ..] if *k == key && *len < 0x80 && usize::from(*len) <= rest.len() => {
            Some(rest.split_at(usize::from(*len)))
        }
        _ => None,
    }
}

/// The attributes (`KeyValue`s of field `number`) of a message.
#[inline]
pub(crate) fn attributes(
    message: &[u8],
    number: u32,
) -> impl Iterator<Item = (&str, ValueView<'_>)> + Clone {
    attributes_in(message, number)
}

/// Where some fields of a message lie: from the start of the first to the end of the last
/// (other fields may be in between), as byte offsets in the message; noted while reading it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Run {
    start: usize,
    end: usize,
}

impl Run {
    /// Takes in the field at `start..end`.
    #[inline]
    pub(crate) fn cover(&mut self, start: usize, end: usize) {
        if self.end == 0 {
            self.start = start;
        }
        self.end = end;
    }

    /// The bytes of the run's fields in `message`.
    #[inline]
    pub(crate) fn of(self, message: &[u8]) -> &[u8] {
        message.get(self.start..self.end).unwrap_or_default()
    }
}

/// The attributes of field `number` in a run of a message's fields: only those bytes are read,
/// and the ASCII stretches between binary values (integers, doubles) are checked as UTF-8 at
/// once, each string then taken as a slice of them.
#[inline]
pub(crate) fn attributes_in(run: &[u8], number: u32) -> RunAttributes<'_> {
    RunAttributes {
        fields: Fields::new(run),
        number,
        text: Text::new(run),
    }
}

/// Iterator of [`attributes_in`].
#[derive(Debug, Clone)]
pub(crate) struct RunAttributes<'b> {
    fields: Fields<'b>,
    number: u32,
    text: Text<'b>,
}

impl<'b> Iterator for RunAttributes<'b> {
    type Item = (&'b str, ValueView<'b>);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (number, value) = self.fields.next()?;
            if number == self.number {
                return Some(key_value_in(value.bytes(), &mut self.text));
            }
        }
    }
}

/// The length of the ASCII start of `bytes`, eight bytes at a time.
#[inline]
fn ascii_prefix(bytes: &[u8]) -> usize {
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        let high = u64::from_le_bytes(word.try_into().unwrap_or_default()) & 0x8080_8080_8080_8080;
        if high != 0 {
            return at + (high.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at + words
        .remainder()
        .iter()
        .position(|b| *b >= 0x80)
        .unwrap_or(words.remainder().len())
}

/// The values of a repeated `fixed64`/`double` field, packed or not, in order.
pub(crate) fn packed_fixed64(message: &[u8], number: u32) -> impl Iterator<Item = u64> + '_ {
    repeated(message, number).flat_map(|value| {
        let (single, packed) = match value {
            Value::Len(bytes) => (None, bytes),
            Value::I64(v) => (Some(v), &[][..]),
            _ => (None, &[][..]),
        };
        single.into_iter().chain(
            packed
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default())),
        )
    })
}

/// The values of a repeated varint field, packed or not, in order.
pub(crate) fn packed_varint(message: &[u8], number: u32) -> impl Iterator<Item = u64> + '_ {
    repeated(message, number).flat_map(|value| {
        let (single, packed) = match value {
            Value::Len(bytes) => (None, bytes),
            Value::Varint(v) => (Some(v), &[][..]),
            _ => (None, &[][..]),
        };
        let mut pos = 0;
        single
            .into_iter()
            .chain(std::iter::from_fn(move || varint(packed, &mut pos)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(mut value: u64) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            if value < 0x80 {
                out.push(value as u8);
                return out;
            }
            out.push((value as u8) | 0x80);
            value >>= 7;
        }
    }

    #[test]
    fn varints_read_as_prost_reads_them() {
        for value in [0, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            let bytes = encode(value);
            let mut pos = 0;
            assert_eq!(varint(&bytes, &mut pos), Some(value));
            assert_eq!(pos, bytes.len());
        }
        // Redundant continuation bytes are fine; an eleventh byte or a tenth above 1 is not.
        let mut pos = 0;
        assert_eq!(varint(&[0x80, 0x00], &mut pos), Some(0));
        let mut long = vec![0xff; 9];
        long.push(0x02);
        assert_eq!(varint(&long, &mut 0), None);
        assert_eq!(varint(&[0x80; 11], &mut 0), None);
        assert_eq!(varint(&[0x80, 0x80], &mut 0), None);
        assert_eq!(varint(&[], &mut 0), None);
    }

    #[test]
    fn fields_skip_groups_and_read_every_wire_type() {
        // 1: varint 150; 2: "hi"; 3: group { 1: varint 1 }; 4: fixed32; 5: fixed64.
        let mut msg = vec![
            0x08, 0x96, 0x01, 0x12, 2, b'h', b'i', 0x1b, 0x08, 0x01, 0x1c,
        ];
        msg.extend([0x25, 1, 0, 0, 0, 0x29, 2, 0, 0, 0, 0, 0, 0, 0]);
        let fields: Vec<_> = Fields::new(&msg)
            .map(|(n, v)| (n, format!("{v:?}")))
            .collect();
        assert_eq!(
            fields,
            [
                (1, "Varint(150)".to_owned()),
                (2, "Len([104, 105])".to_owned()),
                (4, "I32(1)".to_owned()),
                (5, "I64(2)".to_owned()),
            ]
        );
        let packed = [0x0a, 3, 1, 0x96, 0x01, 0x08, 7];
        assert_eq!(packed_varint(&packed, 1).collect::<Vec<_>>(), [1, 150, 7]);
    }
}
