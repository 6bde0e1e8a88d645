//! A real full file system: the queue on a 1 MiB tmpfs, bounded far above what fits. Appends
//! fail with a storage-full error (no panic, nothing half-written left behind), and work again
//! once confirmed segments are deleted and the space is back; a reopen finds every
//! acknowledged record.
//!
//! Mounting needs root (`mount -t tmpfs -o size=1m`). Without it the test says so and passes
//! on a developer's machine; under CI (`CI` set) it fails, since CI runs as root. The same
//! failures are injected without a mount in the crate's unit tests (`src/tests.rs`).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{append, drain, eventually, id_of};
use durable_queue::{Options, Queue};

const IDLE: Duration = Duration::from_millis(150);

/// A tmpfs mounted for the test, unmounted when dropped.
struct SmallFileSystem {
    path: PathBuf,
    _parent: tempfile::TempDir,
}

impl SmallFileSystem {
    fn mount(size: &str) -> Result<Self, String> {
        let parent = tempfile::tempdir().map_err(|e| e.to_string())?;
        let path = parent.path().join("fs");
        std::fs::create_dir(&path).map_err(|e| e.to_string())?;
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !output.status.success() {
            return Err(String::from_utf8_lossy(&output.stderr).trim().to_owned());
        }
        Ok(Self {
            path,
            _parent: parent,
        })
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SmallFileSystem {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
    }
}

#[tokio::test]
async fn a_full_file_system_refuses_appends_and_recovers_when_space_returns() {
    let fs = match SmallFileSystem::mount("1m") {
        Ok(fs) => fs,
        Err(error) if std::env::var_os("CI").is_none() => {
            eprintln!(
                "skipped: cannot mount a tmpfs ({error}); the injected-error unit tests still ran"
            );
            return;
        }
        Err(error) => panic!("cannot mount a tmpfs under CI: {error}"),
    };
    let dir = fs.path().join("queue");
    // Bounded at 64 MiB on a 1 MiB file system: the disk fills long before the bound.
    let options = Options::new()
        .with_max_bytes(64 * 1024 * 1024)
        .with_segment_bytes(128 * 1024);
    let (queue, mut reader) = Queue::open(&dir, options.clone()).unwrap();
    let mut acked = Vec::new();
    let error = loop {
        let id = acked.len() as u64 + 1;
        match append(&queue, id, 6000).await {
            Ok(_) => acked.push(id),
            Err(error) => break error,
        }
    };
    assert!(error.is_storage_full() && error.is_transient(), "{error}");
    assert!(
        acked.len() > 50,
        "only {} appends before the disk was full",
        acked.len()
    );
    // Still full: more refusals, no crash, no poisoned state.
    for _ in 0..5 {
        assert!(append(&queue, 0, 6000).await.unwrap_err().is_storage_full());
    }
    let stats = queue.stats();
    assert!(stats.write_errors >= 6);
    assert_eq!(stats.appended_records, acked.len() as u64);

    // The database takes everything: confirmed segments go, space comes back.
    let read: Vec<u64> = drain(&queue, &mut reader, IDLE)
        .await
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(
        read, acked,
        "every acknowledged record, in order, nothing of the failed ones"
    );
    reader.confirm(*acked.last().unwrap()).unwrap();
    eventually("confirmed segments to be deleted", || {
        queue.stats().segments <= 1
    })
    .await;
    let resumed = acked.len() as u64 + 1;
    let mut after = Vec::new();
    for id in resumed..resumed + 40 {
        append(&queue, id, 6000).await.unwrap();
        after.push(id);
    }
    queue.close().await;
    drop(reader);

    // Reopened: the records acknowledged after the recovery are there, intact.
    let (queue, mut reader) = Queue::open(&dir, options).unwrap();
    assert_eq!(queue.stats().truncated_tails, 0);
    let read: Vec<u64> = drain(&queue, &mut reader, IDLE)
        .await
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(read, after);
    queue.close().await;
}
