//! The channel to a Flight SQL server (URL schemes, TLS, timeouts) and what its errors mean.

use std::error::Error as StdError;
use std::time::Duration;

use percent_encoding::percent_decode_str;
use tonic::Code;
use tonic::Status;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

use crate::error::redact_endpoint;
use crate::query::QueryError;

/// How often an idle connection is pinged, so a dead peer is noticed before the next query.
const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(30);

/// A parsed Flight SQL URL.
#[derive(Debug)]
pub(super) struct Target {
    /// `http(s)://host:port/...` without user info, as tonic wants it.
    pub(super) uri: String,
    /// The URL as errors and `Debug` show it (no credentials).
    pub(super) shown: String,
    pub(super) tls: bool,
    /// `user:password@` of the URL, percent-decoded.
    pub(super) user_info: Option<(String, String)>,
}

impl Target {
    /// Reads `http://`, `https://`, `grpc://`, `grpc+tcp://` and `grpc+tls://` URLs.
    pub(super) fn parse(url: &str) -> Result<Self, QueryError> {
        let shown = redact_endpoint(url.trim());
        let invalid = |why: &str| {
            QueryError::InvalidInput(format!("invalid Flight SQL endpoint {shown:?}: {why}"))
        };
        let mut parsed = reqwest::Url::parse(url.trim()).map_err(|e| invalid(&e.to_string()))?;
        let tls = match parsed.scheme() {
            "http" | "grpc" | "grpc+tcp" => false,
            "https" | "grpc+tls" => true,
            _ => {
                return Err(invalid(
                    "expected http://, https://, grpc:// or grpc+tls://",
                ));
            }
        };
        let host = parsed
            .host_str()
            .ok_or_else(|| invalid("no host"))?
            .to_owned();
        let port = parsed.port();
        let user_info = (!parsed.username().is_empty()).then(|| {
            let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
            (
                decode(parsed.username()),
                decode(parsed.password().unwrap_or_default()),
            )
        });
        // Dropping the user info cannot fail on a URL with a host.
        let _ = parsed.set_username("");
        let _ = parsed.set_password(None);
        let scheme = if tls { "https" } else { "http" };
        let path = parsed.path().trim_end_matches('/');
        let authority = match port {
            Some(port) => format!("{host}:{port}"),
            None => host,
        };
        Ok(Self {
            uri: format!("{scheme}://{authority}{path}"),
            shown,
            tls,
            user_info,
        })
    }
}

/// The server as errors describe it.
#[derive(Debug, Clone)]
pub(super) struct Peer {
    /// The endpoint without credentials.
    pub(super) shown: String,
    /// Whether the URL asked for TLS (a plain-text URL dropped by a TLS server gets a hint).
    pub(super) tls: bool,
    /// The deadline of one call (the configuration's timeout).
    pub(super) timeout: Duration,
}

/// What the channel needs from the client configuration.
pub(super) struct ChannelOptions {
    pub(super) connect_timeout: Duration,
    pub(super) user_agent: String,
    pub(super) ca_certificates_pem: Option<Vec<u8>>,
}

/// Connects (TCP, then TLS when asked), so unreachable servers and TLS problems show here, each
/// as its own error.
pub(super) async fn connect(
    target: &Target,
    options: &ChannelOptions,
) -> Result<Channel, QueryError> {
    endpoint(target, options)?.connect().await.map_err(|e| {
        let peer = Peer {
            shown: target.shown.clone(),
            tls: target.tls,
            timeout: options.connect_timeout,
        };
        transport_failure(&peer, "connecting", &e)
    })
}

/// A channel that connects on its first call (and reconnects after a failure). Needs a tokio
/// runtime.
pub(super) fn connect_lazy(
    target: &Target,
    options: &ChannelOptions,
) -> Result<Channel, QueryError> {
    Ok(endpoint(target, options)?.connect_lazy())
}

/// The tonic endpoint of `target`, with the options and TLS.
fn endpoint(target: &Target, options: &ChannelOptions) -> Result<Endpoint, QueryError> {
    let invalid = |e: &dyn std::fmt::Display| {
        QueryError::InvalidInput(format!("invalid Flight SQL endpoint {}: {e}", target.shown))
    };
    let mut endpoint = Endpoint::from_shared(target.uri.clone())
        .map_err(|e| invalid(&e))?
        .connect_timeout(options.connect_timeout)
        .tcp_nodelay(true)
        .http2_keep_alive_interval(KEEP_ALIVE_INTERVAL)
        .keep_alive_while_idle(true)
        .user_agent(options.user_agent.clone())
        .map_err(|e| invalid(&e))?;
    if target.tls {
        endpoint = with_tls(
            endpoint,
            options.ca_certificates_pem.as_deref(),
            &target.shown,
        )?;
    }
    Ok(endpoint)
}

/// The platform's roots plus the configured CA file (the same trust as the REST client). A host
/// without a system bundle still works when a CA file is given.
fn with_tls(endpoint: Endpoint, pem: Option<&[u8]>, shown: &str) -> Result<Endpoint, QueryError> {
    let config = |native: bool| {
        let mut config = ClientTlsConfig::new();
        if native {
            config = config.with_native_roots();
        }
        if let Some(pem) = pem {
            config = config.ca_certificate(Certificate::from_pem(pem));
        }
        config
    };
    match endpoint.clone().tls_config(config(true)) {
        Ok(endpoint) => Ok(endpoint),
        Err(_) if pem.is_some() => endpoint
            .tls_config(config(false))
            .map_err(|e| tls(shown, &e)),
        Err(e) => Err(tls(shown, &e)),
    }
}

fn tls(shown: &str, error: &(dyn StdError + 'static)) -> QueryError {
    QueryError::Tls {
        endpoint: shown.to_owned(),
        message: format!(
            "{}; check the CA file (--ca-file, OTEL_EXPORTER_DATALAYERS_CERTIFICATE)",
            chain(error)
        ),
        source: None,
    }
}

/// A failure before or outside any answer of the server: TLS, or the network.
pub(super) fn transport_failure(
    peer: &Peer,
    doing: &str,
    error: &(dyn StdError + 'static),
) -> QueryError {
    let shown = peer.shown.as_str();
    if let Some(rustls_error) = find_rustls_error(error) {
        let advice = match rustls_error {
            rustls::Error::InvalidMessage(_) => {
                "the server does not speak TLS there: use an http:// (plain) URL, or the TLS port"
            }
            rustls::Error::InvalidCertificate(_) => {
                "the server's certificate is not trusted for this host: give its CA with --ca-file \
                 (OTEL_EXPORTER_DATALAYERS_CERTIFICATE), or check the host name"
            }
            _ => "check the server's TLS settings and the CA file",
        };
        return QueryError::Tls {
            endpoint: shown.to_owned(),
            message: format!("{doing}: {rustls_error}; {advice}"),
            source: None,
        };
    }
    let text = chain(error);
    // Connected, then dropped without an answer (how a TLS server treats a plain-text client:
    // a reset, a broken pipe, an undecodable frame, a closed connection, depending on timing).
    let dropped = !text.contains("tcp connect error") && !text.contains("dns error");
    let message = if text.contains("timed out") || text.contains("Timeout expired") {
        format!(
            "{doing}: no answer within {:?} (the timeout setting)",
            peer.timeout
        )
    } else if dropped && !peer.tls {
        format!(
            "{doing}: {text} (the server dropped the plain-text connection: if it uses TLS, use an https:// or grpc+tls:// URL)"
        )
    } else {
        format!("{doing}: {text}")
    };
    QueryError::Transport {
        endpoint: shown.to_owned(),
        message,
        source: None,
    }
}

/// Maps a status of a call to the error readers expect: the server's own answers by their gRPC
/// code (unknown tables as [`QueryError::TableNotFound`], as over REST), local failures (the
/// network, TLS, decoding) by their cause.
pub(super) fn status_error(peer: &Peer, call: &str, status: &Status) -> QueryError {
    // tonic turns local errors into statuses too (an io error's kind picks the code); those keep
    // their cause as the source, a server's answer has none.
    if let Some(source) = StdError::source(status) {
        return transport_failure(peer, call, source);
    }
    let shown = peer.shown.as_str();
    let message = server_message(status.message());
    match status.code() {
        Code::Unauthenticated => QueryError::Unauthorized {
            status: 401,
            message: format!("{call}: {message}"),
        },
        Code::PermissionDenied => QueryError::Unauthorized {
            status: 403,
            message: format!("{call}: {message}"),
        },
        Code::OutOfRange if message.contains("message length too large") => {
            QueryError::Decode(format!(
                "{call}: {message}; raise FlightSqlClientBuilder::max_message_bytes or narrow the query"
            ))
        }
        Code::Unavailable | Code::Cancelled | Code::DeadlineExceeded | Code::Aborted => {
            QueryError::Transport {
                endpoint: shown.to_owned(),
                message: format!("{call}: {:?}: {message}", status.code()),
                source: None,
            }
        }
        code => QueryError::from_server(http_status(code), format!("{code:?}: {message}")),
    }
}

/// The HTTP status that corresponds to a gRPC code (the gRPC-over-HTTP mapping), so errors read
/// the same over both transports.
fn http_status(code: Code) -> u16 {
    match code {
        Code::Ok => 200,
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => 400,
        Code::Unauthenticated => 401,
        Code::PermissionDenied => 403,
        Code::NotFound => 404,
        Code::AlreadyExists | Code::Aborted => 409,
        Code::ResourceExhausted => 429,
        Code::Cancelled => 499,
        Code::Unimplemented => 501,
        Code::Unavailable => 503,
        Code::DeadlineExceeded => 504,
        Code::Unknown | Code::Internal | Code::DataLoss => 500,
    }
}

/// A server message without the source location Datalayers appends
/// (`... at src/dbserver/src/...`), as its official examples strip it.
pub(super) fn server_message(message: &str) -> String {
    let trimmed = match message.find(" at src/") {
        Some(at) => &message[..at],
        None => message,
    };
    let trimmed = trimmed.trim();
    if trimmed.is_empty() {
        "(no message)".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// The first rustls error in `error`'s chain (io errors carry it as their inner error, which
/// `source()` skips).
fn find_rustls_error<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    let mut next = Some(error);
    while let Some(current) = next {
        if let Some(found) = current.downcast_ref::<rustls::Error>() {
            return Some(found);
        }
        if let Some(found) = current
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(found);
        }
        next = current.source();
    }
    None
}

/// `error: cause: cause ...`, each distinct message once.
fn chain(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(current) = next {
        let text = current.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        if let Some(inner) = current
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            let text = inner.to_string();
            if !parts.iter().any(|p| p.contains(&text)) {
                parts.push(text);
            }
        }
        next = current.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_in_every_spelling() {
        let target = Target::parse("grpc+tls://admin:p%40ss@db.example:8360").unwrap();
        assert_eq!(target.uri, "https://db.example:8360");
        assert!(target.tls);
        assert_eq!(
            target.user_info,
            Some(("admin".to_owned(), "p@ss".to_owned()))
        );
        assert!(!target.shown.contains("p%40ss"), "{}", target.shown);
        let target = Target::parse("http://127.0.0.1:8360/").unwrap();
        assert_eq!(
            (target.uri.as_str(), target.tls),
            ("http://127.0.0.1:8360", false)
        );
        assert_eq!(
            Target::parse("grpc://h:1").unwrap().uri,
            "http://h:1",
            "grpc:// is plain text"
        );
        let err = Target::parse("ftp://h:1").unwrap_err();
        assert!(err.to_string().contains("grpc+tls://"), "{err}");
    }

    #[test]
    fn server_answers_are_classified_by_code_and_text() {
        let peer = Peer {
            shown: "http://h:8360".into(),
            tls: false,
            timeout: Duration::from_secs(1),
        };
        let err = status_error(
            &peer,
            "GetFlightInfo",
            &Status::internal(
                "Error during planning: table 'x' not found at src/dbserver/src/service.rs:42",
            ),
        );
        assert!(err.is_table_not_found(), "{err:?}");
        assert!(!err.to_string().contains("src/dbserver"), "{err}");
        let err = status_error(&peer, "DoGet", &Status::unauthenticated("expired"));
        assert!(
            matches!(err, QueryError::Unauthorized { status: 401, .. }),
            "{err:?}"
        );
        let err = status_error(&peer, "DoGet", &Status::invalid_argument("syntax"));
        assert!(
            matches!(&err, QueryError::Statement { status: 400, message } if message == "InvalidArgument: syntax"),
            "{err:?}"
        );
        let err = status_error(&peer, "DoGet", &Status::unavailable("shutting down"));
        assert!(matches!(err, QueryError::Transport { .. }), "{err:?}");
        // A local io error turned into a status is the network, whatever code it got.
        let local = Status::from_error(Box::new(std::io::Error::from(
            std::io::ErrorKind::PermissionDenied,
        )));
        let err = status_error(&peer, "DoGet", &local);
        assert!(matches!(err, QueryError::Transport { .. }), "{err:?}");
    }
}
