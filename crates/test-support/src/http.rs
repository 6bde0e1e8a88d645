//! A tiny blocking HTTP/1.1 client over [`std::net::TcpStream`].
//!
//! It speaks just enough HTTP for a test harness: one request per connection
//! (`Connection: close`), `Content-Length` request bodies, and responses framed by
//! `Content-Length`, chunked transfer encoding or the end of the stream (heads parsed by
//! `httparse`). Every call has a timeout, so a hung server fails the test instead of hanging it.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::wire::{self, Framing, invalid};

/// How long [`send`] waits for a connection, and then for each read or write, by default.
pub const TIMEOUT_DEFAULT: Duration = Duration::from_secs(30);

/// What [`encode_component`] leaves as is: the RFC 3986 unreserved characters.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A complete HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code, e.g. `204`.
    pub status: u16,
    /// Header names and values in the order received (names as the server spelled them).
    pub headers: Vec<(String, String)>,
    /// The body, already de-chunked.
    pub body: Vec<u8>,
}

impl Response {
    /// The first header with this name (compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as text (invalid UTF-8 is replaced, since this is for assertions and messages).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one request to `addr` and reads the whole response.
///
/// `target` is the request target (`/query?db=x&q=...`, already percent-encoded, see
/// [`encode_component`]). `Host`, `Connection: close` and `Content-Length` are added; `headers`
/// come after them. `timeout` bounds the connect and every single read or write.
pub fn send(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> io::Result<Response> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;

    let mut request = format!(
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body);
    stream.write_all(&bytes)?;

    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw)
}

/// Percent-encodes `text` for use as one query-string component: everything except the RFC 3986
/// unreserved characters (`A-Z a-z 0-9 - _ . ~`) becomes `%XX`.
pub fn encode_component(text: &str) -> String {
    utf8_percent_encode(text, UNRESERVED).to_string()
}

/// Parses a whole response: everything the server sent before closing the connection.
fn parse_response(raw: &[u8]) -> io::Result<Response> {
    let mut headers = [httparse::EMPTY_HEADER; wire::MAX_HEADERS];
    let mut parsed = httparse::Response::new(&mut headers);
    let head_len = match parsed.parse(raw) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => {
            return Err(invalid(format!(
                "no complete HTTP header in {} bytes",
                raw.len()
            )));
        }
        Err(error) => return Err(invalid(format!("bad HTTP response head: {error}"))),
    };
    let status = parsed.code.unwrap_or_default();
    let headers = wire::owned_headers(parsed.headers);
    let rest = &raw[head_len..];
    let body = match Framing::of(&headers, Framing::UntilClose)? {
        Framing::Chunked => {
            let (body, _) = wire::dechunk(rest)?.ok_or_else(|| invalid("truncated chunk"))?;
            body
        }
        Framing::Length(length) => rest
            .get(..length)
            .ok_or_else(|| invalid(format!("body has {} of {length} bytes", rest.len())))?
            .to_vec(),
        Framing::UntilClose => rest.to_vec(),
    };
    Ok(Response {
        status,
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_content_length_body() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello";
        let response = parse_response(raw).unwrap();
        assert_eq!(response.status, 200);
        assert_eq!(response.header("x-a"), Some("b"));
        assert_eq!(response.text(), "hello");
    }

    #[test]
    fn parses_chunked_body() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_response(raw).unwrap().text(), "abcde");
    }

    #[test]
    fn parses_body_without_length() {
        let raw = b"HTTP/1.1 204 No Content\r\n\r\n";
        let response = parse_response(raw).unwrap();
        assert_eq!(response.status, 204);
        assert!(response.body.is_empty());
    }

    #[test]
    fn rejects_truncated_responses() {
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc").is_err());
        assert!(
            parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab")
                .is_err()
        );
        assert!(parse_response(b"HTTX 2x0\r\n\r\n").is_err());
    }

    #[test]
    fn encodes_query_components() {
        assert_eq!(encode_component("a-Z_0.~"), "a-Z_0.~");
        assert_eq!(
            encode_component("SELECT * FROM \"m\" WHERE t='a&b'"),
            "SELECT%20%2A%20FROM%20%22m%22%20WHERE%20t%3D%27a%26b%27"
        );
        assert_eq!(encode_component("é"), "%C3%A9");
    }
}
