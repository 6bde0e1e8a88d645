//! Queries: Datalayers SQL over REST, InfluxQL for InfluxDB 1.x, typed results, admin helpers.
//!
//! Both languages come back as [`QueryResult`]s: column names, column types and rows of typed
//! [`Value`]s. The decoders accept every response shape the servers are documented to send:
//! Datalayers' two spellings of `types` (`TIMESTAMP(3)`/`INT32` and
//! `Timestamp(Millisecond, Asia/Shanghai)`/`UInt64`), integers printed as strings, RFC3339
//! timestamps with offsets, `{"affected_rows":N}` and `{"error":...}`; InfluxDB's
//! `results[].series[]` and its statement errors that arrive with HTTP 200.
//!
//! Values spliced into statements must be quoted for their language: [`sql_literal`] and
//! [`sql_ident`] for Datalayers SQL, [`influxql_literal`] and [`influxql_ident`] for InfluxQL.
//!
//! Readers that should not care how a statement travels take a [`SqlTransport`] or an
//! [`InfluxQlTransport`] ("run this, give me typed rows"); [`Client`](crate::Client) is one
//! over REST, and the trace queries of the `trace-query` crate are written against them.
//!
//! Against a server, through [`Client`](crate::Client):
//!
//! ```no_run
//! use datalayers_client::query::sql_literal;
//! use datalayers_client::{Client, ClientConfig};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::new(
//!     ClientConfig::new("http://127.0.0.1:8361").with_database("otel").with_basic_auth("admin", "public"),
//! )?;
//! client.create_database("otel").await?;
//! let service = "checkout";
//! let result = client
//!     .sql(&format!("SELECT count(*) FROM spans WHERE `service.name` = {}", sql_literal(service)))
//!     .await?;
//! println!("{:?} spans", result.rows.first().and_then(|row| row.first()));
//! # Ok(())
//! # }
//! ```
//!
//! The decoders on their own:
//!
//! ```
//! use datalayers_client::query::{parse_sql_response, Value};
//!
//! let body = br#"{"result":{"columns":["ts","user_id","message"],
//!     "types":["Timestamp(Millisecond, Asia/Shanghai)","UInt64","Utf8"],
//!     "values":[["2024-09-02T20:59:18.180+08:00","1","Click"]]}}"#;
//! let result = parse_sql_response(200, body).unwrap();
//! assert_eq!(result.rows[0][0], Value::Timestamp(1_725_281_958_180_000_000));
//! assert_eq!(result.rows[0][1], Value::UInt(1));
//! ```

mod client;
pub use client::{INFLUXQL_PATH, SQL_PATH};
mod error;
mod influxql;
mod result;
pub(crate) mod sql;
mod time;
mod transport;
mod value;

pub use error::QueryError;
pub use influxql::{
    influxql_ident, influxql_literal, influxql_needs_post, parse_influxql_response,
};
pub use result::{QueryResult, Record};
pub use sql::{parse_sql_response, split_sql_statements, sql_ident, sql_literal};
pub use time::{Rfc3339, TimestampError, parse_rfc3339, parse_timestamp_lenient};
pub use transport::{InfluxQlTransport, SqlTransport};
pub use value::{ColumnType, TimeUnit, Value};
