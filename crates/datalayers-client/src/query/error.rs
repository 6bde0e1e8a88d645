//! The error of every query-side call.

use std::error::Error as StdError;

/// Why a query (SQL, InfluxQL or an admin helper) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// The caller's input was refused before anything was sent (an empty statement, two
    /// statements in one SQL request, ...).
    #[error("invalid query input: {0}")]
    InvalidInput(String),
    /// The server could not be reached or the exchange broke off (connection refused, DNS,
    /// timeout, TLS, a truncated body).
    #[error("cannot reach the server at {endpoint}: {message}")]
    Transport {
        /// The endpoint the request went to (no credentials).
        endpoint: String,
        /// What went wrong.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<Box<dyn StdError + Send + Sync>>,
    },
    /// The TLS handshake failed: a certificate the client does not trust or that names another
    /// host, or TLS spoken to a plain-text port (Arrow Flight SQL; HTTPS errors are
    /// [`QueryError::Transport`]).
    #[error("TLS with {endpoint} failed: {message}")]
    Tls {
        /// The endpoint the connection went to (no credentials).
        endpoint: String,
        /// What went wrong, with what to check.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<Box<dyn StdError + Send + Sync>>,
    },
    /// 401/403: wrong or missing credentials, or no permission.
    #[error("authorization failed (HTTP {status}): {message}")]
    Unauthorized {
        /// The HTTP status; over Arrow Flight SQL, the HTTP equivalent of the gRPC code
        /// (`Unauthenticated` 401, `PermissionDenied` 403).
        status: u16,
        /// The server's message.
        message: String,
    },
    /// The database named in the request does not exist.
    #[error(
        "database not found: {message} (create it first, e.g. `CREATE DATABASE <name>`, or check the database setting)"
    )]
    DatabaseNotFound {
        /// The server's message.
        message: String,
    },
    /// A table (measurement) named in the statement does not exist.
    #[error("table not found: {message}")]
    TableNotFound {
        /// The server's message.
        message: String,
    },
    /// The server refused or failed the statement (syntax error, unsupported function, ...).
    #[error("the server rejected the statement (HTTP {status}): {message}")]
    Statement {
        /// The HTTP status (200 for InfluxQL statement errors); over Arrow Flight SQL, the HTTP
        /// equivalent of the gRPC code (the gRPC code's name starts the message).
        status: u16,
        /// The server's message.
        message: String,
    },
    /// The response could not be understood.
    #[error("unexpected response from the server: {0}")]
    Decode(String),
    /// Statement `index` of a DDL batch failed; the ones before it were applied.
    #[error("DDL statement {index} failed ({statement}): {source}")]
    Ddl {
        /// 0-based position of the failed statement.
        index: usize,
        /// The statement (cut to 300 characters).
        statement: String,
        /// Why it failed.
        #[source]
        source: Box<Self>,
    },
    /// The connection settings ask for something this side cannot do (e.g. DDL over the
    /// InfluxDB 1.x API).
    #[error("unsupported: {0}")]
    Unsupported(String),
}

impl QueryError {
    /// Classifies a server error message with its HTTP status into the most specific variant.
    pub(crate) fn from_server(status: u16, message: String) -> Self {
        let lower = message.to_ascii_lowercase();
        let missing = lower.contains("not found")
            || lower.contains("not exist")
            || lower.contains("doesn't exist")
            || lower.contains("does not exist");
        // Tables first: "table `x` not found in database `y`" is about the table.
        if status == 401 || status == 403 || lower.contains("authorization failed") {
            Self::Unauthorized { status, message }
        } else if missing && (lower.contains("table") || lower.contains("measurement")) {
            Self::TableNotFound { message }
        } else if missing && lower.contains("database") {
            Self::DatabaseNotFound { message }
        } else {
            Self::Statement { status, message }
        }
    }

    /// `true` when the error says a table does not exist (schema-on-write stores create tables
    /// with their first row, so a missing table often just means "no rows yet").
    pub fn is_table_not_found(&self) -> bool {
        matches!(self, Self::TableNotFound { .. })
    }
}
