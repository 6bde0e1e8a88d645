//! A real browser for page tests: Debian's `chromium-headless-shell`, run from the command line
//! (`--dump-dom` for the DOM after the page's scripts ran, `--screenshot` for a PNG).
//!
//! `scripts/test.sh` installs the package when the binary is missing. As with `influxd`, a test
//! that needs the browser prints a loud `SKIPPED` line and returns when run by hand without it,
//! and fails under `CI=true`.
//!
//! ```no_run
//! use test_support::browser::Browser;
//!
//! let Some(browser) = Browser::find() else { return };
//! let page = browser.open("data:text/html,<p id=x>hi</p>", None);
//! assert!(page.dom.contains(r#"<p id="x">hi</p>"#));
//! ```

use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::server::running_in_ci;

/// Environment variable: the browser binary to use instead of the one in `PATH`.
pub const BROWSER_ENV: &str = "CHROMIUM_HEADLESS_SHELL";
/// The binary looked for in `PATH` (Debian's `chromium-headless-shell` package).
pub const BROWSER_DEFAULT: &str = "chromium-headless-shell";
/// The window every page is laid out in, unless [`Browser::window`] says otherwise.
pub const WINDOW_DEFAULT: (u32, u32) = (1400, 900);
/// Virtual time the page gets to run its scripts; network waits do not count against it.
pub const VIRTUAL_TIME_BUDGET_MS: u32 = 10_000;
/// Wall time one browser run may take before it is killed.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(90);

/// The browser binary, or `None` after a `SKIPPED` line when it is missing and `CI` is not set.
///
/// # Panics
/// Under `CI=true` when the browser is missing.
pub fn headless_shell() -> Option<PathBuf> {
    let found = match std::env::var_os(BROWSER_ENV).filter(|p| !p.is_empty()) {
        Some(path) => {
            let path = PathBuf::from(path);
            if path.is_file() {
                Ok(path)
            } else {
                Err(format!("{BROWSER_ENV}={} is not a file", path.display()))
            }
        }
        None => std::env::var_os("PATH")
            .iter()
            .flat_map(std::env::split_paths)
            .map(|dir| dir.join(BROWSER_DEFAULT))
            .find(|candidate| candidate.is_file())
            .ok_or_else(|| {
                format!(
                    "`{BROWSER_DEFAULT}` not found in PATH and {BROWSER_ENV} not set \
                     (Debian: apt-get install chromium-headless-shell; scripts/test.sh does it)"
                )
            }),
    };
    match found {
        Ok(path) => Some(path),
        Err(message) if running_in_ci() => {
            panic!("test-support: {message}; CI is set, so this test fails instead of skipping")
        }
        Err(message) => {
            // Straight to the stderr handle: the test harness captures `eprintln!`.
            let _ = writeln!(io::stderr(), "\n*** SKIPPED: {message} ***\n");
            None
        }
    }
}

/// A headless browser that opens one page per run.
#[derive(Debug, Clone)]
pub struct Browser {
    binary: PathBuf,
    window: (u32, u32),
    dark: bool,
}

/// What one run produced.
#[derive(Debug, Clone)]
pub struct Page {
    /// The serialised DOM after the scripts ran (`--dump-dom`).
    pub dom: String,
    /// The browser's own log (stderr), for failure messages.
    pub log: String,
    /// How long the run took.
    pub took: Duration,
}

impl Browser {
    /// The browser from [`headless_shell`]; `None` (after `SKIPPED`) when it is missing.
    pub fn find() -> Option<Self> {
        headless_shell().map(|binary| Self {
            binary,
            window: WINDOW_DEFAULT,
            dark: false,
        })
    }

    /// The same browser with another window size (e.g. a phone's `(390, 844)`).
    pub fn window(mut self, width: u32, height: u32) -> Self {
        self.window = (width, height);
        self
    }

    /// The same browser preferring a dark colour scheme (`prefers-color-scheme: dark`).
    pub fn dark(mut self) -> Self {
        self.dark = true;
        self
    }

    /// Opens `url`, lets its scripts run (up to [`VIRTUAL_TIME_BUDGET_MS`] of virtual time),
    /// and returns the DOM; with `screenshot`, also saves a PNG of the window there.
    ///
    /// # Panics
    /// When the browser cannot be started, times out or exits with an error.
    pub fn open(&self, url: &str, screenshot: Option<&Path>) -> Page {
        let started = Instant::now();
        // A profile of its own per run: parallel runs must not share one.
        let profile = std::env::temp_dir().join(format!(
            "headless-profile-{}-{}",
            std::process::id(),
            next_run()
        ));
        let mut command = Command::new(&self.binary);
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--hide-scrollbars",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(format!("--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}"))
            .arg(format!("--window-size={},{}", self.window.0, self.window.1));
        if self.dark {
            command.arg("--blink-settings=preferredColorScheme=0");
        }
        if let Some(path) = screenshot {
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            command.arg(format!("--screenshot={}", path.display()));
        }
        command
            .arg("--dump-dom")
            .arg(url)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.binary.display()));
        // Read both pipes on threads so a chatty stderr cannot block the DOM.
        let mut stdout = child.stdout.take().expect("piped stdout");
        let mut stderr = child.stderr.take().expect("piped stderr");
        let out = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stdout.read_to_string(&mut text);
            text
        });
        let err = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if started.elapsed() > RUN_TIMEOUT => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let log = err.join().unwrap_or_default();
                    let _ = std::fs::remove_dir_all(&profile);
                    panic!(
                        "the browser did not finish {url} within {RUN_TIMEOUT:?}; its log:\n{log}"
                    );
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => panic!("waiting for the browser: {e}"),
            }
        };
        let dom = out.join().unwrap_or_default();
        let log = err.join().unwrap_or_default();
        let _ = std::fs::remove_dir_all(&profile);
        assert!(
            status.success() && !dom.is_empty(),
            "the browser failed on {url} ({status}); its log:\n{log}"
        );
        Page {
            dom,
            log,
            took: started.elapsed(),
        }
    }
}

/// A number per run in this process (profile directory names).
fn next_run() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
