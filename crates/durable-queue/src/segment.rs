//! Segment files: `<first seq, 20 digits>.seg`, a header, then records back to back.
//!
//! Header (24 bytes): the magic `DQSEG\0\0` and a format version byte, the first sequence
//! number (which the file name repeats), the CRC-32C of those 16 bytes, 4 zero bytes.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::record::{self, PREFIX_LEN, Prefix};

/// Bytes before the first record.
pub(crate) const HEADER_LEN: u64 = 24;
const MAGIC: [u8; 8] = *b"DQSEG\0\0\x01";
const SUFFIX: &str = ".seg";

pub(crate) fn file_name(first_seq: u64) -> String {
    format!("{first_seq:020}{SUFFIX}")
}

pub(crate) fn path(dir: &Path, first_seq: u64) -> PathBuf {
    dir.join(file_name(first_seq))
}

/// The first sequence number named by a segment file name.
pub(crate) fn parse_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(SUFFIX)?;
    (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

pub(crate) fn header(first_seq: u64) -> [u8; HEADER_LEN as usize] {
    let mut header = [0u8; HEADER_LEN as usize];
    header[..8].copy_from_slice(&MAGIC);
    header[8..16].copy_from_slice(&first_seq.to_le_bytes());
    let crc = crc32c::crc32c(&header[..16]);
    header[16..20].copy_from_slice(&crc.to_le_bytes());
    header
}

/// What a scan of one segment found.
#[derive(Debug)]
pub(crate) struct Scan {
    /// Whether the header is whole and names the file's first sequence number.
    pub(crate) header_ok: bool,
    /// Records read and verified.
    pub(crate) records: u64,
    /// The last good record's sequence number (`first_seq - 1` when none).
    pub(crate) last_seq: u64,
    /// Records (and their bytes) after `confirmed`.
    pub(crate) unconfirmed_records: u64,
    pub(crate) unconfirmed_bytes: u64,
    /// Where the last good record ends (the header's end when none).
    pub(crate) good_len: u64,
    /// The file's length.
    pub(crate) file_len: u64,
    /// Why the scan stopped before `file_len`, if it did for a reason other than `seq_limit`.
    pub(crate) damage: Option<&'static str>,
}

/// Reads a segment from the start, verifying every record, until its end, the first bad
/// record, or the first record numbered `seq_limit` or more (which the next segment holds;
/// such records are left behind by an append that failed and was retried).
pub(crate) fn scan(
    path: &Path,
    first_seq: u64,
    confirmed: u64,
    seq_limit: Option<u64>,
) -> io::Result<Scan> {
    let file = File::open(path)?;
    let file_len = file.metadata()?.len();
    let mut scan = Scan {
        header_ok: false,
        records: 0,
        last_seq: first_seq - 1,
        unconfirmed_records: 0,
        unconfirmed_bytes: 0,
        good_len: 0,
        file_len,
        damage: None,
    };
    let mut reader = io::BufReader::with_capacity(256 * 1024, file);
    let mut head = [0u8; HEADER_LEN as usize];
    if file_len < HEADER_LEN || read_or_eof(&mut reader, &mut head)?.is_none() {
        scan.damage = Some("torn header");
        return Ok(scan);
    }
    if head != header(first_seq) {
        scan.damage =
            Some("bad header (not a segment of this format, or not the one its name says)");
        return Ok(scan);
    }
    scan.header_ok = true;
    scan.good_len = HEADER_LEN;

    let mut buffer = Vec::new();
    loop {
        if scan.good_len == file_len {
            return Ok(scan);
        }
        let expected = scan.last_seq + 1;
        if seq_limit.is_some_and(|limit| expected >= limit) {
            return Ok(scan);
        }
        let remaining = file_len - scan.good_len;
        if remaining < PREFIX_LEN as u64 {
            scan.damage = Some("torn record prefix");
            return Ok(scan);
        }
        buffer.resize(PREFIX_LEN, 0);
        reader.read_exact(&mut buffer)?;
        let prefix = Prefix::parse(buffer[..PREFIX_LEN].try_into().expect("16 bytes"));
        if !prefix.plausible() {
            scan.damage = Some("impossible record length");
            return Ok(scan);
        }
        if prefix.record_len() > remaining {
            scan.damage = Some("record runs past the end of the file (torn write)");
            return Ok(scan);
        }
        buffer.resize(prefix.record_len() as usize, 0);
        reader.read_exact(&mut buffer[PREFIX_LEN..])?;
        if let Err(reason) = record::verify(&buffer) {
            scan.damage = Some(reason);
            return Ok(scan);
        }
        if prefix.seq != expected {
            scan.damage = Some("sequence number out of order");
            return Ok(scan);
        }
        scan.records += 1;
        scan.last_seq = prefix.seq;
        scan.good_len += prefix.record_len();
        if prefix.seq > confirmed {
            scan.unconfirmed_records += 1;
            scan.unconfirmed_bytes += prefix.record_len();
        }
    }
}

/// Fills `buffer`, or returns `None` at a premature end of file.
fn read_or_eof(reader: &mut impl Read, buffer: &mut [u8]) -> io::Result<Option<()>> {
    match reader.read_exact(buffer) {
        Ok(()) => Ok(Some(())),
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_sort_by_sequence() {
        assert_eq!(file_name(7), "00000000000000000007.seg");
        assert_eq!(parse_name(&file_name(u64::MAX)), Some(u64::MAX));
        assert_eq!(parse_name("7.seg"), None);
        assert_eq!(parse_name("0000000000000000000x.seg"), None);
        assert_eq!(parse_name("00000000000000000007.seg.corrupt"), None);
        assert!(file_name(9) < file_name(10));
    }
}
