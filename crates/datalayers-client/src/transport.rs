//! The shared HTTP transport: one `reqwest::Client` (one connection pool), the endpoint split into
//! a base URL, and the headers every request carries (auth, extra headers, `User-Agent`).
//!
//! Writes and queries both go through [`Transport::execute`]; response bodies are read with a size
//! cap so a misbehaving server cannot make the client buffer without bound.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};

use crate::config::{Auth, ClientConfig, Secret};
use crate::error::{ClientError, ConfigError, TransportError, redact_endpoint};

/// Query keys that carry credentials (InfluxDB 1.x / Datalayers `u=`/`p=`, tokens). They are
/// moved out of the endpoint into the `Authorization` header and never sent in a URL.
pub(crate) fn is_secret_query_key(key: &str) -> bool {
    matches!(key, "u" | "p" | "token" | "password")
}

/// One request. Built by the write path and by the query module.
#[derive(Debug)]
pub(crate) struct Request<'a> {
    pub(crate) method: Method,
    pub(crate) url: Cow<'a, Url>,
    pub(crate) body: Bytes,
    pub(crate) content_type: Option<&'static str>,
    pub(crate) content_encoding: Option<&'static str>,
    /// Budget of this attempt: connect, send and read the (capped) response.
    pub(crate) timeout: Duration,
}

/// A response with its body read (at most `max_response_bytes`).
#[derive(Debug, Clone)]
pub(crate) struct HttpResponse {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    /// The body was longer than the cap and was cut.
    pub(crate) truncated: bool,
}

impl HttpResponse {
    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as text (lossy UTF-8).
    pub(crate) fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The server's error message: `{"error": "..."}` (InfluxDB, Datalayers), else the
    /// `X-Influxdb-Error` header, else the body text, else the status line.
    pub(crate) fn error_message(&self) -> String {
        // InfluxDB 1.x and Datalayers: `{"error": ...}`; InfluxDB 2.x/3.x: `{"code", "message"}`.
        #[derive(serde::Deserialize)]
        struct ErrorBody {
            error: Option<String>,
            message: Option<String>,
        }
        if let Ok(ErrorBody { error, message }) = serde_json::from_slice::<ErrorBody>(&self.body)
            && let Some(text) = error.or(message)
        {
            return text;
        }
        if let Some(message) = self
            .headers
            .get("x-influxdb-error")
            .and_then(|v| v.to_str().ok())
            && (!self.truncated || message.len() >= self.body.len())
        {
            return message.to_owned();
        }
        let text = self.text();
        let text = text.trim();
        if text.is_empty() {
            let reason = reqwest::StatusCode::from_u16(self.status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("");
            format!("HTTP {} {reason}", self.status)
                .trim_end()
                .to_owned()
        } else if self.truncated {
            format!("{text}... (response cut at {} bytes)", self.body.len())
        } else {
            text.to_owned()
        }
    }

    /// `Retry-After`, in seconds or as an HTTP date, as a wait from `now`.
    pub(crate) fn retry_after(&self, now: SystemTime) -> Option<Duration> {
        let value = self.headers.get(header::RETRY_AFTER)?.to_str().ok()?;
        crate::retry::parse_retry_after(value, now)
    }
}

/// The HTTP side of a [`Client`](crate::Client).
#[derive(Debug)]
pub(crate) struct Transport {
    http: reqwest::Client,
    /// Scheme, host, port and path prefix (no trailing `/`, no query, no credentials).
    base: Url,
    /// Non-secret query pairs of the endpoint (e.g. `rp=autogen`), kept on writes.
    endpoint_query: Vec<(String, String)>,
    max_response_bytes: usize,
    pub(crate) default_timeout: Duration,
}

impl Transport {
    pub(crate) fn new(config: &ClientConfig) -> Result<Self, ClientError> {
        let endpoint = Endpoint::parse(&config.endpoint, config.protocol.write_path())?;
        let auth = match (&config.auth, endpoint.credentials) {
            (Auth::None, Some(from_url)) => from_url,
            (auth, _) => auth.clone(),
        };
        let mut headers = HeaderMap::new();
        if let Some(value) = authorization(&auth)? {
            headers.insert(header::AUTHORIZATION, value);
        }
        for (name, value) in &config.headers {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                ConfigError::InvalidHeader {
                    name: name.clone(),
                    reason: "not a valid header name",
                }
            })?;
            let mut value =
                HeaderValue::from_str(value.expose()).map_err(|_| ConfigError::InvalidHeader {
                    name: name.to_string(),
                    reason: "value has bytes not allowed in a header",
                })?;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        let mut builder = reqwest::Client::builder();
        if let Some(pem) = &config.ca_certificates_pem {
            let certificates = reqwest::Certificate::from_pem_bundle(pem)
                .ok()
                .filter(|certificates| !certificates.is_empty())
                .ok_or(ConfigError::InvalidValue {
                    setting: crate::config::Setting::CaFile,
                    origin: crate::config::Origin::Code,
                    value: format!("{} bytes of PEM", pem.len()),
                    reason: "no valid CA certificate in it",
                })?;
            builder = builder.tls_certs_merge(certificates);
        }
        let http = builder
            .user_agent(config.user_agent.as_str())
            .default_headers(headers)
            .connect_timeout(config.connect_timeout.min(config.timeout))
            .pool_idle_timeout(Duration::from_secs(60))
            // A redirect on a write endpoint is a misconfiguration: report it, never re-POST.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|err| ClientError::Http(crate::error::error_chain(&err.without_url())))?;
        Ok(Self {
            http,
            base: endpoint.base,
            endpoint_query: endpoint.query,
            max_response_bytes: config.max_response_bytes,
            default_timeout: config.timeout,
        })
    }

    /// `base + path`, with `query` pairs percent-encoded.
    pub(crate) fn url(&self, path: &str, query: &[(&str, &str)]) -> Url {
        let mut url = self.base.clone();
        let joined = format!(
            "{}/{}",
            self.base.path().trim_end_matches('/'),
            path.trim_start_matches('/')
        );
        url.set_path(&joined);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// The write URL: the endpoint's own query pairs, then `params` (which replace same-named ones).
    pub(crate) fn write_url(&self, path: &str, params: &[(&str, &str)]) -> Url {
        let mut url = self.url(path, &[]);
        {
            let mut pairs = url.query_pairs_mut();
            for (key, value) in &self.endpoint_query {
                if !params.iter().any(|(k, _)| *k == key.as_str()) {
                    pairs.append_pair(key, value);
                }
            }
            pairs.extend_pairs(params);
        }
        url
    }

    /// One request to `base + path` with the default deadline (for the query side).
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Bytes,
        content_type: Option<&'static str>,
    ) -> Result<HttpResponse, TransportError> {
        let url = self.url(path, query);
        self.execute(Request {
            method,
            url: Cow::Owned(url),
            body,
            content_type,
            content_encoding: None,
            timeout: self.default_timeout,
        })
        .await
    }

    /// One attempt, no retry. The body is read up to the cap.
    pub(crate) async fn execute(
        &self,
        request: Request<'_>,
    ) -> Result<HttpResponse, TransportError> {
        let timeout = request.timeout;
        let mut builder = self
            .http
            .request(request.method, request.url.into_owned())
            .timeout(timeout)
            .body(request.body);
        if let Some(content_type) = request.content_type {
            builder = builder.header(header::CONTENT_TYPE, content_type);
        }
        if let Some(encoding) = request.content_encoding {
            builder = builder.header(header::CONTENT_ENCODING, encoding);
        }
        let mut response = builder
            .send()
            .await
            .map_err(|e| TransportError::from_reqwest(e, timeout))?;
        let status = response.status().as_u16();
        let headers = std::mem::take(response.headers_mut());
        let cap = self.max_response_bytes;
        let hint = response
            .content_length()
            .map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX));
        let mut body = BytesMut::with_capacity(hint.min(cap).min(64 << 10));
        let mut truncated = false;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| TransportError::from_reqwest(e, timeout))?
        {
            let room = cap - body.len();
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                truncated = true;
                break;
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse {
            status,
            headers,
            body: body.freeze(),
            truncated,
        })
    }
}

/// The endpoint taken apart: base URL, kept query pairs, credentials found in it.
struct Endpoint {
    base: Url,
    query: Vec<(String, String)>,
    credentials: Option<Auth>,
}

impl Endpoint {
    fn parse(endpoint: &str, write_path: &str) -> Result<Self, ConfigError> {
        let invalid = |reason: &str| ConfigError::InvalidEndpoint {
            endpoint: redact_endpoint(endpoint),
            reason: reason.to_owned(),
        };
        let mut url = Url::parse(endpoint.trim()).map_err(|e| invalid(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("the scheme must be http or https"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(invalid("no host"));
        }
        // Credentials in the URL (`http://user:pass@host`, `?u=&p=`) move to the header.
        let mut username = (!url.username().is_empty()).then(|| percent_decode(url.username()));
        let mut password = url.password().map(percent_decode);
        let mut token = None;
        let mut query = Vec::new();
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "u" => username = Some(value.into_owned()),
                "p" | "password" => password = Some(value.into_owned()),
                "token" => token = Some(value.into_owned()),
                _ => query.push((key.into_owned(), value.into_owned())),
            }
        }
        let credentials = match (username, password, token) {
            (Some(username), password, _) => Some(Auth::Basic {
                username,
                password: Secret::new(password.unwrap_or_default()),
            }),
            (None, _, Some(token)) => Some(Auth::Token(Secret::new(token))),
            _ => None,
        };
        let _ = url.set_username("");
        let _ = url.set_password(None);
        url.set_query(None);
        url.set_fragment(None);
        // A full write URL is accepted: keep only the prefix before the write path.
        let mut path = url.path().trim_end_matches('/').to_owned();
        for suffix in [write_path, "/write", "/api/v2/write"] {
            if let Some(prefix) = path.strip_suffix(suffix) {
                path = prefix.to_owned();
                break;
            }
        }
        url.set_path(&path);
        Ok(Self {
            base: url,
            query,
            credentials,
        })
    }
}

/// Decodes `%XX` escapes (userinfo stays percent-encoded in a parsed URL).
fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// The `Authorization` header for `auth`, marked sensitive (hidden from `Debug` of headers).
fn authorization(auth: &Auth) -> Result<Option<HeaderValue>, ConfigError> {
    let text = match auth {
        Auth::None => return Ok(None),
        Auth::Basic { username, password } => {
            format!(
                "Basic {}",
                base64(format!("{username}:{}", password.expose()).as_bytes())
            )
        }
        Auth::Token(token) => format!("Token {}", token.expose()),
    };
    let mut value = HeaderValue::from_str(&text).map_err(|_| ConfigError::InvalidHeader {
        name: "authorization".into(),
        reason: "credentials contain bytes not allowed in a header",
    })?;
    value.set_sensitive(true);
    Ok(Some(value))
}

/// Standard base64 with padding (RFC 4648), for Basic credentials.
fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Protocol;

    fn transport(config: ClientConfig) -> Transport {
        Transport::new(&config).unwrap()
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected);
        }
        assert_eq!(base64(b"admin:public"), "YWRtaW46cHVibGlj");
    }

    #[test]
    fn write_urls_for_each_protocol() {
        let t = transport(ClientConfig::new("http://localhost:8361"));
        assert_eq!(
            t.write_url("/write", &[("db", "demo"), ("precision", "ns")])
                .as_str(),
            "http://localhost:8361/write?db=demo&precision=ns"
        );
        let t = transport(
            ClientConfig::new("http://localhost:8086/").with_protocol(Protocol::InfluxDbV2),
        );
        assert_eq!(
            t.write_url(
                "/api/v2/write",
                &[("org", "my org"), ("bucket", "b&x"), ("precision", "ns")]
            )
            .as_str(),
            "http://localhost:8086/api/v2/write?org=my+org&bucket=b%26x&precision=ns"
        );
    }

    #[test]
    fn endpoint_prefix_full_write_url_and_extra_query() {
        // A reverse-proxy prefix is kept and the write path appended (the reference exporter would
        // POST to the prefix itself).
        let t = transport(ClientConfig::new("https://h/influx"));
        assert_eq!(
            t.write_url("/write", &[("db", "d")]).as_str(),
            "https://h/influx/write?db=d"
        );
        assert_eq!(
            t.url("/api/v1/sql", &[("db", "d")]).as_str(),
            "https://h/influx/api/v1/sql?db=d"
        );
        // A pasted full write URL works; its own query survives unless we set the same key.
        let t = transport(ClientConfig::new(
            "http://h:8086/write?precision=ms&rp=autogen",
        ));
        assert_eq!(
            t.write_url("/write", &[("db", "db"), ("precision", "ns")])
                .as_str(),
            "http://h:8086/write?rp=autogen&db=db&precision=ns"
        );
        let t = transport(
            ClientConfig::new("https://h/influx/api/v2/write?foo=bar")
                .with_protocol(Protocol::InfluxDbV2),
        );
        assert_eq!(
            t.write_url("/api/v2/write", &[("bucket", "b")]).as_str(),
            "https://h/influx/api/v2/write?foo=bar&bucket=b"
        );
    }

    #[test]
    fn credentials_in_the_endpoint_move_to_the_header() {
        let endpoint =
            Endpoint::parse("http://admin:p%40ss@h:8361/?db=x&u=ignored&p=pw2", "/write").unwrap();
        assert_eq!(endpoint.base.as_str(), "http://h:8361/");
        assert_eq!(endpoint.query, vec![("db".to_owned(), "x".to_owned())]);
        assert_eq!(
            endpoint.credentials,
            Some(Auth::Basic {
                username: "ignored".into(),
                password: Secret::new("pw2")
            })
        );
        let endpoint = Endpoint::parse("http://admin:p%40ss@h:8361", "/write").unwrap();
        assert_eq!(
            endpoint.credentials,
            Some(Auth::Basic {
                username: "admin".into(),
                password: Secret::new("p@ss")
            })
        );
        let t = transport(ClientConfig::new("http://admin:s3cret@h:8361?p=s3cret"));
        let url = t.write_url("/write", &[("db", "d")]);
        assert!(!url.as_str().contains("s3cret"), "{url}");
        let shown = format!("{t:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains(&base64(b"admin:s3cret")),
            "{shown}"
        );
    }

    #[test]
    fn bad_endpoints_are_explained_without_secrets() {
        for endpoint in ["ftp://h", "not a url", "http://", "unix:socket"] {
            let err = Endpoint::parse(endpoint, "/write")
                .err()
                .unwrap_or_else(|| panic!("{endpoint} accepted"));
            assert!(err.to_string().contains("invalid endpoint"), "{err}");
        }
        let err = Endpoint::parse("ftp://user:hunter2@h", "/write")
            .err()
            .unwrap();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn invalid_ca_certificates_fail_at_build() {
        let config =
            ClientConfig::new("https://h").with_ca_certificates_pem(b"not a certificate".to_vec());
        let err = Transport::new(&config).unwrap_err();
        assert!(err.to_string().contains("no valid CA certificate"), "{err}");
    }

    #[test]
    fn authorization_header_is_sensitive() {
        let value = authorization(&Auth::Basic {
            username: "admin".into(),
            password: Secret::new("public"),
        })
        .unwrap()
        .unwrap();
        assert_eq!(value.to_str().unwrap(), "Basic YWRtaW46cHVibGlj");
        assert!(value.is_sensitive());
        assert!(!format!("{value:?}").contains("YWRt"));
        let value = authorization(&Auth::Token(Secret::new("tk")))
            .unwrap()
            .unwrap();
        assert_eq!(value.to_str().unwrap(), "Token tk");
        let err = authorization(&Auth::Token(Secret::new("bad\ntoken-secret"))).unwrap_err();
        assert!(!err.to_string().contains("token-secret"));
    }

    #[test]
    fn error_message_shapes() {
        let response = |body: &str, header: Option<&str>| {
            let mut headers = HeaderMap::new();
            if let Some(h) = header {
                headers.insert("x-influxdb-error", HeaderValue::from_str(h).unwrap());
            }
            HttpResponse {
                status: 400,
                headers,
                body: Bytes::from(body.to_owned()),
                truncated: false,
            }
        };
        assert_eq!(
            response(r#"{"error":"database not found: \"x\""}"#, None).error_message(),
            "database not found: \"x\""
        );
        assert_eq!(
            response("", Some("from header")).error_message(),
            "from header"
        );
        assert_eq!(
            response(
                r#"{"code":"invalid","message":"unable to parse 'x': bad"}"#,
                None
            )
            .error_message(),
            "unable to parse 'x': bad"
        );
        assert_eq!(response("plain text\n", None).error_message(), "plain text");
        assert_eq!(response("", None).error_message(), "HTTP 400 Bad Request");
    }
}
