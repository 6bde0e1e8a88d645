//! Arrow Flight SQL servers for tests of Flight SQL clients.
//!
//! - `Roapi` (feature `roapi`): a real Flight SQL server, [roapi](https://github.com/roapi/roapi)
//!   (DataFusion, the engine Datalayers is built on), serving Parquet tables shaped the way
//!   Datalayers stores line protocol, made from lines: `time` as `TIMESTAMP(9)`, tags as strings,
//!   fields typed. With basic auth on; its HTTP SQL API answers the same data as JSON.
//! - `MockFlightSql` (feature `flight-sql-mock`): a Datalayers-shaped server on arrow-flight's
//!   `FlightSqlService`, for what roapi cannot show: a required `database` header, zone-tagged
//!   timestamps, token expiry, several endpoints, messages over 4 MiB, the affected-rows batch of
//!   DDL, Datalayers' error texts, TLS.
//!
//! (Plain names, not links: `cargo doc --workspace` builds this crate without the features, as
//! only the dev-dependencies of other crates turn them on.)

#[cfg(feature = "flight-sql-mock")]
mod mock;
#[cfg(feature = "roapi")]
mod roapi;

#[cfg(feature = "flight-sql-mock")]
pub use mock::{Answer, MockCall, MockFlightSql, MockFlightSqlBuilder, TEST_CA_PEM};
#[cfg(feature = "roapi")]
pub use roapi::{ParquetTables, Roapi, RoapiBuilder};
