//! A scripted HTTP/1.1 server for protocol tests of HTTP clients (feature `scripted-http`).
//!
//! Datalayers cannot run in the test environment, so its documented responses are replayed:
//! [`ScriptedServer`] answers a script of [`Reply`]s in order, then a fallback, on a free
//! loopback port (keep-alive, `Content-Length` bodies), and records every request as a
//! [`Seen`]. [`Replay`] is the short form for query APIs: (status, JSON body) pairs, then 500,
//! with requests read back as path, decoded query parameters and body text ([`Recorded`]).
//!
//! ```
//! use std::time::Duration;
//! use test_support::scripted::Replay;
//!
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! let server = Replay::start(vec![(200, r#"{"result":{"affected_rows":0}}"#)]).await;
//! let addr = server.base_url.trim_start_matches("http://").parse().unwrap();
//! let response = tokio::task::spawn_blocking(move || {
//!     test_support::http::send(addr, "POST", "/api/v1/sql?db=de%20mo", &[], b"SELECT 1",
//!         Duration::from_secs(5))
//! })
//! .await
//! .unwrap()
//! .unwrap();
//! assert_eq!(response.status, 200);
//! let sent = &server.requests()[0];
//! assert_eq!((sent.path.as_str(), sent.param("db"), sent.body.as_str()),
//!     ("/api/v1/sql", Some("de mo"), "SELECT 1"));
//! # });
//! ```

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the test server saw.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target: path and query string, as sent (percent-encoded).
    pub target: String,
    /// Header names (lower-cased) and values, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body as sent.
    pub body: Vec<u8>,
}

impl Seen {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body, gunzipped when it was sent with `Content-Encoding: gzip`.
    pub fn decoded_body(&self) -> Vec<u8> {
        if self.header("content-encoding") == Some("gzip") {
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&self.body[..]), &mut out)
                .unwrap();
            out
        } else {
            self.body.clone()
        }
    }
}

/// A canned response.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// Extra headers (`content-length` is always sent).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
    /// Never answer (a hung server).
    pub hang: bool,
    /// Answer after this long (a slow server).
    pub delay: Duration,
}

impl Reply {
    /// An empty answer with `status`.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: String::new(),
            hang: false,
            delay: Duration::ZERO,
        }
    }

    /// `{"error": message}` with `Content-Type: application/json`, the shape Datalayers and
    /// InfluxDB use.
    pub fn error(status: u16, message: &str) -> Self {
        Self::status(status)
            .header("content-type", "application/json")
            .body(&serde_json::json!({ "error": message }).to_string())
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: &str) -> Self {
        self.body = body.into();
        self
    }

    /// Answers after `delay`.
    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Never answers (a hung server).
    pub fn hang() -> Self {
        Self {
            hang: true,
            ..Self::status(0)
        }
    }
}

type Responder = dyn Fn(&Seen) -> Reply + Send + Sync;

/// A loopback HTTP/1.1 server (keep-alive unless the request says `Connection: close`) answering with a script, then with a fallback.
#[derive(Debug)]
pub struct ScriptedServer {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl ScriptedServer {
    /// Answers the `script` replies in order, then `fallback(request)` for every later request.
    ///
    /// Needs a tokio runtime with I/O and time enabled; the server lives as long as it.
    pub async fn start(
        script: Vec<Reply>,
        fallback: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::from(script)));
        let fallback: Arc<Responder> = Arc::new(fallback);
        let state = (Arc::clone(&seen), script, fallback);
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (seen, script, fallback) = (
                    Arc::clone(&state.0),
                    Arc::clone(&state.1),
                    Arc::clone(&state.2),
                );
                tokio::spawn(serve_connection(stream, seen, script, fallback));
            }
        });
        Self { base_url, seen }
    }

    /// Always answers `reply`.
    pub async fn always(reply: Reply) -> Self {
        Self::start(Vec::new(), move |_| reply.clone()).await
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn serve_connection(
    mut stream: tokio::net::TcpStream,
    seen: Arc<Mutex<Vec<Seen>>>,
    script: Arc<Mutex<VecDeque<Reply>>>,
    fallback: Arc<Responder>,
) {
    let mut buffer = Vec::new();
    loop {
        // Read the head.
        let head_end = loop {
            if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            let mut chunk = [0u8; 8192];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap_or_default().split(' ');
        let method = request_line.next().unwrap_or_default().to_owned();
        let target = request_line.next().unwrap_or_default().to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let length: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        while buffer.len() < head_end + length {
            let mut chunk = [0u8; 65536];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        }
        let body = buffer[head_end..head_end + length].to_vec();
        buffer.drain(..head_end + length);
        let request = Seen {
            method,
            target,
            headers,
            body,
        };
        let close = request
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let reply = script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| fallback(&request));
        seen.lock().unwrap().push(request);
        if reply.hang {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return;
        }
        tokio::time::sleep(reply.delay).await;
        let mut response = format!(
            "HTTP/1.1 {} X\r\ncontent-length: {}\r\n",
            reply.status,
            reply.body.len()
        );
        for (name, value) in &reply.headers {
            response.push_str(&format!("{name}: {value}\r\n"));
        }
        response.push_str("\r\n");
        response.push_str(&reply.body);
        if stream.write_all(response.as_bytes()).await.is_err() || close {
            return;
        }
    }
}

/// A scripted server on its own runtime thread, for tests whose own thread has no runtime or is
/// blocked. Stop it with `runtime.shutdown_background()` (allowed anywhere).
pub fn background_server(reply: Reply) -> (ScriptedServer, tokio::runtime::Runtime) {
    // Built on another thread: `block_on` is not allowed inside the caller's runtime, if any.
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let server = runtime.block_on(ScriptedServer::always(reply));
        (server, runtime)
    })
    .join()
    .unwrap()
}

/// One request as a [`Replay`] server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// The query parameters, percent-decoded, in order.
    pub query: Vec<(String, String)>,
    /// The body as text (lossy UTF-8).
    pub body: String,
    seen: Seen,
}

impl Recorded {
    fn new(seen: Seen) -> Self {
        let (path, query) = seen
            .target
            .split_once('?')
            .unwrap_or((seen.target.as_str(), ""));
        Self {
            method: seen.method.clone(),
            path: decode_component(path),
            query: query
                .split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                    (decode_component(key), decode_component(value))
                })
                .collect(),
            body: String::from_utf8_lossy(&seen.body).into_owned(),
            seen,
        }
    }

    /// The first query parameter called `key`.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.seen.header(name)
    }
}

/// Decodes one `application/x-www-form-urlencoded` component: `%XX` and `+` for a space.
/// A `%` not followed by two hex digits is kept as is.
pub fn decode_component(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A [`ScriptedServer`] for query APIs: canned (status, JSON body) answers in order.
#[derive(Debug)]
pub struct Replay {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    server: ScriptedServer,
}

impl Replay {
    /// Serves `responses` (status, JSON body) one per request, in order; after the last, 500.
    pub async fn start(responses: Vec<(u16, &str)>) -> Self {
        let script = responses
            .into_iter()
            .map(|(status, body)| {
                Reply::status(status)
                    .header("content-type", "application/json")
                    .body(body)
            })
            .collect();
        let server =
            ScriptedServer::start(script, |_| Reply::error(500, "no more canned responses")).await;
        Self {
            base_url: server.base_url.clone(),
            server,
        }
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.server
            .requests()
            .into_iter()
            .map(Recorded::new)
            .collect()
    }
}
