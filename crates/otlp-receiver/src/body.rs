//! The request body on the way in: content type, content coding, and decompression with a size
//! limit that holds after decompression, so a decompression bomb is cut at the limit instead of
//! being inflated whole.

use std::io::{self, Read};

use bytes::Bytes;

use crate::Encoding;

/// A body's `Content-Encoding` (HTTP) or `grpc-encoding` (gRPC, decoded by tonic).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContentCoding {
    /// No compression (`identity`, or no header).
    Identity,
    /// `gzip`, which every OTLP receiver must accept.
    Gzip,
    /// `deflate`: a zlib stream (RFC 1950); a raw deflate stream, which some clients send under
    /// the same name, is accepted too.
    Deflate,
    /// `zstd`.
    Zstd,
}

impl ContentCoding {
    /// Reads a `Content-Encoding` header value (`None`: no header). Codings the receiver does not
    /// decode are refused with their name (HTTP 415).
    pub fn from_header(value: Option<&str>) -> Result<Self, BodyError> {
        let Some(value) = value else {
            return Ok(Self::Identity);
        };
        // One coding only: OTLP clients never stack them, and a receiver that accepted a list
        // would have to undo them in reverse order for no client's benefit.
        match value.trim().to_ascii_lowercase().as_str() {
            "" | "identity" => Ok(Self::Identity),
            "gzip" | "x-gzip" => Ok(Self::Gzip),
            "deflate" => Ok(Self::Deflate),
            "zstd" => Ok(Self::Zstd),
            _ => Err(BodyError::UnsupportedCoding(value.trim().to_owned())),
        }
    }
}

/// Reads a `Content-Type` header value as an OTLP encoding; parameters such as `charset=utf-8`
/// are ignored. `None` when it names neither protobuf nor JSON (HTTP 415).
pub fn encoding_from_content_type(value: &str) -> Option<Encoding> {
    let media_type = value.split(';').next().unwrap_or("").trim();
    if media_type.eq_ignore_ascii_case("application/x-protobuf")
        || media_type.eq_ignore_ascii_case("application/protobuf")
    {
        Some(Encoding::Protobuf)
    } else if media_type.eq_ignore_ascii_case("application/json") {
        Some(Encoding::Json)
    } else {
        None
    }
}

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// The body (compressed, or once decompressed) is larger than the limit.
    #[error("request body larger than the limit of {limit} bytes (after decompression)")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// A content coding the receiver does not decode.
    #[error("unsupported content encoding `{0}` (gzip, deflate, zstd or identity)")]
    UnsupportedCoding(String),
    /// The compressed stream is broken.
    #[error("cannot decompress the {coding} body: {reason}")]
    Corrupt {
        /// The coding's name.
        coding: &'static str,
        /// What the decompressor said.
        reason: String,
    },
}

/// Decompresses `body` into at most `limit` bytes.
///
/// The output grows as the decompressor produces it and stops one byte past the limit, so a
/// small body that inflates to gigabytes costs at most `limit` bytes of memory before it is
/// refused.
pub fn decompress(coding: ContentCoding, body: Bytes, limit: usize) -> Result<Bytes, BodyError> {
    if coding == ContentCoding::Identity {
        return if body.len() > limit {
            Err(BodyError::TooLarge { limit })
        } else {
            Ok(body)
        };
    }
    let (name, result) = match coding {
        ContentCoding::Identity => unreachable!("handled above"),
        ContentCoding::Gzip => (
            "gzip",
            read_limited(flate2::read::MultiGzDecoder::new(&body[..]), &body, limit),
        ),
        ContentCoding::Deflate => {
            let zlib = read_limited(flate2::read::ZlibDecoder::new(&body[..]), &body, limit);
            // Some clients send a raw deflate stream as `deflate`; try that before giving up.
            match zlib {
                Err(Failure::Io(_)) => (
                    "deflate",
                    read_limited(flate2::read::DeflateDecoder::new(&body[..]), &body, limit),
                ),
                other => ("deflate", other),
            }
        }
        ContentCoding::Zstd => (
            "zstd",
            zstd::stream::read::Decoder::with_buffer(&body[..])
                .map_err(Failure::Io)
                .and_then(|decoder| read_limited(decoder, &body, limit)),
        ),
    };
    result.map_err(|failure| match failure {
        Failure::TooLarge => BodyError::TooLarge { limit },
        Failure::Io(err) => BodyError::Corrupt {
            coding: name,
            reason: err.to_string(),
        },
    })
}

enum Failure {
    TooLarge,
    Io(io::Error),
}

fn read_limited(decoder: impl Read, compressed: &[u8], limit: usize) -> Result<Bytes, Failure> {
    // Room for a typical ratio up front; the vector grows beyond it only as data arrives.
    let mut out = Vec::with_capacity(compressed.len().saturating_mul(4).min(limit) + 1);
    let read = decoder
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(Failure::Io)?;
    if read > limit {
        return Err(Failure::TooLarge);
    }
    Ok(Bytes::from(out))
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    fn gzip(data: &[u8]) -> Bytes {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(data).unwrap();
        Bytes::from(encoder.finish().unwrap())
    }

    #[test]
    fn codings_round_trip() {
        let data = b"hello, otlp".repeat(100);
        let zlib = {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(&data).unwrap();
            Bytes::from(e.finish().unwrap())
        };
        let raw_deflate = {
            let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(&data).unwrap();
            Bytes::from(e.finish().unwrap())
        };
        let zstd = Bytes::from(zstd::encode_all(&data[..], 1).unwrap());
        for (coding, body) in [
            (ContentCoding::Identity, Bytes::from(data.clone())),
            (ContentCoding::Gzip, gzip(&data)),
            (ContentCoding::Deflate, zlib),
            (ContentCoding::Deflate, raw_deflate),
            (ContentCoding::Zstd, zstd),
        ] {
            assert_eq!(
                decompress(coding, body, data.len()).unwrap(),
                data,
                "{coding:?}"
            );
        }
    }

    #[test]
    fn a_bomb_is_cut_at_the_limit() {
        // 64 MiB of zeros gzip to about 64 KiB; the limit stops the inflation at 1 MiB + 1.
        let zeros = vec![0u8; 64 << 20];
        let bomb = gzip(&zeros);
        assert!(bomb.len() < 128 << 10);
        assert_eq!(
            decompress(ContentCoding::Gzip, bomb, 1 << 20),
            Err(BodyError::TooLarge { limit: 1 << 20 })
        );
        let zstd_bomb = Bytes::from(zstd::encode_all(&zeros[..], 3).unwrap());
        assert_eq!(
            decompress(ContentCoding::Zstd, zstd_bomb, 1 << 20),
            Err(BodyError::TooLarge { limit: 1 << 20 })
        );
    }

    #[test]
    fn exactly_the_limit_is_accepted() {
        let data = vec![7u8; 1000];
        assert_eq!(
            decompress(ContentCoding::Gzip, gzip(&data), 1000)
                .unwrap()
                .len(),
            1000
        );
        assert_eq!(
            decompress(ContentCoding::Gzip, gzip(&data), 999),
            Err(BodyError::TooLarge { limit: 999 })
        );
        assert_eq!(
            decompress(ContentCoding::Identity, Bytes::from(data), 999),
            Err(BodyError::TooLarge { limit: 999 })
        );
    }

    #[test]
    fn garbage_is_corrupt_not_a_panic() {
        for coding in [
            ContentCoding::Gzip,
            ContentCoding::Deflate,
            ContentCoding::Zstd,
        ] {
            let err = decompress(coding, Bytes::from_static(b"\x1f\x8bnot really"), 100)
                .expect_err("garbage");
            assert!(
                matches!(err, BodyError::Corrupt { .. }),
                "{coding:?}: {err}"
            );
        }
        // A truncated gzip stream is an error, not a short body.
        let full = gzip(&b"x".repeat(10_000));
        let cut = full.slice(..full.len() / 2);
        assert!(matches!(
            decompress(ContentCoding::Gzip, cut, 1 << 20),
            Err(BodyError::Corrupt { .. })
        ));
    }

    #[test]
    fn headers_are_read_leniently_and_refused_clearly() {
        assert_eq!(
            ContentCoding::from_header(None),
            Ok(ContentCoding::Identity)
        );
        assert_eq!(
            ContentCoding::from_header(Some(" GZIP ")),
            Ok(ContentCoding::Gzip)
        );
        assert_eq!(
            ContentCoding::from_header(Some("br")),
            Err(BodyError::UnsupportedCoding("br".into()))
        );
        assert_eq!(
            encoding_from_content_type("application/json; charset=utf-8"),
            Some(Encoding::Json)
        );
        assert_eq!(
            encoding_from_content_type("Application/X-Protobuf"),
            Some(Encoding::Protobuf)
        );
        assert_eq!(encoding_from_content_type("text/plain"), None);
    }
}
