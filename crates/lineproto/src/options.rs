//! Encoder options: target dialect, float layout, NaN/inf policy, timestamp precision, tag order.

use std::fmt;
use std::str::FromStr;

/// Which server family reads the lines: decides unsigned support and backslash handling.
///
/// Every dialect escapes `,` and space in measurements, `,`, `=` and space in tag keys, tag values
/// and field keys, and `"` and `\` inside string fields. They differ in what a backslash in a name
/// or tag value means to the server's parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Dialect {
    /// InfluxDB 1.x: no unsigned type (a `u64` is written as `i` when it is <= `i64::MAX`, otherwise
    /// the line fails with [`LineError::UnsignedOutOfRange`](crate::LineError::UnsignedOutOfRange)).
    ///
    /// Backslashes in measurements, keys and tag values are written raw: the Go parser never
    /// unescapes `\\` there (a tag value `c\\d` is stored as `c\\d`). In tag keys and tag values a
    /// raw backslash may precede an escaped byte (`a\,b` is written `a\\,b` and stored as
    /// `a\,b`, checked against influxd 1.6.7). In measurements and field keys the parser pairs
    /// backslashes, so a backslash directly before `,`, space (or `=` in a field key) cannot be
    /// expressed (influxd answers 400 for such a field key and stores such a measurement under
    /// another name): it is refused with
    /// [`LineError::AmbiguousBackslash`](crate::LineError::AmbiguousBackslash).
    ///
    /// A tag or field key named `time` is refused by the server, so it is refused here
    /// ([`NameError::Reserved`](crate::NameError::Reserved)).
    InfluxDbV1,
    /// InfluxDB 2.x: the same Go parser lineage and backslash rules as [`Dialect::InfluxDbV1`]
    /// (assumed, not checked against a 2.x server), and the unsigned `u` suffix is supported.
    InfluxDbV2,
    /// InfluxDB 3 (the IOx parser): it unescapes `\\` in measurements, keys and tag values, so a
    /// backslash there is written as `\\` and every value can be expressed.
    InfluxDbV3,
    /// Datalayers (the default): unsigned `u` supported; every line needs at least one tag
    /// ([`LineError::NoTags`](crate::LineError::NoTags)); the measurement must match
    /// `[A-Za-z_][A-Za-z0-9_.-]{0,62}`
    /// ([`LineError::InvalidMeasurementForDialect`](crate::LineError::InvalidMeasurementForDialect)).
    ///
    /// How Datalayers treats `\\` in tag values is not documented, so the safe rule applies: a
    /// backslash followed by `\`, `,`, `=` or space (read differently by the Go and the IOx parser)
    /// is refused with [`LineError::AmbiguousBackslash`](crate::LineError::AmbiguousBackslash); any
    /// other backslash is written raw (both parsers keep it).
    #[default]
    Datalayers,
}

impl Dialect {
    /// Every dialect, in declaration order (handy for tests and for listing CLI choices).
    pub const ALL: &[Self] = &[
        Self::InfluxDbV1,
        Self::InfluxDbV2,
        Self::InfluxDbV3,
        Self::Datalayers,
    ];

    /// Whether the server has an unsigned integer type (the `u` suffix).
    pub const fn supports_unsigned(self) -> bool {
        !matches!(self, Self::InfluxDbV1)
    }

    /// The dialect's name as accepted by [`FromStr`]: `datalayers`, `influxdb-v1`, `influxdb-v2`,
    /// `influxdb-v3`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::InfluxDbV1 => "influxdb-v1",
            Self::InfluxDbV2 => "influxdb-v2",
            Self::InfluxDbV3 => "influxdb-v3",
            Self::Datalayers => "datalayers",
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing a [`Dialect`] from a string that is none of its names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown dialect {given:?}, expected one of: datalayers, influxdb-v1, influxdb-v2, influxdb-v3"
)]
pub struct ParseDialectError {
    /// The string that was given.
    pub given: String,
}

impl FromStr for Dialect {
    type Err = ParseDialectError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|dialect| dialect.name() == s)
            .ok_or_else(|| ParseDialectError {
                given: s.to_owned(),
            })
    }
}

/// How floats are written. Both layouts use the shortest digits that read back as the same `f64`,
/// and neither ever writes `NaN`/`inf` text (see [`NonFinite`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum FloatFormat {
    /// ryu's shortest digits, `1.0` written as `1`, exponent form (`1e300`, `1.5e-7`) for very big
    /// and very small magnitudes.
    #[default]
    Shortest,
    /// Byte-exact Go `strconv.FormatFloat(f, 'g', -1, 64)`, the layout of the reference exporter
    /// (otel2influx): exponent form iff the decimal exponent of the first significant digit is
    /// `< -4` or `>= 6`, written `d[.ddd]e±XX` (sign always, at least two exponent digits):
    /// `1e6` -> `1e+06`, `0.00001` -> `1e-05`, `123456` -> `123456`, `-0.0` -> `-0`.
    GoStrconv,
}

/// What to do with a NaN or infinite float field (line protocol has no text for them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum NonFinite {
    /// Skip the field and count it in
    /// [`EncoderStats::skipped_non_finite`](crate::EncoderStats::skipped_non_finite). A line whose
    /// every field was skipped fails with [`LineError::NoFields`](crate::LineError::NoFields).
    #[default]
    Skip,
    /// Fail the line with [`LineError::NonFiniteFloat`](crate::LineError::NonFiniteFloat).
    Error,
}

/// Timestamp precision of the written lines. Timestamps are always given in nanoseconds and are
/// divided with floor division (so `-1 ns` is `-1 us`, never `0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Precision {
    /// Nanoseconds (`precision=ns`), the timestamp as given.
    #[default]
    Nanoseconds,
    /// Microseconds (`precision=us`).
    Microseconds,
    /// Milliseconds (`precision=ms`).
    Milliseconds,
    /// Seconds (`precision=s`).
    Seconds,
}

impl Precision {
    /// The `precision=` query value the server must be told: `ns`, `us`, `ms` or `s`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Nanoseconds => "ns",
            Self::Microseconds => "us",
            Self::Milliseconds => "ms",
            Self::Seconds => "s",
        }
    }

    /// Nanoseconds per unit of this precision.
    pub const fn nanos_per_unit(self) -> i64 {
        match self {
            Self::Nanoseconds => 1,
            Self::Microseconds => 1_000,
            Self::Milliseconds => 1_000_000,
            Self::Seconds => 1_000_000_000,
        }
    }

    /// Converts a nanosecond timestamp to this precision (floor division).
    pub const fn scale(self, timestamp_ns: i64) -> i64 {
        match self {
            // Most lines are in nanoseconds: no division.
            Self::Nanoseconds => timestamp_ns,
            _ => timestamp_ns.div_euclid(self.nanos_per_unit()),
        }
    }
}

/// Tag order on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum TagOrder {
    /// Tags are buffered (in reused scratch space: no allocation in steady state), de-duplicated
    /// (the last value given for a key wins) and written in byte order of the key when the first
    /// field (or `end_line`) comes. InfluxDB sorts tags itself; sorted input saves it the work and
    /// makes the output deterministic.
    #[default]
    Sorted,
    /// Written as given, no buffering (fastest; the caller guarantees order and uniqueness).
    AsGiven,
}

/// All encoder settings. `EncoderOptions::default()` targets Datalayers with shortest floats,
/// skipped NaN/inf, nanosecond timestamps and sorted tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct EncoderOptions {
    /// Which server reads the lines.
    pub dialect: Dialect,
    /// How floats are written.
    pub float_format: FloatFormat,
    /// What happens to NaN and infinite floats.
    pub non_finite: NonFinite,
    /// Timestamp precision of the written lines.
    pub precision: Precision,
    /// Tag order on the wire.
    pub tag_order: TagOrder,
}

impl EncoderOptions {
    /// Default options for `dialect`.
    pub const fn new(dialect: Dialect) -> Self {
        Self {
            dialect,
            float_format: FloatFormat::Shortest,
            non_finite: NonFinite::Skip,
            precision: Precision::Nanoseconds,
            tag_order: TagOrder::Sorted,
        }
    }

    /// Sets the dialect.
    pub const fn with_dialect(mut self, dialect: Dialect) -> Self {
        self.dialect = dialect;
        self
    }

    /// Sets the float layout.
    pub const fn with_float_format(mut self, float_format: FloatFormat) -> Self {
        self.float_format = float_format;
        self
    }

    /// Sets the NaN/inf policy.
    pub const fn with_non_finite(mut self, non_finite: NonFinite) -> Self {
        self.non_finite = non_finite;
        self
    }

    /// Sets the timestamp precision.
    pub const fn with_precision(mut self, precision: Precision) -> Self {
        self.precision = precision;
        self
    }

    /// Sets the tag order.
    pub const fn with_tag_order(mut self, tag_order: TagOrder) -> Self {
        self.tag_order = tag_order;
        self
    }
}
