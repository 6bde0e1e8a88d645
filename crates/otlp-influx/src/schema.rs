//! Names of the trace and log schema (measurements, tag keys, field keys with their types), as
//! `otel2influx` writes them. Query code (trace UIs, tests) can use these instead of literals.
//!
//! They are defined once, in the dependency-free `otel-schema` crate, and re-exported here, so
//! readers that do not need this crate (e.g. `trace-query`) share the very same names.

pub use otel_schema::*;
