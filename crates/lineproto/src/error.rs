//! Error types: why a name is invalid and why a line was refused.

use std::fmt;

use crate::options::Dialect;

/// Why a measurement, key or tag value is invalid (also wrapped by [`LineError`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// The name is empty.
    #[error("is empty")]
    Empty,
    /// The name holds a control byte (0x00-0x1F or 0x7F): line protocol has no escape for them
    /// (a LF would end the line).
    #[error("contains control byte 0x{byte:02x} at byte {position}")]
    ControlCharacter {
        /// The offending byte.
        byte: u8,
        /// Its byte offset in the name.
        position: usize,
    },
    /// The name ends in a backslash, which would escape the separator after it.
    #[error("ends with a backslash")]
    TrailingBackslash,
    /// A measurement starts with `#`: both the Go and the IOx parser skip such a line as a comment
    /// (and `\#` is no escape), so the line would silently vanish.
    #[error("starts with '#', which the server reads as a comment line")]
    LeadingHash,
    /// The key is reserved by the dialect's server: InfluxDB 1.x refuses a tag or field key named
    /// `time` (`400 partial write: invalid tag key`, checked against influxd 1.6.7).
    #[error("is reserved by the server")]
    Reserved,
}

/// Which kind of name was invalid. A line has exactly these three kinds of name, so the enum is
/// exhaustive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameKind {
    /// The measurement.
    Measurement,
    /// A tag key.
    TagKey,
    /// A field key.
    FieldKey,
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Measurement => "measurement",
            Self::TagKey => "tag key",
            Self::FieldKey => "field key",
        })
    }
}

/// Why a line was refused. The line is rolled back entirely; the buffer keeps only whole valid
/// lines, and the next line can be encoded as if nothing happened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LineError {
    /// The measurement, a tag key or a field key is invalid.
    #[error("invalid {what} {name:?}: {source}")]
    InvalidName {
        /// Which name.
        what: NameKind,
        /// The name as given.
        name: String,
        /// Why.
        source: NameError,
    },
    /// A tag value is empty, holds a control byte or ends in a backslash.
    #[error("invalid value for tag {key:?}: {reason}")]
    InvalidTagValue {
        /// The tag key.
        key: String,
        /// Why.
        reason: NameError,
    },
    /// A backslash directly before `\`, `,`, `=` or space would be read differently by the
    /// server than meant (Datalayers: anywhere; InfluxDB 1.x/2.x: in a measurement or field key);
    /// see [`Dialect`].
    #[error(
        "{key:?}: a backslash before '\\', ',', '=' or space cannot be written unambiguously for this dialect"
    )]
    AmbiguousBackslash {
        /// The tag key for a tag value, otherwise the name itself.
        key: String,
    },
    /// The measurement is valid line protocol but not accepted by the dialect
    /// (Datalayers: `[A-Za-z_][A-Za-z0-9_.-]{0,62}`).
    #[error("measurement {name:?} is not valid for {dialect}")]
    InvalidMeasurementForDialect {
        /// The measurement.
        name: String,
        /// The dialect that refuses it.
        dialect: Dialect,
    },
    /// The line has no field (every line needs at least one; NaN/inf fields skipped by
    /// [`NonFinite::Skip`](crate::NonFinite::Skip) do not count).
    #[error("line has no fields")]
    NoFields,
    /// The line has no tag, and the dialect (Datalayers) needs at least one.
    #[error("line has no tags, which the dialect requires")]
    NoTags,
    /// A float field is NaN or infinite and the policy is
    /// [`NonFinite::Error`](crate::NonFinite::Error).
    #[error("field {key:?} is NaN or infinite")]
    NonFiniteFloat {
        /// The field key.
        key: String,
    },
    /// An unsigned value above `i64::MAX` for a dialect without an unsigned type (InfluxDB 1.x).
    #[error("field {key:?}: unsigned value {value} does not fit the dialect's signed integer")]
    UnsignedOutOfRange {
        /// The field key.
        key: String,
        /// The value.
        value: u64,
    },
    /// A call came in the wrong order (a tag after a field, a field before `start_line`, ...).
    #[error("`{call}` called out of order")]
    OutOfOrder {
        /// The call that came out of order.
        call: &'static str,
    },
    /// The timestamp cannot be written. Reserved: an `i64` nanosecond timestamp always fits every
    /// [`Precision`](crate::Precision), so the encoder never reports it today.
    #[error("timestamp out of range")]
    TimestampOutOfRange,
    /// A string field streamed through [`std::io::Write`] was not valid UTF-8.
    #[error("string field {key:?} is not valid UTF-8")]
    InvalidUtf8 {
        /// The field key.
        key: String,
    },
}
