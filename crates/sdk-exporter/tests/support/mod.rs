//! Helpers shared by the integration tests and the benchmark; each uses a different part.
#![allow(dead_code)]

pub(crate) mod discard;
pub(crate) mod loopback;
pub(crate) mod spans;
