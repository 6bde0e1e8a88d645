//! The scripted server itself, spoken to in raw bytes over `std::net`, so what it reads and
//! writes is checked byte for byte.
#![cfg(feature = "scripted-http")]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use test_support::http;
use test_support::scripted::{Reply, ScriptedServer};

const TIMEOUT: Duration = Duration::from_secs(10);

fn connect(server: &ScriptedServer) -> TcpStream {
    let stream = TcpStream::connect(server.addr()).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream
}

/// Reads one response framed by `content-length` (all the server writes unless told otherwise).
fn read_response(stream: &mut TcpStream) -> String {
    let mut raw = Vec::new();
    let mut byte = [0];
    while !raw.ends_with(b"\r\n\r\n") {
        assert_eq!(
            stream.read(&mut byte).unwrap(),
            1,
            "EOF inside a head: {raw:?}"
        );
        raw.push(byte[0]);
    }
    let head = String::from_utf8(raw).unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .map_or(0, |n| n.parse().unwrap());
    let mut body = vec![0; length];
    stream.read_exact(&mut body).unwrap();
    head + &String::from_utf8(body).unwrap()
}

fn at_eof(stream: &mut TcpStream) -> bool {
    matches!(stream.read(&mut [0; 16]), Ok(0) | Err(_))
}

#[test]
fn answers_the_script_in_order_then_the_fallback_and_records_everything() {
    let server = ScriptedServer::start(
        vec![
            Reply::error(503, "busy").header("retry-after", "1"),
            Reply::status(200).body("second"),
        ],
        |request| Reply::status(201).body(format!("fallback for {}", request.path)),
    );
    let send = |target: &str, body: &[u8]| {
        http::send(
            server.addr(),
            "POST",
            target,
            &[("X-Test", "a")],
            body,
            TIMEOUT,
        )
        .unwrap()
    };
    let first = send("/write?db=otel&precision=ns", b"m v=1 1\n");
    assert_eq!(first.status, 503);
    assert_eq!(first.header("retry-after"), Some("1"));
    assert_eq!(first.header("content-type"), Some("application/json"));
    assert_eq!(first.text(), r#"{"error":"busy"}"#);
    assert_eq!(send("/a", b"").text(), "second");
    let third = send("/b%20c?q=SELECT+*%20FROM+%22m%22&flag", b"");
    assert_eq!(
        (third.status, third.text().as_str()),
        (201, "fallback for /b c")
    );
    assert_eq!(server.request_count(), 3);

    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let write = &requests[0];
    assert_eq!(write.method, "POST");
    assert_eq!(write.target, "/write?db=otel&precision=ns");
    assert_eq!(
        (write.param("db"), write.param("precision")),
        (Some("otel"), Some("ns"))
    );
    assert_eq!(write.header("x-test"), Some("a"));
    assert!(
        write.headers.iter().any(|(name, _)| name == "x-test"),
        "names lower-cased"
    );
    assert_eq!(write.body, b"m v=1 1\n");
    assert_eq!(write.text(), "m v=1 1\n");
    assert_eq!(requests[2].path, "/b c");
    assert_eq!(
        requests[2].query,
        [
            ("q".to_owned(), "SELECT * FROM \"m\"".to_owned()),
            ("flag".to_owned(), String::new())
        ]
    );
    assert_eq!(server.take_requests().len(), 3);
    assert!(server.requests().is_empty());
}

#[test]
fn replays_json_bodies_then_500() {
    let server = ScriptedServer::replay(vec![(200, r#"{"affected_rows":1}"#)]);
    let get = || http::send(server.addr(), "GET", "/", &[], b"", TIMEOUT).unwrap();
    let first = get();
    assert_eq!(
        (first.status, first.text().as_str()),
        (200, r#"{"affected_rows":1}"#)
    );
    let second = get();
    assert_eq!(second.status, 500);
    assert_eq!(second.text(), r#"{"error":"no more canned responses"}"#);
}

#[test]
fn keeps_connections_alive_and_reads_chunked_and_gzip_bodies() {
    let server = ScriptedServer::always(Reply::status(204));
    let mut stream = connect(&server);
    // Two requests on one connection, the first chunked (with an extension and a trailer), the
    // second gzipped, announced with `Expect: 100-continue`.
    stream
        .write_all(
            b"POST /one HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
              3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n",
        )
        .unwrap();
    assert_eq!(
        read_response(&mut stream),
        "HTTP/1.1 204 Scripted\r\ncontent-length: 0\r\n\r\n"
    );
    let gzipped = {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(b"m v=1 1\n").unwrap();
        encoder.finish().unwrap()
    };
    let head = format!(
        "POST /two HTTP/1.1\r\nContent-Encoding: gzip\r\nExpect: 100-continue\r\n\
         Content-Length: {}\r\n\r\n",
        gzipped.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut interim = [0; 25];
    stream.read_exact(&mut interim).unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    stream.write_all(&gzipped).unwrap();
    assert!(read_response(&mut stream).starts_with("HTTP/1.1 204 "));

    let requests = server.requests();
    assert_eq!(requests[0].body, b"abcde");
    assert_eq!(requests[1].body, gzipped);
    assert_eq!(requests[1].decoded_body(), b"m v=1 1\n");
    assert_eq!(requests[0].decoded_body(), b"abcde", "not gzip: as sent");
}

#[test]
fn writes_replies_byte_for_byte() {
    // A reply that frames its own body is written as given: here a chunked body.
    let chunked = Reply::status(299)
        .header("Transfer-Encoding", "chunked")
        .header("X-Odd", " spaced ")
        .body("2\r\nok\r\n0\r\n\r\n");
    let server = ScriptedServer::always(chunked);
    let mut stream = connect(&server);
    stream.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let expected = "HTTP/1.1 299 Scripted\r\nTransfer-Encoding: chunked\r\nX-Odd:  spaced \r\n\r\n\
                    2\r\nok\r\n0\r\n\r\n";
    let mut raw = vec![0; expected.len()];
    stream.read_exact(&mut raw).unwrap();
    assert_eq!(String::from_utf8_lossy(&raw), expected);
    let parsed = http::send(server.addr(), "GET", "/", &[], b"", TIMEOUT).unwrap();
    assert_eq!((parsed.status, parsed.text().as_str()), (299, "ok"));
}

#[test]
fn closes_when_told_and_only_then() {
    // Silently after the answer (no `Connection: close` header).
    let server = ScriptedServer::always(Reply::status(204).then_close());
    let mut stream = connect(&server);
    stream.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let response = read_response(&mut stream);
    assert!(
        !response.to_ascii_lowercase().contains("connection"),
        "{response}"
    );
    assert!(at_eof(&mut stream));

    // When the request or the reply says so.
    let server = ScriptedServer::start(vec![Reply::status(200)], |_| {
        Reply::status(200).header("Connection", "close")
    });
    let mut stream = connect(&server);
    stream
        .write_all(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    read_response(&mut stream);
    assert!(at_eof(&mut stream));
    let mut stream = connect(&server);
    stream.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    assert!(read_response(&mut stream).contains("Connection: close"));
    assert!(at_eof(&mut stream));

    // A malformed head ends the connection; the server goes on serving others.
    let mut stream = connect(&server);
    stream.write_all(b"NOT HTTP\r\n\r\n").unwrap();
    assert!(at_eof(&mut stream));
    assert_eq!(server.request_count(), 2);
}

#[test]
fn delays_and_hangs_until_dropped() {
    let server = ScriptedServer::always(Reply::status(204).delayed(Duration::from_millis(300)));
    let started = Instant::now();
    let response = http::send(server.addr(), "GET", "/", &[], b"", TIMEOUT).unwrap();
    assert_eq!(response.status, 204);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );

    let server = ScriptedServer::always(Reply::hang());
    let mut stream = connect(&server);
    stream.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let err = stream.read(&mut [0; 16]).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{err}"
    );
    assert_eq!(server.request_count(), 1, "read, then not answered");
    // Dropping the server ends the hang: the connection closes and the port refuses.
    let addr = server.addr();
    let started = Instant::now();
    drop(server);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    assert!(at_eof(&mut stream));
    assert!(TcpStream::connect(addr).is_err(), "the port is closed");
}

#[test]
fn a_discarding_server_counts_without_keeping() {
    let server = ScriptedServer::discarding(Reply::status(204));
    for _ in 0..3 {
        let response = http::send(server.addr(), "POST", "/", &[], b"m v=1 1", TIMEOUT).unwrap();
        assert_eq!(response.status, 204);
    }
    assert_eq!(server.request_count(), 3);
    assert!(server.requests().is_empty());
}

#[test]
fn a_panicking_fallback_closes_its_connection_only() {
    let server = ScriptedServer::start(Vec::new(), |request| {
        assert!(request.path != "/panic", "the fallback's own assertion");
        Reply::status(204)
    });
    let mut stream = connect(&server);
    stream.write_all(b"GET /panic HTTP/1.1\r\n\r\n").unwrap();
    assert!(at_eof(&mut stream), "closed, not hung");
    let response = http::send(server.addr(), "GET", "/fine", &[], b"", TIMEOUT).unwrap();
    assert_eq!(response.status, 204);
}

#[test]
fn closed_url_refuses_connections() {
    let url = test_support::closed_url();
    let addr = url.strip_prefix("http://").unwrap();
    assert!(TcpStream::connect(addr).is_err(), "{url}");
}
