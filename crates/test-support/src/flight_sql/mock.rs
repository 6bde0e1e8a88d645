//! A Datalayers-shaped Arrow Flight SQL server (feature `flight-sql-mock`).
//!
//! Datalayers cannot run here, so its Flight SQL behaviour, as its documentation and official
//! examples describe it, is played by arrow-flight's own server trait (`FlightSqlService`):
//!
//! - `Handshake` with HTTP Basic credentials answers `authorization: Bearer <token>`; every
//!   other call needs a current token, else `Unauthenticated` (tokens can be
//!   [expired](MockFlightSql::expire_tokens) to test re-authentication);
//! - `GetFlightInfo` and `DoGet` need the `database` header naming a known database;
//! - statements get scripted [`Answer`]s: record batches over one or several endpoints (each
//!   batch one gRPC message, however large), the one-row affected-rows batch of DDL/DML, or an
//!   error whose message ends with Datalayers' ` at src/dbserver/src/...` location suffix;
//! - optionally TLS, with a certificate for `localhost`/`127.0.0.1` signed by [`TEST_CA_PEM`].
//!
//! Every call is recorded ([`MockFlightSql::calls`]).
//!
//! ```
//! use std::sync::Arc;
//! use arrow_array::{Int64Array, RecordBatch};
//! use test_support::flight_sql::{Answer, MockFlightSql};
//!
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! let batch = RecordBatch::try_from_iter([("n", Arc::new(Int64Array::from(vec![1])) as _)]).unwrap();
//! let server = MockFlightSql::builder()
//!     .credentials("admin", "public")
//!     .database("otel")
//!     .answer("SELECT 1 AS n", Answer::batches(vec![batch]))
//!     .start()
//!     .await;
//! assert!(server.url().starts_with("http://127.0.0.1:"));
//! assert!(server.calls().is_empty());
//! # });
//! ```

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arrow_array::{Int64Array, RecordBatch};
use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::flight_service_server::FlightServiceServer;
use arrow_flight::sql::server::FlightSqlService;
use arrow_flight::sql::{CommandStatementQuery, ProstMessageExt, TicketStatementQuery};
use arrow_flight::{
    FlightDescriptor, FlightEndpoint, FlightInfo, HandshakeRequest, HandshakeResponse, Ticket,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use base64::Engine as _;
use futures::{Stream, StreamExt, TryStreamExt};
use prost::Message as _;
use tokio::net::TcpListener;
use tonic::metadata::MetadataMap;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Identity, Server, ServerTlsConfig};
use tonic::{Request, Response, Status, Streaming};

/// The CA certificate (PEM) that signed the mock's TLS certificate (for `localhost` and
/// `127.0.0.1`, valid until 2126): what a client must trust to connect with TLS.
pub const TEST_CA_PEM: &str = include_str!("certs/ca.pem");
const SERVER_CERT_PEM: &str = include_str!("certs/server.pem");
const SERVER_KEY_PEM: &str = include_str!("certs/server.key");

/// Datalayers' source-location suffix on error messages (its examples strip it).
const LOCATION: &str = " at src/dbserver/src/service/flight_sql.rs:214";

/// What the mock answers to one statement.
#[derive(Debug, Clone)]
pub enum Answer {
    /// Record batches of `schema`, one `Vec` per endpoint (each with its own ticket).
    Endpoints {
        /// The schema announced in the `FlightInfo`.
        schema: SchemaRef,
        /// The batches of each endpoint.
        endpoints: Vec<Vec<RecordBatch>>,
    },
    /// A planning error: `GetFlightInfo` fails with `code` and `message` (plus Datalayers'
    /// source-location suffix).
    Error {
        /// The gRPC code.
        code: tonic::Code,
        /// The message before the suffix.
        message: String,
    },
}

impl Answer {
    /// `batches` (at least one, all of one schema) from one endpoint.
    pub fn batches(batches: Vec<RecordBatch>) -> Self {
        Self::Endpoints {
            schema: batches[0].schema(),
            endpoints: vec![batches],
        }
    }

    /// The answer of DDL/DML in Datalayers: one batch, one row, the affected rows as an `Int64`
    /// in the first column.
    pub fn affected_rows(rows: i64) -> Self {
        let schema = Arc::new(Schema::new(vec![Field::new(
            "affected_rows",
            DataType::Int64,
            false,
        )]));
        let batch = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(vec![rows]))])
            .expect("one Int64 column");
        Self::batches(vec![batch])
    }

    /// A planning error (`Internal`, as Datalayers reports planning errors).
    pub fn error(message: &str) -> Self {
        Self::Error {
            code: tonic::Code::Internal,
            message: message.to_owned(),
        }
    }
}

/// One call the mock received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockCall {
    /// `Handshake`, `GetFlightInfo` or `DoGet`.
    pub method: &'static str,
    /// The `database` header.
    pub database: Option<String>,
    /// The `authorization` header (`Basic ...`, `Bearer ...`).
    pub authorization: Option<String>,
    /// The statement (`GetFlightInfo`).
    pub statement: Option<String>,
}

/// Configures a [`MockFlightSql`]; from [`MockFlightSql::builder`].
#[derive(Debug, Clone, Default)]
pub struct MockFlightSqlBuilder {
    credentials: Option<(String, String)>,
    databases: Vec<String>,
    answers: HashMap<String, Answer>,
    tls: bool,
}

impl MockFlightSqlBuilder {
    /// Requires a handshake with these Basic credentials (else no call needs a token).
    pub fn credentials(mut self, username: &str, password: &str) -> Self {
        self.credentials = Some((username.to_owned(), password.to_owned()));
        self
    }

    /// Adds a database the `database` header may name (none: the header is still required,
    /// any name is accepted).
    pub fn database(mut self, name: &str) -> Self {
        self.databases.push(name.to_owned());
        self
    }

    /// Answers `statement` (compared exactly) with `answer`.
    pub fn answer(mut self, statement: &str, answer: Answer) -> Self {
        self.answers.insert(statement.to_owned(), answer);
        self
    }

    /// Serves TLS with a certificate signed by [`TEST_CA_PEM`].
    pub fn tls(mut self) -> Self {
        self.tls = true;
        self
    }

    /// Starts serving on a free loopback port, on the current tokio runtime (which it lives as
    /// long as, or until the [`MockFlightSql`] is dropped).
    pub async fn start(self) -> MockFlightSql {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("test-support: bind a loopback port");
        let port = listener.local_addr().expect("a bound address").port();
        let state = Arc::new(State {
            credentials: self.credentials,
            databases: self.databases,
            answers: Mutex::new(self.answers),
            results: Mutex::new(HashMap::new()),
            tokens: Mutex::new(Vec::new()),
            issued: AtomicU64::new(0),
            calls: Mutex::new(Vec::new()),
            expire_after_plans: Mutex::new(0),
        });
        let service = FlightServiceServer::new(Service(Arc::clone(&state)))
            .max_decoding_message_size(usize::MAX)
            .max_encoding_message_size(usize::MAX);
        let mut server = Server::builder();
        if self.tls {
            let identity = Identity::from_pem(SERVER_CERT_PEM, SERVER_KEY_PEM);
            server = server
                .tls_config(ServerTlsConfig::new().identity(identity))
                .expect("test-support: the mock's TLS certificate");
        }
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let router = server.add_service(service);
        tokio::spawn(async move {
            let incoming = TcpIncoming::from(listener);
            let _ = router
                .serve_with_incoming_shutdown(incoming, async {
                    let _ = stopped.await;
                })
                .await;
        });
        let scheme = if self.tls { "https" } else { "http" };
        MockFlightSql {
            url: format!("{scheme}://127.0.0.1:{port}"),
            port,
            state,
            _stop: stop,
        }
    }
}

/// A running Datalayers-shaped Flight SQL server; stops when dropped. See the
/// [module docs](self).
#[derive(Debug)]
pub struct MockFlightSql {
    url: String,
    port: u16,
    state: Arc<State>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl MockFlightSql {
    /// Configures a server: no credentials, any database, no answers, plain text.
    pub fn builder() -> MockFlightSqlBuilder {
        MockFlightSqlBuilder::default()
    }

    /// `http://127.0.0.1:<port>` (`https://` with TLS).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<MockCall> {
        lock(&self.state.calls).clone()
    }

    /// How many handshakes succeeded (tokens issued).
    pub fn handshakes(&self) -> u64 {
        self.state.issued.load(Ordering::SeqCst)
    }

    /// Invalidates every token issued so far (as a token lifetime running out would).
    pub fn expire_tokens(&self) {
        lock(&self.state.tokens).clear();
    }

    /// Invalidates every token right after each of the next `plans` `GetFlightInfo` answers, so
    /// their `DoGet`s are refused: tokens that expire in the middle of a statement.
    pub fn expire_tokens_after_plans(&self, plans: usize) {
        *lock(&self.state.expire_after_plans) = plans;
    }

    /// Answers `statement` with `answer` from now on.
    pub fn set_answer(&self, statement: &str, answer: Answer) {
        lock(&self.state.answers).insert(statement.to_owned(), answer);
    }
}

#[derive(Debug)]
struct State {
    credentials: Option<(String, String)>,
    databases: Vec<String>,
    answers: Mutex<HashMap<String, Answer>>,
    /// Batches waiting for their `DoGet`, by ticket handle.
    results: Mutex<HashMap<Vec<u8>, Planned>>,
    tokens: Mutex<Vec<String>>,
    issued: AtomicU64,
    calls: Mutex<Vec<MockCall>>,
    expire_after_plans: Mutex<usize>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn header(metadata: &MetadataMap, name: &str) -> Option<String> {
    metadata
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

impl State {
    fn record(&self, method: &'static str, metadata: &MetadataMap, statement: Option<&str>) {
        lock(&self.calls).push(MockCall {
            method,
            database: header(metadata, "database"),
            authorization: header(metadata, "authorization"),
            statement: statement.map(str::to_owned),
        });
    }

    /// The checks Datalayers makes on every call but the handshake: a current token, a database.
    fn check(&self, metadata: &MetadataMap) -> Result<(), Status> {
        if self.credentials.is_some() {
            let authorization = header(metadata, "authorization").unwrap_or_default();
            let token = authorization
                .strip_prefix("Bearer ")
                .ok_or_else(|| Status::unauthenticated(format!("no bearer token{LOCATION}")))?;
            if !lock(&self.tokens).iter().any(|t| t == token) {
                return Err(Status::unauthenticated(format!(
                    "invalid or expired token{LOCATION}"
                )));
            }
        }
        let database = header(metadata, "database").ok_or_else(|| {
            Status::invalid_argument(format!(
                "database not specified: set the `database` header or qualify the table{LOCATION}"
            ))
        })?;
        if !self.databases.is_empty() && !self.databases.contains(&database) {
            return Err(Status::internal(format!(
                "Database `{database}` not exist{LOCATION}"
            )));
        }
        Ok(())
    }
}

/// The schema and batches of one endpoint.
type Planned = (SchemaRef, Vec<RecordBatch>);

type Boxed<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

#[derive(Debug, Clone)]
struct Service(Arc<State>);

#[tonic::async_trait]
impl FlightSqlService for Service {
    type FlightService = Self;

    async fn do_handshake(
        &self,
        request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<Response<Boxed<HandshakeResponse>>, Status> {
        let state = &self.0;
        state.record("Handshake", request.metadata(), None);
        let Some((username, password)) = &state.credentials else {
            return Err(Status::unimplemented("authentication is off"));
        };
        let given = header(request.metadata(), "authorization")
            .and_then(|v| v.strip_prefix("Basic ").map(str::to_owned))
            .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
            .and_then(|bytes| String::from_utf8(bytes).ok());
        if given.as_deref() != Some(&format!("{username}:{password}")) {
            return Err(Status::unauthenticated(format!(
                "Authentication failed: invalid username or password{LOCATION}"
            )));
        }
        let number = state.issued.fetch_add(1, Ordering::SeqCst) + 1;
        let token = format!("token-{number}");
        lock(&state.tokens).push(token.clone());
        let answer = HandshakeResponse {
            protocol_version: 0,
            payload: token.clone().into(),
        };
        let mut response: Response<Boxed<HandshakeResponse>> =
            Response::new(Box::pin(futures::stream::iter([Ok(answer)])));
        response.metadata_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("an ASCII token"),
        );
        Ok(response)
    }

    async fn get_flight_info_statement(
        &self,
        query: CommandStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let state = &self.0;
        state.record("GetFlightInfo", request.metadata(), Some(&query.query));
        state.check(request.metadata())?;
        let answer = lock(&state.answers).get(&query.query).cloned();
        let (schema, endpoints) = match answer {
            Some(Answer::Endpoints { schema, endpoints }) => (schema, endpoints),
            Some(Answer::Error { code, message }) => {
                return Err(Status::new(code, format!("{message}{LOCATION}")));
            }
            None => {
                return Err(Status::internal(format!(
                    "mock: no answer scripted for {:?}{LOCATION}",
                    query.query
                )));
            }
        };
        let mut info = FlightInfo::new()
            .try_with_schema(&schema)
            .map_err(|e| Status::internal(e.to_string()))?
            .with_ordered(true);
        for batches in endpoints {
            let handle = format!("result-{}", lock(&state.results).len()).into_bytes();
            lock(&state.results).insert(handle.clone(), (Arc::clone(&schema), batches));
            let ticket = TicketStatementQuery {
                statement_handle: handle.into(),
            };
            info = info.with_endpoint(
                FlightEndpoint::new().with_ticket(Ticket::new(ticket.as_any().encode_to_vec())),
            );
        }
        let mut expiring = lock(&state.expire_after_plans);
        if *expiring > 0 {
            *expiring -= 1;
            lock(&state.tokens).clear();
        }
        drop(expiring);
        Ok(Response::new(info))
    }

    async fn do_get_statement(
        &self,
        ticket: TicketStatementQuery,
        request: Request<Ticket>,
    ) -> Result<Response<Boxed<arrow_flight::FlightData>>, Status> {
        let state = &self.0;
        state.record("DoGet", request.metadata(), None);
        state.check(request.metadata())?;
        let (schema, batches) = lock(&state.results)
            .get(ticket.statement_handle.as_ref())
            .cloned()
            .ok_or_else(|| Status::not_found(format!("unknown ticket{LOCATION}")))?;
        // One gRPC message per batch, however large (no splitting into 2 MiB pieces).
        let stream = FlightDataEncoderBuilder::new()
            .with_max_flight_data_size(usize::MAX)
            .with_schema(schema)
            .build(futures::stream::iter(batches.into_iter().map(Ok)))
            .map_err(Status::from);
        Ok(Response::new(stream.boxed()))
    }
}
