//! Reused tag and field sets with the reference's map semantics: a later entry with the same key
//! replaces an earlier one, and the line gets the survivors in byte order of the key.

use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use lineproto::text::key_prefix;

use super::keys::push_go_decimal;
use crate::value::AttributeValue;
use crate::view::Attr;

/// Tags of the line(s) being built: resource and scope tags (the base), then a data point's (or an
/// exemplar's) own. Text lives in one reused `String`; no allocation once warmed up.
#[derive(Debug, Default)]
pub(crate) struct TagSet {
    text: String,
    entries: Vec<TagEntry>,
    /// Entries (and text length) that belong to the base, kept by [`TagSet::truncate_to_base`].
    base: (usize, usize),
    /// Indices into `entries` of the tags to write, sorted by key: last value per key, non-empty.
    resolved: Vec<usize>,
    /// The base entries sorted by key, last value per key (empty values kept): resolved once
    /// per base, then merged with each point's own tags.
    base_sorted: Vec<usize>,
    /// The same for the point's own entries.
    own_sorted: Vec<usize>,
    /// The keys of the last resolved tags: their text, and for each its prefix and end.
    resolved_keys: String,
    resolved_key_ends: Vec<(u64, usize)>,
    /// See [`TagSet::keys_version`].
    keys_version: u64,
}

/// One tag in [`TagSet::text`]: the key at `key_start..value_start`, then the value.
#[derive(Debug, Clone, Copy)]
struct TagEntry {
    key_start: usize,
    value_start: usize,
    value_end: usize,
    /// [`key_prefix`] of the key: most key comparisons are one integer comparison.
    prefix: u64,
}

impl TagSet {
    /// Removes everything, base included.
    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.entries.clear();
        self.base = (0, 0);
        self.resolved.clear();
        self.base_sorted.clear();
    }

    /// Makes the current entries the base that [`TagSet::truncate_to_base`] goes back to.
    pub(crate) fn mark_base(&mut self) {
        self.base = (self.entries.len(), self.text.len());
        let order = key_order(&self.text, &self.entries);
        sort_dedup_last_wins(&mut self.base_sorted, 0..self.entries.len(), order);
    }

    /// Drops the entries added after the last [`TagSet::mark_base`].
    pub(crate) fn truncate_to_base(&mut self) {
        self.entries.truncate(self.base.0);
        self.text.truncate(self.base.1);
    }

    /// Adds `key` with the pdata `AsString` text of `value`. An empty key is ignored (the reference
    /// filters it). An empty text is kept, so that it hides an earlier value of the same key, as a Go
    /// map entry overwritten with `""` and then dropped by the writer would; a map or list value with
    /// NaN in it has no text in pdata and counts as empty too.
    pub(crate) fn push(&mut self, key: &str, value: &(impl AttributeValue + ?Sized)) {
        if key.is_empty() {
            return;
        }
        let key_start = self.text.len();
        self.text.push_str(key);
        let value_start = self.text.len();
        if value.append_as_string(&mut self.text).is_err() {
            self.text.truncate(value_start);
        }
        self.entries.push(TagEntry {
            key_start,
            value_start,
            value_end: self.text.len(),
            prefix: key_prefix(key.as_bytes()),
        });
    }

    /// Adds `key` = `value` as text.
    pub(crate) fn push_str(&mut self, key: &str, value: &str) {
        self.push(key, &crate::value::ValueView::Str(value));
    }

    /// Adds every attribute in order (see [`TagSet::push`]).
    pub(crate) fn extend<'a>(&mut self, attributes: impl IntoIterator<Item = Attr<'a>>) {
        for (key, value) in attributes {
            self.push(key, &value);
        }
    }

    /// Computes the tags to write from the current entries; call after the last push of a point.
    /// Only the point's own tags are sorted (few, often already in order); the base was sorted
    /// once in [`TagSet::mark_base`], and the two are merged, the point's value winning.
    pub(crate) fn resolve(&mut self) {
        let Self {
            text,
            entries,
            base,
            resolved,
            base_sorted,
            own_sorted,
            resolved_keys,
            resolved_key_ends,
            keys_version,
        } = self;
        let order = key_order(text, entries);
        sort_dedup_last_wins(own_sorted, base.0..entries.len(), &order);
        resolved.clear();
        let has_value = |i: usize| entries[i].value_start < entries[i].value_end;
        let mut from_base = base_sorted.iter().copied().peekable();
        for &own in own_sorted.iter() {
            while let Some(b) = from_base.next_if(|&b| order(b, own).is_le()) {
                // A base tag of the same key is replaced by the point's.
                if order(b, own).is_lt() && has_value(b) {
                    resolved.push(b);
                }
            }
            if has_value(own) {
                resolved.push(own);
            }
        }
        resolved.extend(from_base.filter(|&b| has_value(b)));
        // The points of a metric repeat their keys (their attributes, maybe in another order):
        // the version stays, and the line writer need not compare them again.
        let key = |i: usize| &text.as_bytes()[entries[i].key_start..entries[i].value_start];
        let same_keys = resolved.len() == resolved_key_ends.len()
            && resolved
                .iter()
                .zip(resolved_key_ends.iter())
                .enumerate()
                .all(|(n, (&i, &(prefix, end)))| {
                    let start = if n == 0 {
                        0
                    } else {
                        resolved_key_ends[n - 1].1
                    };
                    // A prefix holds the whole key when it has up to 8 bytes.
                    entries[i].prefix == prefix
                        && key(i).len() == end - start
                        && (end - start <= 8 || key(i) == &resolved_keys.as_bytes()[start..end])
                });
        if !same_keys {
            resolved_keys.clear();
            resolved_key_ends.clear();
            for &i in resolved.iter() {
                resolved_keys.push_str(&text[entries[i].key_start..entries[i].value_start]);
                resolved_key_ends.push((entries[i].prefix, resolved_keys.len()));
            }
            *keys_version = new_keys_version();
        }
    }

    /// A number for the keys of the resolved tags, unique in the process: it changes whenever
    /// they may have, so a line writer can tell that a line has the last line's keys without
    /// comparing them.
    pub(crate) fn keys_version(&self) -> u64 {
        self.keys_version
    }

    /// The keys of the resolved tags, contiguous: their text, and for each its prefix and end.
    pub(crate) fn resolved_keys(&self) -> (&str, &[(u64, usize)]) {
        (&self.resolved_keys, &self.resolved_key_ends)
    }

    /// Whether [`TagSet::resolve`] left no tag to write.
    pub(crate) fn resolved_is_empty(&self) -> bool {
        self.resolved.is_empty()
    }

    /// The values of [`TagSet::resolved`].
    pub(crate) fn resolved_values(&self) -> impl Iterator<Item = &str> + '_ {
        self.resolved
            .iter()
            .map(|&i| &self.text[self.entries[i].value_start..self.entries[i].value_end])
    }

    /// The resolved tags in key order (see [`TagSet::resolve`]).
    pub(crate) fn resolved(&self) -> impl Iterator<Item = (&str, &str)> + Clone + '_ {
        self.resolved.iter().map(|&i| {
            let entry = self.entries[i];
            (
                &self.text[entry.key_start..entry.value_start],
                &self.text[entry.value_start..entry.value_end],
            )
        })
    }
}

/// The byte order of two entries' keys: by prefix, then by the whole key when the prefixes tie.
fn key_order<'t>(
    text: &'t str,
    entries: &'t [TagEntry],
) -> impl Fn(usize, usize) -> std::cmp::Ordering + 't {
    move |a, b| {
        let (a, b) = (&entries[a], &entries[b]);
        a.prefix.cmp(&b.prefix).then_with(|| {
            text.as_bytes()[a.key_start..a.value_start]
                .cmp(&text.as_bytes()[b.key_start..b.value_start])
        })
    }
}

/// A key-list version (see [`TagSet::keys_version`]): unique in the process, so that the
/// versions of two sets are never confused.
fn new_keys_version() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, AtomicOrdering::Relaxed)
}

/// Fills `out` with `indices` sorted by `order`, keeping only the last index of each key (a
/// stable sort: equal keys stay in index order). A point has few tags: those are sorted by
/// insertion, without the general sort's set-up.
fn sort_dedup_last_wins(
    out: &mut Vec<usize>,
    indices: std::ops::Range<usize>,
    order: impl Fn(usize, usize) -> std::cmp::Ordering,
) {
    out.clear();
    out.extend(indices);
    if out.len() <= 16 {
        for i in 1..out.len() {
            let mut j = i;
            while j > 0 && order(out[j - 1], out[j]).is_gt() {
                out.swap(j - 1, j);
                j -= 1;
            }
        }
    } else {
        out.sort_by(|a, b| order(*a, *b));
    }
    let mut write = 0;
    for read in 0..out.len() {
        let index = out[read];
        let last_of_run = out
            .get(read + 1)
            .is_none_or(|next| order(*next, index).is_ne());
        if last_of_run {
            out[write] = index;
            write += 1;
        }
    }
    out.truncate(write);
}

/// The Go decimal text ([`push_go_decimal`]) of a histogram's bounds, kept while the bounds stay
/// the same: every point of a metric repeats them, so they are formatted once per metric.
#[derive(Debug, Default)]
pub(crate) struct BoundKeys {
    /// Bit patterns of the bounds the text is for.
    bounds: Vec<u64>,
    text: String,
    /// End of each bound's text in `text`.
    ends: Vec<usize>,
}

impl BoundKeys {
    /// Makes the keys those of `bounds` (a no-op when they already are).
    pub(crate) fn set(&mut self, bounds: &[f64]) {
        let same = self.bounds.len() == bounds.len()
            && self
                .bounds
                .iter()
                .zip(bounds)
                .all(|(b, f)| *b == f.to_bits());
        if same {
            return;
        }
        self.bounds.clear();
        self.text.clear();
        self.ends.clear();
        for bound in bounds {
            self.bounds.push(bound.to_bits());
            push_go_decimal(&mut self.text, *bound);
            self.ends.push(self.text.len());
        }
    }

    /// The key of bucket `i`: its upper bound, `+Inf` past the last bound (the overflow bucket).
    pub(crate) fn key(&self, i: usize) -> &str {
        match self.ends.get(i) {
            Some(&end) => &self.text[if i == 0 { 0 } else { self.ends[i - 1] }..end],
            None => "+Inf",
        }
    }
}

/// A typed field value as the schemas produce it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum FieldNumber {
    /// `5i`.
    I64(i64),
    /// `5u` (written as `5i` for InfluxDB 1.x by the encoder).
    U64(u64),
    /// A float.
    F64(f64),
}

impl FieldNumber {
    /// The value as the encoder takes it.
    pub(crate) fn value(self) -> lineproto::FieldValue<'static> {
        match self {
            Self::I64(v) => lineproto::FieldValue::I64(v),
            Self::U64(v) => lineproto::FieldValue::U64(v),
            Self::F64(v) => lineproto::FieldValue::F64(v),
        }
    }
}

/// Fields of the line being built; written sorted by key, the last value per key winning.
#[derive(Debug, Default)]
pub(crate) struct FieldSet {
    keys: String,
    entries: Vec<(usize, usize, FieldNumber)>,
    order: Vec<usize>,
    /// The keys (text and spans) that `order` was computed for: the points of one metric have
    /// the same keys (a histogram's bucket keys, ...), so their order is sorted once.
    order_keys: String,
    order_spans: Vec<(usize, usize)>,
    /// See [`FieldSet::keys_version`].
    keys_version: u64,
}

impl FieldSet {
    /// Removes all fields.
    pub(crate) fn clear(&mut self) {
        self.keys.clear();
        self.entries.clear();
    }

    /// Adds a field with a fixed key.
    pub(crate) fn push(&mut self, key: &str, value: FieldNumber) {
        self.push_with(|keys| keys.push_str(key), value);
    }

    /// Adds a field whose key is written by `key` into the given buffer (e.g. a formatted bound).
    pub(crate) fn push_with(&mut self, key: impl FnOnce(&mut String), value: FieldNumber) {
        let start = self.keys.len();
        key(&mut self.keys);
        self.entries.push((start, self.keys.len(), value));
    }

    /// Drops NaN and infinite floats, returning how many there were.
    pub(crate) fn remove_non_finite(&mut self) -> u64 {
        let non_finite = |(_, _, value): &(usize, usize, FieldNumber)| matches!(value, FieldNumber::F64(f) if !f.is_finite());
        if !self.entries.iter().any(non_finite) {
            return 0;
        }
        let before = self.entries.len();
        self.entries.retain(|entry| !non_finite(entry));
        (before - self.entries.len()) as u64
    }

    /// Whether there is no field.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Puts the fields in byte order of the key, keeping the last value of a repeated key;
    /// [`FieldSet::in_order`] then gives them.
    pub(crate) fn sort(&mut self) {
        let Self {
            keys,
            entries,
            order,
            order_keys,
            order_spans,
            keys_version,
        } = self;
        let same_keys = *order_keys == *keys
            && order_spans.len() == entries.len()
            && order_spans
                .iter()
                .zip(entries.iter())
                .all(|(&(start, end), e)| start == e.0 && end == e.1);
        if same_keys {
            return;
        }
        let key = |i: usize| &keys[entries[i].0..entries[i].1];
        sort_dedup_last_wins(order, 0..entries.len(), |a, b| key(a).cmp(key(b)));
        order_keys.clone_from(keys);
        order_spans.clear();
        order_spans.extend(entries.iter().map(|e| (e.0, e.1)));
        *keys_version = new_keys_version();
    }

    /// The keys as [`FieldSet::sort`] last saw them, contiguous: their text in the order they
    /// were pushed, and where each is in it. The same keys pushed give the same sorted keys.
    pub(crate) fn pushed_keys(&self) -> (&str, &[(usize, usize)]) {
        (&self.order_keys, &self.order_spans)
    }

    /// A number for the sorted keys, unique in the process; it changes whenever they may have
    /// (see [`TagSet::keys_version`]).
    pub(crate) fn keys_version(&self) -> u64 {
        self.keys_version
    }

    /// The values of [`FieldSet::in_order`].
    pub(crate) fn values_in_order(&self) -> impl Iterator<Item = FieldNumber> + '_ {
        self.order.iter().map(|&i| self.entries[i].2)
    }

    /// The fields as [`FieldSet::sort`] left them: in byte order of the key, one per key.
    pub(crate) fn in_order(&self) -> impl Iterator<Item = (&str, FieldNumber)> + Clone + '_ {
        self.order.iter().map(|i| {
            let (start, end, value) = self.entries[*i];
            (&self.keys[start..end], value)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::ValueView;

    #[test]
    fn tags_sort_and_the_last_value_wins() {
        let mut tags = TagSet::default();
        tags.push("service.name", &ValueView::Str("a"));
        tags.push("", &ValueView::Str("ignored"));
        tags.push("code", &ValueView::Int(200));
        tags.mark_base();
        tags.push("service.name", &ValueView::Str("b"));
        tags.push("empty", &ValueView::Str(""));
        tags.resolve();
        let got: Vec<_> = tags.resolved().collect();
        assert_eq!(got, [("code", "200"), ("service.name", "b")]);

        tags.truncate_to_base();
        tags.push("code", &ValueView::Str(""));
        tags.resolve();
        let got: Vec<_> = tags.resolved().collect();
        assert_eq!(
            got,
            [("service.name", "a")],
            "an empty value hides the earlier one"
        );
    }

    #[test]
    fn fields_sort_by_bytes_and_dedupe() {
        let mut fields = FieldSet::default();
        fields.push("sum", FieldNumber::F64(1.0));
        fields.push("count", FieldNumber::F64(2.0));
        fields.push("+Inf", FieldNumber::F64(2.0));
        fields.push("10", FieldNumber::F64(1.0));
        fields.push("2", FieldNumber::F64(1.0));
        fields.push("10", FieldNumber::F64(1.5));
        fields.push("nan", FieldNumber::F64(f64::NAN));
        assert_eq!(fields.remove_non_finite(), 1);
        fields.sort();
        let keys: Vec<_> = fields.in_order().map(|(k, v)| (k.to_owned(), v)).collect();
        assert_eq!(
            keys,
            [
                ("+Inf".to_owned(), FieldNumber::F64(2.0)),
                ("10".to_owned(), FieldNumber::F64(1.5)),
                ("2".to_owned(), FieldNumber::F64(1.0)),
                ("count".to_owned(), FieldNumber::F64(2.0)),
                ("sum".to_owned(), FieldNumber::F64(1.0)),
            ]
        );
    }

    #[test]
    fn bound_keys_follow_the_bounds() {
        let mut keys = BoundKeys::default();
        keys.set(&[0.5, 1.0, 1e-7]);
        let all = |keys: &BoundKeys| (0..4).map(|i| keys.key(i).to_owned()).collect::<Vec<_>>();
        assert_eq!(all(&keys), ["0.5", "1", "0.0000001", "+Inf"]);
        keys.set(&[0.5, 1.0, 1e-7]);
        assert_eq!(all(&keys), ["0.5", "1", "0.0000001", "+Inf"]);
        // Same values but one: reformatted; -0.0 is not 0.0 (its key is `-0`).
        keys.set(&[0.5, 2.0, 1e-7]);
        assert_eq!(all(&keys), ["0.5", "2", "0.0000001", "+Inf"]);
        keys.set(&[-0.0]);
        assert_eq!(all(&keys)[..2], ["-0", "+Inf"]);
        keys.set(&[0.0]);
        assert_eq!(all(&keys)[..2], ["0", "+Inf"]);
        keys.set(&[]);
        assert_eq!(keys.key(0), "+Inf");
    }

    #[test]
    fn the_order_is_reused_only_for_the_same_keys() {
        let mut fields = FieldSet::default();
        let sorted = |fields: &mut FieldSet, pushes: &[(&str, f64)]| {
            fields.clear();
            for (key, value) in pushes {
                fields.push(key, FieldNumber::F64(*value));
            }
            fields.sort();
            let got: Vec<_> = fields.in_order().map(|(k, v)| (k.to_owned(), v)).collect();
            got
        };
        let f = |k: &str, v: f64| (k.to_owned(), FieldNumber::F64(v));
        assert_eq!(
            sorted(&mut fields, &[("b", 1.0), ("a", 2.0)]),
            [f("a", 2.0), f("b", 1.0)]
        );
        // Same keys, new values: the cached order, the new values.
        assert_eq!(
            sorted(&mut fields, &[("b", 3.0), ("a", 4.0)]),
            [f("a", 4.0), f("b", 3.0)]
        );
        // Same key text, split differently ("ab" + "c" vs "a" + "bc"): sorted again.
        assert_eq!(
            sorted(&mut fields, &[("c", 1.0), ("ab", 2.0)]),
            [f("ab", 2.0), f("c", 1.0)]
        );
        assert_eq!(
            sorted(&mut fields, &[("ca", 1.0), ("b", 2.0)]),
            [f("b", 2.0), f("ca", 1.0)]
        );
        // Fewer keys.
        assert_eq!(sorted(&mut fields, &[("ca", 5.0)]), [f("ca", 5.0)]);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::value::ValueView;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn kvs() -> impl Strategy<Value = Vec<(String, String)>> {
        prop::collection::vec(("[a-d]{1,2}", "[xy]{0,1}"), 0..6)
    }

    proptest! {
        /// Base and point tags, in order or not, with repeated keys or not: the tags are those of
        /// a map written in push order, empty values left out, in key order.
        #[test]
        fn resolve_is_a_map_in_push_order(base in kvs(), point in kvs(), sort_point: bool) {
            let mut point = point;
            if sort_point {
                point.sort();
                point.dedup_by(|a, b| a.0 == b.0);
            }
            let mut tags = TagSet::default();
            for (k, v) in &base {
                tags.push(k, &ValueView::Str(v));
            }
            tags.mark_base();
            for round in 0..2 {
                tags.truncate_to_base();
                for (k, v) in &point {
                    tags.push(k, &ValueView::Str(v));
                }
                tags.resolve();
                let mut model = BTreeMap::new();
                for (k, v) in base.iter().chain(&point) {
                    model.insert(k.as_str(), v.as_str());
                }
                model.retain(|_, v| !v.is_empty());
                let got: Vec<_> = tags.resolved().collect();
                let want: Vec<_> = model.into_iter().collect();
                prop_assert_eq!(got, want, "round {}", round);
            }
        }
    }
}
