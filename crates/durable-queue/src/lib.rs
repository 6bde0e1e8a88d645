#![doc = include_str!("../README.md")]

mod checkpoint;
mod error;
mod options;
mod queue;
mod reader;
mod record;
mod recover;
mod segment;
mod state;
#[cfg(test)]
mod tests;
mod writer;

pub use error::Error;
pub use options::{
    DEFAULT_MAX_BYTES, DEFAULT_SEGMENT_BYTES, FsyncPolicy, FullPolicy, MIN_SEGMENT_BYTES, Options,
};
pub use queue::{Append, Queue};
pub use reader::Reader;
pub use record::{Batch, MAX_DESTINATION_LEN, Record, Signal};
pub use state::Stats;
