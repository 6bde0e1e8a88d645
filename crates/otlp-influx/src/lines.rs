//! The one line builder behind spans, events, links and log records: a per-measurement plan
//! (sorted tag slots, sorted field list) computed once from the configuration, and a writer that
//! fills the slots, applies the tag/field collision rule and writes the fields in sorted order.

use lineproto::Encoder;

use crate::{
    DropReason, MappingReport, PLACEHOLDER,
    layout::JsonAttrs,
    schema::{self, FieldType},
    value::{ValueView, json::JsonKeyCache},
};

/// Where a tag slot's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TagSource {
    TraceId,
    SpanId,
    LinkedTraceId,
    LinkedSpanId,
    /// A configured dimension: an attribute with the slot's key.
    Dimension,
}

#[derive(Debug, Clone)]
pub(crate) struct TagSlot {
    pub(crate) key: String,
    pub(crate) source: TagSource,
    /// The field with the same key, if any (collision rule; stable-columns fallback value).
    field: Option<usize>,
}

/// Tags and fields of one kind of line, fixed by the configuration.
#[derive(Debug, Clone)]
pub(crate) struct LinePlan {
    pub(crate) measurement: &'static str,
    /// Sorted by key, unique.
    pub(crate) slots: Vec<TagSlot>,
    /// Sorted by key.
    pub(crate) fields: &'static [(&'static str, FieldType)],
    /// The measurement, the slots' keys and the fields' keys, checked and escaped once: the
    /// encoder's tag `i` is slot `i`, its field `i` is `fields[i]`.
    template: lineproto::LineTemplate,
    /// (field, slot) for each field that has a tag slot with the same key (usually none or one).
    field_slots: Vec<(usize, usize)>,
    /// Index of `dropped_attributes_count` in `fields`.
    pub(crate) dropped_attributes: Option<usize>,
}

impl LinePlan {
    /// Ids override dimensions of the same name (the reference sets them last). Fails only for a
    /// dimension key the encoder cannot write (the configuration's check refuses those first).
    pub(crate) fn new(
        measurement: &'static str,
        fields: &'static [(&'static str, FieldType)],
        ids: &[(&'static str, TagSource)],
        dimensions: &[String],
    ) -> Result<Self, lineproto::TemplateError> {
        let mut slots: Vec<TagSlot> = dimensions
            .iter()
            .filter(|d| !ids.iter().any(|(id, _)| id == d))
            .map(|d| TagSlot {
                key: d.clone(),
                source: TagSource::Dimension,
                field: None,
            })
            .chain(ids.iter().map(|&(key, source)| TagSlot {
                key: key.to_owned(),
                source,
                field: None,
            }))
            .map(|slot| TagSlot {
                field: fields.iter().position(|(f, _)| *f == slot.key),
                ..slot
            })
            .collect();
        slots.sort_by(|a, b| a.key.cmp(&b.key));
        let field_slots = fields
            .iter()
            .enumerate()
            .filter_map(|(i, (f, _))| Some((i, slots.iter().position(|s| s.key == *f)?)))
            .collect();
        let tag_keys: Vec<&str> = slots.iter().map(|s| s.key.as_str()).collect();
        let field_keys: Vec<&str> = fields.iter().map(|(f, _)| *f).collect();
        Ok(Self {
            template: lineproto::LineTemplate::new(measurement, &tag_keys, &field_keys)?,
            measurement,
            slots,
            fields,
            field_slots,
            dropped_attributes: fields
                .iter()
                .position(|(f, _)| *f == schema::DROPPED_ATTRIBUTES_COUNT),
        })
    }

    #[cfg(test)]
    pub(crate) fn field_index(&self, key: &str) -> usize {
        self.fields
            .iter()
            .position(|(f, _)| *f == key)
            .unwrap_or_else(|| unreachable!("{key} is not a field of {}", self.measurement))
    }
}

/// A field value on its way out.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Val<'a> {
    Str(&'a str),
    I64(i64),
    U64(u64),
    /// The `attributes` JSON, from the entries marked `in_json`.
    Json,
    /// A value written as its `AsString` text (log bodies).
    Text(ValueView<'a>),
    /// An id, written as lowercase hex.
    Hex(&'a [u8]),
}

/// Ids of the line being written (written as hex tags), `None` when absent.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LineIds<'s> {
    pub(crate) trace_id: Option<&'s [u8]>,
    pub(crate) span_id: Option<&'s [u8]>,
    pub(crate) linked_trace_id: Option<&'s [u8]>,
    pub(crate) linked_span_id: Option<&'s [u8]>,
}

/// The hex text of an id, for messages (empty when absent).
pub(crate) fn hex_text(id: Option<&[u8]>) -> String {
    hex_chars(id.unwrap_or_default()).collect()
}

/// The lowercase hex digits of `id`.
fn hex_chars(id: &[u8]) -> impl Iterator<Item = char> + '_ {
    id.iter()
        .flat_map(|&b| HEX_PAIRS[usize::from(b)])
        .map(char::from)
}

/// How a slot was filled on the current line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TagOrigin {
    /// No tag written.
    None,
    /// From an attribute or an id.
    Attribute,
    /// Stable columns: from the line's own field of the same key (the field is not written).
    Intrinsic,
    /// Stable columns: the placeholder.
    Placeholder,
}

/// One slot on the current line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SlotState {
    pub(crate) origin: TagOrigin,
    /// The attribute's text could not be a tag value; the caller keeps it in the JSON.
    pub(crate) invalid: bool,
}

/// The mapper's reusable, lifetime-free scratch for writing lines.
#[derive(Debug, Default)]
pub(crate) struct LineScratch {
    /// Text of the tag value being written (non-string attributes, numbers).
    text: String,
    /// One per slot of the current plan.
    pub(crate) slots: Vec<SlotState>,
    /// Keys of nested maps escaped for the `attributes` JSON.
    json_keys: JsonKeyCache,
}

/// What a [`LineWriter`] writes with: the encoder, the report and the mapper's line scratch.
pub(crate) struct LineParts<'m> {
    pub(crate) out: &'m mut Encoder,
    pub(crate) report: &'m mut MappingReport,
    pub(crate) scratch: &'m mut LineScratch,
    /// The stable-columns mode.
    pub(crate) stable: bool,
}

/// Writes one line of a plan: measurement, tags from the plan's slots, then the present fields.
pub(crate) struct LineWriter<'m> {
    line: lineproto::TemplatedLine<'m, 'm>,
    plan: &'m LinePlan,
    pub(crate) report: &'m mut MappingReport,
    pub(crate) scratch: &'m mut LineScratch,
}

impl<'m> LineWriter<'m> {
    /// Starts a line of `plan` and writes its tags. `dimension` gives the attribute value of a
    /// dimension slot (by slot index and key). `vals` are the line's fields (read for
    /// stable-columns fallbacks).
    pub(crate) fn start<'a>(
        parts: LineParts<'m>,
        plan: &'m LinePlan,
        ids: LineIds<'_>,
        mut dimension: impl FnMut(usize, &str) -> Option<ValueView<'a>>,
        vals: &[Option<Val<'a>>],
    ) -> Self {
        let LineParts {
            out,
            report,
            scratch,
            stable,
        } = parts;
        let mut line = out.start_templated(&plan.template);
        scratch.slots.clear();
        for (index, slot) in plan.slots.iter().enumerate() {
            let id = match slot.source {
                TagSource::TraceId => Some(ids.trace_id),
                TagSource::SpanId => Some(ids.span_id),
                TagSource::LinkedTraceId => Some(ids.linked_trace_id),
                TagSource::LinkedSpanId => Some(ids.linked_span_id),
                TagSource::Dimension => None,
            };
            // Ids are written as hex: nothing to check.
            if let Some(Some(id)) = id {
                line.tag_hex(index, id);
                scratch.slots.push(SlotState {
                    origin: TagOrigin::Attribute,
                    invalid: false,
                });
                continue;
            }
            let text = &mut scratch.text;
            text.clear();
            let found: Option<&str> = match slot.source {
                TagSource::Dimension => match dimension(index, &slot.key) {
                    Some(ValueView::Str(s)) => Some(s),
                    Some(v) => {
                        // No JSON form (NaN inside a list): no text, an invalid tag below.
                        let _ = v.append_as_string(text);
                        Some(text.as_str())
                    }
                    None => None,
                },
                // An absent id.
                _ => None,
            };
            let mut state = SlotState {
                origin: TagOrigin::None,
                invalid: false,
            };
            match found {
                // pdata drops empty tag values (`optimizeTags`).
                Some("") | None => {}
                // A value that cannot be a tag costs its tag only (the encoder checks it once,
                // and writes nothing then).
                Some(v) if line.tag_if_valid(index, v) => state.origin = TagOrigin::Attribute,
                Some(v) => {
                    let key = &slot.key;
                    report.record_drop(DropReason::InvalidTagValue, || {
                        format!("{} tag {key}={v:?}", plan.measurement)
                    });
                    state.invalid = true;
                }
            }
            if state.origin == TagOrigin::None && stable {
                let text = &mut scratch.text;
                let fallback = slot
                    .field
                    .and_then(|f| vals[f])
                    .and_then(|v| val_text(v, text));
                state.origin = if fallback.is_some_and(|v| line.tag_if_valid(index, v)) {
                    TagOrigin::Intrinsic
                } else {
                    line.tag(index, PLACEHOLDER);
                    TagOrigin::Placeholder
                };
            }
            scratch.slots.push(state);
        }
        Self {
            line,
            plan,
            report,
            scratch,
        }
    }

    /// Writes the fields and ends the line. A field whose key is also a tag of this line is left
    /// out; when an attribute took its place the loss is counted and added to
    /// `dropped_attributes_count` (`vals` holds its base value, if the plan has that field).
    /// Returns whether the line was written.
    pub(crate) fn finish<'a>(
        mut self,
        vals: &mut [Option<Val<'a>>],
        json: &JsonAttrs<'_, 'a>,
        timestamp_ns: i64,
        what: impl FnOnce() -> String,
    ) -> bool {
        let plan = self.plan;
        let slots = &self.scratch.slots;
        let mut lost = 0u64;
        for &(i, slot) in &plan.field_slots {
            if vals[i].is_some() && slots[slot].origin == TagOrigin::Attribute {
                let key = plan.fields[i].0;
                lost += 1;
                self.report.record_drop(DropReason::TagFieldCollision, || {
                    format!(
                        "{} field {key} replaced by the tag of the same name",
                        plan.measurement
                    )
                });
            }
        }
        if lost > 0
            && let Some(i) = plan.dropped_attributes
        {
            let base = match vals[i] {
                Some(Val::U64(n)) => n,
                _ => 0,
            };
            vals[i] = Some(Val::U64(base + lost));
        }
        for &(i, slot) in &plan.field_slots {
            if slots[slot].origin != TagOrigin::None {
                vals[i] = None;
            }
        }
        let line = &mut self.line;
        for (key, val) in vals.iter().enumerate() {
            match *val {
                None => {}
                Some(Val::Str(s)) => {
                    line.field_str(key, s);
                }
                Some(Val::I64(i)) => {
                    line.field_i64(key, i);
                }
                Some(Val::U64(u)) => {
                    line.field_u64(key, u);
                }
                Some(Val::Json) => {
                    let (slots, keys) = (&self.scratch.slots, &mut self.scratch.json_keys);
                    line.field_str_with(key, |w| json.write(slots, w, keys));
                }
                Some(Val::Text(ValueView::Str(s))) => {
                    line.field_str(key, s);
                }
                Some(Val::Text(view)) => {
                    line.field_str_with(key, |w| {
                        // The caller checked that the value has a text form.
                        let _ = view.append_as_string(w);
                    });
                }
                Some(Val::Hex(id)) => {
                    line.field_hex(key, id);
                }
            }
        }
        let result = self.line.end(Some(timestamp_ns));
        crate::line_result(result, self.report, what)
    }
}

/// The text of a field value, for a stable-columns tag that falls back to it.
fn val_text<'t>(val: Val<'t>, text: &'t mut String) -> Option<&'t str> {
    text.clear();
    match val {
        Val::Str(s) => return Some(s),
        Val::I64(i) => text.push_str(itoa::Buffer::new().format(i)),
        Val::U64(u) => text.push_str(itoa::Buffer::new().format(u)),
        Val::Text(view) => view.append_as_string(text).ok()?,
        Val::Hex(id) => text.extend(hex_chars(id)),
        Val::Json => return None,
    }
    Some(text.as_str())
}

/// The two lowercase hex digits of every byte: one lookup per byte.
const HEX_PAIRS: [[u8; 2]; 256] = {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut t = [[0; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [HEX[i >> 4], HEX[i & 0xf]];
        i += 1;
    }
    t
};

/// Lowercase hex of an id, on the stack.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HexId<const N: usize> {
    buf: [u8; N],
}

impl<const N: usize> HexId<N> {
    pub(crate) fn new(id: &[u8]) -> Self {
        let mut buf = [b'0'; N];
        for (pair, b) in buf.chunks_exact_mut(2).zip(id) {
            pair.copy_from_slice(&HEX_PAIRS[usize::from(*b)]);
        }
        Self { buf }
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever stored.
        std::str::from_utf8(&self.buf).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_sort_slots_and_ids_win_over_dimensions() {
        let plan = LinePlan::new(
            schema::MEASUREMENT_SPANS,
            &schema::SPAN_FIELDS,
            &[
                (schema::TRACE_ID, TagSource::TraceId),
                (schema::SPAN_ID, TagSource::SpanId),
            ],
            &["span.name".into(), "trace_id".into(), "a".into()],
        )
        .unwrap();
        let keys: Vec<_> = plan
            .slots
            .iter()
            .map(|s| (s.key.as_str(), s.source))
            .collect();
        assert_eq!(
            keys,
            [
                ("a", TagSource::Dimension),
                ("span.name", TagSource::Dimension),
                ("span_id", TagSource::SpanId),
                ("trace_id", TagSource::TraceId),
            ]
        );
        assert_eq!(plan.field_slots, [(plan.field_index(schema::SPAN_NAME), 1)]);
        assert_eq!(
            plan.slots[1].field,
            Some(plan.field_index(schema::SPAN_NAME))
        );
    }

    #[test]
    fn hex_ids() {
        let id = [0, 1, 0xab, 0xff, 0, 0, 0, 3];
        assert_eq!(HexId::<16>::new(&id).as_str(), "0001abff00000003");
        assert_eq!(hex_text(Some(&id)), "0001abff00000003");
        assert_eq!(hex_text(None), "");
    }
}
