//! The listeners: OTLP/gRPC and OTLP/HTTP on their own addresses, plain or TLS, with one accept
//! loop for both, and a graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::receiver::Receiver;

/// Default time a shutdown may take: finishing requests in flight and flushing the store.
pub const SHUTDOWN_TIMEOUT_DEFAULT: Duration = Duration::from_secs(10);
/// How long a client may take for its TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an HTTP/1 client may take to send its request headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Where and how to listen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeConfig {
    /// The OTLP/gRPC address; `None` turns gRPC off.
    pub grpc: Option<SocketAddr>,
    /// The OTLP/HTTP address (also `/health` and `/metrics`); `None` turns HTTP off.
    pub http: Option<SocketAddr>,
    /// TLS for both listeners; `None` serves plain TCP.
    pub tls: Option<TlsFiles>,
    /// The most a shutdown may take ([`SHUTDOWN_TIMEOUT_DEFAULT`]).
    pub shutdown_timeout: Duration,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            grpc: crate::config::OTLP_GRPC_ADDR_DEFAULT.parse().ok(),
            http: crate::config::OTLP_HTTP_ADDR_DEFAULT.parse().ok(),
            tls: None,
            shutdown_timeout: SHUTDOWN_TIMEOUT_DEFAULT,
        }
    }
}

/// A certificate chain and its private key, PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub certificate: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Why the listeners could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// An address could not be bound.
    #[error("cannot listen on {addr} ({what}): {source}")]
    Bind {
        /// Which listener.
        what: &'static str,
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The TLS files could not be read or used.
    #[error("TLS: {0}")]
    Tls(String),
    /// Neither listener is on.
    #[error("both the OTLP/gRPC and the OTLP/HTTP listeners are off")]
    NothingToServe,
}

/// Bound listeners, ready to [`run`](Server::run).
pub struct Server {
    receiver: Receiver,
    grpc: Option<TcpListener>,
    http: Option<TcpListener>,
    tls: Option<TlsAcceptor>,
    shutdown_timeout: Duration,
    /// More HTTP services on their own listeners ([`Server::mount`]).
    mounted: Vec<(TcpListener, axum::Router)>,
}

/// Binds the listeners `config` asks for (port 0 picks a free port: see
/// [`Server::grpc_addr`] and [`Server::http_addr`]).
pub async fn bind(receiver: Receiver, config: &ServeConfig) -> Result<Server, ServeError> {
    if config.grpc.is_none() && config.http.is_none() {
        return Err(ServeError::NothingToServe);
    }
    let tls = config.tls.as_ref().map(tls_acceptor).transpose()?;
    let grpc = match config.grpc {
        Some(addr) => Some(listen(addr, "OTLP/gRPC").await?),
        None => None,
    };
    let http = match config.http {
        Some(addr) => Some(listen(addr, "OTLP/HTTP").await?),
        None => None,
    };
    Ok(Server {
        receiver,
        grpc,
        http,
        tls,
        shutdown_timeout: config.shutdown_timeout,
        mounted: Vec::new(),
    })
}

async fn listen(addr: SocketAddr, what: &'static str) -> Result<TcpListener, ServeError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { what, addr, source })
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("grpc", &self.grpc_addr())
            .field("http", &self.http_addr())
            .field("tls", &self.tls.is_some())
            .field("mounted", &self.mounted.len())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// The gRPC listener's address, when on.
    pub fn grpc_addr(&self) -> Option<SocketAddr> {
        self.grpc.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The HTTP listener's address, when on.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// Whether the listeners speak TLS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Serves `router` on one more listener at `addr` (`what` names it in errors), with the
    /// same TLS, accept loop and graceful shutdown as the OTLP listeners: how `otel-lp serve`
    /// adds its trace query server. Returns the bound address (port 0 picks a free port).
    pub async fn mount(
        &mut self,
        what: &'static str,
        addr: SocketAddr,
        router: axum::Router,
    ) -> Result<SocketAddr, ServeError> {
        let listener = listen(addr, what).await?;
        let bound =
            listener
                .local_addr()
                .map_err(|source| ServeError::Bind { what, addr, source })?;
        self.mounted.push((listener, router));
        Ok(bound)
    }

    /// Serves until `shutdown` resolves, then shuts down gracefully: new requests are refused
    /// with a retry delay, requests in flight finish, the store is flushed, all within the
    /// configured shutdown timeout. Returns whether everything finished in time.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> bool {
        let (stop, stopped) = watch::channel(false);
        let graceful = Arc::new(GracefulShutdown::new());
        let mut loops = tokio::task::JoinSet::new();
        if let Some(listener) = self.grpc {
            let service = self.receiver.grpc_routes().prepare().into_axum_router();
            loops.spawn(accept_loop(
                listener,
                self.tls.clone(),
                service,
                stopped.clone(),
                Arc::clone(&graceful),
            ));
        }
        if let Some(listener) = self.http {
            let service = self.receiver.http_router();
            loops.spawn(accept_loop(
                listener,
                self.tls.clone(),
                service,
                stopped.clone(),
                Arc::clone(&graceful),
            ));
        }
        for (listener, router) in self.mounted {
            loops.spawn(accept_loop(
                listener,
                self.tls.clone(),
                router,
                stopped.clone(),
                Arc::clone(&graceful),
            ));
        }
        shutdown.await;
        let started = Instant::now();
        tracing::info!("shutting down: finishing requests in flight");
        self.receiver.stop_accepting();
        let _ = stop.send(true);
        while loops.join_next().await.is_some() {}
        let graceful = Arc::into_inner(graceful).unwrap_or_default();
        let deadline = self.shutdown_timeout;
        let finished = tokio::time::timeout(deadline, async {
            graceful.shutdown().await;
            self.receiver.flush().await;
        })
        .await
        .is_ok();
        if finished {
            tracing::info!("shut down in {:?}", started.elapsed());
        } else {
            tracing::warn!(
                "shutdown timed out after {deadline:?}: requests still in flight were cut off"
            );
        }
        finished
    }
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    service: axum::Router,
    mut stopped: watch::Receiver<bool>,
    graceful: Arc<GracefulShutdown>,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let builder = Arc::new(builder);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped.wait_for(|stop| *stop) => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(err) => {
                // Out of file descriptors and the like: wait a moment instead of spinning.
                tracing::warn!("accept failed: {err}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(service.clone());
        let builder = Arc::clone(&builder);
        let watcher = graceful.watcher();
        let tls = tls.clone();
        tokio::spawn(async move {
            let served = match tls {
                None => {
                    let connection = builder
                        .serve_connection_with_upgrades(TokioIo::new(stream), service)
                        .into_owned();
                    watcher.watch(connection).await
                }
                Some(acceptor) => {
                    let stream =
                        match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream))
                            .await
                        {
                            Ok(Ok(stream)) => stream,
                            Ok(Err(err)) => {
                                tracing::debug!(%peer, "TLS handshake failed: {err}");
                                return;
                            }
                            Err(_) => {
                                tracing::debug!(%peer, "TLS handshake timed out");
                                return;
                            }
                        };
                    let connection = builder
                        .serve_connection_with_upgrades(TokioIo::new(stream), service)
                        .into_owned();
                    watcher.watch(connection).await
                }
            };
            if let Err(err) = served {
                tracing::debug!(%peer, "connection ended with an error: {err}");
            }
        });
    }
}

fn tls_acceptor(files: &TlsFiles) -> Result<TlsAcceptor, ServeError> {
    use rustls_pki_types::pem::PemObject as _;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};

    let certificates: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(&files.certificate)
            .and_then(Iterator::collect)
            .map_err(|err| {
                ServeError::Tls(format!(
                    "cannot read certificates from {}: {err}",
                    files.certificate.display()
                ))
            })?;
    if certificates.is_empty() {
        return Err(ServeError::Tls(format!(
            "no certificate in {}",
            files.certificate.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|err| {
        ServeError::Tls(format!(
            "cannot read a private key from {}: {err}",
            files.key.display()
        ))
    })?;
    // The provider is named, not taken from the process default, so a second rustls provider
    // elsewhere in an application cannot make this fail.
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| ServeError::Tls(err.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certificates, key)
        .map_err(|err| ServeError::Tls(format!("the certificate and key do not fit: {err}")))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
