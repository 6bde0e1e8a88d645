//! A zero-allocation [line protocol] encoder for InfluxDB 1.x/2.x/3 and Datalayers, with
//! validation and escaping that keep every written line readable as meant.
//!
//! # Encoding lines
//!
//! An [`Encoder`] appends lines to a buffer it owns and reuses. A line is
//! [`start_line`](Encoder::start_line), then [`tag`](Encoder::tag)s, then fields
//! ([`field_i64`](Encoder::field_i64), [`field_f64`](Encoder::field_f64),
//! [`field_str`](Encoder::field_str), ...), then [`end_line`](Encoder::end_line):
//!
//! ```
//! use lineproto::{Dialect, Encoder, EncoderOptions, FloatFormat, LineError};
//!
//! let options = EncoderOptions::new(Dialect::InfluxDbV1).with_float_format(FloatFormat::GoStrconv);
//! let mut encoder = Encoder::new(options);
//!
//! // Tags may come in any order: by default they are written sorted by key.
//! encoder
//!     .start_line("spans")
//!     .tag("span_id", "00f067aa0ba902b7")
//!     .tag("service.name", "checkout, eu")
//!     .field_f64("duration_nano", 1_500_000.0)
//!     .field_str("name", "GET /cart?id=\"7\"");
//! encoder.end_line(Some(1_700_000_000_000_000_000))?;
//!
//! // A bad value fails its line only: the line is rolled back, the next one goes on.
//! encoder.start_line("spans").tag("span_id", "").field_i64("n", 1);
//! assert!(matches!(encoder.end_line(None), Err(LineError::InvalidTagValue { .. })));
//!
//! assert_eq!(
//!     std::str::from_utf8(encoder.as_bytes()).unwrap(),
//!     "spans,service.name=checkout\\,\\ eu,span_id=00f067aa0ba902b7 \
//!      duration_nano=1.5e+06,name=\"GET /cart?id=\\\"7\\\"\" 1700000000000000000\n",
//! );
//! assert_eq!(encoder.stats().rejected_lines, 1);
//! # Ok::<(), LineError>(())
//! ```
//!
//! Trace and span ids go in as bytes: [`tag_hex`](Encoder::tag_hex) and
//! [`field_hex`](Encoder::field_hex) write their lowercase hex straight into the line.
//!
//! # Lines of a fixed shape
//!
//! A mapper that writes the same kind of line over and over (the same measurement, tag keys and
//! field keys, some left out per line) builds a [`LineTemplate`] once: the names are checked,
//! escaped and the tag keys sorted up front, and each line names its tags and fields by index
//! through [`Encoder::start_templated`]. Each key is then one fixed-size copy, with no name
//! check and no tag sorting per line; [`TemplatedLine::tag_if_valid`] writes a tag from outside
//! data only when the dialect accepts its value, so a bad value costs its tag, not the line.
//! Dialect and value rules, errors and rollback are those of the plain calls.
//!
//! # Rules
//!
//! - **Errors stick, lines roll back.** The first error of a line is kept (later calls on that
//!   line do nothing); [`end_line`](Encoder::end_line) returns it and removes the half-written
//!   line, so [`Encoder::as_bytes`] only ever holds whole valid lines. Call order is checked at run
//!   time ([`LineError::OutOfOrder`]), because mapping code adds tags and fields dynamically.
//! - **Validation.** Measurements, keys and tag values must be non-empty, free of control bytes
//!   (0x00-0x1F, 0x7F) and must not end in a backslash; a measurement must not start with `#`
//!   (a comment line). A line needs at least one field. [`Measurement`] and [`Key`] check names
//!   once up front; `new_unchecked` is `const` for static names.
//! - **Escaping**, by byte lookup tables, copying unescaped runs in bulk: measurement `,` and
//!   space; tag keys, tag values and field keys `,`, `=` and space; string fields `"` and `\`.
//!   LF, CR and TAB inside string fields are written raw (InfluxDB 1.x would store an escaped
//!   `\n` as two characters), so lines are delimited by [`Encoder::line_ends`], not by `\n`.
//! - **Dialects** ([`Dialect`]) decide what the server cannot carry: unsigned integers on
//!   InfluxDB 1.x, backslashes that the Go and IOx parsers read differently, Datalayers' table
//!   names and required tag.
//! - **Floats** are written with the shortest round-trip digits, never as `NaN`/`inf` and never
//!   with hundreds of digits ([`FloatFormat`], [`write_float`]); NaN and infinities are skipped
//!   and counted or refused ([`NonFinite`]).
//! - **Text in another format** (a JSON document in a string field) is escaped for both formats
//!   in one pass with [`NestedEscapes`] and
//!   [`StrFieldWriter::push_nested`]; pieces repeated on every line can be escaped once
//!   ([`EscapedText`]) and copied. Every path escapes what it writes, so no field can break a
//!   line.
//! - **No allocation per line** once the buffer and scratch space have grown to the working size
//!   (error values allocate their message strings; valid lines do not).
//!
//! [line protocol]: https://docs.influxdata.com/influxdb/v1/write_protocols/line_protocol_reference/

mod copy;
mod encoder;
mod error;
mod escape;
mod float;
mod hex;
mod int;
mod lines;
mod name;
mod nested;
mod options;

pub use encoder::{
    Encoder, EncoderStats, FieldValue, LineTemplate, StrFieldWriter, TemplateError, TemplatedLine,
};
pub use error::{LineError, NameError, NameKind};
pub use float::write_float;
pub use lines::{Lines, LinesIter};
pub use name::{AsName, Key, Measurement};
pub use nested::{EscapedText, NestedEscapes};
pub use options::{
    Dialect, EncoderOptions, FloatFormat, NonFinite, ParseDialectError, Precision, TagOrder,
};

/// Text building blocks beneath the encoder, for mappers that write text of their own beside
/// it: `otlp-influx` writes ES6 number text from [`Digits`](text::Digits) and sorts attribute
/// keys by [`key_prefix`](text::key_prefix). Most users need none of this; it is public API
/// all the same and follows semver like the rest.
pub mod text {
    pub use crate::float::Digits;
    pub use crate::name::key_prefix;
}
