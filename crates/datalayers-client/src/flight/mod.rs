//! Reads over Arrow Flight SQL (feature `flight-sql`): Datalayers' gRPC port (8360), the fast way
//! to read many rows.
//!
//! [`FlightSqlClient`] runs SQL and returns Arrow [`RecordBatch`]es ([`FlightSqlClient::query_arrow`])
//! or the same typed rows the REST API gives ([`FlightSqlClient::sql`], and the
//! [`SqlTransport`] trait), so every reader written against that trait (the trace queries of the
//! `trace-query` crate) runs over either transport unchanged.
//!
//! ```no_run
//! use datalayers_client::ClientConfig;
//! use datalayers_client::flight::FlightSqlClient;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = ClientConfig::new("http://127.0.0.1:8361") // REST, for writes
//!     .with_flight_sql_endpoint("http://127.0.0.1:8360")
//!     .with_database("otel")
//!     .with_basic_auth("admin", "public");
//! // Connects and authenticates now, so a wrong password or an unreachable server shows here.
//! let client = FlightSqlClient::connect(&config).await?;
//!
//! let rows = client.sql("SELECT count(*) AS n FROM spans").await?; // typed rows
//! println!("{:?}", rows.records().next().and_then(|row| row.i64("n")));
//!
//! let arrow = client.query_arrow("SELECT * FROM spans LIMIT 10").await?; // record batches
//! println!("{} rows in {} batches", arrow.num_rows(), arrow.batches.len());
//! # Ok(()) }
//! ```
//!
//! What a statement does:
//!
//! 1. On [connect](FlightSqlClient::connect): a Flight `Handshake` with the Basic credentials of
//!    the configuration; the server's `authorization: Bearer` token goes on every later call.
//! 2. `GetFlightInfo` with the statement (`CommandStatementQuery`), then `DoGet` of **every**
//!    endpoint's ticket (concurrently; results in endpoint order), all on the same connection.
//!    Every call carries the `database` header (and any extra headers of the configuration).
//! 3. A call answered `Unauthenticated` (tokens expire) triggers exactly one new handshake and one
//!    new try of the statement; concurrent statements share that handshake.
//!
//! Each call has the configuration's [`timeout`](crate::ClientConfig::timeout) (sent as the gRPC
//! deadline too); a `DoGet`'s deadline covers reading its whole stream. Messages up to
//! [`FLIGHT_SQL_MAX_MESSAGE_BYTES_DEFAULT`] (256 MiB) are accepted, far above tonic's default of
//! 4 MiB, which one batch of wide rows exceeds.
//!
//! Errors are [`QueryError`]s, like the REST path's: refused credentials are
//! [`QueryError::Unauthorized`], an unreachable server [`QueryError::Transport`], an untrusted
//! certificate or a TLS/plain-text mismatch [`QueryError::Tls`], an unknown table
//! [`QueryError::TableNotFound`]. Passwords and tokens never appear in errors or `Debug`.
//!
//! TLS: an `https://` or `grpc+tls://` URL, rustls, the platform's roots plus the configuration's
//! CA file (the same setting the REST client uses). Endpoint locations that name another server
//! are not followed: every ticket is fetched from the server that planned the query, as
//! Datalayers' own examples do.

mod connect;
mod rows;

use std::error::Error as StdError;
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use arrow_array::RecordBatch;
use arrow_flight::decode::FlightRecordBatchStream;
use arrow_flight::error::FlightError;
use arrow_flight::flight_service_client::FlightServiceClient;
use arrow_flight::sql::{CommandStatementQuery, ProstMessageExt};
use arrow_flight::{FlightDescriptor, FlightInfo, HandshakeRequest, Ticket};
use arrow_schema::{Schema, SchemaRef};
use base64::Engine as _;
use futures::TryStreamExt;
use prost::Message as _;
use tonic::metadata::{AsciiMetadataValue, MetadataMap};
use tonic::transport::Channel;
use tonic::{Code, Request, Status};

use crate::config::{Auth, ClientConfig, OTEL_EXPORTER_DATALAYERS_FLIGHT_SQL_ENDPOINT, Secret};
use crate::query::sql::single_statement;
use crate::query::{QueryError, QueryResult, SqlTransport, Value};

pub use rows::{column_type, to_query_result};

/// Default cap on one gRPC message the client decodes (one record batch): 256 MiB.
pub const FLIGHT_SQL_MAX_MESSAGE_BYTES_DEFAULT: usize = 256 << 20;

/// The Arrow result of a statement: its schema and record batches, in endpoint order.
#[derive(Debug, Clone)]
pub struct ArrowResult {
    /// The schema of every batch (from the first batch, else from the server's `FlightInfo`).
    pub schema: SchemaRef,
    /// The batches.
    pub batches: Vec<RecordBatch>,
}

impl ArrowResult {
    /// Rows over all batches.
    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// The typed rows ([`to_query_result`]).
    pub fn to_query_result(&self) -> Result<QueryResult, QueryError> {
        to_query_result(&self.schema, &self.batches)
    }
}

/// A Flight SQL client for reads; cheap to clone (clones share the connection and the token).
///
/// See the [module docs](self). `Debug` shows the endpoint, the database and the user, never a
/// password or token.
#[derive(Clone)]
pub struct FlightSqlClient {
    inner: Arc<Inner>,
}

/// Configures a [`FlightSqlClient`]; from [`FlightSqlClient::builder`].
#[derive(Debug, Clone)]
pub struct FlightSqlClientBuilder {
    config: ClientConfig,
    endpoint: Option<String>,
    max_message_bytes: usize,
}

impl FlightSqlClientBuilder {
    /// Connects to `endpoint` instead of the configuration's
    /// [`flight_sql_endpoint`](ClientConfig::flight_sql_endpoint).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Caps one decoded message (default [`FLIGHT_SQL_MAX_MESSAGE_BYTES_DEFAULT`]).
    pub fn max_message_bytes(mut self, bytes: usize) -> Self {
        self.max_message_bytes = bytes.max(1);
        self
    }

    /// Connects, and authenticates when the configuration has Basic credentials (user info in
    /// the URL counts as such when the configuration has none).
    ///
    /// # Errors
    /// [`QueryError::InvalidInput`] for a missing or malformed endpoint or a zero timeout,
    /// [`QueryError::Transport`] when the server cannot be reached, [`QueryError::Tls`] when TLS
    /// fails, [`QueryError::Unauthorized`] when the handshake refuses the credentials.
    pub async fn connect(self) -> Result<FlightSqlClient, QueryError> {
        let (target, options, finish) = self.prepare()?;
        let inner = finish(connect::connect(&target, &options).await?);
        inner.authenticate(0).await?;
        Ok(FlightSqlClient {
            inner: Arc::new(inner),
        })
    }

    /// The client without any I/O yet: the connection is made and the handshake done by the
    /// first statement (and made again after the server was away), so a long-running program
    /// can start while the database is down. Connection and credential errors come from that
    /// first statement, classified as [`connect`](Self::connect)'s are.
    ///
    /// # Errors
    /// [`QueryError::InvalidInput`] for a missing or malformed endpoint or a zero timeout.
    ///
    /// # Panics
    /// Outside a tokio runtime (the connection's task is spawned on it).
    pub fn connect_lazy(self) -> Result<FlightSqlClient, QueryError> {
        let (target, options, finish) = self.prepare()?;
        let inner = finish(connect::connect_lazy(&target, &options)?);
        Ok(FlightSqlClient {
            inner: Arc::new(inner),
        })
    }

    /// The settings checked: where to connect, how, and what makes the client's state from
    /// the channel.
    fn prepare(
        self,
    ) -> Result<
        (
            connect::Target,
            connect::ChannelOptions,
            impl FnOnce(Channel) -> Inner,
        ),
        QueryError,
    > {
        let config = self.config;
        let url = self
            .endpoint
            .or_else(|| config.flight_sql_endpoint.clone())
            .ok_or_else(|| {
                QueryError::InvalidInput(format!(
                    "no Flight SQL endpoint: set --flight-sql or {OTEL_EXPORTER_DATALAYERS_FLIGHT_SQL_ENDPOINT} \
                     (Datalayers listens on port 8360)"
                ))
            })?;
        if config.timeout.is_zero() {
            return Err(QueryError::InvalidInput(
                "the timeout must be above zero".into(),
            ));
        }
        let target = connect::Target::parse(&url)?;
        let credentials = match (config.auth, target.user_info.clone()) {
            (Auth::Basic { username, password }, _) => Credentials::Basic { username, password },
            (Auth::Token(token), _) => Credentials::Token(token),
            (Auth::None, Some((username, password))) => Credentials::Basic {
                username,
                password: Secret::new(password),
            },
            (Auth::None, None) => Credentials::None,
        };
        let mut headers = MetadataMap::new();
        if let Some(database) = &config.database {
            headers.insert("database", ascii(database, "the database name")?);
        }
        for (name, value) in &config.headers {
            let key = tonic::metadata::AsciiMetadataKey::from_bytes(name.as_bytes())
                .map_err(|_| QueryError::InvalidInput(format!("invalid header name {name:?}")))?;
            let mut value = ascii(value.expose(), &format!("the value of header {name}"))?;
            value.set_sensitive(true);
            headers.insert(key, value);
        }
        let options = connect::ChannelOptions {
            connect_timeout: config.connect_timeout.min(config.timeout),
            user_agent: config.user_agent.clone(),
            ca_certificates_pem: config.ca_certificates_pem.clone(),
        };
        let peer = connect::Peer {
            shown: target.shown.clone(),
            tls: target.tls,
            timeout: config.timeout,
        };
        let max_message_bytes = self.max_message_bytes;
        let finish = move |channel| Inner {
            peer,
            database: config.database,
            channel,
            headers,
            token: RwLock::new(TokenState::default()),
            handshake: tokio::sync::Mutex::new(()),
            credentials,
            timeout: config.timeout,
            max_message_bytes,
        };
        Ok((target, options, finish))
    }
}

impl FlightSqlClient {
    /// Connects with `config` ([`FlightSqlClientBuilder::connect`] with the defaults).
    pub async fn connect(config: &ClientConfig) -> Result<Self, QueryError> {
        Self::builder(config).connect().await
    }

    /// A client that connects on its first statement
    /// ([`FlightSqlClientBuilder::connect_lazy`] with the defaults).
    ///
    /// # Errors
    /// [`QueryError::InvalidInput`] for a missing or malformed endpoint or a zero timeout.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn connect_lazy(config: &ClientConfig) -> Result<Self, QueryError> {
        Self::builder(config).connect_lazy()
    }

    /// A builder starting from `config`: its Flight SQL endpoint, database, credentials,
    /// timeout, connect timeout, CA certificates, extra headers and user agent.
    pub fn builder(config: &ClientConfig) -> FlightSqlClientBuilder {
        FlightSqlClientBuilder {
            config: config.clone(),
            endpoint: None,
            max_message_bytes: FLIGHT_SQL_MAX_MESSAGE_BYTES_DEFAULT,
        }
    }

    /// The endpoint, without credentials.
    pub fn endpoint(&self) -> &str {
        &self.inner.peer.shown
    }

    /// The database sent with every call.
    pub fn database(&self) -> Option<&str> {
        self.inner.database.as_deref()
    }

    /// Runs one statement and returns its record batches (every endpoint's, in order).
    pub async fn query_arrow(&self, statement: &str) -> Result<ArrowResult, QueryError> {
        let statement = single_statement(statement)?;
        let inner = &self.inner;
        let mut generation = inner.token_generation();
        if generation == 0 && inner.credentials.can_handshake() {
            // A lazy client's first statement: the handshake first.
            inner.authenticate(0).await?;
            generation = inner.token_generation();
        }
        match inner.execute(statement).await {
            Err(Failure::Status { status, .. })
                if status.code() == Code::Unauthenticated
                    && StdError::source(&status).is_none()
                    && inner.credentials.can_handshake() =>
            {
                // The token expired (or the server restarted): one new handshake, one new try.
                inner.authenticate(generation).await?;
                inner
                    .execute(statement)
                    .await
                    .map_err(|failure| inner.error(failure))
            }
            other => other.map_err(|failure| inner.error(failure)),
        }
    }

    /// Runs one statement and returns typed rows, as [`Client::sql`](crate::Client::sql) does
    /// over REST. A statement that is not a query (DDL, DML) answers with its affected-rows
    /// batch, which becomes [`QueryResult::affected_rows`], as `{"affected_rows":N}` does over
    /// REST.
    pub async fn sql(&self, statement: &str) -> Result<QueryResult, QueryError> {
        let result = self.query_arrow(statement).await?.to_query_result()?;
        Ok(match affected_rows(statement, &result) {
            Some(affected) => QueryResult {
                affected_rows: Some(affected),
                ..QueryResult::default()
            },
            None => result,
        })
    }
}

/// Arrow Flight SQL, with the REST path's typed rows.
impl SqlTransport for FlightSqlClient {
    fn sql(
        &self,
        statement: &str,
    ) -> impl std::future::Future<Output = Result<QueryResult, QueryError>> + Send {
        Self::sql(self, statement)
    }
}

impl fmt::Debug for FlightSqlClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let authenticated = self
            .inner
            .token
            .read()
            .map(|token| token.bearer.is_some())
            .unwrap_or(false);
        f.debug_struct("FlightSqlClient")
            .field("endpoint", &self.inner.peer.shown)
            .field("database", &self.inner.database)
            .field("credentials", &self.inner.credentials)
            .field("authenticated", &authenticated)
            .field("timeout", &self.inner.timeout)
            .field("max_message_bytes", &self.inner.max_message_bytes)
            .finish()
    }
}

/// The affected-rows count of a DDL/DML answer: Datalayers returns one batch whose first cell
/// (first row, first column) is it. Queries (`SELECT`, `SHOW`, ...) keep their rows.
fn affected_rows(statement: &str, result: &QueryResult) -> Option<u64> {
    let keyword: String = statement
        .trim_start_matches(|c: char| c.is_whitespace() || c == '(')
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_ascii_uppercase();
    let returns_rows = matches!(
        keyword.as_str(),
        "SELECT" | "SHOW" | "DESC" | "DESCRIBE" | "WITH" | "EXPLAIN" | "VALUES" | "TABLE"
    );
    if returns_rows || result.rows.len() != 1 {
        return None;
    }
    match result.rows[0].first()? {
        Value::Int(n) => u64::try_from(*n).ok(),
        Value::UInt(n) => Some(*n),
        _ => None,
    }
}

/// Credentials as the handshake uses them.
enum Credentials {
    None,
    Basic {
        username: String,
        password: Secret,
    },
    /// A bearer token given in the configuration: sent as is, never renewed.
    Token(Secret),
}

impl Credentials {
    fn can_handshake(&self) -> bool {
        matches!(self, Self::Basic { .. })
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Basic { username, .. } => write!(f, "Basic({username:?}, ***)"),
            Self::Token(_) => f.write_str("Token(***)"),
        }
    }
}

/// The bearer token of the last handshake, and how many handshakes produced it.
#[derive(Default)]
struct TokenState {
    bearer: Option<AsciiMetadataValue>,
    generation: u64,
}

struct Inner {
    peer: connect::Peer,
    database: Option<String>,
    channel: Channel,
    /// `database` and the configuration's extra headers, sent on every call.
    headers: MetadataMap,
    token: RwLock<TokenState>,
    /// Held while a handshake runs, so concurrent statements share one.
    handshake: tokio::sync::Mutex<()>,
    credentials: Credentials,
    timeout: Duration,
    max_message_bytes: usize,
}

/// Why one try of a statement failed, before it becomes a [`QueryError`].
enum Failure {
    Status { call: &'static str, status: Status },
    Timeout { call: &'static str },
    Decode(String),
}

impl Inner {
    fn client(&self) -> FlightServiceClient<Channel> {
        FlightServiceClient::new(self.channel.clone())
            .max_decoding_message_size(self.max_message_bytes)
            .max_encoding_message_size(self.max_message_bytes)
    }

    fn token_generation(&self) -> u64 {
        self.token.read().map(|t| t.generation).unwrap_or(0)
    }

    /// A request with the shared headers, the token and the deadline.
    fn request<T>(&self, message: T) -> Request<T> {
        let mut request = Request::new(message);
        let metadata = request.metadata_mut();
        for entry in self.headers.iter() {
            if let tonic::metadata::KeyAndValueRef::Ascii(key, value) = entry {
                metadata.insert(key.clone(), value.clone());
            }
        }
        let bearer = match &self.credentials {
            Credentials::Token(token) => {
                ascii(&format!("Bearer {}", token.expose()), "the token").ok()
            }
            _ => self.token.read().ok().and_then(|t| t.bearer.clone()),
        };
        if let Some(mut bearer) = bearer {
            bearer.set_sensitive(true);
            metadata.insert("authorization", bearer);
        }
        request.set_timeout(self.timeout);
        request
    }

    /// Handshakes unless another statement already renewed the token since `seen_generation`.
    async fn authenticate(&self, seen_generation: u64) -> Result<(), QueryError> {
        let Credentials::Basic { username, password } = &self.credentials else {
            return Ok(());
        };
        let _running = self.handshake.lock().await;
        if self.token_generation() != seen_generation {
            return Ok(());
        }
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{username}:{}", password.expose()));
        let mut basic = ascii(&format!("Basic {basic}"), "the credentials")
            .map_err(|_| QueryError::InvalidInput("the credentials are not ASCII".into()))?;
        basic.set_sensitive(true);
        let hello = HandshakeRequest {
            protocol_version: 0,
            payload: Default::default(),
        };
        let mut request = self.request(futures::stream::iter([hello]));
        request.metadata_mut().insert("authorization", basic);
        let call = async {
            let response = self.client().handshake(request).await?;
            let bearer = response.metadata().get("authorization").cloned();
            // Drain the answer: the server may fail the stream after its headers.
            let mut answers = response.into_inner();
            while answers.message().await?.is_some() {}
            Ok::<_, Status>(bearer)
        };
        let bearer = match tokio::time::timeout(self.timeout, call).await {
            Err(_) => return Err(self.error(Failure::Timeout { call: "Handshake" })),
            // A server without authentication has no handshake: go on without a token.
            Ok(Err(status))
                if status.code() == Code::Unimplemented && StdError::source(&status).is_none() =>
            {
                None
            }
            Ok(Err(status)) => return Err(self.handshake_error(username, &status)),
            Ok(Ok(bearer)) => bearer,
        };
        let bearer = match bearer {
            Some(value) => {
                let text = value.to_str().unwrap_or_default();
                if !text
                    .get(..7)
                    .is_some_and(|s| s.eq_ignore_ascii_case("bearer "))
                {
                    return Err(QueryError::Decode(
                        "the handshake answered an authorization header that is not a bearer token"
                            .into(),
                    ));
                }
                Some(value)
            }
            None => None,
        };
        let mut token = self.token.write().unwrap_or_else(|e| e.into_inner());
        token.bearer = bearer;
        token.generation += 1;
        Ok(())
    }

    /// A refused handshake names the user and what to check; other failures are classified as
    /// any call's.
    fn handshake_error(&self, username: &str, status: &Status) -> QueryError {
        let refused = StdError::source(status).is_none()
            && matches!(
                status.code(),
                Code::Unauthenticated | Code::PermissionDenied
            );
        if !refused {
            return self.error(Failure::Status {
                call: "Handshake",
                status: status.clone(),
            });
        }
        QueryError::Unauthorized {
            status: if status.code() == Code::Unauthenticated {
                401
            } else {
                403
            },
            message: format!(
                "the Flight SQL handshake refused user {username:?}: {} (check --username and \
                 --password, or OTEL_EXPORTER_DATALAYERS_USERNAME and _PASSWORD)",
                connect::server_message(status.message()),
            ),
        }
    }

    /// One try: `GetFlightInfo`, then `DoGet` of every endpoint.
    async fn execute(&self, statement: &str) -> Result<ArrowResult, Failure> {
        let command = CommandStatementQuery {
            query: statement.to_owned(),
            transaction_id: None,
        };
        let descriptor = FlightDescriptor::new_cmd(command.as_any().encode_to_vec());
        let info = self
            .call("GetFlightInfo", async {
                Ok(self
                    .client()
                    .get_flight_info(self.request(descriptor))
                    .await?
                    .into_inner())
            })
            .await?;
        let planned = planned_schema(&info)?;
        let fetches = info.endpoint.into_iter().map(|endpoint| async move {
            let ticket = endpoint.ticket.ok_or_else(|| {
                Failure::Decode("the server sent an endpoint without a ticket".into())
            })?;
            self.fetch(ticket).await
        });
        let parts = futures::future::try_join_all(fetches).await?;
        let batches: Vec<RecordBatch> = parts.into_iter().flatten().collect();
        let schema = match batches.first() {
            Some(batch) => batch.schema(),
            None => Arc::new(planned.unwrap_or_else(Schema::empty)),
        };
        Ok(ArrowResult { schema, batches })
    }

    /// `DoGet` of one ticket, read to the end within the deadline.
    async fn fetch(&self, ticket: Ticket) -> Result<Vec<RecordBatch>, Failure> {
        self.call("DoGet", async {
            let stream = self
                .client()
                .do_get(self.request(ticket))
                .await?
                .into_inner();
            let batches =
                FlightRecordBatchStream::new_from_flight_data(stream.map_err(FlightError::from));
            batches.try_collect::<Vec<_>>().await.map_err(flight_status)
        })
        .await
    }

    /// Runs one call within the deadline.
    async fn call<T>(
        &self,
        call: &'static str,
        work: impl std::future::Future<Output = Result<T, Status>>,
    ) -> Result<T, Failure> {
        match tokio::time::timeout(self.timeout, work).await {
            Err(_) => Err(Failure::Timeout { call }),
            Ok(Err(status)) => Err(Failure::Status { call, status }),
            Ok(Ok(value)) => Ok(value),
        }
    }

    fn error(&self, failure: Failure) -> QueryError {
        match failure {
            Failure::Status { call, status } => connect::status_error(&self.peer, call, &status),
            Failure::Timeout { call } => QueryError::Transport {
                endpoint: self.peer.shown.clone(),
                message: format!(
                    "{call}: no answer within {:?} (the timeout setting)",
                    self.timeout
                ),
                source: None,
            },
            Failure::Decode(message) => QueryError::Decode(message),
        }
    }
}

/// The schema of the `FlightInfo`, when the server sent one.
fn planned_schema(info: &FlightInfo) -> Result<Option<Schema>, Failure> {
    if info.schema.is_empty() {
        return Ok(None);
    }
    info.clone()
        .try_decode_schema()
        .map(Some)
        .map_err(|e| Failure::Decode(format!("the schema of the FlightInfo: {e}")))
}

/// A decoding failure of a `DoGet` stream as a status: the server's own status when it sent one.
fn flight_status(error: FlightError) -> Status {
    match error {
        FlightError::Tonic(status) => *status,
        other => Status::data_loss(format!("undecodable Arrow data: {other}")),
    }
}

/// `text` as a header value, or an error naming `what`.
fn ascii(text: &str, what: &str) -> Result<AsciiMetadataValue, QueryError> {
    text.parse()
        .map_err(|_| QueryError::InvalidInput(format!("{what} is not valid in a gRPC header")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_int(v: Value) -> QueryResult {
        QueryResult {
            columns: vec!["affected_rows".into()],
            rows: vec![vec![v]],
            ..QueryResult::default()
        }
    }

    #[test]
    fn ddl_answers_become_affected_rows_and_queries_stay_rows() {
        assert_eq!(
            affected_rows("CREATE DATABASE d", &one_int(Value::Int(0))),
            Some(0)
        );
        assert_eq!(
            affected_rows(" insert into t values (1)", &one_int(Value::UInt(2))),
            Some(2)
        );
        assert_eq!(
            affected_rows("SELECT count(*) FROM t", &one_int(Value::Int(5))),
            None
        );
        assert_eq!(affected_rows("(SELECT 1)", &one_int(Value::Int(1))), None);
        assert_eq!(affected_rows("show tables", &one_int(Value::Int(1))), None);
        assert_eq!(
            affected_rows("DROP TABLE t", &one_int(Value::String("x".into()))),
            None
        );
    }
}
