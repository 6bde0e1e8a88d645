//! Query methods of [`Client`]: SQL, InfluxQL and the admin helpers.

use bytes::Bytes;
use reqwest::Method;

use super::influxql::{influxql_ident, influxql_needs_post, parse_influxql_response};
use super::sql::{excerpt, parse_sql_response, single_statement, split_sql_statements};
use super::{QueryError, QueryResult};
use crate::Client;
use crate::config::Protocol;
use crate::error::{TransportError, redact_endpoint};
use crate::transport::HttpResponse;

/// Path of Datalayers' REST SQL API.
pub const SQL_PATH: &str = "/api/v1/sql";
/// Path of InfluxDB 1.x's query API.
pub const INFLUXQL_PATH: &str = "/query";
/// `Content-Type` of REST SQL bodies (the raw statement), as in Datalayers' docs.
const CONTENT_TYPE_SQL: &str = "application/binary";

impl Client {
    /// Runs one Datalayers SQL statement over REST (`POST /api/v1/sql?db=<database>`).
    ///
    /// The statement must be exactly one (a trailing `;` is fine); the server refuses more.
    /// Queries return rows; DDL and DML return an empty table with
    /// [`affected_rows`](QueryResult::affected_rows) set.
    pub async fn sql(&self, statement: &str) -> Result<QueryResult, QueryError> {
        self.sql_in(self.config().database.as_deref(), statement)
            .await
    }

    /// [`Client::sql`] against `database` (`None`: no `db=`, for statements such as
    /// `CREATE DATABASE` that need none).
    async fn sql_in(
        &self,
        database: Option<&str>,
        statement: &str,
    ) -> Result<QueryResult, QueryError> {
        let statement = single_statement(statement)?;
        let query: Vec<(&str, &str)> = database.map(|db| ("db", db)).into_iter().collect();
        let body = Bytes::copy_from_slice(statement.as_bytes());
        let response = self
            .transport()
            .send(Method::POST, SQL_PATH, &query, body, Some(CONTENT_TYPE_SQL))
            .await
            .map_err(|e| self.transport_error(e))?;
        check_complete(&response)?;
        parse_sql_response(response.status, &response.body)
    }

    /// Runs InfluxQL on InfluxDB 1.x (`/query?db=<database>&epoch=ns&q=...`): GET for `SELECT`
    /// and `SHOW`, POST for statements that change something. Returns every series of every
    /// statement, in order; the first statement error is the `Err` (InfluxDB reports those with
    /// HTTP 200). Times come back as [`Value::Timestamp`](super::Value::Timestamp) nanoseconds.
    pub async fn influxql(&self, statement: &str) -> Result<Vec<QueryResult>, QueryError> {
        self.influxql_in(self.config().database.as_deref(), statement)
            .await
    }

    async fn influxql_in(
        &self,
        database: Option<&str>,
        statement: &str,
    ) -> Result<Vec<QueryResult>, QueryError> {
        if statement.trim().is_empty() {
            return Err(QueryError::InvalidInput("empty InfluxQL statement".into()));
        }
        let method = if influxql_needs_post(statement) {
            Method::POST
        } else {
            Method::GET
        };
        let mut query: Vec<(&str, &str)> = vec![("q", statement), ("epoch", "ns")];
        if let Some(db) = database {
            query.push(("db", db));
        }
        let response = self
            .transport()
            .send(method, INFLUXQL_PATH, &query, Bytes::new(), None)
            .await
            .map_err(|e| self.transport_error(e))?;
        check_complete(&response)?;
        parse_influxql_response(response.status, &response.body)
    }

    /// Creates database `name` if it does not exist (Datalayers: `CREATE DATABASE IF NOT EXISTS`;
    /// InfluxDB 1.x: `CREATE DATABASE`, which is idempotent there).
    pub async fn create_database(&self, name: &str) -> Result<(), QueryError> {
        if name.is_empty() {
            return Err(QueryError::InvalidInput("empty database name".into()));
        }
        match self.config().protocol {
            Protocol::Datalayers => {
                let statement = format!("CREATE DATABASE IF NOT EXISTS {}", plain_or_quoted(name));
                self.sql_in(None, &statement).await.map(drop)
            }
            Protocol::InfluxDbV1 => self
                .influxql_in(None, &format!("CREATE DATABASE {}", influxql_ident(name)))
                .await
                .map(drop),
            other => Err(unsupported("creating databases", other)),
        }
    }

    /// Names of all databases.
    pub async fn list_databases(&self) -> Result<Vec<String>, QueryError> {
        match self.config().protocol {
            Protocol::Datalayers => Ok(self.sql_in(None, "SHOW DATABASES").await?.first_texts()),
            Protocol::InfluxDbV1 => Ok(all_first_texts(
                &self.influxql_in(None, "SHOW DATABASES").await?,
            )),
            other => Err(unsupported("listing databases", other)),
        }
    }

    /// Names of the tables (InfluxDB: measurements) of the configured database.
    pub async fn list_tables(&self) -> Result<Vec<String>, QueryError> {
        match self.config().protocol {
            Protocol::Datalayers => Ok(self.sql("SHOW TABLES").await?.first_texts()),
            Protocol::InfluxDbV1 => Ok(all_first_texts(&self.influxql("SHOW MEASUREMENTS").await?)),
            other => Err(unsupported("listing tables", other)),
        }
    }

    /// Applies DDL on Datalayers, one statement per request, in order (each item may itself
    /// hold several `;`-separated statements, e.g. the stable-columns DDL of `otlp-influx`).
    /// Stops at the first failure, which names the statement. Returns how many ran.
    pub async fn apply_ddl<S: AsRef<str>>(&self, statements: &[S]) -> Result<usize, QueryError> {
        if self.config().protocol != Protocol::Datalayers {
            return Err(unsupported("DDL", self.config().protocol));
        }
        let mut applied = 0;
        for text in statements {
            for statement in split_sql_statements(text.as_ref()) {
                self.sql(statement)
                    .await
                    .map_err(|source| QueryError::Ddl {
                        index: applied,
                        statement: excerpt(statement),
                        source: Box::new(source),
                    })?;
                applied += 1;
            }
        }
        Ok(applied)
    }

    fn transport_error(&self, error: TransportError) -> QueryError {
        QueryError::Transport {
            endpoint: redact_endpoint(&self.config().endpoint),
            message: error.to_string(),
            source: Some(Box::new(error)),
        }
    }
}

/// A cut body would decode as garbage or, worse, as fewer rows: refuse it.
fn check_complete(response: &HttpResponse) -> Result<(), QueryError> {
    if response.truncated {
        return Err(QueryError::Decode(format!(
            "the response is larger than max_response_bytes ({} bytes); narrow the query (time range, LIMIT) or raise the limit",
            response.body.len()
        )));
    }
    Ok(())
}

fn unsupported(what: &str, protocol: Protocol) -> QueryError {
    QueryError::Unsupported(format!("{what} over the {} protocol", protocol.name()))
}

/// A name as is when it is a plain identifier, else backtick-quoted.
fn plain_or_quoted(name: &str) -> String {
    let mut chars = name.chars();
    let plain = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        name.to_owned()
    } else {
        super::sql_ident(name)
    }
}

/// [`QueryResult::first_texts`] of every series, in order.
fn all_first_texts(results: &[QueryResult]) -> Vec<String> {
    results.iter().flat_map(QueryResult::first_texts).collect()
}
