//! Third-party programs the tests drive: the OpenTelemetry Python SDK with its OTLP exporters,
//! roapi (an Arrow Flight SQL server) and pyarrow (a virtualenv), and the OpenTelemetry JS SDK's
//! OTLP exporters (an npm folder).
//!
//! `scripts/install-test-peers.sh` installs them, pinned, from the package registries into one
//! folder: [`PEERS_ENV`] when set, otherwise `target/test-peers` of the workspace. The test
//! script runs it before the tests. As with `influxd`, a test that needs a peer that is not
//! installed prints a loud `SKIPPED` line and returns when run by hand, and fails under `CI=true`.
//!
//! ```no_run
//! use std::process::Command;
//!
//! let Some(python) = test_support::peers::python() else { return };
//! let status = Command::new(python).args(["-c", "import opentelemetry.sdk"]).status().unwrap();
//! assert!(status.success());
//! ```

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use crate::server::running_in_ci;

/// Environment variable: the folder `scripts/install-test-peers.sh` installed into.
pub const PEERS_ENV: &str = "OTEL_LP_TEST_PEERS";

/// The peers folder: [`PEERS_ENV`], or `target/test-peers` at the workspace root.
pub fn dir() -> PathBuf {
    match std::env::var_os(PEERS_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-peers"),
    }
}

/// The virtualenv's `python` (OpenTelemetry SDK 1.45 and its OTLP exporters importable), or
/// `None` after a `SKIPPED` line when it is not installed and `CI` is not set.
///
/// # Panics
/// Under `CI=true` when the virtualenv is missing.
pub fn python() -> Option<PathBuf> {
    found(dir().join("venv/bin/python"), "python")
}

/// The virtualenv's `roapi` (0.12.7: DataFusion with HTTP and Arrow Flight SQL), or `None` after
/// a `SKIPPED` line when it is not installed and `CI` is not set.
///
/// # Panics
/// Under `CI=true` when it is missing.
pub fn roapi() -> Option<PathBuf> {
    found(dir().join("venv/bin/roapi"), "python")
}

/// The npm folder's `node_modules` (the `@opentelemetry` OTLP exporters), for
/// `NODE_PATH`, or `None` after a `SKIPPED` line when it is not installed and `CI` is not set.
///
/// # Panics
/// Under `CI=true` when the folder is missing.
pub fn node_modules() -> Option<PathBuf> {
    found(dir().join("npm/node_modules"), "npm")
}

fn found(path: PathBuf, part: &str) -> Option<PathBuf> {
    if path.exists() {
        return Some(path);
    }
    let message = format!(
        "{} not found; install it with `bash scripts/install-test-peers.sh {part}`",
        path.display()
    );
    if running_in_ci() {
        panic!("test-support: {message}; CI is set, so this test fails instead of skipping");
    }
    // Straight to the stderr handle: the test harness captures `eprintln!`.
    let _ = writeln!(io::stderr(), "\n*** SKIPPED: {message} ***\n");
    None
}
