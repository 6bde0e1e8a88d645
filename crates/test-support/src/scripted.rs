//! The scripted HTTP/1.1 server of every protocol test, benchmark and fuzz target that needs a
//! server other than a real InfluxDB (feature `scripted-http`).
//!
//! Datalayers cannot run in the test environment, so its documented responses are replayed; and
//! a client's handling of odd answers (errors, `Retry-After`, hangs, slow answers, connections
//! closed under it) is tested against exactly those answers. [`ScriptedServer`] listens on a free
//! loopback port, answers a script of [`Reply`]s in order and then a fallback (which may look at
//! the request), and records every [`Request`]: method, target, decoded path and query, headers
//! and body (de-chunked; gunzipped on demand).
//!
//! It runs on threads of its own (one per connection; request heads parsed by `httparse`), so it
//! serves sync tests, async tests under any runtime flavour, benchmarks and fuzz targets alike;
//! dropping it closes the port and every connection and ends hung answers.
//!
//! ```
//! use std::time::Duration;
//! use test_support::scripted::{Reply, ScriptedServer};
//!
//! let server = ScriptedServer::replay(vec![(200, r#"{"result":{"affected_rows":0}}"#)]);
//! let response = test_support::http::send(server.addr(), "POST", "/api/v1/sql?db=de%20mo", &[],
//!     b"SELECT 1", Duration::from_secs(5)).unwrap();
//! assert_eq!(response.status, 200);
//! let sent = &server.requests()[0];
//! assert_eq!((sent.path.as_str(), sent.param("db"), sent.text().as_str()),
//!     ("/api/v1/sql", Some("de mo"), "SELECT 1"));
//!
//! // A script, then a fallback that reads the request.
//! let server = ScriptedServer::start(
//!     vec![Reply::error(503, "busy").header("retry-after", "1")],
//!     |request| if request.body.is_empty() { Reply::status(400) } else { Reply::status(204) },
//! );
//! # let _ = server;
//! ```

use std::collections::{HashMap, VecDeque};
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use percent_encoding::percent_decode_str;

use crate::wire::{self, Framing};

/// One request as the server read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target: path and query string, as sent (percent-encoded).
    pub target: String,
    /// The path of the target, percent-decoded.
    pub path: String,
    /// The query parameters, decoded as `application/x-www-form-urlencoded`, in order.
    pub query: Vec<(String, String)>,
    /// Header names (lower-cased) and values, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body as sent (de-chunked, still compressed if it was).
    pub body: Vec<u8>,
}

impl Request {
    fn new(method: &str, target: &str, headers: Vec<(String, String)>, body: Vec<u8>) -> Self {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let form_decode = |text: &str| {
            percent_decode_str(&text.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        Self {
            method: method.to_owned(),
            target: target.to_owned(),
            path: percent_decode_str(path).decode_utf8_lossy().into_owned(),
            query: query
                .split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                    (form_decode(key), form_decode(value))
                })
                .collect(),
            headers: headers
                .into_iter()
                .map(|(name, value)| (name.to_ascii_lowercase(), value))
                .collect(),
            body,
        }
    }

    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first query parameter called `key`, decoded.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy UTF-8), as sent.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body, gunzipped when it was sent with `Content-Encoding: gzip`.
    pub fn decoded_body(&self) -> Vec<u8> {
        if self.header("content-encoding") == Some("gzip") {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&self.body[..])
                .read_to_end(&mut out)
                .expect("a gzip body");
            out
        } else {
            self.body.clone()
        }
    }

    fn asks_to_close(&self) -> bool {
        self.header("connection")
            .is_some_and(|value| value.eq_ignore_ascii_case("close"))
    }
}

/// A canned response, written byte for byte as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The status code (any number: the status line says `HTTP/1.1 <status> Scripted`).
    pub status: u16,
    /// Headers, in order. `content-length` is added unless they set it or `transfer-encoding`
    /// (then the body must already be framed that way).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// Answer after this long (a slow server).
    pub delay: Duration,
    /// Never answer; hold the connection open until the server is dropped (a hung server).
    pub hang: bool,
    /// Close the connection after the answer without saying so (no `Connection: close`), like a
    /// server whose keep-alive timeout passed: the client believes it may reuse it.
    pub close: bool,
}

impl Reply {
    /// An empty answer with `status`.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: Duration::ZERO,
            hang: false,
            close: false,
        }
    }

    /// `body` with `status` and `Content-Type: application/json`.
    pub fn json(status: u16, body: impl AsRef<[u8]>) -> Self {
        Self::status(status)
            .header("content-type", "application/json")
            .body(body)
    }

    /// `{"error": message}` with `Content-Type: application/json`, the shape Datalayers and
    /// InfluxDB use.
    pub fn error(status: u16, message: &str) -> Self {
        Self::json(status, serde_json::json!({ "error": message }).to_string())
    }

    /// Never answers (a hung server).
    pub fn hang() -> Self {
        Self {
            hang: true,
            ..Self::status(0)
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl AsRef<[u8]>) -> Self {
        self.body = body.as_ref().to_vec();
        self
    }

    /// Answers after `delay`.
    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Closes the connection after this answer, without announcing it.
    pub fn then_close(mut self) -> Self {
        self.close = true;
        self
    }

    fn has_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    /// The response as it goes on the wire.
    fn encode(&self) -> Vec<u8> {
        let mut head = format!("HTTP/1.1 {} Scripted\r\n", self.status);
        if !self.has_header("content-length") && !self.has_header("transfer-encoding") {
            head.push_str(&format!("content-length: {}\r\n", self.body.len()));
        }
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }

    /// Whether the connection ends after this answer (said or not).
    fn closes(&self) -> bool {
        self.close
            || self.headers.iter().any(|(name, value)| {
                name.eq_ignore_ascii_case("connection") && value.eq_ignore_ascii_case("close")
            })
    }
}

type Responder = dyn Fn(&Request) -> Reply + Send + Sync;

/// A loopback HTTP/1.1 server answering with a script, then with a fallback; see the
/// [module docs](self). Keep-alive unless a request or reply says `Connection: close` (or the
/// reply [closes](Reply::then_close)); request bodies by `Content-Length` or chunked;
/// `Expect: 100-continue` honoured. Dropping it stops it.
#[derive(Debug)]
pub struct ScriptedServer {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

struct Shared {
    script: Mutex<VecDeque<Reply>>,
    fallback: Box<Responder>,
    /// Whether requests are kept (else only counted).
    record: bool,
    requests: Mutex<Vec<Request>>,
    count: AtomicU64,
    live: Mutex<Live>,
    /// Signalled when the server stops (ends hangs and delays early).
    stopped: Condvar,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("record", &self.record)
            .field("count", &self.count)
            .finish_non_exhaustive()
    }
}

/// The open connections (clones, to shut them down from [`Drop`]) and whether the server stopped.
#[derive(Default)]
struct Live {
    stopped: bool,
    connections: HashMap<u64, TcpStream>,
}

impl ScriptedServer {
    /// Answers the `script` replies in order, then `fallback(request)` for every later request.
    pub fn start(
        script: Vec<Reply>,
        fallback: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> Self {
        Self::launch(script, Box::new(fallback), true)
    }

    /// Always answers `reply`.
    pub fn always(reply: Reply) -> Self {
        Self::start(Vec::new(), move |_| reply.clone())
    }

    /// Always answers `reply` and keeps no request, only their [count](Self::request_count): for
    /// benchmarks, whose memory must stay flat.
    pub fn discarding(reply: Reply) -> Self {
        Self::launch(Vec::new(), Box::new(move |_| reply.clone()), false)
    }

    /// For query APIs: the `responses` (status, JSON body) one per request, in order; after the
    /// last, `500 {"error": "no more canned responses"}`.
    pub fn replay(responses: Vec<(u16, &str)>) -> Self {
        let script = responses
            .into_iter()
            .map(|(status, body)| Reply::json(status, body))
            .collect();
        Self::start(script, |_| Reply::error(500, "no more canned responses"))
    }

    fn launch(script: Vec<Reply>, fallback: Box<Responder>, record: bool) -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a loopback port");
        let addr = listener.local_addr().expect("the bound address");
        let shared = Arc::new(Shared {
            script: Mutex::new(VecDeque::from(script)),
            fallback,
            record,
            requests: Mutex::new(Vec::new()),
            count: AtomicU64::new(0),
            live: Mutex::new(Live::default()),
            stopped: Condvar::new(),
        });
        let accepting = Arc::clone(&shared);
        let acceptor = std::thread::Builder::new()
            .name("scripted-http".into())
            .spawn(move || accepting.accept(&listener))
            .expect("start the server thread");
        Self {
            base_url: format!("http://{addr}"),
            addr,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request so far, in order (none for a [discarding](Self::discarding) server).
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.shared.requests).clone()
    }

    /// Every request so far, in order, forgetting them: the next call sees only later ones.
    pub fn take_requests(&self) -> Vec<Request> {
        std::mem::take(&mut *lock(&self.shared.requests))
    }

    /// How many requests were read so far (kept or not).
    pub fn request_count(&self) -> u64 {
        self.shared.count.load(Ordering::SeqCst)
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        {
            let mut live = lock(&self.shared.live);
            live.stopped = true;
            for connection in live.connections.values() {
                let _ = connection.shutdown(Shutdown::Both);
            }
        }
        self.shared.stopped.notify_all();
        // Wake the acceptor; it sees `stopped` and closes the port.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

impl Shared {
    fn accept(self: &Arc<Self>, listener: &TcpListener) {
        for (id, stream) in (0u64..).zip(listener.incoming()) {
            let Ok(stream) = stream else { continue };
            {
                let mut live = lock(&self.live);
                if live.stopped {
                    return;
                }
                let Ok(handle) = stream.try_clone() else {
                    continue;
                };
                live.connections.insert(id, handle);
            }
            let shared = Arc::clone(self);
            let spawned = std::thread::Builder::new()
                .name("scripted-http".into())
                .spawn(move || {
                    // Forgotten even if a fallback panics, so the connection closes.
                    let _forget = Forget(&shared, id);
                    shared.serve(stream);
                });
            if spawned.is_err() {
                lock(&self.live).connections.remove(&id);
            }
        }
    }

    /// Answers the requests of one connection until it closes, a reply closes it, or the server
    /// stops.
    fn serve(&self, mut stream: TcpStream) {
        // One write per response, sent at once (no Nagle delay against delayed ACKs).
        let _ = stream.set_nodelay(true);
        let mut buffer = Vec::new();
        while let Ok(Some(request)) = read_request(&mut stream, &mut buffer) {
            self.count.fetch_add(1, Ordering::SeqCst);
            let asked_to_close = request.asks_to_close();
            let scripted = lock(&self.script).pop_front();
            let reply = scripted.unwrap_or_else(|| (self.fallback)(&request));
            if self.record {
                lock(&self.requests).push(request);
            }
            if reply.hang {
                self.wait(None);
                return;
            }
            if !reply.delay.is_zero() && self.wait(Some(reply.delay)) {
                return;
            }
            let closing = reply.closes() || asked_to_close;
            if closing {
                // The answer and the end of the stream leave in one packet, so a client sees
                // both in the same read, whatever the scheduler does between the two calls.
                cork(&stream);
            }
            if stream.write_all(&reply.encode()).is_err() {
                return;
            }
            if closing {
                let _ = stream.shutdown(Shutdown::Write);
                return;
            }
        }
    }

    /// Waits until the server stops or `timeout` passes; whether it stopped.
    fn wait(&self, timeout: Option<Duration>) -> bool {
        let until = timeout.map(|timeout| Instant::now() + timeout);
        let mut live = lock(&self.live);
        while !live.stopped {
            live = match until {
                None => self.stopped.wait(live).unwrap_or_else(|e| e.into_inner()),
                Some(until) => {
                    let Some(left) = until.checked_duration_since(Instant::now()) else {
                        return false;
                    };
                    self.stopped
                        .wait_timeout(live, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
        true
    }
}

/// Holds back what is written until the stream is shut down (Linux `TCP_CORK`).
fn cork(stream: &TcpStream) {
    #[cfg(target_os = "linux")]
    let _ = rustix::net::sockopt::set_tcp_cork(stream, true);
    #[cfg(not(target_os = "linux"))]
    let _ = stream;
}

/// Removes a connection from [`Live`] when its thread ends.
struct Forget<'a>(&'a Shared, u64);

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        lock(&self.0.live).connections.remove(&self.1);
    }
}

/// Reads the next request of a connection (`buffer` keeps what was read past it); `None` when
/// the connection ends cleanly between requests.
fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> io::Result<Option<Request>> {
    let (method, target, headers, head_len) = loop {
        let mut slots = [httparse::EMPTY_HEADER; wire::MAX_HEADERS];
        let mut head = httparse::Request::new(&mut slots);
        match head.parse(buffer) {
            Ok(httparse::Status::Complete(len)) => {
                let method = head.method.unwrap_or_default().to_owned();
                let target = head.path.unwrap_or_default().to_owned();
                break (method, target, wire::owned_headers(head.headers), len);
            }
            Ok(httparse::Status::Partial) => {
                if read_more(stream, buffer)? == 0 {
                    return if buffer.is_empty() {
                        Ok(None)
                    } else {
                        Err(wire::invalid("connection closed inside a request head"))
                    };
                }
            }
            Err(error) => return Err(wire::invalid(format!("bad request head: {error}"))),
        }
    };
    buffer.drain(..head_len);
    let expects_continue = headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("expect") && value.eq_ignore_ascii_case("100-continue")
    });
    if expects_continue {
        stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let body = match Framing::of(&headers, Framing::Length(0))? {
        Framing::Chunked => loop {
            if let Some((body, used)) = wire::dechunk(buffer)? {
                buffer.drain(..used);
                break body;
            }
            read_more_or_fail(stream, buffer)?;
        },
        Framing::Length(length) => {
            while buffer.len() < length {
                read_more_or_fail(stream, buffer)?;
            }
            buffer.drain(..length).collect()
        }
        // Not for requests: without a length header theirs is 0.
        Framing::UntilClose => Vec::new(),
    };
    Ok(Some(Request::new(&method, &target, headers, body)))
}

/// Appends what the stream has to `buffer`; how much (0 at the end of the stream).
fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> io::Result<usize> {
    let mut chunk = [0; 64 * 1024];
    let n = stream.read(&mut chunk)?;
    buffer.extend_from_slice(&chunk[..n]);
    Ok(n)
}

fn read_more_or_fail(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> io::Result<()> {
    match read_more(stream, buffer)? {
        0 => Err(wire::invalid("connection closed inside a request body")),
        _ => Ok(()),
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
