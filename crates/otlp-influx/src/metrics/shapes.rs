//! Line templates for the shapes of metric line met lately. The points of a metric repeat one
//! shape (measurement, tag keys, field keys), so its keys are checked and escaped once per
//! shape instead of once per line, and its tags are not sorted again by the encoder.

use lineproto::LineTemplate;

/// How many shapes are kept: a metric's point line, its `le` or `quantile` lines (v2) and its
/// exemplar lines, with room for the next metric's.
const CAPACITY: usize = 8;

/// What the lines of a metric writer are named with: the templates of the last [`CAPACITY`]
/// shapes, most recently used first (a new shape rebuilds the least recently used template in
/// place: no allocation once they have grown), and the measurement rewritten for Datalayers.
#[derive(Debug, Default)]
pub(crate) struct LineShapes {
    pub(crate) templates: ShapeTemplates,
    /// The measurement rewritten into Datalayers' table-name rule.
    pub(crate) sanitized: String,
}

/// The templates of the last [`CAPACITY`] shapes, most recently used first.
#[derive(Debug, Default)]
pub(crate) struct ShapeTemplates {
    templates: Vec<LineTemplate>,
    /// The versions of the line that found the first template.
    last: Option<KeyVersions>,
}

/// What names the keys of a line without their text: the versions of its tag and field sets
/// (unique in the process, changed whenever their keys may have), the extra tag's key, and
/// whether the Datalayers fallback tag is added. A line with the versions of the last line has
/// its keys; only the measurement is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyVersions {
    pub(crate) tags: u64,
    pub(crate) fields: u64,
    pub(crate) extra: Option<&'static str>,
    pub(crate) fallback: bool,
}

impl ShapeTemplates {
    /// The template of this shape, or `None` when its names cannot make one (the caller then
    /// writes the line with plain calls, which report what is wrong with it).
    pub(crate) fn get<'k, T, F>(
        &mut self,
        versions: KeyVersions,
        measurement: &str,
        tag_keys: T,
        field_keys: F,
    ) -> Option<&LineTemplate>
    where
        T: Iterator<Item = &'k str> + Clone,
        F: Iterator<Item = &'k str> + Clone,
    {
        if self.last == Some(versions)
            && let Some(first) = self.templates.first()
            && first.measurement() == measurement
        {
            return self.templates.first();
        }
        self.last = None;
        let found = self.templates.iter().position(|template| {
            template.measurement() == measurement
                && template.tag_keys().eq(tag_keys.clone())
                && template.field_keys().eq(field_keys.clone())
        });
        let index = match found {
            Some(index) => index,
            None if self.templates.len() < CAPACITY => {
                // Only while the cache fills up: a new template, its key lists collected once.
                let tags: Vec<&str> = tag_keys.collect();
                let fields: Vec<&str> = field_keys.collect();
                self.templates
                    .push(LineTemplate::new(measurement, &tags, &fields).ok()?);
                self.templates.len() - 1
            }
            None => {
                let last = self.templates.len() - 1;
                if self.templates[last]
                    .rebuild(measurement, tag_keys, field_keys)
                    .is_err()
                {
                    // Its lines would fail: out of the way, rebuilt first next time.
                    return None;
                }
                last
            }
        };
        self.templates[..=index].rotate_right(1);
        self.last = Some(versions);
        self.templates.first()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Versions no line has had: every lookup compares the keys.
    fn fresh() -> KeyVersions {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1 << 60);
        let version = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        KeyVersions {
            tags: version,
            fields: version,
            extra: None,
            fallback: false,
        }
    }

    fn keys(t: &LineTemplate) -> (String, String, String) {
        (
            t.measurement().to_owned(),
            t.tag_keys().collect::<Vec<_>>().join(","),
            t.field_keys().collect::<Vec<_>>().join(","),
        )
    }

    #[test]
    fn shapes_are_found_kept_and_replaced() {
        let mut shapes = ShapeTemplates::default();
        let got = shapes.get(fresh(), "m", ["a", "b"].into_iter(), ["x"].into_iter());
        assert_eq!(keys(got.unwrap()), ("m".into(), "a,b".into(), "x".into()));
        // Same measurement, other keys: another shape.
        let got = shapes.get(fresh(), "m", ["a"].into_iter(), ["x"].into_iter());
        assert_eq!(keys(got.unwrap()), ("m".into(), "a".into(), "x".into()));
        assert_eq!(shapes.templates.len(), 2);
        // Found again: moved to the front, nothing added.
        shapes.get(fresh(), "m", ["a", "b"].into_iter(), ["x"].into_iter());
        assert_eq!(shapes.templates.len(), 2);
        assert_eq!(keys(&shapes.templates[0]).1, "a,b");
        // Unsorted tags make no template.
        assert!(
            shapes
                .get(fresh(), "m", ["b", "a"].into_iter(), [].into_iter())
                .is_none()
        );
        // Past the capacity, the least recently used shape is rebuilt.
        for i in 0..CAPACITY {
            let name = format!("n{i}");
            shapes
                .get(fresh(), &name, [].into_iter(), ["x"].into_iter())
                .unwrap();
        }
        assert_eq!(shapes.templates.len(), CAPACITY);
        assert_eq!(
            shapes.templates[0].measurement(),
            format!("n{}", CAPACITY - 1)
        );
        assert!(shapes.templates.iter().all(|t| t.measurement() != "m"));
    }

    /// The versions of the last line stand for its keys; the measurement is still compared,
    /// and other versions compare the keys.
    #[test]
    fn the_last_versions_skip_the_key_comparison_only() {
        let mut shapes = ShapeTemplates::default();
        let versions = fresh();
        shapes.get(versions, "m", ["a"].into_iter(), ["x"].into_iter());
        // Same versions: the keys given are not looked at (a caller never gives other keys
        // with the same versions; here they show that no comparison was made).
        let got = shapes.get(versions, "m", ["zzz"].into_iter(), ["x"].into_iter());
        assert_eq!(keys(got.unwrap()).1, "a");
        // Same versions, another measurement: compared, a new shape.
        let got = shapes.get(versions, "n", ["a"].into_iter(), ["x"].into_iter());
        assert_eq!(keys(got.unwrap()).0, "n");
        // Another extra tag key: compared.
        let le = KeyVersions {
            extra: Some("le"),
            ..versions
        };
        let got = shapes.get(le, "n", ["a", "le"].into_iter(), ["x"].into_iter());
        assert_eq!(keys(got.unwrap()).1, "a,le");
    }
}
