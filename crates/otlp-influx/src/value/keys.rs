//! Attribute keys compared and sorted the way the JSON writer and the attribute layouts need:
//! a word-at-a-time equality, and an in-place sort where the last duplicate wins.

use super::ValueView;

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
            prefix: lineproto::text::key_prefix(key.as_bytes()),
            key,
            seq,
            value,
            in_json,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

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
