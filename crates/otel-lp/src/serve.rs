//! `otel-lp serve`: the edge gateway. OTLP over gRPC and HTTP in, line protocol out, to
//! Datalayers or InfluxDB (or a file), acknowledged only once stored.

use std::fs::File;
use std::io::{BufWriter, IsTerminal as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use datalayers_client::config::Setting;
use datalayers_client::{Client, ClientConfig};
use durable_queue::{FsyncPolicy, FullPolicy};
use lineproto::Dialect;
use otlp_receiver::config::{OTLP_GRPC_ADDR_DEFAULT, OTLP_HTTP_ADDR_DEFAULT};
use otlp_receiver::{
    DatabaseStore, FileStore, IncomingAuth, LineStore, QueuedStore, Receiver, ReceiverConfig,
    ServeConfig, TlsFiles, WRITE_CONCURRENCY_DEFAULT,
};

use trace_query::{AnyTraceStore, TraceSchema};
use trace_server::{Access, Cors, TraceServerConfig};

use crate::args::{DestinationArgs, EXIT_FAILURE, MappingArgs, usage_error};

/// Environment variable: the bearer token clients must send (`--auth-token`).
pub(crate) const OTEL_LP_SERVE_AUTH_TOKEN: &str = "OTEL_LP_SERVE_AUTH_TOKEN";
/// Environment variable: `USER:PASSWORD` clients must send with basic auth (`--auth-basic`).
pub(crate) const OTEL_LP_SERVE_AUTH_BASIC: &str = "OTEL_LP_SERVE_AUTH_BASIC";
/// Environment variable: the bearer token readers of the query server must send
/// (`--query-auth-token`).
pub(crate) const OTEL_LP_QUERY_AUTH_TOKEN: &str = "OTEL_LP_QUERY_AUTH_TOKEN";
/// Environment variable: `USER:PASSWORD` readers of the query server must send
/// (`--query-auth-basic`).
pub(crate) const OTEL_LP_QUERY_AUTH_BASIC: &str = "OTEL_LP_QUERY_AUTH_BASIC";

const EXAMPLES: &str = "\
Examples:
  # Collector replacement: OTLP on 4317/4318, lines to Datalayers
  otel-lp serve --endpoint http://127.0.0.1:8361 --database otel --username admin --password public

  # An edge box: listen on every interface, TLS, clients must send a token
  otel-lp serve --otlp-grpc 0.0.0.0:4317 --otlp-http 0.0.0.0:4318 \\
      --tls-cert edge.pem --tls-key edge.key --auth-token \"$TOKEN\" --endpoint https://db:8361 --database otel

  # No database: see the lines the gateway would write
  otel-lp serve --output -

Traces: the query server on --query-http (127.0.0.1:16686) serves the web trace viewer at /
and Jaeger's query API (/api/..., /api/v3/...) for Grafana's Jaeger data source, reading the
same database the gateway writes (off with --output or without an endpoint).
Health: GET /health on the OTLP/HTTP listener (200, or 503 with the reason).
Metrics: GET /metrics (Prometheus text). Logs: RUST_LOG (e.g. RUST_LOG=otlp_receiver=debug).
SIGINT/SIGTERM: stop accepting, finish requests in flight, flush, exit.";

/// Receive OTLP (gRPC and HTTP) and write it as line protocol: the collector's replacement
///
/// A request is acknowledged only once its lines are stored (written and accepted by the
/// database, or written to --output). With no endpoint configured, lines go to stdout.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub(crate) struct ServeArgs {
    /// OTLP/gRPC listen address, or `off`
    #[arg(long, value_name = "ADDR|off", default_value = OTLP_GRPC_ADDR_DEFAULT, value_parser = listen_address)]
    otlp_grpc: Listen,

    /// OTLP/HTTP listen address (also /health and /metrics), or `off`
    #[arg(long, value_name = "ADDR|off", default_value = OTLP_HTTP_ADDR_DEFAULT, value_parser = listen_address)]
    otlp_http: Listen,

    /// Write the lines to FILE (appended; `-` for stdout) instead of a database
    #[arg(long, value_name = "FILE|-")]
    output: Option<PathBuf>,

    /// Largest request body accepted, after decompression (413 beyond)
    #[arg(long, value_name = "BYTES", default_value = "64MiB", value_parser = byte_size)]
    max_request_size: usize,

    /// Memory budget of the requests in flight; beyond it clients are told to retry later
    #[arg(long, value_name = "BYTES", default_value = "256MiB", value_parser = byte_size)]
    max_in_flight: usize,

    /// Database writes in flight at once (requests arriving meanwhile share the next write)
    #[arg(long, value_name = "N", default_value_t = WRITE_CONCURRENCY_DEFAULT)]
    write_concurrency: usize,

    /// TLS certificate chain (PEM) for both listeners
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,

    /// TLS private key (PEM) for both listeners
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,

    /// Clients must send `Authorization: Bearer TOKEN`
    #[arg(long, value_name = "TOKEN", env = OTEL_LP_SERVE_AUTH_TOKEN, hide_env_values = true, conflicts_with = "auth_basic")]
    auth_token: Option<String>,

    /// Clients must send basic auth with USER:PASSWORD
    #[arg(long, value_name = "USER:PASSWORD", env = OTEL_LP_SERVE_AUTH_BASIC, hide_env_values = true)]
    auth_basic: Option<String>,

    /// Let browsers at ORIGIN send OTLP/HTTP (CORS; repeat it, or `*` for any). Off by default
    #[arg(long = "cors-origin", value_name = "ORIGIN", action = clap::ArgAction::Append)]
    cors_origins: Vec<String>,

    /// How long a shutdown may take to finish requests in flight and flush
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = duration)]
    shutdown_timeout: Duration,

    /// Keep a durable queue in DIR: requests are acknowledged once on disk and written to the
    /// database from there, in order, through restarts, crashes and database outages
    #[arg(long, value_name = "DIR", help_heading = "Durable queue")]
    wal_dir: Option<PathBuf>,

    /// Most bytes the queue holds on disk
    #[arg(long, value_name = "BYTES", default_value = "512MiB", value_parser = byte_size, help_heading = "Durable queue")]
    wal_max_bytes: usize,

    /// When the queue is full: tell clients to retry later, or drop the oldest batches (counted)
    #[arg(long, value_enum, default_value_t = WalFull::Backpressure, help_heading = "Durable queue")]
    wal_full: WalFull,

    /// When a request is acknowledged: after the fsync covering it (group-commit), after its
    /// own fsync (always), or once written with fsyncs every DURATION (e.g. 100ms; a power cut
    /// loses at most that)
    #[arg(long, value_name = "POLICY", default_value = "group-commit", value_parser = fsync_policy, help_heading = "Durable queue")]
    wal_fsync: FsyncPolicy,

    /// Trace query server (web viewer at /, Jaeger API for Grafana) address, or `off`
    #[arg(long, value_name = "ADDR|off", default_value = trace_server::DEFAULT_LISTEN_ADDR, value_parser = listen_address)]
    query_http: Listen,

    /// The query server asks for `Authorization: Bearer TOKEN`
    #[arg(long, value_name = "TOKEN", env = OTEL_LP_QUERY_AUTH_TOKEN, hide_env_values = true)]
    query_auth_token: Option<String>,

    /// The query server asks for basic auth with USER:PASSWORD (a browser prompts for it)
    #[arg(long, value_name = "USER:PASSWORD", env = OTEL_LP_QUERY_AUTH_BASIC, hide_env_values = true)]
    query_auth_basic: Option<String>,

    /// Let web pages at ORIGIN call the query API (CORS; repeat it, or `*`). Off by default
    #[arg(long = "query-cors-origin", value_name = "ORIGIN", action = clap::ArgAction::Append)]
    query_cors_origins: Vec<String>,

    #[command(flatten)]
    mapping: MappingArgs,

    #[command(flatten)]
    destination: DestinationArgs,
}

/// `--wal-full`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum WalFull {
    /// Refuse new data with 503 / UNAVAILABLE and a retry delay
    Backpressure,
    /// Drop whole oldest batches to make room (counted in /metrics)
    DropOldest,
}

fn fsync_policy(text: &str) -> Result<FsyncPolicy, String> {
    match text {
        "group-commit" => Ok(FsyncPolicy::GroupCommit),
        "always" => Ok(FsyncPolicy::Always),
        other => duration(other)
            .map(FsyncPolicy::Interval)
            .map_err(|_| format!("`{other}`: expected group-commit, always or a duration (100ms)")),
    }
}

/// A listener's address, or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Listen(Option<SocketAddr>);

fn listen_address(text: &str) -> Result<Listen, String> {
    if text.eq_ignore_ascii_case("off") {
        return Ok(Listen(None));
    }
    text.parse()
        .map(|addr| Listen(Some(addr)))
        .map_err(|_| "expected HOST:PORT with an IP address (e.g. 0.0.0.0:4317), or `off`".into())
}

/// `64MiB`, `512k`, `1000000`: a byte count with an optional binary (KiB/MiB/GiB, k/m/g) or
/// decimal (KB/MB/GB) unit.
fn byte_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: usize = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size: expected e.g. 64MiB, 512KiB or 1000000"))?;
    let factor: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        other => {
            return Err(format!(
                "unknown size unit `{other}` (KiB, MiB, GiB, KB, MB, GB)"
            ));
        }
    };
    number
        .checked_mul(factor)
        .ok_or_else(|| format!("`{text}` is too large"))
}

fn duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|err| format!("`{text}`: {err} (e.g. 10s, 1m)"))
}

/// Where the lines go, and how the start-up message says it.
struct Destination {
    store: Arc<dyn LineStore>,
    dialect: Dialect,
    note: Option<&'static str>,
    /// The database the lines go to, for the query server to read (`None` with `--output` or
    /// stdout).
    database: Option<ClientConfig>,
}

/// Runs `otel-lp serve`.
pub(crate) fn run(args: ServeArgs) -> ExitCode {
    init_logging();
    let usage = |message: String| usage_error(&["serve"], message);
    if args.otlp_grpc.0.is_none() && args.otlp_http.0.is_none() {
        return usage("--otlp-grpc and --otlp-http are both off: nothing to serve".into());
    }
    let auth = match (&args.auth_token, &args.auth_basic) {
        (Some(token), _) => match bearer_token(token, "--auth-token") {
            Ok(token) => Some(IncomingAuth::Bearer(token)),
            Err(message) => return usage(message),
        },
        (None, Some(pair)) => match user_password(pair, "--auth-basic") {
            Ok((username, password)) => Some(IncomingAuth::Basic { username, password }),
            Err(message) => return usage(message),
        },
        (None, None) => None,
    };
    let query_config = match query_server_config(&args) {
        Ok(config) => config,
        Err(message) => return usage(message),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("otel-lp-serve")
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("otel-lp serve: cannot start the async runtime: {err}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    runtime.block_on(async move {
        let destination = match destination(&args).await {
            Ok(destination) => destination,
            Err(code) => return code,
        };
        let mapping = match args.mapping.mapping_config(destination.dialect) {
            Ok(mapping) => mapping,
            Err(err) => return usage(err.to_string()),
        };
        let config = ReceiverConfig {
            mapping,
            max_request_bytes: args.max_request_size,
            max_in_flight_bytes: args.max_in_flight,
            auth,
            cors_allowed_origins: args.cors_origins.clone(),
        };
        let description = destination.store.describe();
        let receiver = match Receiver::new(config, destination.store) {
            Ok(receiver) => receiver,
            Err(err) => return usage(err.to_string()),
        };
        let serve = ServeConfig {
            grpc: args.otlp_grpc.0,
            http: args.otlp_http.0,
            tls: args.tls_cert.clone().zip(args.tls_key.clone()).map(
                |(certificate, key)| TlsFiles { certificate, key },
            ),
            shutdown_timeout: args.shutdown_timeout,
        };
        let mut server = match otlp_receiver::bind(receiver, &serve).await {
            Ok(server) => server,
            Err(err) => {
                eprintln!("otel-lp serve: {err}");
                return ExitCode::from(EXIT_FAILURE);
            }
        };
        let query = match (args.query_http.0, destination.database) {
            (None, _) => None,
            (Some(_), None) => {
                eprintln!("otel-lp serve: no trace query server: there is no database to read");
                None
            }
            (Some(addr), Some(database)) => match query_router(database, query_config) {
                Ok(router) => match server.mount("query server", addr, router).await {
                    Ok(bound) => Some(bound),
                    Err(err) => {
                        eprintln!("otel-lp serve: {err} (--query-http off turns it off)");
                        return ExitCode::from(EXIT_FAILURE);
                    }
                },
                Err(message) => {
                    eprintln!("otel-lp serve: no trace query server: {message}");
                    None
                }
            },
        };
        let scheme = if server.is_tls() { " (TLS)" } else { "" };
        let listeners: Vec<String> = [
            server.grpc_addr().map(|a| format!("OTLP/gRPC on {a}{scheme}")),
            server
                .http_addr()
                .map(|a| format!("OTLP/HTTP on {a}{scheme} (/v1/traces, /v1/logs, /v1/metrics, /health, /metrics)")),
            query.map(|a| format!("trace query server on {a}{scheme} (viewer at /, Jaeger API at /api)")),
        ]
        .into_iter()
        .flatten()
        .collect();
        eprintln!("otel-lp serve: {}", listeners.join(", "));
        if let Some(note) = destination.note {
            eprintln!("otel-lp serve: {note}");
        }
        eprintln!("otel-lp serve: writing {description}");
        let finished = server.run(shutdown_signal()).await;
        if finished {
            ExitCode::SUCCESS
        } else {
            eprintln!(
                "otel-lp serve: the shutdown took longer than {:?}; requests still in flight were cut off",
                args.shutdown_timeout
            );
            ExitCode::from(EXIT_FAILURE)
        }
    })
}

/// The store: `--output`, else the configured database (through the durable queue with
/// `--wal-dir`), else stdout.
async fn destination(args: &ServeArgs) -> Result<Destination, ExitCode> {
    let usage = |message: String| usage_error(&["serve"], message);
    let settings = args
        .destination
        .client_settings()
        .map_err(|err| usage(err.to_string()))?;
    let endpoint_configured = settings.is_set(Setting::Endpoint);
    let config = settings.resolve().map_err(|err| usage(err.to_string()))?;
    if args.wal_dir.is_some() && (args.output.is_some() || !endpoint_configured) {
        return Err(usage(
            "--wal-dir queues lines for a database: configure --endpoint (and not --output)".into(),
        ));
    }
    if let Some(path) = &args.output {
        let store = if path.as_os_str() == "-" {
            FileStore::stdout()
        } else {
            let file = File::options()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|err| {
                    eprintln!("otel-lp serve: cannot open {}: {err}", path.display());
                    ExitCode::from(EXIT_FAILURE)
                })?;
            FileStore::new(Box::new(BufWriter::new(file)), path.display().to_string())
        };
        return Ok(Destination {
            store: Arc::new(store),
            dialect: config.dialect(),
            note: endpoint_configured
                .then_some("--output given: the configured endpoint is not used"),
            database: None,
        });
    }
    if !endpoint_configured {
        return Ok(Destination {
            store: Arc::new(FileStore::stdout()),
            dialect: config.dialect(),
            note: Some(
                "no endpoint configured (--endpoint or OTEL_EXPORTER_DATALAYERS_ENDPOINT): \
                 writing line protocol to stdout",
            ),
            database: None,
        });
    }
    config.validate().map_err(|err| usage(err.to_string()))?;
    let dialect = config.dialect();
    let database = Some(config.clone());
    let client = Client::new(config).map_err(|err| {
        eprintln!("otel-lp serve: {err}");
        ExitCode::from(EXIT_FAILURE)
    })?;
    let store: Arc<dyn LineStore> = match &args.wal_dir {
        None => Arc::new(DatabaseStore::spawn(client, args.write_concurrency)),
        Some(dir) => {
            let options = durable_queue::Options::new()
                .with_max_bytes(args.wal_max_bytes as u64)
                .with_fsync(args.wal_fsync)
                .with_full_policy(match args.wal_full {
                    WalFull::Backpressure => FullPolicy::Backpressure,
                    WalFull::DropOldest => FullPolicy::DropOldest,
                });
            let queued = QueuedStore::open(dir, options, client)
                .await
                .map_err(|err| {
                    eprintln!("otel-lp serve: {err}");
                    ExitCode::from(EXIT_FAILURE)
                })?;
            Arc::new(queued)
        }
    };
    Ok(Destination {
        store,
        dialect,
        note: None,
        database,
    })
}

/// A bearer token from a flag: not empty.
fn bearer_token(token: &str, flag: &str) -> Result<String, String> {
    if token.is_empty() {
        return Err(format!("{flag} is empty"));
    }
    Ok(token.to_owned())
}

/// `USER:PASSWORD` from a flag: the user not empty (the password may hold colons).
fn user_password(pair: &str, flag: &str) -> Result<(String, String), String> {
    match pair.split_once(':') {
        Some((user, password)) if !user.is_empty() => Ok((user.into(), password.into())),
        _ => Err(format!("{flag} must be USER:PASSWORD")),
    }
}

/// The query server's access and CORS from `--query-*`.
fn query_server_config(args: &ServeArgs) -> Result<TraceServerConfig, String> {
    let mut access = Access::Open;
    if let Some(pair) = &args.query_auth_basic {
        let (user, password) = user_password(pair, "--query-auth-basic")?;
        access = Access::basic(user, password);
    }
    if let Some(token) = &args.query_auth_token {
        access = access.or_bearer(bearer_token(token, "--query-auth-token")?);
    }
    let cors = if args.query_cors_origins.is_empty() {
        Cors::Off
    } else if args.query_cors_origins.iter().any(|origin| origin == "*") {
        Cors::Any
    } else {
        Cors::origins(args.query_cors_origins.iter().cloned())
    };
    Ok(TraceServerConfig {
        access,
        cors,
        ..TraceServerConfig::default()
    })
}

/// The query server's routes over the database the gateway writes to: over Arrow Flight SQL when
/// `--flight-sql` (or its variable) is set, else over the HTTP API. Nothing is sent until the
/// first query, so the gateway starts while the database is away. Runs on the runtime (a Flight
/// SQL channel spawns its task there).
fn query_router(database: ClientConfig, config: TraceServerConfig) -> Result<axum::Router, String> {
    let store: AnyTraceStore<Arc<Client>> =
        AnyTraceStore::from_config(database, TraceSchema::default())
            .map_err(|err| err.to_string())?;
    Ok(trace_server::router(store, config))
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
}

/// Logs to stderr through `tracing`, filtered by `RUST_LOG` (default: info). The gateway's own
/// logs never go through an OpenTelemetry pipeline, so they cannot loop back into it.
fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

#[cfg(test)]
mod tests {
    use otlp_receiver::config::{MAX_IN_FLIGHT_BYTES_DEFAULT, MAX_REQUEST_BYTES_DEFAULT};

    use super::*;

    #[test]
    fn the_size_defaults_are_the_library_defaults() {
        use clap::Parser as _;
        let cli = crate::Cli::try_parse_from([
            "otel-lp",
            "serve",
            "--cors-origin",
            "https://a.example",
            "--cors-origin",
            "https://b.example",
        ])
        .unwrap();
        let crate::Command::Serve(args) = cli.command else {
            panic!("serve")
        };
        assert_eq!(args.max_request_size, MAX_REQUEST_BYTES_DEFAULT);
        assert_eq!(args.max_in_flight, MAX_IN_FLIGHT_BYTES_DEFAULT);
        assert_eq!(
            args.cors_origins,
            ["https://a.example", "https://b.example"]
        );
    }

    #[test]
    fn sizes_and_listen_addresses_parse() {
        assert_eq!(byte_size("64MiB"), Ok(64 << 20));
        assert_eq!(byte_size("512k"), Ok(512 << 10));
        assert_eq!(byte_size("1000000"), Ok(1_000_000));
        assert_eq!(byte_size("2 GB"), Ok(2_000_000_000));
        assert!(byte_size("lots").is_err());
        assert!(byte_size("5 parsecs").unwrap_err().contains("unit"));
        assert_eq!(listen_address("off"), Ok(Listen(None)));
        assert_eq!(
            listen_address("0.0.0.0:4317"),
            Ok(Listen(Some("0.0.0.0:4317".parse().unwrap())))
        );
        assert!(listen_address("localhost:4317").is_err());
    }
}
