//! Line templates: a measurement with its tag keys and field keys checked, escaped and sorted
//! once, so that lines of that shape are written by key index: no name check, no tag sorting and
//! no key escaping per line.

use crate::copy::Block;
use crate::error::{LineError, NameError, NameKind};
use crate::escape::{Discard, NameContext, escape_name, is_plain_name};
use crate::name::{Key, Measurement};
use crate::options::Dialect;

use super::{Encoder, FieldValue, Section, StrFieldWriter, TagValue};

/// Why a [`LineTemplate`] cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// The measurement or a key is invalid (the rules of [`Measurement::new`] and
    /// [`Key::new`]).
    #[error("invalid {what} {name:?}: {source}")]
    InvalidName {
        /// Which name.
        what: NameKind,
        /// The name as given.
        name: String,
        /// Why.
        source: NameError,
    },
    /// Tag keys must be given in byte order, each once (they are written in that order).
    #[error("tag key {key:?} is not after the one before it (sorted, each once)")]
    TagsNotSorted {
        /// The first key out of order.
        key: String,
    },
}

/// The longest piece a template key keeps ready (`,`, the key, `=`).
const PIECE: usize = 32;

/// One key of a template.
#[derive(Debug, Clone)]
struct TemplateKey {
    name: String,
    /// What is written for the key when no dialect escapes or refuses it: `,key=` for a tag,
    /// `key=` for a field (after its separator). `None`: the key is written through the escaper
    /// and the dialect's checks on every line (it needs escaping, is long, or is `time`).
    piece: Option<Block<PIECE>>,
}

impl TemplateKey {
    fn new(name: &str, what: NameKind) -> Result<Self, TemplateError> {
        Key::new(name).map_err(|source| TemplateError::InvalidName {
            what,
            name: name.to_owned(),
            source,
        })?;
        let comma: &[u8] = if what == NameKind::TagKey { b"," } else { b"" };
        // `time` is refused by InfluxDB 1.x only: the checked way looks at the dialect.
        let piece = (is_plain_name(name.as_bytes()) && name != "time")
            .then(|| Block::new(&[comma, name.as_bytes(), b"="].concat()))
            .flatten();
        Ok(Self {
            name: name.to_owned(),
            piece,
        })
    }
}

/// A measurement, its tag keys (sorted) and its field keys, checked and escaped once for lines
/// written with [`Encoder::start_templated`]: a mapper that writes the same kind of line over
/// and over names its tags and fields by index, and each key costs one copy.
///
/// The dialect's own rules still apply per line ([`Dialect`]: no key `time` for InfluxDB 1.x,
/// Datalayers' table names and required tag), as do all value rules.
///
/// ```
/// use lineproto::{Dialect, Encoder, EncoderOptions, LineTemplate};
///
/// let spans = LineTemplate::new("spans", &["service.name", "span_id"], &["duration_nano", "name"])?;
/// let mut encoder = Encoder::new(EncoderOptions::new(Dialect::InfluxDbV1));
/// let mut line = encoder.start_templated(&spans);
/// line.tag(0, "checkout")
///     .tag_hex(1, &[0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7])
///     .field_i64(0, 1_500_000)
///     .field_str(1, "GET /cart");
/// line.end(Some(1_700_000_000_000_000_000))?;
/// assert_eq!(
///     encoder.as_bytes(),
///     b"spans,service.name=checkout,span_id=00f067aa0ba902b7 \
///       duration_nano=1500000i,name=\"GET /cart\" 1700000000000000000\n"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct LineTemplate {
    measurement: String,
    /// [`Measurement`]'s two checks, made once.
    measurement_plain: bool,
    datalayers_table: bool,
    tags: Vec<TemplateKey>,
    fields: Vec<TemplateKey>,
}

impl LineTemplate {
    /// Checks and escapes the names. `tag_keys` must be in byte order without repeats (tags are
    /// written in the template's order, which is the sorted order
    /// [`TagOrder::Sorted`](crate::TagOrder::Sorted) promises); fields are written in call
    /// order.
    pub fn new(
        measurement: &str,
        tag_keys: &[&str],
        field_keys: &[&str],
    ) -> Result<Self, TemplateError> {
        let checked =
            Measurement::new(measurement).map_err(|source| TemplateError::InvalidName {
                what: NameKind::Measurement,
                name: measurement.to_owned(),
                source,
            })?;
        if let Some(pair) = tag_keys.windows(2).find(|pair| pair[0] >= pair[1]) {
            return Err(TemplateError::TagsNotSorted {
                key: pair[1].to_owned(),
            });
        }
        let keys = |names: &[&str], what| {
            names
                .iter()
                .map(|name| TemplateKey::new(name, what))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Self {
            measurement: measurement.to_owned(),
            measurement_plain: crate::name::AsName::is_plain(checked),
            datalayers_table: crate::name::AsName::is_datalayers_table_name(checked),
            tags: keys(tag_keys, NameKind::TagKey)?,
            fields: keys(field_keys, NameKind::FieldKey)?,
        })
    }

    /// The measurement.
    pub fn measurement(&self) -> &str {
        &self.measurement
    }

    /// The tag keys, in the order their indexes refer to.
    pub fn tag_keys(&self) -> impl Iterator<Item = &str> {
        self.tags.iter().map(|k| k.name.as_str())
    }

    /// The field keys, in the order their indexes refer to.
    pub fn field_keys(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|k| k.name.as_str())
    }
}

impl Encoder {
    /// Starts a line of `template`'s shape; its tags and fields are then given by index.
    ///
    /// Like [`start_line`](Self::start_line) it is an error while another line is open. The
    /// returned line cancels itself when dropped without [`TemplatedLine::end`].
    pub fn start_templated<'t>(&mut self, template: &'t LineTemplate) -> TemplatedLine<'_, 't> {
        self.start_line(Measurement::with_checks(
            &template.measurement,
            template.measurement_plain,
            template.datalayers_table,
        ));
        TemplatedLine {
            encoder: self,
            template,
            next_tag: 0,
            ended: false,
        }
    }

    /// Writes a template key with its separator (`,` for tags is part of the piece); false if
    /// it failed the line.
    #[inline]
    fn write_template_key(&mut self, key: &TemplateKey, what: NameKind) -> bool {
        match &key.piece {
            Some(piece) => {
                piece.append_to(&mut self.buf);
                true
            }
            None => self.write_template_key_slowly(key, what),
        }
    }

    /// A key without a ready piece: escaped and checked for the dialect like a plain call's.
    #[cold]
    fn write_template_key_slowly(&mut self, key: &TemplateKey, what: NameKind) -> bool {
        if what == NameKind::TagKey {
            self.buf.push(b',');
        }
        let ok = self.write_name(&key.name, false, what);
        self.buf.push(b'=');
        ok
    }
}

/// A line being written from a [`LineTemplate`] (see [`Encoder::start_templated`]): tags by
/// index in increasing order, then fields by index. Errors stick and roll the line back as with
/// the plain calls; an index out of range or a tag index not after the last one fails the line
/// ([`LineError::OutOfOrder`]).
#[derive(Debug)]
pub struct TemplatedLine<'e, 't> {
    encoder: &'e mut Encoder,
    template: &'t LineTemplate,
    /// The smallest tag index allowed next.
    next_tag: usize,
    ended: bool,
}

impl<'t> TemplatedLine<'_, 't> {
    /// Adds tag `index` (see [`Encoder::tag`] for the value rules).
    pub fn tag(&mut self, index: usize, value: &str) -> &mut Self {
        self.tag_value(index, TagValue::Text(value))
    }

    /// Adds tag `index` with the lowercase hex of `id` (see [`Encoder::tag_hex`]).
    pub fn tag_hex(&mut self, index: usize, id: &[u8]) -> &mut Self {
        self.tag_value(index, TagValue::Hex(id))
    }

    /// Adds tag `index` when `value` is a valid tag value for the encoder's dialect (what
    /// [`tag`](Self::tag) would accept); otherwise writes nothing, leaves the line as it was
    /// (the same index may be tried again) and returns false. For mappers whose values come
    /// from outside: a bad value costs its tag, not the line, and is checked only once.
    pub fn tag_if_valid(&mut self, index: usize, value: &str) -> bool {
        let Some(key) = self.next_tag_key(index) else {
            return false;
        };
        let encoder = &mut *self.encoder;
        // A key written the checked way may fail the line: the value is checked before it then,
        // so that a bad value never gets that far.
        if key.piece.is_none()
            && escape_name(
                &mut Discard,
                value,
                NameContext::TagKeyOrValue,
                encoder.backslash,
            )
            .is_err()
        {
            return false;
        }
        let start = encoder.buf.len();
        if !encoder.write_template_key(key, NameKind::TagKey) {
            return false;
        }
        if escape_name(
            &mut encoder.buf,
            value,
            NameContext::TagKeyOrValue,
            encoder.backslash,
        )
        .is_err()
        {
            encoder.buf.truncate(start);
            return false;
        }
        self.next_tag = index + 1;
        encoder.tags_on_line += 1;
        true
    }

    fn tag_value(&mut self, index: usize, value: TagValue<'_>) -> &mut Self {
        let Some(key) = self.next_tag_key(index) else {
            return self;
        };
        self.next_tag = index + 1;
        let encoder = &mut *self.encoder;
        if encoder.write_template_key(key, NameKind::TagKey)
            && encoder.write_tag_value(&key.name, value)
        {
            encoder.tags_on_line += 1;
        }
        self
    }

    /// The key of tag `index` if a tag may come now with that index; else fails the line (or
    /// finds it failed) and gives `None`.
    #[inline]
    fn next_tag_key(&mut self, index: usize) -> Option<&'t TemplateKey> {
        let encoder = &mut *self.encoder;
        match encoder.section {
            Section::Tags => {}
            Section::Failed => return None,
            Section::Idle | Section::Fields => {
                encoder.fail(LineError::OutOfOrder { call: "tag" });
                return None;
            }
        }
        let key = self
            .template
            .tags
            .get(index)
            .filter(|_| index >= self.next_tag);
        if key.is_none() {
            encoder.fail(LineError::OutOfOrder { call: "tag" });
        }
        key
    }

    /// Checks that a field may come now, leaving the tag section on the first field; then
    /// writes its separator and key. False if the line failed (now or before).
    #[inline(always)]
    fn field_key(&mut self, index: usize, value: Option<FieldValue<'_>>) -> bool {
        let encoder = &mut *self.encoder;
        match encoder.section {
            Section::Fields => {}
            Section::Tags => {
                if encoder.tags_on_line == 0 && encoder.options.dialect == Dialect::Datalayers {
                    encoder.fail(LineError::NoTags);
                    return false;
                }
                encoder.section = Section::Fields;
            }
            Section::Failed => return false,
            Section::Idle => {
                encoder.fail(LineError::OutOfOrder { call: "field" });
                return false;
            }
        }
        let Some(key) = self.template.fields.get(index) else {
            encoder.fail(LineError::OutOfOrder { call: "field" });
            return false;
        };
        if value.is_some_and(|value| !encoder.field_allowed(&key.name, value)) {
            return false;
        }
        encoder.buf.push(if encoder.fields_on_line == 0 {
            b' '
        } else {
            b','
        });
        encoder.fields_on_line += 1;
        encoder.write_template_key(key, NameKind::FieldKey)
    }

    /// Adds field `index` with a value of any type (see [`Encoder::field`]).
    #[inline]
    pub fn field(&mut self, index: usize, value: FieldValue<'_>) -> &mut Self {
        if self.field_key(index, Some(value)) {
            self.encoder.write_field_value(value);
        }
        self
    }

    /// Adds a signed integer field.
    #[inline]
    pub fn field_i64(&mut self, index: usize, value: i64) -> &mut Self {
        self.field(index, FieldValue::I64(value))
    }

    /// Adds an unsigned integer field (`i` for [`Dialect::InfluxDbV1`]).
    #[inline]
    pub fn field_u64(&mut self, index: usize, value: u64) -> &mut Self {
        self.field(index, FieldValue::U64(value))
    }

    /// Adds a float field.
    #[inline]
    pub fn field_f64(&mut self, index: usize, value: f64) -> &mut Self {
        self.field(index, FieldValue::F64(value))
    }

    /// Adds a boolean field.
    #[inline]
    pub fn field_bool(&mut self, index: usize, value: bool) -> &mut Self {
        self.field(index, FieldValue::Bool(value))
    }

    /// Adds a string field.
    #[inline]
    pub fn field_str(&mut self, index: usize, value: &str) -> &mut Self {
        self.field(index, FieldValue::Str(value))
    }

    /// Adds a string field holding the lowercase hex of `id` (see [`Encoder::field_hex`]).
    pub fn field_hex(&mut self, index: usize, id: &[u8]) -> &mut Self {
        if self.field_key(index, None) {
            self.encoder.write_hex_value(id);
        }
        self
    }

    /// Adds a string field produced piecewise (see [`Encoder::field_str_with`]).
    pub fn field_str_with(
        &mut self,
        index: usize,
        write: impl FnOnce(&mut StrFieldWriter<'_>),
    ) -> &mut Self {
        if self.field_key(index, None) {
            let key = &self.template.fields[index].name;
            self.encoder.write_str_value_with(key, write);
        }
        self
    }

    /// Ends the line (see [`Encoder::end_line`]).
    pub fn end(mut self, timestamp_ns: Option<i64>) -> Result<(), LineError> {
        self.ended = true;
        let encoder = &mut *self.encoder;
        if encoder.section == Section::Tags {
            // No field: the plain API's errors.
            encoder.fail(
                if encoder.tags_on_line == 0 && encoder.options.dialect == Dialect::Datalayers {
                    LineError::NoTags
                } else {
                    LineError::NoFields
                },
            );
        }
        encoder.end_line(timestamp_ns)
    }
}

impl Drop for TemplatedLine<'_, '_> {
    fn drop(&mut self) {
        if !self.ended {
            self.encoder.cancel_line();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EncoderOptions, TagOrder};

    fn template() -> LineTemplate {
        LineTemplate::new("m", &["a", "b b", "c"], &["x", "y,z", "time"]).unwrap()
    }

    /// The same line through the plain API.
    fn plain(
        options: EncoderOptions,
        build: impl FnOnce(&mut Encoder),
    ) -> (Vec<u8>, Result<(), LineError>) {
        let mut encoder = Encoder::new(options);
        build(&mut encoder);
        let result = encoder.end_line(Some(5));
        (encoder.as_bytes().to_vec(), result)
    }

    #[test]
    fn templated_lines_equal_plain_lines() {
        let template = template();
        for &dialect in Dialect::ALL {
            for order in [TagOrder::Sorted, TagOrder::AsGiven] {
                let options = EncoderOptions::new(dialect).with_tag_order(order);
                let mut encoder = Encoder::new(options);
                let mut line = encoder.start_templated(&template);
                line.tag(0, "v 1")
                    .tag_hex(2, &[0xab, 1])
                    .field_i64(1, -4)
                    .field_str(0, "s\"");
                let result = line.end(Some(5));
                let expected = plain(options, |e| {
                    e.start_line("m")
                        .tag("a", "v 1")
                        .tag_hex("c", &[0xab, 1])
                        .field_i64("y,z", -4)
                        .field_str("x", "s\"");
                });
                assert_eq!((encoder.as_bytes().to_vec(), result), expected, "{dialect}");
                assert_eq!(
                    std::str::from_utf8(&expected.0).unwrap(),
                    "m,a=v\\ 1,c=ab01 y\\,z=-4i,x=\"s\\\"\" 5\n"
                );
            }
        }
    }

    #[test]
    fn dialect_and_value_rules_apply_per_line() {
        let template = template();
        let v1 = EncoderOptions::new(Dialect::InfluxDbV1);
        let mut encoder = Encoder::new(v1);
        let mut line = encoder.start_templated(&template);
        line.tag(0, "a").field_bool(2, true);
        assert!(matches!(
            line.end(None),
            Err(LineError::InvalidName {
                source: NameError::Reserved,
                ..
            })
        ));
        let mut line = encoder.start_templated(&template);
        line.tag(0, "a").field_u64(0, u64::MAX);
        assert!(matches!(
            line.end(None),
            Err(LineError::UnsignedOutOfRange { .. })
        ));
        let mut line = encoder.start_templated(&template);
        line.tag(1, "").field_i64(0, 1);
        assert!(matches!(
            line.end(None),
            Err(LineError::InvalidTagValue { .. })
        ));
        // Datalayers needs a tag; a NaN is skipped and a line of NaNs has no field.
        let mut encoder = Encoder::new(EncoderOptions::new(Dialect::Datalayers));
        let mut line = encoder.start_templated(&template);
        line.field_i64(0, 1);
        assert_eq!(line.end(None), Err(LineError::NoTags));
        let mut line = encoder.start_templated(&template);
        line.tag(0, "a").field_f64(0, f64::NAN);
        assert_eq!(line.end(None), Err(LineError::NoFields));
        let mut line = encoder.start_templated(&template);
        line.tag(0, "a");
        assert_eq!(line.end(None), Err(LineError::NoFields));
        assert!(encoder.is_empty());
        assert_eq!(encoder.stats().rejected_lines, 3);
        assert_eq!(encoder.stats().skipped_non_finite, 1);
    }

    #[test]
    fn tag_if_valid_writes_exactly_what_tag_accepts() {
        // Every value of up to 3 bytes over the interesting bytes, in every dialect: written
        // when the plain call accepts it, else nothing and the line goes on.
        let alphabet = [b'a', b'\\', b',', b'=', b' ', b'\n', b'"', 0x7f];
        let mut values = vec![Vec::new()];
        for len in 1..=3u32 {
            for n in 0..alphabet.len().pow(len) {
                values.push(
                    (0..len)
                        .map(|k| alphabet[n / alphabet.len().pow(k) % alphabet.len()])
                        .collect(),
                );
            }
        }
        let template = LineTemplate::new("m", &["k", "z"], &["f"]).unwrap();
        for &dialect in Dialect::ALL {
            let options = EncoderOptions::new(dialect);
            for value in &values {
                let value = std::str::from_utf8(value).unwrap();
                let (plain_bytes, plain) = plain(options, |e| {
                    e.start_line("m")
                        .tag("k", value)
                        .tag("z", "b")
                        .field_bool("f", true);
                });
                let mut encoder = Encoder::new(options);
                let mut line = encoder.start_templated(&template);
                let written = line.tag_if_valid(0, value);
                if !written {
                    // Not written, so the index is still free: `tag` may fill it.
                    line.tag(0, "fallback");
                }
                line.tag(1, "b").field_bool(0, true);
                line.end(Some(5)).unwrap();
                assert_eq!(written, plain.is_ok(), "{dialect} {value:?}");
                if written {
                    assert_eq!(encoder.as_bytes(), &plain_bytes[..], "{dialect} {value:?}");
                } else {
                    assert_eq!(encoder.as_bytes(), b"m,k=fallback,z=b f=true 5\n");
                }
            }
        }
    }

    #[test]
    fn indexes_out_of_order_or_range_fail_the_line() {
        let template = template();
        let mut encoder = Encoder::new(EncoderOptions::new(Dialect::InfluxDbV3));
        for build in [
            (|l: &mut TemplatedLine<'_, '_>| {
                l.tag(1, "a").tag(0, "b").field_i64(0, 1);
            }) as fn(&mut TemplatedLine<'_, '_>),
            |l| {
                l.tag(1, "a").tag(1, "b").field_i64(0, 1);
            },
            |l| {
                l.tag(3, "a").field_i64(0, 1);
            },
            |l| {
                l.field_i64(3, 1);
            },
            |l| {
                l.field_i64(0, 1).tag(2, "a");
            },
        ] {
            let mut line = encoder.start_templated(&template);
            build(&mut line);
            assert!(matches!(line.end(None), Err(LineError::OutOfOrder { .. })));
        }
        assert!(encoder.is_empty());
        // A line dropped without `end` is cancelled: the next one starts cleanly.
        let mut line = encoder.start_templated(&template);
        line.tag(0, "a").field_i64(0, 1);
        drop(line);
        let mut line = encoder.start_templated(&template);
        line.field_i64(0, 2);
        line.end(None).unwrap();
        assert_eq!(encoder.as_bytes(), b"m x=2i\n");
        assert_eq!(encoder.stats().rejected_lines, 5);
    }

    #[test]
    fn templates_check_their_names() {
        assert_eq!(
            LineTemplate::new("m", &["b", "a"], &[]).unwrap_err(),
            TemplateError::TagsNotSorted { key: "a".into() }
        );
        assert_eq!(
            LineTemplate::new("m", &["a", "a"], &[]).unwrap_err(),
            TemplateError::TagsNotSorted { key: "a".into() }
        );
        assert!(matches!(
            LineTemplate::new("#m", &[], &[]),
            Err(TemplateError::InvalidName {
                what: NameKind::Measurement,
                ..
            })
        ));
        assert!(matches!(
            LineTemplate::new("m", &["a\n"], &[]),
            Err(TemplateError::InvalidName {
                what: NameKind::TagKey,
                ..
            })
        ));
        assert!(matches!(
            LineTemplate::new("m", &[], &[""]),
            Err(TemplateError::InvalidName {
                what: NameKind::FieldKey,
                ..
            })
        ));
        let template = template();
        assert_eq!(template.tag_keys().collect::<Vec<_>>(), ["a", "b b", "c"]);
        assert_eq!(
            template.field_keys().collect::<Vec<_>>(),
            ["x", "y,z", "time"]
        );
        assert_eq!(template.measurement(), "m");
    }
}
