//! HTTP/1.1 message framing shared by the blocking client ([`crate::http`]) and the scripted
//! server: heads are parsed by `httparse`, bodies are framed here (`Content-Length`, chunked, or
//! the end of the stream).

use std::io;

/// Header lines a message head may have.
pub(crate) const MAX_HEADERS: usize = 64;

/// How a message body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// `Content-Length: n` (no header on a request means 0).
    Length(usize),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Neither: the body runs to the end of the stream (responses only).
    UntilClose,
}

impl Framing {
    /// The framing `headers` announce; `default` when they announce none.
    pub(crate) fn of(headers: &[(String, String)], default: Self) -> io::Result<Self> {
        let value = |name: &str| {
            headers
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value.trim())
        };
        if value("transfer-encoding")
            .is_some_and(|coding| coding.to_ascii_lowercase().ends_with("chunked"))
        {
            return Ok(Self::Chunked);
        }
        match value("content-length") {
            Some(length) => length
                .parse()
                .map(Self::Length)
                .map_err(|_| invalid(format!("bad Content-Length {length:?}"))),
            None => Ok(default),
        }
    }
}

/// Header names and values as `httparse` found them (values as lossy UTF-8).
pub(crate) fn owned_headers(headers: &[httparse::Header<'_>]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|header| {
            let value = String::from_utf8_lossy(header.value).trim().to_owned();
            (header.name.to_owned(), value)
        })
        .collect()
}

/// Decodes the chunked body at the start of `data`: the body and how many bytes it took (chunks,
/// last chunk and trailer section), or `None` while `data` holds only part of it.
pub(crate) fn dechunk(data: &[u8]) -> io::Result<Option<(Vec<u8>, usize)>> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let (size_len, size) = match httparse::parse_chunk_size(&data[at..]) {
            Ok(httparse::Status::Complete(found)) => found,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(_) => return Err(invalid("bad chunk size")),
        };
        at += size_len;
        if size == 0 {
            // Trailer fields, then the empty line.
            let mut trailers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            return match httparse::parse_headers(&data[at..], &mut trailers) {
                Ok(httparse::Status::Complete((trailer_len, _))) => {
                    Ok(Some((body, at + trailer_len)))
                }
                Ok(httparse::Status::Partial) => Ok(None),
                Err(error) => Err(invalid(format!("bad chunked trailer: {error}"))),
            };
        }
        let size = usize::try_from(size).map_err(|_| invalid("chunk too large"))?;
        let Some(chunk) = data.get(at..at + size) else {
            return Ok(None);
        };
        body.extend_from_slice(chunk);
        at += size;
        match data.get(at..at + 2) {
            Some(b"\r\n") => at += 2,
            Some(_) => return Err(invalid("chunk not followed by CRLF")),
            None => return Ok(None),
        }
    }
}

pub(crate) fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dechunks_with_extensions_and_trailers() {
        let data = b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nx-sum: 1\r\n\r\nNEXT";
        let (body, used) = dechunk(data).unwrap().unwrap();
        assert_eq!(
            (body.as_slice(), &data[used..]),
            (&b"abcde"[..], &b"NEXT"[..])
        );
    }

    #[test]
    fn partial_chunked_bodies_ask_for_more() {
        let whole = b"3\r\nabc\r\n0\r\n\r\n";
        for end in 0..whole.len() {
            assert!(dechunk(&whole[..end]).unwrap().is_none(), "{end}");
        }
        assert!(dechunk(b"zz\r\n").is_err());
        assert!(dechunk(b"3\r\nabcXY").is_err());
    }

    #[test]
    fn framing_prefers_chunked_and_checks_the_length() {
        let headers = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let of = |pairs| Framing::of(&headers(pairs), Framing::UntilClose);
        assert_eq!(of(&[("Content-Length", "5")]).unwrap(), Framing::Length(5));
        assert_eq!(
            of(&[
                ("content-length", "5"),
                ("Transfer-Encoding", "gzip, chunked")
            ])
            .unwrap(),
            Framing::Chunked
        );
        assert_eq!(of(&[]).unwrap(), Framing::UntilClose);
        assert!(of(&[("content-length", "-1")]).is_err());
    }
}
