//! The confirmed position, kept across restarts in a 20-byte file `checkpoint`:
//! the magic `DQCKPT\0` and a version byte, the last confirmed sequence number, and the
//! CRC-32C of those 16 bytes.
//!
//! It is replaced atomically: written to `checkpoint.tmp`, synced, renamed over `checkpoint`,
//! and the directory synced, so after a crash the file holds the old or the new position,
//! never a mix.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

const NAME: &str = "checkpoint";
pub(crate) const TEMP_NAME: &str = "checkpoint.tmp";
const MAGIC: [u8; 8] = *b"DQCKPT\0\x01";
const LEN: usize = 20;

fn encode(confirmed: u64) -> [u8; LEN] {
    let mut bytes = [0u8; LEN];
    bytes[..8].copy_from_slice(&MAGIC);
    bytes[8..16].copy_from_slice(&confirmed.to_le_bytes());
    let crc = crc32c::crc32c(&bytes[..16]);
    bytes[16..].copy_from_slice(&crc.to_le_bytes());
    bytes
}

/// What the checkpoint file says.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Read {
    /// No file: a new queue (or one that never confirmed anything).
    Missing,
    /// The last confirmed sequence number.
    Confirmed(u64),
    /// The file exists but is not a valid checkpoint.
    Damaged,
}

pub(crate) fn read(dir: &Path) -> io::Result<Read> {
    let bytes = match fs::read(dir.join(NAME)) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Read::Missing),
        Err(error) => return Err(error),
    };
    let Ok(bytes) = <[u8; LEN]>::try_from(bytes.as_slice()) else {
        return Ok(Read::Damaged);
    };
    let confirmed = u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes"));
    Ok(if bytes == encode(confirmed) {
        Read::Confirmed(confirmed)
    } else {
        Read::Damaged
    })
}

pub(crate) fn write(dir: &Path, confirmed: u64) -> io::Result<()> {
    let temp = dir.join(TEMP_NAME);
    let mut file = File::create(&temp)?;
    file.write_all(&encode(confirmed))?;
    file.sync_all()?;
    drop(file);
    fs::rename(&temp, dir.join(NAME))?;
    sync_dir(dir)
}

/// Makes the directory's entries (created, renamed files) durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()).unwrap(), Read::Missing);
        write(dir.path(), 41).unwrap();
        write(dir.path(), 42).unwrap();
        assert_eq!(read(dir.path()).unwrap(), Read::Confirmed(42));
        assert!(!dir.path().join(TEMP_NAME).exists());
        let mut bytes = fs::read(dir.path().join(NAME)).unwrap();
        bytes[9] ^= 1;
        fs::write(dir.path().join(NAME), &bytes).unwrap();
        assert_eq!(read(dir.path()).unwrap(), Read::Damaged);
        fs::write(dir.path().join(NAME), b"short").unwrap();
        assert_eq!(read(dir.path()).unwrap(), Read::Damaged);
    }
}
