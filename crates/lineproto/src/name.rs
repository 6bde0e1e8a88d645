//! Validated names: [`Measurement`], [`Key`] and the [`AsName`] trait the encoder takes.

use crate::error::NameError;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use crate::escape::{BackslashRule, Discard, NameContext, ScanError, escape_name, is_plain_name};

fn validate(name: &str, context: NameContext) -> Result<(), NameError> {
    escape_name(&mut Discard, name, context, BackslashRule::Any).map_err(|error| match error {
        ScanError::Invalid(reason) => reason,
        ScanError::AmbiguousBackslash => unreachable!("BackslashRule::Any accepts every backslash"),
    })
}

/// A measurement name checked for the rules of every dialect: not empty, no control byte
/// (0x00-0x1F, 0x7F), no trailing backslash, no leading `#`.
///
/// The encoder checks names as it escapes them in any case (dialect rules, such as Datalayers'
/// measurement pattern, are checked there); the newtype documents intent and lets a mapping
/// validate configured names once, up front.
///
/// ```
/// use lineproto::Measurement;
/// const SPANS: Measurement<'static> = Measurement::new_unchecked("spans");
/// assert_eq!(SPANS.as_str(), "spans");
/// assert!(Measurement::new("").is_err());
/// ```
#[derive(Clone, Copy)]
pub struct Measurement<'a> {
    name: &'a str,
    /// Computed once here instead of on every line: see [`AsName::is_plain`].
    plain: bool,
    /// See [`AsName::is_datalayers_table_name`].
    datalayers_table: bool,
}

impl<'a> Measurement<'a> {
    /// Checks `name`.
    pub fn new(name: &'a str) -> Result<Self, NameError> {
        validate(name, NameContext::Measurement).map(|()| Self::new_unchecked(name))
    }

    /// Wraps a known-good name (for `const` static names). An invalid name is still caught when
    /// written: the line fails, nothing malformed is emitted.
    pub const fn new_unchecked(name: &'a str) -> Self {
        let bytes = name.as_bytes();
        Self {
            name,
            // A leading `#` would make the line a comment.
            plain: is_plain_name(bytes) && bytes[0] != b'#',
            datalayers_table: is_datalayers_table_name(bytes),
        }
    }

    /// The name.
    pub const fn as_str(&self) -> &'a str {
        self.name
    }

    /// A measurement whose checks were made before (see [`crate::LineTemplate`]).
    pub(crate) const fn with_checks(name: &'a str, plain: bool, datalayers_table: bool) -> Self {
        Self {
            name,
            plain,
            datalayers_table,
        }
    }
}

/// A tag key or field key checked for the rules of every dialect: not empty, no control byte
/// (0x00-0x1F, 0x7F), no trailing backslash.
///
/// ```
/// use lineproto::{Key, NameError};
/// const TRACE_ID: Key<'static> = Key::new_unchecked("trace_id");
/// assert_eq!(TRACE_ID.as_str(), "trace_id");
/// assert_eq!(Key::new("a\\"), Err(NameError::TrailingBackslash));
/// ```
#[derive(Clone, Copy)]
pub struct Key<'a> {
    name: &'a str,
    /// Computed once here instead of on every write: see [`AsName::is_plain`].
    plain: bool,
}

impl<'a> Key<'a> {
    /// Checks `name`.
    pub fn new(name: &'a str) -> Result<Self, NameError> {
        validate(name, NameContext::FieldKey).map(|()| Self::new_unchecked(name))
    }

    /// Wraps a known-good key (for `const` static keys). An invalid key is still caught when
    /// written: the line fails, nothing malformed is emitted.
    pub const fn new_unchecked(name: &'a str) -> Self {
        Self {
            name,
            plain: is_plain_name(name.as_bytes()),
        }
    }

    /// The key.
    pub const fn as_str(&self) -> &'a str {
        self.name
    }
}

/// Anything usable as a measurement or key: `&str` and `&String` (checked when written) or the
/// [`Measurement`] and [`Key`] newtypes.
pub trait AsName<'a>: Copy {
    /// The name's text.
    fn name_str(self) -> &'a str;

    /// Whether the name is known to be written as is in every context: not empty, no byte to
    /// escape or check (so only dialect rules such as reserved names remain). [`Measurement`]
    /// and [`Key`] know it from construction; the default `false` means "check when written".
    #[doc(hidden)]
    #[inline]
    fn is_plain(self) -> bool {
        false
    }

    /// Whether the name satisfies Datalayers' table-name pattern
    /// (`[A-Za-z_][A-Za-z0-9_.-]{0,62}`); [`Measurement`] and [`Key`] know it from construction.
    #[doc(hidden)]
    #[inline]
    fn is_datalayers_table_name(self) -> bool {
        is_datalayers_table_name(self.name_str().as_bytes())
    }
}

/// Datalayers table names: `[A-Za-z_][A-Za-z0-9_.-]{0,62}`.
pub(crate) const fn is_datalayers_table_name(bytes: &[u8]) -> bool {
    let [first, ..] = bytes else { return false };
    if bytes.len() > 63 || !(first.is_ascii_alphabetic() || *first == b'_') {
        return false;
    }
    let mut i = 1;
    while i < bytes.len() {
        let b = bytes[i];
        if !(b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-') {
            return false;
        }
        i += 1;
    }
    true
}

impl<'a> AsName<'a> for &'a str {
    #[inline]
    fn name_str(self) -> &'a str {
        self
    }
}

impl<'a> AsName<'a> for &'a String {
    #[inline]
    fn name_str(self) -> &'a str {
        self.as_str()
    }
}

/// Equality, order, hash and `Debug` as the name alone (the cached fact follows from it).
macro_rules! name_traits {
    ($name:ident $({ $($extra:item)* })?) => {
        impl<'a> AsName<'a> for $name<'a> {
            #[inline]
            fn name_str(self) -> &'a str {
                self.name
            }

            #[inline]
            fn is_plain(self) -> bool {
                self.plain
            }

            $($($extra)*)?
        }

        impl fmt::Debug for $name<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.name).finish()
            }
        }

        impl PartialEq for $name<'_> {
            fn eq(&self, other: &Self) -> bool {
                self.name == other.name
            }
        }

        impl Eq for $name<'_> {}

        impl PartialOrd for $name<'_> {
            fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
                Some(self.cmp(other))
            }
        }

        impl Ord for $name<'_> {
            fn cmp(&self, other: &Self) -> Ordering {
                self.name.cmp(other.name)
            }
        }

        impl Hash for $name<'_> {
            fn hash<H: Hasher>(&self, state: &mut H) {
                self.name.hash(state);
            }
        }
    };
}

name_traits!(Measurement {
    #[inline]
    fn is_datalayers_table_name(self) -> bool {
        self.datalayers_table
    }
});
name_traits!(Key);

/// The first 8 bytes of `key`, big-endian, zero-padded: ordered as the keys themselves are where
/// they differ in those bytes (and keys hold no zero byte), so most comparisons of two keys are
/// one integer compare. Code that sorts keys often (this encoder's tags, a mapper's attributes)
/// keeps it beside each key.
///
/// ```
/// use lineproto::text::key_prefix;
/// assert!(key_prefix(b"host") < key_prefix(b"http.method"));
/// assert_eq!(key_prefix(b"abc"), u64::from_be_bytes(*b"abc\0\0\0\0\0"));
/// assert_eq!(key_prefix(b"service.name"), key_prefix(b"service."));
/// ```
#[inline]
pub fn key_prefix(key: &[u8]) -> u64 {
    // Short keys are assembled in registers from overlapping loads: copying them into a padded
    // array and loading that whole stalls on store forwarding.
    let len = key.len();
    if let Some(head) = key.first_chunk::<8>() {
        u64::from_be_bytes(*head)
    } else if let (Some(first), Some(last)) = (key.first_chunk::<4>(), key.last_chunk::<4>()) {
        // 4 to 7 bytes: the last four end at byte `len` from the left.
        (u64::from(u32::from_be_bytes(*first)) << 32)
            | (u64::from(u32::from_be_bytes(*last)) << (8 * (8 - len)))
    } else if len > 0 {
        let byte_at = |i: usize| u64::from(key[i]) << (56 - 8 * i);
        byte_at(0) | byte_at(len / 2) | byte_at(len - 1)
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_prefix_pads_every_short_length_with_zeros() {
        let key = b"abcdefghij";
        for len in 0..=key.len() {
            let mut padded = [0u8; 8];
            let head = len.min(8);
            padded[..head].copy_from_slice(&key[..head]);
            assert_eq!(
                key_prefix(&key[..len]),
                u64::from_be_bytes(padded),
                "len {len}"
            );
        }
    }

    #[test]
    fn measurement_rules() {
        assert_eq!(Measurement::new(""), Err(NameError::Empty));
        assert_eq!(Measurement::new("a\\"), Err(NameError::TrailingBackslash));
        assert_eq!(Measurement::new("#m"), Err(NameError::LeadingHash));
        assert_eq!(
            Measurement::new("a\nb"),
            Err(NameError::ControlCharacter {
                byte: b'\n',
                position: 1
            })
        );
        assert_eq!(
            Measurement::new("ab\x7f"),
            Err(NameError::ControlCharacter {
                byte: 0x7f,
                position: 2
            })
        );
        // Escapable bytes, inner backslashes and unicode are fine in any dialect's encoding.
        for ok in ["m", "a b,c=d", "a\\b", "m#", "ünï"] {
            assert_eq!(Measurement::new(ok).map(|m| m.as_str()), Ok(ok));
        }
    }

    #[test]
    fn plain_is_known_from_construction_and_invisible_otherwise() {
        const PLAIN: Key<'static> = Key::new_unchecked("service.name");
        assert!(PLAIN.is_plain());
        for escaped in ["a b", "a,b", "a=b", "a\\b", "a\tb", ""] {
            assert!(!Key::new_unchecked(escaped).is_plain(), "{escaped:?}");
        }
        assert!(Measurement::new("m").unwrap().is_plain());
        assert!(!Measurement::new_unchecked("#m").is_plain());
        assert!(Key::new_unchecked("#k").is_plain());
        // Equality, order, hash and Debug see the name only, as before.
        assert_eq!(format!("{PLAIN:?}"), "Key(\"service.name\")");
        assert_eq!(Key::new("a").unwrap(), Key::new_unchecked("a"));
        assert!(Key::new_unchecked("a") < Key::new_unchecked("b"));
    }

    #[test]
    fn key_rules() {
        assert_eq!(Key::new(""), Err(NameError::Empty));
        assert_eq!(Key::new("k\\"), Err(NameError::TrailingBackslash));
        assert_eq!(
            Key::new("\tk"),
            Err(NameError::ControlCharacter {
                byte: b'\t',
                position: 0
            })
        );
        // `#` only matters at the start of a line.
        assert_eq!(Key::new("#k").map(|k| k.as_str()), Ok("#k"));
    }
}
