//! Line templates for the shapes of metric line this writer has met. The points of a metric
//! repeat one shape (measurement, tag keys, field keys), and an exporter or a gateway sees the
//! same metrics again and again: a shape's keys are checked and escaped once, not once per
//! line, and its tags are not sorted again by the encoder.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};

use lineproto::LineTemplate;

use super::keys::{is_datalayers_measurement, push_datalayers_measurement};

/// How many shapes are kept at most, and about how many bytes they may hold together (names
/// and keys, each held twice, plus the templates' bookkeeping per key): a bound on memory for
/// writers whose metrics keep changing, or whose input is hostile (a gateway). Lines of shapes
/// not kept are written with the encoder's plain calls (as fast as before templates, the
/// lookup aside). A histogram line of 21 fields and 7 tags takes about 3 KiB.
pub(crate) const CAPACITY: usize = 512;
pub(crate) const MAX_BYTES: usize = 512 * 1024;

/// Bookkeeping bytes counted per key of a kept shape (the template's and the shape's entries).
const BYTES_PER_KEY: usize = 96;

/// The shapes met so far, and the measurement rewritten for Datalayers.
#[derive(Debug, Default)]
pub(crate) struct LineShapes {
    shapes: Vec<Shape>,
    /// [`shape_hash`] of a shape to the last shape added with that hash; the shapes of one hash
    /// are chained through [`Shape::next`].
    heads: HashMap<u64, usize>,
    hasher: std::collections::hash_map::RandomState,
    /// The versions of the last line, and its shape.
    last: Option<(KeyVersions, usize)>,
    /// The measurement rewritten into Datalayers' table-name rule.
    sanitized: String,
    /// The bytes the kept shapes hold, as [`MAX_BYTES`] counts them.
    bytes: usize,
    /// Tests: no templates, every line through the plain calls (the oracle of the shapes).
    #[cfg(test)]
    pub(crate) plain_only: bool,
}

/// One shape: its template, and what it was found by: the measurement as the writer gave it and
/// the keys as the line's tag and field sets held them.
#[derive(Debug)]
struct Shape {
    template: LineTemplate,
    given: String,
    datalayers: bool,
    extra: Option<&'static str>,
    fallback: bool,
    tag_keys: String,
    tag_key_ends: Vec<(u64, usize)>,
    field_keys: String,
    field_key_spans: Vec<(usize, usize)>,
    /// Whether `given` was rewritten for Datalayers (the template has the rewritten name).
    renamed: bool,
    /// The shape added before this one with the same hash.
    next: Option<usize>,
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

/// The keys of a line as its tag and field sets hold them ([`TagSet::resolved_keys`],
/// [`FieldSet::pushed_keys`]), with the extra tag and the fallback tag of its versions: a few
/// contiguous slices, compared in one go each.
///
/// [`TagSet::resolved_keys`]: super::scratch::TagSet::resolved_keys
/// [`FieldSet::pushed_keys`]: super::scratch::FieldSet::pushed_keys
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeldKeys<'k> {
    pub(crate) tags: (&'k str, &'k [(u64, usize)]),
    pub(crate) fields: (&'k str, &'k [(usize, usize)]),
}

impl HeldKeys<'_> {
    /// What a shape of these keys named `given` counts against [`MAX_BYTES`].
    fn bytes(&self, given: &str) -> usize {
        let keys = self.tags.1.len() + self.fields.1.len() + 1;
        2 * (given.len() + self.tags.0.len() + self.fields.0.len()) + BYTES_PER_KEY * keys
    }
}

impl Shape {
    /// Whether a line of these names and keys has this shape.
    fn is(&self, given: &str, datalayers: bool, versions: KeyVersions, keys: HeldKeys<'_>) -> bool {
        self.given == given
            && self.datalayers == datalayers
            && self.extra == versions.extra
            && self.fallback == versions.fallback
            && self.tag_key_ends == keys.tags.1
            && self.field_key_spans == keys.fields.1
            && self.tag_keys == keys.tags.0
            && self.field_keys == keys.fields.0
    }
}

/// A line's name and template, from [`LineShapes::find`].
#[derive(Debug)]
pub(crate) struct Named<'s> {
    /// The measurement to write: as given, or rewritten for Datalayers.
    pub(crate) measurement: &'s str,
    pub(crate) renamed: bool,
    /// `None` when the names cannot make a template (the caller writes the line with plain
    /// calls, which report what is wrong with it), or when no more shapes are kept
    /// ([`CAPACITY`], [`MAX_BYTES`]).
    pub(crate) template: Option<&'s LineTemplate>,
}

impl LineShapes {
    /// The measurement and template of a line named `given` with these keys (`held` as the sets
    /// hold them, `tag_keys` and `field_keys` as the line writes them, read only to build a new
    /// shape's template). With the Datalayers dialect a name outside its rule is rewritten (the
    /// `metrics` module docs say how); an empty name stays empty, for the encoder to refuse as
    /// the reference does.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn find<'s, 'k, T, F>(
        &'s mut self,
        versions: KeyVersions,
        given: &'s str,
        datalayers: bool,
        held: HeldKeys<'_>,
        tag_keys: T,
        field_keys: F,
    ) -> Named<'s>
    where
        T: Iterator<Item = &'k str>,
        F: Iterator<Item = &'k str>,
    {
        let Self {
            shapes,
            heads,
            hasher,
            last,
            sanitized,
            bytes,
            #[cfg(test)]
            plain_only,
        } = self;
        let last_shape = last
            .filter(|&(last_versions, _)| last_versions == versions)
            .map(|(_, index)| index)
            .filter(|&index| {
                shapes[index].datalayers == datalayers && shapes[index].given == given
            });
        if let Some(index) = last_shape {
            return shapes[index].named();
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
        #[cfg(test)]
        if *plain_only {
            return Named {
                measurement,
                renamed,
                template: None,
            };
        }
        let hash = shape_hash(hasher, given, datalayers, held);
        let mut at = heads.get(&hash).copied();
        while let Some(index) = at {
            let shape = &shapes[index];
            if shape.is(given, datalayers, versions, held) {
                break;
            }
            at = shape.next;
        }
        let room = shapes.len() < CAPACITY && *bytes + held.bytes(given) <= MAX_BYTES;
        let index = match at {
            Some(index) => Some(index),
            None if room => {
                // A new shape: its key lists collected once, to build its template.
                let tags: Vec<&str> = tag_keys.collect();
                let fields: Vec<&str> = field_keys.collect();
                LineTemplate::new(measurement, &tags, &fields)
                    .ok()
                    .map(|template| {
                        let index = shapes.len();
                        *bytes += held.bytes(given);
                        shapes.push(Shape {
                            template,
                            given: given.to_owned(),
                            datalayers,
                            extra: versions.extra,
                            fallback: versions.fallback,
                            tag_keys: held.tags.0.to_owned(),
                            tag_key_ends: held.tags.1.to_vec(),
                            field_keys: held.fields.0.to_owned(),
                            field_key_spans: held.fields.1.to_vec(),
                            renamed,
                            next: heads.insert(hash, index),
                        });
                        index
                    })
            }
            None => None,
        };
        let Some(index) = index else {
            return Named {
                measurement,
                renamed,
                template: None,
            };
        };
        *last = Some((versions, index));
        shapes[index].named()
    }
}

impl Shape {
    fn named(&self) -> Named<'_> {
        Named {
            measurement: self.template.measurement(),
            renamed: self.renamed,
            template: Some(&self.template),
        }
    }
}

/// The hash a shape is filed under: its name as given, the dialect, its first field key (which
/// tells apart the `telegraf-prometheus-v2` lines, all named `prometheus`) and how many tag and
/// field keys it has.
fn shape_hash(hasher: &impl BuildHasher, given: &str, datalayers: bool, held: HeldKeys<'_>) -> u64 {
    let mut state = hasher.build_hasher();
    given.hash(&mut state);
    datalayers.hash(&mut state);
    let (fields, spans) = held.fields;
    spans
        .first()
        .and_then(|&(start, end)| fields.get(start..end))
        .hash(&mut state);
    (held.tags.1.len(), spans.len()).hash(&mut state);
    state.finish()
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

    /// The keys as a tag set and a field set would hold them.
    struct Held {
        tags: (String, Vec<(u64, usize)>),
        fields: (String, Vec<(usize, usize)>),
    }

    impl Held {
        fn new(tags: &[&str], fields: &[&str]) -> Self {
            let mut held = Self {
                tags: (String::new(), Vec::new()),
                fields: (String::new(), Vec::new()),
            };
            for key in tags {
                held.tags.0.push_str(key);
                let prefix = lineproto::text::key_prefix(key.as_bytes());
                held.tags.1.push((prefix, held.tags.0.len()));
            }
            for key in fields {
                let start = held.fields.0.len();
                held.fields.0.push_str(key);
                held.fields.1.push((start, held.fields.0.len()));
            }
            held
        }

        fn keys(&self) -> HeldKeys<'_> {
            HeldKeys {
                tags: (&self.tags.0, &self.tags.1),
                fields: (&self.fields.0, &self.fields.1),
            }
        }
    }

    /// The template's names of a lookup, `None` without a template.
    fn keys(
        shapes: &mut LineShapes,
        versions: KeyVersions,
        given: &str,
        tags: &[&str],
        fields: &[&str],
    ) -> Option<(String, String, String)> {
        let held = Held::new(tags, fields);
        let named = shapes.find(
            versions,
            given,
            false,
            held.keys(),
            tags.iter().copied(),
            fields.iter().copied(),
        );
        named.template.map(|t| {
            (
                t.measurement().to_owned(),
                t.tag_keys().collect::<Vec<_>>().join(","),
                t.field_keys().collect::<Vec<_>>().join(","),
            )
        })
    }

    #[test]
    fn shapes_are_found_and_kept() {
        let mut shapes = LineShapes::default();
        let got = keys(&mut shapes, fresh(), "m", &["a", "b"], &["x"]);
        assert_eq!(got.unwrap(), ("m".into(), "a,b".into(), "x".into()));
        // Same measurement, other keys: another shape.
        let got = keys(&mut shapes, fresh(), "m", &["a"], &["x"]);
        assert_eq!(got.unwrap(), ("m".into(), "a".into(), "x".into()));
        // `prometheus` lines differ by their fields.
        keys(&mut shapes, fresh(), "m", &["a"], &["y"]).unwrap();
        assert_eq!(shapes.shapes.len(), 3);
        // Found again: nothing added.
        let got = keys(&mut shapes, fresh(), "m", &["a", "b"], &["x"]);
        assert_eq!(got.unwrap().1, "a,b");
        let got = keys(&mut shapes, fresh(), "m", &["a"], &["y"]);
        assert_eq!(got.unwrap().2, "y");
        assert_eq!(shapes.shapes.len(), 3);
        // Unsorted tags make no template, and are not kept.
        assert!(keys(&mut shapes, fresh(), "m", &["b", "a"], &[]).is_none());
        assert_eq!(shapes.shapes.len(), 3);
    }

    /// Past the capacity no shape is added: lines of new shapes get no template (and are
    /// written with plain calls); the shapes kept are still found.
    #[test]
    fn the_capacity_bounds_the_shapes_kept() {
        let mut shapes = LineShapes::default();
        for i in 0..CAPACITY {
            keys(&mut shapes, fresh(), &format!("n{i}"), &[], &["x"]).unwrap();
        }
        assert!(keys(&mut shapes, fresh(), "new", &[], &["x"]).is_none());
        let held = Held::new(&[], &["x"]);
        let named = shapes.find(
            fresh(),
            "new",
            false,
            held.keys(),
            [].into_iter(),
            ["x"].into_iter(),
        );
        assert_eq!((named.measurement, named.renamed), ("new", false));
        assert_eq!(shapes.shapes.len(), CAPACITY);
        assert!(keys(&mut shapes, fresh(), "n7", &[], &["x"]).is_some());
    }

    /// Shapes of long names and keys count their bytes: past [`MAX_BYTES`] no shape is added.
    #[test]
    fn the_bytes_held_are_bounded() {
        let mut shapes = LineShapes::default();
        let long = "k".repeat(MAX_BYTES / 5);
        for i in 0..2 {
            let key = format!("{long}{i}");
            keys(&mut shapes, fresh(), "m", &[], &[&key]).unwrap();
        }
        assert!(keys(&mut shapes, fresh(), "m", &[], &[&format!("{long}2")]).is_none());
        assert_eq!(shapes.shapes.len(), 2);
        assert!(shapes.bytes <= MAX_BYTES);
        // Small shapes still fit.
        keys(&mut shapes, fresh(), "m", &[], &["x"]).unwrap();
    }

    /// The versions of the last line stand for its keys; the measurement is still compared,
    /// and other versions compare the keys.
    #[test]
    fn the_last_versions_skip_the_key_comparison_only() {
        let mut shapes = LineShapes::default();
        let versions = fresh();
        keys(&mut shapes, versions, "m", &["a"], &["x"]);
        // Same versions: the keys given are not looked at (a caller never gives other keys
        // with the same versions; here they show that no comparison was made).
        let got = keys(&mut shapes, versions, "m", &["zzz"], &["x"]);
        assert_eq!(got.unwrap().1, "a");
        // Same versions, another measurement: compared, a new shape.
        let got = keys(&mut shapes, versions, "n", &["a"], &["x"]);
        assert_eq!(got.unwrap().0, "n");
        // Another extra tag key: compared.
        let le = KeyVersions {
            extra: Some("le"),
            ..versions
        };
        let got = keys(&mut shapes, le, "n", &["a", "le"], &["x"]);
        assert_eq!(got.unwrap().1, "a,le");
    }

    /// A name is rewritten for Datalayers only, also when a line of the same versions was
    /// written for another dialect just before.
    #[test]
    fn names_follow_the_dialect_of_each_line() {
        let mut shapes = LineShapes::default();
        let versions = fresh();
        let named = |shapes: &mut LineShapes, given: &str, datalayers: bool| {
            let held = Held::new(&["a"], &["x"]);
            let named = shapes.find(
                versions,
                given,
                datalayers,
                held.keys(),
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
        assert_eq!(named(&mut shapes, "http:server", true), rewritten());
        assert_eq!(
            shapes.shapes.len(),
            3,
            "one shape per name given and dialect"
        );
        // An empty name makes no template: the encoder refuses the line.
        assert_eq!(named(&mut shapes, "", true), (String::new(), false, None));
    }
}
