#![doc = include_str!("../README.md")]

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
