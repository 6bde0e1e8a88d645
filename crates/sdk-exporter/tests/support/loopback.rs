//! A tiny HTTP/1.1 server on a loopback port for tests and benchmarks: it reads each request
//! (Content-Length or chunked body, keep-alive), keeps or discards the body, and answers with a
//! fixed status, optionally after a delay (a "hung" server never answers).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the server answers.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Reply {
    /// `status` with an empty body, right away.
    Status(u16),
    /// Reads the request, then never answers (until the client gives up).
    Hang,
}

/// A running loopback server; it lives as long as the test process.
#[derive(Debug, Clone)]
pub(crate) struct Loopback {
    url: String,
    requests: Arc<AtomicU64>,
    bodies: Option<Arc<Mutex<Vec<Vec<u8>>>>>,
}

impl Loopback {
    /// Answers every request with `reply` and throws the bodies away.
    pub(crate) fn discard(reply: Reply) -> Self {
        Self::start(reply, false)
    }

    /// Answers every request with `reply` and keeps the bodies.
    pub(crate) fn recording(reply: Reply) -> Self {
        Self::start(reply, true)
    }

    fn start(reply: Reply, keep: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let requests = Arc::new(AtomicU64::new(0));
        let bodies = keep.then(|| Arc::new(Mutex::new(Vec::new())));
        let server = Self {
            url,
            requests,
            bodies,
        };
        let shared = server.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = shared.clone();
                std::thread::spawn(move || shared.serve(stream, reply));
            }
        });
        server
    }

    /// `http://127.0.0.1:<port>`.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Requests received so far.
    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// Bodies received so far (recording servers only), as text.
    pub(crate) fn bodies(&self) -> Vec<String> {
        let bodies = self.bodies.as_ref().expect("a recording server");
        bodies
            .lock()
            .unwrap()
            .iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect()
    }

    /// Bodies received so far (recording servers only), as sent.
    pub(crate) fn raw_bodies(&self) -> Vec<Vec<u8>> {
        self.bodies
            .as_ref()
            .expect("a recording server")
            .lock()
            .unwrap()
            .clone()
    }

    fn serve(&self, stream: TcpStream, reply: Reply) {
        let mut writer = stream.try_clone().expect("clone the stream");
        let mut reader = BufReader::new(stream);
        let mut body = Vec::new();
        while read_request(&mut reader, &mut body).is_some() {
            self.requests.fetch_add(1, Ordering::SeqCst);
            if let Some(bodies) = &self.bodies {
                bodies.lock().unwrap().push(body.clone());
            }
            let status = match reply {
                Reply::Status(status) => status,
                Reply::Hang => loop {
                    std::thread::sleep(Duration::from_secs(3600));
                },
            };
            let head = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\n\r\n");
            if writer.write_all(head.as_bytes()).is_err() {
                return;
            }
        }
    }
}

/// Reads one request into `body`; `None` at end of stream.
fn read_request(reader: &mut impl BufRead, body: &mut Vec<u8>) -> Option<()> {
    let mut line = String::new();
    let mut content_length = 0;
    let mut chunked = false;
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let lower = header.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("content-length:") {
            content_length = value.trim().parse().ok()?;
        } else if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
    }
    body.clear();
    if !chunked {
        body.resize(content_length, 0);
        reader.read_exact(body).ok()?;
        return Some(());
    }
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let size = usize::from_str_radix(line.trim_end().split(';').next()?, 16).ok()?;
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..]).ok()?;
        line.clear();
        reader.read_line(&mut line).ok()?;
        if size == 0 {
            return Some(());
        }
    }
}
