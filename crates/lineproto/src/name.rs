//! Validated names: [`Measurement`], [`Key`] and the [`AsName`] trait the encoder takes.

use crate::error::NameError;
use crate::escape::{BackslashRule, Discard, NameContext, ScanError, escape_name};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Measurement<'a>(&'a str);

impl<'a> Measurement<'a> {
    /// Checks `name`.
    pub fn new(name: &'a str) -> Result<Self, NameError> {
        validate(name, NameContext::Measurement).map(|()| Self(name))
    }

    /// Wraps a known-good name (for `const` static names). An invalid name is still caught when
    /// written: the line fails, nothing malformed is emitted.
    pub const fn new_unchecked(name: &'a str) -> Self {
        Self(name)
    }

    /// The name.
    pub const fn as_str(&self) -> &'a str {
        self.0
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key<'a>(&'a str);

impl<'a> Key<'a> {
    /// Checks `name`.
    pub fn new(name: &'a str) -> Result<Self, NameError> {
        validate(name, NameContext::FieldKey).map(|()| Self(name))
    }

    /// Wraps a known-good key (for `const` static keys). An invalid key is still caught when
    /// written: the line fails, nothing malformed is emitted.
    pub const fn new_unchecked(name: &'a str) -> Self {
        Self(name)
    }

    /// The key.
    pub const fn as_str(&self) -> &'a str {
        self.0
    }
}

/// Anything usable as a measurement or key: `&str` and `&String` (checked when written) or the
/// [`Measurement`] and [`Key`] newtypes.
pub trait AsName<'a>: Copy {
    /// The name's text.
    fn name_str(self) -> &'a str;
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

impl<'a> AsName<'a> for Measurement<'a> {
    #[inline]
    fn name_str(self) -> &'a str {
        self.0
    }
}

impl<'a> AsName<'a> for Key<'a> {
    #[inline]
    fn name_str(self) -> &'a str {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
