//! Running the built `otel-lp` binary on fixtures.

#![allow(dead_code, unreachable_pub)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// What a run of the binary gave.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Path of a file under `tests/fixtures`.
pub fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Runs `otel-lp args...`, feeding `stdin` if given, with no `OTEL_EXPORTER_DATALAYERS_*`
/// variable of the test's own environment.
pub fn otel_lp(args: &[&str], stdin: Option<&[u8]>) -> Run {
    run(args, stdin, &[])
}

/// Runs `otel-lp args...` with the variables of `env` (and no other `OTEL_EXPORTER_DATALAYERS_*`).
pub fn otel_lp_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    run(args, None, env)
}

fn run(args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_otel-lp"));
    // A variable set where the tests run must not change what a test sees.
    for (key, _) in std::env::vars() {
        if key.starts_with("OTEL_EXPORTER_DATALAYERS_") {
            command.env_remove(key);
        }
    }
    let mut child = command
        .envs(env.iter().copied())
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the otel-lp binary runs");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input)
            .expect("write stdin");
    }
    let output = child.wait_with_output().expect("otel-lp finishes");
    Run {
        code: output.status.code().expect("exit code"),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    }
}

impl Run {
    /// Whether the run exited with 0.
    pub fn success(&self) -> bool {
        self.code == 0
    }
}

/// A file in the temp dir, removed on drop.
pub struct TempFile(pub PathBuf);

impl TempFile {
    /// Writes `bytes` to a fresh file named after `name` and this process.
    pub fn new(name: &str, bytes: &[u8]) -> Self {
        let path = std::env::temp_dir().join(format!("otel-lp-test-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).expect("write temp file");
        Self(path)
    }

    pub fn path(&self) -> &str {
        self.0.to_str().expect("utf-8 temp path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
