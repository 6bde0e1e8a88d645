//! One record: a line-protocol batch with its destination, encoded and checksummed.
//!
//! On disk (all integers little-endian):
//!
//! ```text
//! crc32c  u32   CRC-32C of body ‖ len ‖ seq (the body first, so the caller can checksum it
//!               before the writer knows the sequence number)
//! len     u32   length of the body
//! seq     u64   sequence number, one more than the record before it
//! body:
//!   appended_at_ms  u64   wall-clock time of the append, Unix milliseconds
//!   items           u32   spans, log records or data points in the batch
//!   signal          u8    1 traces, 2 logs, 3 metrics
//!   dest_len        u16   then the destination, UTF-8
//!   line_count      u32   then each line's length as a LEB128 varint
//!   payload               the lines, contiguous
//! ```
//!
//! The line lengths are stored because a string field may hold a raw LF: a replayed batch is
//! split into requests at the same boundaries the encoder recorded, never by searching for
//! `\n` (see [`lineproto::Lines`]).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lineproto::Lines;

use crate::error::Error;

/// Bytes before the body: crc, len, seq.
pub(crate) const PREFIX_LEN: usize = 16;
/// The body's fixed part: appended_at_ms, items, signal, dest_len, line_count.
const BODY_FIXED_LEN: usize = 8 + 4 + 1 + 2 + 4;
/// Longest destination accepted (a database name or a routing key, not a document).
pub const MAX_DESTINATION_LEN: usize = 1024;

/// Which OpenTelemetry signal a batch carries (kept so a replay reports the right counters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Signal {
    /// Spans (and their events and links).
    Traces,
    /// Log records.
    Logs,
    /// Metric data points.
    Metrics,
}

impl Signal {
    fn code(self) -> u8 {
        match self {
            Self::Traces => 1,
            Self::Logs => 2,
            Self::Metrics => 3,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(Self::Traces),
            2 => Some(Self::Logs),
            3 => Some(Self::Metrics),
            _ => None,
        }
    }

    /// `"traces"`, `"logs"` or `"metrics"` (for metric labels).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Traces => "traces",
            Self::Logs => "logs",
            Self::Metrics => "metrics",
        }
    }
}

/// What [`Queue::append`](crate::Queue::append) stores: lines for one destination.
///
/// The bytes are copied when the append is made, so the encoder that produced `lines` can be
/// cleared and reused at once.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    destination: &'a str,
    signal: Signal,
    items: u32,
    lines: Lines<'a>,
}

impl<'a> Batch<'a> {
    /// Lines of `signal` bound for `destination` (a database name, or any key the consumer
    /// routes by; at most [`MAX_DESTINATION_LEN`] bytes). The item count defaults to the number
    /// of lines; set the real one with [`with_items`](Self::with_items).
    pub fn new(destination: &'a str, signal: Signal, lines: Lines<'a>) -> Self {
        Self {
            destination,
            signal,
            items: u32::try_from(lines.len()).unwrap_or(u32::MAX),
            lines,
        }
    }

    /// How many spans, log records or data points the lines hold (a span with two events is one
    /// item and three lines).
    pub fn with_items(mut self, items: u32) -> Self {
        self.items = items;
        self
    }
}

/// A record encoded by the appending task, waiting for its sequence number.
#[derive(Debug)]
pub(crate) struct Encoded {
    /// The whole record; crc, len and seq are zero until [`seal`].
    pub(crate) bytes: Vec<u8>,
    /// CRC-32C of the body alone.
    pub(crate) body_crc: u32,
}

/// Encodes `batch` as a record (without its sequence number).
pub(crate) fn encode(batch: &Batch<'_>, appended_at: SystemTime) -> Result<Encoded, Error> {
    if batch.destination.len() > MAX_DESTINATION_LEN {
        return Err(Error::InvalidBatch(
            "the destination is longer than MAX_DESTINATION_LEN bytes",
        ));
    }
    let line_count = u32::try_from(batch.lines.len())
        .map_err(|_| Error::InvalidBatch("more than u32::MAX lines in one batch"))?;
    let payload = batch.lines.bytes();
    // A varint takes at most 10 bytes; most lines need 1 or 2.
    let mut bytes = Vec::with_capacity(
        PREFIX_LEN
            + BODY_FIXED_LEN
            + batch.destination.len()
            + 2 * batch.lines.len()
            + payload.len(),
    );
    bytes.resize(PREFIX_LEN, 0);
    let millis = appended_at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    bytes.extend_from_slice(&millis.to_le_bytes());
    bytes.extend_from_slice(&batch.items.to_le_bytes());
    bytes.push(batch.signal.code());
    // Checked above: fits in u16.
    bytes.extend_from_slice(&(batch.destination.len() as u16).to_le_bytes());
    bytes.extend_from_slice(batch.destination.as_bytes());
    bytes.extend_from_slice(&line_count.to_le_bytes());
    for line in batch.lines.iter() {
        write_varint(&mut bytes, line.len() as u64);
    }
    bytes.extend_from_slice(payload);
    let body_len = bytes.len() - PREFIX_LEN;
    if u32::try_from(body_len).is_err() {
        return Err(Error::TooLarge {
            bytes: bytes.len() as u64,
            max: u64::from(u32::MAX),
        });
    }
    let body_crc = crc32c::crc32c(&bytes[PREFIX_LEN..]);
    Ok(Encoded { bytes, body_crc })
}

/// Writes the length, the sequence number and the checksum into an encoded record.
pub(crate) fn seal(record: &mut [u8], seq: u64, body_crc: u32) {
    let len = (record.len() - PREFIX_LEN) as u32;
    record[4..8].copy_from_slice(&len.to_le_bytes());
    record[8..16].copy_from_slice(&seq.to_le_bytes());
    let crc = crc32c::crc32c_append(body_crc, &record[4..16]);
    record[0..4].copy_from_slice(&crc.to_le_bytes());
}

/// The prefix of a record as read from disk.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Prefix {
    pub(crate) crc: u32,
    pub(crate) body_len: u32,
    pub(crate) seq: u64,
}

impl Prefix {
    pub(crate) fn parse(bytes: &[u8; PREFIX_LEN]) -> Self {
        Self {
            crc: u32::from_le_bytes(bytes[0..4].try_into().expect("4 bytes")),
            body_len: u32::from_le_bytes(bytes[4..8].try_into().expect("4 bytes")),
            seq: u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes")),
        }
    }

    /// The whole record's length.
    pub(crate) fn record_len(&self) -> u64 {
        PREFIX_LEN as u64 + u64::from(self.body_len)
    }

    /// Whether the body could be a body at all (a zeroed or torn prefix usually is not).
    pub(crate) fn plausible(&self) -> bool {
        self.body_len as usize >= BODY_FIXED_LEN
    }
}

/// Checks a whole record read from disk: its checksum and its body's structure.
pub(crate) fn verify(record: &[u8]) -> Result<Prefix, &'static str> {
    let prefix = Prefix::parse(
        record[..PREFIX_LEN]
            .try_into()
            .expect("a record has a prefix"),
    );
    if !prefix.plausible() {
        return Err("impossible record length");
    }
    let body = &record[PREFIX_LEN..];
    let crc = crc32c::crc32c_append(crc32c::crc32c(body), &record[4..16]);
    if crc != prefix.crc {
        return Err("checksum mismatch");
    }
    // The checksum matched, so a structural error means a writer bug, not bit rot.
    parse_body(body).map(|_| prefix)
}

/// A record read back from the queue.
#[derive(Debug, Clone)]
pub struct Record {
    seq: u64,
    signal: Signal,
    items: u32,
    appended_at: SystemTime,
    destination: String,
    /// The whole record as read; the payload is its tail.
    buffer: Vec<u8>,
    payload_start: usize,
    ends: Vec<usize>,
}

impl Record {
    /// Decodes a record that [`verify`] accepted.
    pub(crate) fn decode(buffer: Vec<u8>) -> Result<Self, &'static str> {
        let prefix = Prefix::parse(
            buffer[..PREFIX_LEN]
                .try_into()
                .expect("a record has a prefix"),
        );
        let body = parse_body(&buffer[PREFIX_LEN..])?;
        Ok(Self {
            seq: prefix.seq,
            signal: body.signal,
            items: body.items,
            appended_at: UNIX_EPOCH + Duration::from_millis(body.appended_at_ms),
            destination: body.destination.to_owned(),
            payload_start: PREFIX_LEN + body.payload_offset,
            ends: body.ends,
            buffer,
        })
    }

    /// The sequence number: confirm up to it with [`Reader::confirm`](crate::Reader::confirm).
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The destination given to [`Batch::new`].
    pub fn destination(&self) -> &str {
        &self.destination
    }

    /// The signal given to [`Batch::new`].
    pub fn signal(&self) -> Signal {
        self.signal
    }

    /// The item count given to [`Batch::with_items`] (or the number of lines).
    pub fn items(&self) -> u32 {
        self.items
    }

    /// When the batch was appended (wall clock, millisecond precision): how stale it is.
    pub fn appended_at(&self) -> SystemTime {
        self.appended_at
    }

    /// The lines, with the boundaries they were appended with.
    pub fn lines(&self) -> Lines<'_> {
        Lines::new(self.bytes(), &self.ends)
    }

    /// The lines' bytes, contiguous (a request body).
    pub fn bytes(&self) -> &[u8] {
        &self.buffer[self.payload_start..]
    }

    /// The record's size in the queue's files (what the queue's byte limits count).
    pub fn encoded_len(&self) -> u64 {
        self.buffer.len() as u64
    }
}

struct Body<'a> {
    appended_at_ms: u64,
    items: u32,
    signal: Signal,
    destination: &'a str,
    /// Line ends relative to the payload.
    ends: Vec<usize>,
    /// Where the payload starts in the body.
    payload_offset: usize,
}

fn parse_body(body: &[u8]) -> Result<Body<'_>, &'static str> {
    const SHORT: &str = "record body too short";
    let fixed = body.get(..BODY_FIXED_LEN - 4).ok_or(SHORT)?;
    let appended_at_ms = u64::from_le_bytes(fixed[0..8].try_into().expect("8 bytes"));
    let items = u32::from_le_bytes(fixed[8..12].try_into().expect("4 bytes"));
    let signal = Signal::from_code(fixed[12]).ok_or("unknown signal code")?;
    let dest_len = usize::from(u16::from_le_bytes(
        fixed[13..15].try_into().expect("2 bytes"),
    ));
    let mut at = BODY_FIXED_LEN - 4;
    let destination = body.get(at..at + dest_len).ok_or(SHORT)?;
    let destination = std::str::from_utf8(destination).map_err(|_| "destination is not UTF-8")?;
    at += dest_len;
    let count = body.get(at..at + 4).ok_or(SHORT)?;
    let count = u32::from_le_bytes(count.try_into().expect("4 bytes")) as usize;
    at += 4;
    // Each varint takes at least one byte: a count larger than the body is corrupt.
    if count > body.len() - at {
        return Err("line count larger than the record");
    }
    let mut ends = Vec::with_capacity(count);
    let mut end = 0usize;
    for _ in 0..count {
        let (length, used) = read_varint(&body[at..]).ok_or("malformed line length")?;
        at += used;
        end = usize::try_from(length)
            .ok()
            .and_then(|length| end.checked_add(length))
            .ok_or("line lengths overflow")?;
        ends.push(end);
    }
    if end != body.len() - at {
        return Err("line lengths do not add up to the payload");
    }
    Ok(Body {
        appended_at_ms,
        items,
        signal,
        destination,
        ends,
        payload_offset: at,
    })
}

fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// The value and the bytes it took, or `None` if truncated or longer than 10 bytes.
fn read_varint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, &byte) in bytes.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(lines: &[&[u8]]) -> (Vec<u8>, Vec<usize>) {
        let mut bytes = Vec::new();
        let mut ends = Vec::new();
        for line in lines {
            bytes.extend_from_slice(line);
            ends.push(bytes.len());
        }
        (bytes, ends)
    }

    #[test]
    fn round_trip_keeps_line_boundaries_with_raw_newlines() {
        let (bytes, ends) = sample(&[b"spans s=\"a\nb\" 1\n", b"spans x=1i 2\n", &[b'x'; 300]]);
        let batch = Batch::new("otel", Signal::Logs, Lines::new(&bytes, &ends)).with_items(7);
        let at = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        let mut encoded = encode(&batch, at).unwrap();
        seal(&mut encoded.bytes, 42, encoded.body_crc);
        let prefix = verify(&encoded.bytes).unwrap();
        assert_eq!(
            (prefix.seq, prefix.record_len()),
            (42, encoded.bytes.len() as u64)
        );
        let record = Record::decode(encoded.bytes.clone()).unwrap();
        assert_eq!(record.seq(), 42);
        assert_eq!(record.destination(), "otel");
        assert_eq!(record.signal(), Signal::Logs);
        assert_eq!(record.items(), 7);
        assert_eq!(record.appended_at(), at);
        assert_eq!(record.bytes(), &bytes[..]);
        let lines: Vec<_> = record.lines().iter().collect();
        assert_eq!(
            lines,
            [
                &b"spans s=\"a\nb\" 1\n"[..],
                b"spans x=1i 2\n",
                &[b'x'; 300]
            ]
        );
        assert_eq!(record.encoded_len(), encoded.bytes.len() as u64);
    }

    #[test]
    fn every_flipped_bit_is_detected() {
        let (bytes, ends) = sample(&[b"m f=1i 1\n", b"m f=2i 2\n"]);
        let batch = Batch::new("db", Signal::Metrics, Lines::new(&bytes, &ends));
        let mut encoded = encode(&batch, SystemTime::now()).unwrap();
        seal(&mut encoded.bytes, 1, encoded.body_crc);
        for bit in 0..encoded.bytes.len() * 8 {
            let mut copy = encoded.bytes.clone();
            copy[bit / 8] ^= 1 << (bit % 8);
            // A flipped length bit may make the record look longer or shorter than the buffer:
            // the readers check the length against the file before calling verify.
            let prefix = Prefix::parse(copy[..PREFIX_LEN].try_into().unwrap());
            if prefix.record_len() != copy.len() as u64 {
                continue;
            }
            assert!(verify(&copy).is_err(), "bit {bit} flipped unnoticed");
        }
    }

    #[test]
    fn empty_batches_and_long_destinations() {
        let batch = Batch::new("", Signal::Traces, Lines::new(b"", &[]));
        let mut encoded = encode(&batch, SystemTime::now()).unwrap();
        seal(&mut encoded.bytes, 9, encoded.body_crc);
        verify(&encoded.bytes).unwrap();
        let record = Record::decode(encoded.bytes).unwrap();
        assert!(record.lines().is_empty());
        assert_eq!(record.items(), 0);

        let long = "d".repeat(MAX_DESTINATION_LEN + 1);
        let batch = Batch::new(&long, Signal::Traces, Lines::new(b"", &[]));
        assert!(matches!(
            encode(&batch, SystemTime::now()),
            Err(Error::InvalidBatch(_))
        ));
    }

    #[test]
    fn varints() {
        for value in [
            0,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut out = Vec::new();
            write_varint(&mut out, value);
            assert_eq!(read_varint(&out), Some((value, out.len())));
            assert_eq!(read_varint(&out[..out.len() - 1]), None);
        }
    }
}
