//! Attribute layouts: what the schema decides from an item's attribute *keys* alone, worked out
//! once per list of keys.
//!
//! Which attribute wins a repeated key, the key order of the `attributes` JSON, which keys are
//! dimension tags and which go into the JSON, and the JSON text of every key depend only on the
//! item's keys, in order; and the items of one kind (the spans of one route, the records of one
//! log statement) repeat the same keys over and over. An [`AttrLayout`] holds those decisions,
//! made by the general code (collect, sort, keep the last duplicate, escape) the first time a
//! list of keys is seen; a [`LayoutCache`] hands it back for every later item whose keys match,
//! compared key by key. What is left per item is to write its values in the layout's order.

use lineproto::EscapedText;

use crate::lines::{LinePlan, SlotState, TagSource, Val};
use crate::value::ValueView;
use crate::value::json::{
    FieldJson, JsonKeyCache, push_escaped_json_key, write_json_str_inside, write_json_unchecked,
};
use crate::value::keys::{Entry, same_text, sort_dedup_last_wins};
use crate::view::Attr;
use crate::{DropReason, MappingReport};

/// How an item's attributes become tags and JSON entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyRule {
    /// Resource, scope and span attributes: a dimension's first occurrence goes to its tag only;
    /// a later occurrence wins the tag and also goes into the JSON (what the reference does
    /// with a no-op logger, instead of failing the batch).
    Span,
    /// Resource, scope and record attributes: empty keys are skipped, dimensions are tags only.
    LogRecord,
    /// An event's or a link's own attributes: all of them into the JSON.
    Own,
}

/// The decisions for one list of keys (see the module docs). Its buffers are reused when the
/// cache puts another list in its place.
#[derive(Debug, Default)]
pub(crate) struct AttrLayout {
    /// The rule it was made under; `None` while it holds no layout.
    rule: Option<KeyRule>,
    hash: u64,
    /// The keys it was made for, in input order: `keys[..key_count]` (the strings after them
    /// are kept for their buffers).
    keys: Vec<String>,
    key_count: usize,
    /// The attributes that are written, in key order: `entries[..entry_count]`.
    entries: Vec<LayoutEntry>,
    entry_count: usize,
    /// For each tag slot of the line plan: the entry holding its dimension's value.
    slot_entries: Vec<Option<u32>>,
    /// The cache's clock when it was last handed out.
    last_used: u64,
}

/// One attribute that is written, as a tag or into the JSON.
#[derive(Debug, Default)]
struct LayoutEntry {
    /// Its position in the item's list.
    input: u32,
    /// Whether it goes into the JSON (a dimension that is only a tag does not).
    in_json: bool,
    /// `{"key":` and `,"key":` (as the JSON's first entry, or after another), then the same
    /// with the opening quote of a string value, escaped for a line-protocol string field.
    json_key: [EscapedText; 4],
}

impl AttrLayout {
    fn matches(&self, rule: KeyRule, hash: u64, attrs: &[Attr<'_>]) -> bool {
        self.rule == Some(rule)
            && self.hash == hash
            && self.key_count == attrs.len()
            && self.keys[..self.key_count]
                .iter()
                .zip(attrs)
                .all(|(known, (key, _))| same_text(known, key))
    }

    /// Works the layout out for `attrs`' keys: the entries sorted and de-duplicated by the
    /// general sort, `rule` deciding what goes into the JSON, and for each dimension slot of
    /// `plan` the entry that fills it.
    fn build(
        &mut self,
        rule: KeyRule,
        hash: u64,
        attrs: &[Attr<'_>],
        dimensions: &[String],
        plan: &LinePlan,
    ) {
        for (i, (key, _)) in attrs.iter().enumerate() {
            match self.keys.get_mut(i) {
                Some(known) => {
                    known.clear();
                    known.push_str(key);
                }
                None => self.keys.push((*key).to_owned()),
            }
        }
        self.key_count = attrs.len();

        // Rare (once per new list of keys): a plain vector is fine here.
        let mut seen_dimensions = vec![false; dimensions.len()];
        let mut sorted: Vec<Entry<'_>> = Vec::with_capacity(attrs.len());
        for (seq, (key, _)) in (0u32..).zip(attrs) {
            let is_dimension = || dimensions.iter().position(|d| same_text(d, key));
            let in_json = match rule {
                KeyRule::Span => match is_dimension() {
                    Some(d) => std::mem::replace(&mut seen_dimensions[d], true),
                    None => true,
                },
                KeyRule::LogRecord if key.is_empty() => continue,
                KeyRule::LogRecord => is_dimension().is_none(),
                KeyRule::Own => true,
            };
            sorted.push(Entry::new(key, seq, ValueView::Empty, in_json));
        }
        sort_dedup_last_wins(&mut sorted);

        for (i, entry) in sorted.iter().enumerate() {
            if i == self.entries.len() {
                self.entries.push(LayoutEntry::default());
            }
            let slot = &mut self.entries[i];
            slot.input = entry.seq;
            slot.in_json = entry.in_json;
            for (i, text) in slot.json_key.iter_mut().enumerate() {
                text.clear();
                text.push_char(if i % 2 == 0 { '{' } else { ',' });
                push_escaped_json_key(text, entry.key);
                if i >= 2 {
                    text.push_char('"');
                }
            }
        }
        self.entry_count = sorted.len();

        self.slot_entries.clear();
        self.slot_entries.extend(plan.slots.iter().map(|slot| {
            let dimension = slot.source == TagSource::Dimension && rule != KeyRule::Own;
            let prefix = lineproto::text::key_prefix(slot.key.as_bytes());
            sorted
                .iter()
                .position(|e| dimension && e.prefix == prefix && e.key == slot.key)
                .map(|i| i as u32)
        }));

        self.rule = Some(rule);
        self.hash = hash;
    }

    fn entries(&self) -> &[LayoutEntry] {
        &self.entries[..self.entry_count]
    }

    /// The value of tag slot `slot`'s dimension, from the item's `attrs`.
    pub(crate) fn slot_value<'a>(&self, slot: usize, attrs: &[Attr<'a>]) -> Option<ValueView<'a>> {
        let entry = self.slot_entries.get(slot).copied().flatten()?;
        Some(attrs[self.entries[entry as usize].input as usize].1)
    }
}

/// Recently used layouts, found by a hash of the rule and the keys (two candidate places per
/// hash, the one used less recently is replaced). Allocation-free once the layouts in use are
/// built.
#[derive(Debug)]
pub(crate) struct LayoutCache {
    layouts: Box<[AttrLayout]>,
    clock: u64,
}

/// How many layouts are remembered.
const LAYOUT_SLOTS: usize = 128;

impl Default for LayoutCache {
    fn default() -> Self {
        Self {
            layouts: (0..LAYOUT_SLOTS).map(|_| AttrLayout::default()).collect(),
            clock: 0,
        }
    }
}

impl LayoutCache {
    /// The layout of `attrs`' keys under `rule` (`dimensions` and `plan`: the configuration's
    /// dimensions for the rule, and the plan of the line being written).
    pub(crate) fn layout(
        &mut self,
        rule: KeyRule,
        attrs: &AttrList<'_>,
        dimensions: &[String],
        plan: &LinePlan,
    ) -> &AttrLayout {
        let hash = attrs.keys_hash ^ (rule as u64) << 56;
        let attrs = &attrs.list[..];
        let first = (hash >> 57) as usize % LAYOUT_SLOTS;
        let second = (hash >> 32) as usize % LAYOUT_SLOTS;
        self.clock += 1;
        let index = if self.layouts[first].matches(rule, hash, attrs) {
            first
        } else if self.layouts[second].matches(rule, hash, attrs) {
            second
        } else {
            let index = if self.layouts[first].last_used <= self.layouts[second].last_used {
                first
            } else {
                second
            };
            self.layouts[index].build(rule, hash, attrs, dimensions, plan);
            index
        };
        let layout = &mut self.layouts[index];
        layout.last_used = self.clock;
        layout
    }
}

/// An item's attributes, all levels in input order, collected in one pass with what the rest
/// needs to know about them: a hash of their keys (to find their layout) and whether a value may
/// be NaN or infinite (only then is the JSON checked value by value).
#[derive(Debug)]
pub(crate) struct AttrList<'a> {
    pub(crate) list: Vec<Attr<'a>>,
    keys_hash: u64,
    maybe_non_finite: bool,
}

impl<'a> AttrList<'a> {
    /// Empty, with `list`'s buffer (see `crate::recycle`).
    pub(crate) fn new(list: Vec<Attr<'a>>) -> Self {
        let mut attrs = Self {
            list,
            keys_hash: 0,
            maybe_non_finite: false,
        };
        attrs.clear();
        attrs
    }

    pub(crate) fn clear(&mut self) {
        self.list.clear();
        self.keys_hash = 0;
        self.maybe_non_finite = false;
    }

    /// Appends one level's attributes.
    #[inline]
    pub(crate) fn extend(&mut self, level: impl Iterator<Item = Attr<'a>>) {
        const MIX: u64 = 0x9E37_79B9_7F4A_7C15;
        for (key, value) in level {
            // The key's length and first eight bytes.
            let bytes = key.as_bytes();
            let word = match bytes.first_chunk::<8>() {
                Some(head) => u64::from_le_bytes(*head),
                None => bytes.first().map_or(0, |&b| u64::from(b)) << 8,
            };
            self.keys_hash =
                (self.keys_hash.rotate_left(26) ^ word ^ bytes.len() as u64).wrapping_mul(MIX);
            self.maybe_non_finite |= match value {
                ValueView::Double(f) => !f.is_finite(),
                ValueView::Array(_) | ValueView::Map(_) => true,
                _ => false,
            };
            self.list.push((key, value));
        }
    }
}

/// The `attributes` JSON of one line: the layout's JSON entries with the item's values, and any
/// dimension whose value could not be its tag (the line's slot states say which).
#[derive(Debug, Clone, Copy)]
pub(crate) struct JsonAttrs<'l, 'a> {
    pub(crate) layout: &'l AttrLayout,
    pub(crate) attrs: &'l AttrList<'a>,
}

impl<'l, 'a> JsonAttrs<'l, 'a> {
    /// The entries that go into the JSON, in key order: those the layout puts there, and the
    /// values of dimensions that could not be their tags (`slots`: the line's slot states).
    fn json_entries<'s>(
        &'s self,
        slots: &'s [SlotState],
    ) -> impl Iterator<Item = (&'l LayoutEntry, &'a str, ValueView<'a>)> + 's {
        let layout = self.layout;
        let invalid = slots.iter().any(|s| s.invalid);
        layout
            .entries()
            .iter()
            .enumerate()
            .filter(move |&(i, entry)| {
                entry.in_json
                    || (invalid
                        && slots
                            .iter()
                            .zip(&layout.slot_entries)
                            .any(|(s, e)| s.invalid && *e == Some(i as u32)))
            })
            .map(|(_, entry)| {
                let (key, value) = self.attrs.list[entry.input as usize];
                (entry, key, value)
            })
    }

    /// Whether an entry's value has no JSON text (NaN or infinity in it): such an entry is left
    /// out, costing only itself. Only looked at when the list may hold one, so that the common
    /// case pays one flag test per item.
    #[inline]
    fn left_out(&self, value: &ValueView<'_>) -> bool {
        self.attrs.maybe_non_finite && value.has_non_finite()
    }

    /// Whether there is anything to write.
    pub(crate) fn is_empty(&self, slots: &[SlotState]) -> bool {
        if self.attrs.maybe_non_finite {
            self.json_entries(slots)
                .all(|(_, _, value)| self.left_out(&value))
        } else {
            self.json_entries(slots).next().is_none()
        }
    }

    /// The keys of the JSON's entries that hold NaN or infinity (left out of the JSON), in key
    /// order.
    pub(crate) fn non_finite_keys<'s>(
        &'s self,
        slots: &'s [SlotState],
    ) -> impl Iterator<Item = &'a str> + 's {
        let check = self.attrs.maybe_non_finite;
        self.json_entries(slots)
            .take_while(move |_| check)
            .filter(|(_, _, value)| value.has_non_finite())
            .map(|(_, key, _)| key)
    }

    /// Whether an entry may be left out for NaN or infinity (then [`Self::non_finite_keys`]
    /// says which).
    pub(crate) fn may_leave_out(&self) -> bool {
        self.attrs.maybe_non_finite
    }

    /// Writes the JSON object into a string field (`keys`: the cache for nested map keys).
    pub(crate) fn write(
        &self,
        slots: &[SlotState],
        field: &mut lineproto::StrFieldWriter<'_>,
        keys: &mut JsonKeyCache,
    ) {
        let mut out = FieldJson { field, keys };
        let mut opening = 0;
        for (entry, _, value) in self.json_entries(slots) {
            if self.left_out(&value) {
                continue;
            }
            match value {
                // Strings, the common case, without the general writer's dispatch.
                ValueView::Str(text) => {
                    out.field.push_escaped(&entry.json_key[2 + opening]);
                    write_json_str_inside(out.field, text);
                    out.field.push_char('"');
                }
                value => {
                    out.field.push_escaped(&entry.json_key[opening]);
                    write_json_unchecked(value, &mut out);
                }
            }
            opening = 1;
        }
        out.field.push_char('}');
    }

    /// The keys of the entries that are written into the JSON, in key order (for tests).
    #[cfg(test)]
    fn keys(&self, slots: &[SlotState]) -> Vec<&'a str> {
        self.json_entries(slots)
            .filter(|(_, _, value)| !self.left_out(value))
            .map(|(_, key, _)| key)
            .collect()
    }

    /// The value of a layout entry (for tests).
    #[cfg(test)]
    fn value(&self, entry: &LayoutEntry) -> (&'a str, ValueView<'a>) {
        self.attrs.list[entry.input as usize]
    }
}

/// The `attributes` field of the JSON entries (`slots`: the line's tag slots, whose invalid
/// dimensions go into the JSON): `None` when there is nothing to write. An attribute holding
/// NaN or infinity has no JSON text: it alone is left out, added to the item's dropped count
/// and reported (the reference drops the whole field then).
pub(crate) fn attributes_json(
    json: &JsonAttrs<'_, '_>,
    slots: &[SlotState],
    dropped_attributes: &mut u64,
    report: &mut MappingReport,
    what: impl Fn() -> String,
) -> Option<Val<'static>> {
    if json.may_leave_out() {
        count_left_out(json, slots, dropped_attributes, report, what);
    }
    (!json.is_empty(slots)).then_some(Val::Json)
}

/// Counts the attributes [`attributes_json`] leaves out (out of line: rare).
#[cold]
fn count_left_out(
    json: &JsonAttrs<'_, '_>,
    slots: &[SlotState],
    dropped_attributes: &mut u64,
    report: &mut MappingReport,
    what: impl Fn() -> String,
) {
    for key in json.non_finite_keys(slots) {
        *dropped_attributes += 1;
        report.record_drop(DropReason::NonFiniteAttributes, || {
            format!(
                "{}: attribute {key:?} is NaN or infinite (left out of the attributes JSON)",
                what()
            )
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lines::LinePlan;
    use crate::schema;

    fn plan(dimensions: &[String]) -> LinePlan {
        LinePlan::new(
            schema::MEASUREMENT_SPANS,
            &schema::SPAN_FIELDS,
            &[
                (schema::TRACE_ID, TagSource::TraceId),
                (schema::SPAN_ID, TagSource::SpanId),
            ],
            dimensions,
        )
        .unwrap()
    }

    fn list<'a>(attrs: &[Attr<'a>]) -> AttrList<'a> {
        let mut list = AttrList::new(Vec::new());
        list.extend(attrs.iter().copied());
        list
    }

    fn keys<'a>(keys: &[&'a str]) -> AttrList<'a> {
        let attrs: Vec<Attr<'a>> = keys.iter().map(|&k| (k, ValueView::Str(k))).collect();
        list(&attrs)
    }

    #[test]
    fn a_layout_is_reused_only_for_the_same_keys_and_rule() {
        let dims = vec!["service.name".to_owned()];
        let plan = plan(&dims);
        let mut cache = LayoutCache::default();
        let a = keys(&["service.name", "b", "a"]);
        let first = std::ptr::from_ref(cache.layout(KeyRule::Span, &a, &dims, &plan));
        let again = std::ptr::from_ref(cache.layout(KeyRule::Span, &a, &dims, &plan));
        assert_eq!(first, again);
        // Same lengths and first bytes, another key: another layout.
        let other = keys(&["service.name", "c", "a"]);
        let layout = cache.layout(KeyRule::Span, &other, &dims, &plan);
        let known: Vec<&str> = layout.keys[..layout.key_count]
            .iter()
            .map(String::as_str)
            .collect();
        assert_eq!(known, ["service.name", "c", "a"]);
        // The rule is part of the layout.
        let own = cache.layout(KeyRule::Own, &a, &dims, &plan);
        assert_eq!(own.rule, Some(KeyRule::Own));
        assert!(own.entries().iter().all(|e| e.in_json));
    }

    #[test]
    fn sorted_last_duplicate_wins_and_dimensions_fill_their_slots() {
        let dims = vec!["service.name".to_owned()];
        let plan = plan(&dims);
        let mut cache = LayoutCache::default();
        let a = list(&[
            ("service.name", ValueView::Str("first")),
            ("z", ValueView::Int(1)),
            ("a", ValueView::Int(2)),
            ("z", ValueView::Int(3)),
            ("service.name", ValueView::Str("second")),
        ]);
        let layout = cache.layout(KeyRule::Span, &a, &dims, &plan);
        let json = JsonAttrs { layout, attrs: &a };
        // The repeated dimension's later value also goes into the JSON.
        assert_eq!(json.keys(&[]), ["a", "service.name", "z"]);
        let values: Vec<String> = layout
            .entries()
            .iter()
            .map(|e| format!("{:?}", json.value(e).1))
            .collect();
        assert_eq!(values, ["Int(2)", "Str(\"second\")", "Int(3)"]);
        let slot = |key: &str| plan.slots.iter().position(|s| s.key == key).unwrap();
        assert!(matches!(
            layout.slot_value(slot("service.name"), &a.list),
            Some(ValueView::Str("second"))
        ));
        assert!(layout.slot_value(slot("trace_id"), &a.list).is_none());
    }

    #[test]
    fn an_invalid_dimension_goes_into_the_json() {
        let dims = vec!["service.name".to_owned()];
        let plan = plan(&dims);
        let mut cache = LayoutCache::default();
        let a = keys(&["service.name", "k"]);
        let layout = cache.layout(KeyRule::Span, &a, &dims, &plan);
        let json = JsonAttrs { layout, attrs: &a };
        let mut slots = vec![
            SlotState {
                origin: crate::lines::TagOrigin::Attribute,
                invalid: false,
            };
            plan.slots.len()
        ];
        assert_eq!(json.keys(&slots), ["k"]);
        let dimension = plan
            .slots
            .iter()
            .position(|s| s.key == "service.name")
            .unwrap();
        slots[dimension].invalid = true;
        assert_eq!(json.keys(&slots), ["k", "service.name"]);
    }

    #[test]
    fn log_records_skip_empty_keys_and_keep_dimensions_out_of_the_json() {
        let dims = vec!["service.name".to_owned()];
        let plan = plan(&dims);
        let mut cache = LayoutCache::default();
        let a = keys(&["", "service.name", "k", "service.name"]);
        let layout = cache.layout(KeyRule::LogRecord, &a, &dims, &plan);
        let json = JsonAttrs { layout, attrs: &a };
        assert_eq!(json.keys(&[]), ["k"]);
        assert_eq!(layout.entries().len(), 2);
    }

    #[test]
    fn non_finite_values_are_found_only_in_the_json() {
        let dims = vec!["service.name".to_owned()];
        let plan = plan(&dims);
        let mut cache = LayoutCache::default();
        let a = list(&[
            ("service.name", ValueView::Double(f64::NAN)),
            ("k", ValueView::Double(1.5)),
        ]);
        let layout = cache.layout(KeyRule::LogRecord, &a, &dims, &plan);
        let json = JsonAttrs { layout, attrs: &a };
        // The NaN is a tag's value, not the JSON's.
        assert!(a.maybe_non_finite);
        assert_eq!(json.non_finite_keys(&[]).count(), 0);
        assert_eq!(json.keys(&[]), ["k"]);
        let b = list(&[
            ("k", ValueView::Double(f64::INFINITY)),
            ("a", ValueView::Str("kept")),
            ("z", ValueView::Double(f64::NAN)),
        ]);
        let layout = cache.layout(KeyRule::Own, &b, &[], &plan);
        let json = JsonAttrs { layout, attrs: &b };
        // Each non-finite entry is left out alone; the others are written.
        assert_eq!(json.non_finite_keys(&[]).collect::<Vec<_>>(), ["k", "z"]);
        assert_eq!(json.keys(&[]), ["a"]);
        assert!(!json.is_empty(&[]));
    }

    #[test]
    fn written_json_is_the_plain_json_escaped_for_the_field() {
        // Hostile keys and values of every kind, strings with U+2028/U+2029 and other
        // characters that start with the same byte (U+20AC), against the plain JSON writer.
        let texts = [
            "",
            "a",
            "\"<&>\\",
            "\u{2028}",
            "x\u{2029}y",
            "\u{20ac}\u{2028}\u{20ac}",
            "\n\t\u{1}",
            "é",
            "a b,c=d",
        ];
        let mut cache = LayoutCache::default();
        let plan = plan(&[]);
        let options = lineproto::EncoderOptions::new(lineproto::Dialect::InfluxDbV1);
        for (i, key) in texts.iter().enumerate() {
            let value = texts[(i + 3) % texts.len()];
            let attrs = list(&[
                (key, ValueView::Str(value)),
                ("n", ValueView::Int(-7)),
                ("s", ValueView::Str(value)),
                ("z", ValueView::Double(0.5)),
            ]);
            let layout = cache.layout(KeyRule::Own, &attrs, &[], &plan);
            let mut sorted = attrs.list.clone();
            sorted.sort_by(|a, b| a.0.cmp(b.0));
            sorted.dedup_by(|later, earlier| {
                let same = later.0 == earlier.0;
                if same {
                    *earlier = *later;
                }
                same
            });
            let mut plain = String::new();
            crate::value::json::write_json_object(&sorted, &mut plain).unwrap();
            let mut expected = lineproto::Encoder::new(options);
            expected.start_line("m").field_str("j", &plain);
            expected.end_line(None).unwrap();
            let mut written = lineproto::Encoder::new(options);
            let mut keys = JsonKeyCache::default();
            written.start_line("m").field_str_with("j", |w| {
                JsonAttrs {
                    layout,
                    attrs: &attrs,
                }
                .write(&[], w, &mut keys);
            });
            written.end_line(None).unwrap();
            assert_eq!(written.as_bytes(), expected.as_bytes(), "{key:?} {value:?}");
        }
    }

    #[test]
    fn many_key_lists_evict_and_rebuild_correctly() {
        let dims: Vec<String> = Vec::new();
        let plan = plan(&dims);
        let mut cache = LayoutCache::default();
        let names: Vec<String> = (0..3 * LAYOUT_SLOTS).map(|i| format!("key{i}")).collect();
        for round in 0..3 {
            for i in 0..names.len() {
                let pair = [names[i].as_str(), &names[(i + round) % names.len()]];
                let a = keys(&pair);
                let layout = cache.layout(KeyRule::Own, &a, &dims, &plan);
                let json = JsonAttrs { layout, attrs: &a };
                let mut expected = pair.to_vec();
                expected.sort_unstable();
                expected.dedup();
                assert_eq!(json.keys(&[]), expected);
            }
        }
    }
}
