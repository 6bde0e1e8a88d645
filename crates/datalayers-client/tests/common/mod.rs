//! Shared test helpers: a scripted HTTP/1.1 server replaying documented response shapes, and
//! line builders.
#![allow(dead_code, unreachable_pub)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the test server saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
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
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Never answer (a hung server).
    pub hang: bool,
    /// Answer after this long (a slow server).
    pub delay: Duration,
}

impl Reply {
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

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn body(mut self, body: &str) -> Self {
        self.body = body.into();
        self
    }

    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    pub fn hang() -> Self {
        Self {
            hang: true,
            ..Self::status(0)
        }
    }
}

type Responder = dyn Fn(&Seen) -> Reply + Send + Sync;

/// A loopback HTTP/1.1 server (keep-alive) answering with a script, then with a fallback.
pub struct ScriptedServer {
    pub base_url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl ScriptedServer {
    /// Answers the `script` replies in order, then `fallback(request)` for every later request.
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
        if stream.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// `n` valid lines (`m,t=<i%7> v=<i>i <ts>`), with their ends.
pub fn numbered_lines(measurement: &str, n: usize) -> (Vec<u8>, Vec<usize>) {
    let mut body = Vec::new();
    let mut ends = Vec::with_capacity(n);
    for i in 0..n {
        body.extend_from_slice(
            format!(
                "{measurement},t=t{} v={i}i {}\n",
                i % 7,
                1_700_000_000_000_000_000u64 + i as u64
            )
            .as_bytes(),
        );
        ends.push(body.len());
    }
    (body, ends)
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
