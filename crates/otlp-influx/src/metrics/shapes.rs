//! Line templates for the shapes of metric line met lately. The points of a metric repeat one
//! shape (measurement, tag keys, field keys), so its keys are checked and escaped once per
//! shape instead of once per line, and its tags are not sorted again by the encoder.

use lineproto::LineTemplate;

use super::keys::{is_datalayers_measurement, push_datalayers_measurement};

/// How many shapes are kept: a metric's point line, its `le` or `quantile` lines (v2) and its
/// exemplar lines, with room for the next metric's.
const CAPACITY: usize = 8;

/// The shapes of the last [`CAPACITY`] lines, most recently used first (a new shape rebuilds the
/// least recently used template in place: no allocation once they have grown), and the
/// measurement rewritten for Datalayers.
#[derive(Debug, Default)]
pub(crate) struct LineShapes {
    shapes: Vec<Shape>,
    /// The versions of the line that found the first shape.
    last: Option<KeyVersions>,
    /// The measurement rewritten into Datalayers' table-name rule.
    sanitized: String,
}

/// One shape: its template, and the measurement as the writer gave it.
#[derive(Debug)]
struct Shape {
    template: LineTemplate,
    given: String,
    /// Whether `given` was rewritten for Datalayers (the template has the rewritten name).
    renamed: bool,
    datalayers: bool,
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

/// A line's name and template, from [`LineShapes::find`].
#[derive(Debug)]
pub(crate) struct Named<'s> {
    /// The measurement to write: as given, or rewritten for Datalayers.
    pub(crate) measurement: &'s str,
    pub(crate) renamed: bool,
    /// `None` when the names cannot make a template: the caller writes the line with plain
    /// calls, which report what is wrong with it.
    pub(crate) template: Option<&'s LineTemplate>,
}

impl LineShapes {
    /// The measurement and template of a line named `given` with these keys. With the Datalayers
    /// dialect a name outside its rule is rewritten (see the module docs); an empty name stays
    /// empty, for the encoder to refuse as the reference does.
    pub(crate) fn find<'s, 'k, T, F>(
        &'s mut self,
        versions: KeyVersions,
        given: &'s str,
        datalayers: bool,
        tag_keys: T,
        field_keys: F,
    ) -> Named<'s>
    where
        T: Iterator<Item = &'k str> + Clone,
        F: Iterator<Item = &'k str> + Clone,
    {
        let Self {
            shapes,
            last,
            sanitized,
        } = self;
        let same_as_last = *last == Some(versions)
            && shapes
                .first()
                .is_some_and(|first| first.datalayers == datalayers && first.given == given);
        if same_as_last {
            let first = &shapes[0];
            return Named {
                measurement: first.template.measurement(),
                renamed: first.renamed,
                template: Some(&first.template),
            };
        }
        *last = None;
        let renamed = datalayers && !given.is_empty() && !is_datalayers_measurement(given);
        let measurement: &str = if renamed {
            sanitized.clear();
            push_datalayers_measurement(sanitized, given);
            sanitized
        } else {
            given
        };
        let found = shapes.iter().position(|shape| {
            shape.template.measurement() == measurement
                && shape.template.tag_keys().eq(tag_keys.clone())
                && shape.template.field_keys().eq(field_keys.clone())
        });
        let index = match found {
            Some(index) => Some(index),
            None if shapes.len() < CAPACITY => {
                // Only while the cache fills up: a new template, its key lists collected once.
                let tags: Vec<&str> = tag_keys.collect();
                let fields: Vec<&str> = field_keys.collect();
                LineTemplate::new(measurement, &tags, &fields)
                    .ok()
                    .map(|template| {
                        shapes.push(Shape {
                            template,
                            given: String::new(),
                            renamed,
                            datalayers,
                        });
                        shapes.len() - 1
                    })
            }
            None => {
                // Its lines would fail when this fails: it stays last, rebuilt first next time.
                let index = shapes.len() - 1;
                shapes[index]
                    .template
                    .rebuild(measurement, tag_keys, field_keys)
                    .ok()
                    .map(|()| index)
            }
        };
        let Some(index) = index else {
            return Named {
                measurement,
                renamed,
                template: None,
            };
        };
        let shape = &mut shapes[index];
        shape.given.clear();
        shape.given.push_str(given);
        shape.renamed = renamed;
        shape.datalayers = datalayers;
        shapes[..=index].rotate_right(1);
        *last = Some(versions);
        let first = &shapes[0];
        Named {
            measurement: first.template.measurement(),
            renamed,
            template: Some(&first.template),
        }
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
        let mut shapes = LineShapes::default();
        let got = shapes
            .find(
                fresh(),
                "m",
                false,
                ["a", "b"].into_iter(),
                ["x"].into_iter(),
            )
            .template;
        assert_eq!(keys(got.unwrap()), ("m".into(), "a,b".into(), "x".into()));
        // Same measurement, other keys: another shape.
        let got = shapes
            .find(fresh(), "m", false, ["a"].into_iter(), ["x"].into_iter())
            .template;
        assert_eq!(keys(got.unwrap()), ("m".into(), "a".into(), "x".into()));
        assert_eq!(shapes.shapes.len(), 2);
        // Found again: moved to the front, nothing added.
        shapes.find(
            fresh(),
            "m",
            false,
            ["a", "b"].into_iter(),
            ["x"].into_iter(),
        );
        assert_eq!(shapes.shapes.len(), 2);
        assert_eq!(keys(&shapes.shapes[0].template).1, "a,b");
        // Unsorted tags make no template.
        assert!(
            shapes
                .find(fresh(), "m", false, ["b", "a"].into_iter(), [].into_iter())
                .template
                .is_none()
        );
        // Past the capacity, the least recently used shape is rebuilt.
        for i in 0..CAPACITY {
            let name = format!("n{i}");
            shapes
                .find(fresh(), &name, false, [].into_iter(), ["x"].into_iter())
                .template
                .unwrap();
        }
        assert_eq!(shapes.shapes.len(), CAPACITY);
        assert_eq!(
            shapes.shapes[0].template.measurement(),
            format!("n{}", CAPACITY - 1)
        );
        assert!(
            shapes
                .shapes
                .iter()
                .all(|s| s.template.measurement() != "m")
        );
    }

    /// The versions of the last line stand for its keys; the measurement is still compared,
    /// and other versions compare the keys.
    #[test]
    fn the_last_versions_skip_the_key_comparison_only() {
        let mut shapes = LineShapes::default();
        let versions = fresh();
        shapes.find(versions, "m", false, ["a"].into_iter(), ["x"].into_iter());
        // Same versions: the keys given are not looked at (a caller never gives other keys
        // with the same versions; here they show that no comparison was made).
        let got = shapes
            .find(versions, "m", false, ["zzz"].into_iter(), ["x"].into_iter())
            .template;
        assert_eq!(keys(got.unwrap()).1, "a");
        // Same versions, another measurement: compared, a new shape.
        let got = shapes
            .find(versions, "n", false, ["a"].into_iter(), ["x"].into_iter())
            .template;
        assert_eq!(keys(got.unwrap()).0, "n");
        // Another extra tag key: compared.
        let le = KeyVersions {
            extra: Some("le"),
            ..versions
        };
        let got = shapes
            .find(le, "n", false, ["a", "le"].into_iter(), ["x"].into_iter())
            .template;
        assert_eq!(keys(got.unwrap()).1, "a,le");
    }

    /// A name is rewritten for Datalayers only, also when a line of the same versions was
    /// written for another dialect just before; two names with one rewrite share a shape.
    #[test]
    fn names_follow_the_dialect_of_each_line() {
        let mut shapes = LineShapes::default();
        let versions = fresh();
        let named = |shapes: &mut LineShapes, given: &str, datalayers: bool| {
            let named = shapes.find(
                versions,
                given,
                datalayers,
                ["a"].into_iter(),
                ["x"].into_iter(),
            );
            let template = named.template.map(|t| t.measurement().to_owned());
            (named.measurement.to_owned(), named.renamed, template)
        };
        let rewritten = || {
            (
                "http_server".to_owned(),
                true,
                Some("http_server".to_owned()),
            )
        };
        assert_eq!(named(&mut shapes, "http/server", true), rewritten());
        assert_eq!(named(&mut shapes, "http/server", true), rewritten());
        let kept = (
            "http/server".to_owned(),
            false,
            Some("http/server".to_owned()),
        );
        assert_eq!(named(&mut shapes, "http/server", false), kept);
        assert_eq!(named(&mut shapes, "http:server", true).0, "http_server");
        assert_eq!(shapes.shapes.len(), 2, "one shape per name written");
        // An empty name makes no template: the encoder refuses the line.
        assert_eq!(named(&mut shapes, "", true), (String::new(), false, None));
    }
}
