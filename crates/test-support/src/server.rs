//! [`InfluxServer`]: one real `influxd` process per test.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::config::Config;
use crate::http::{self, Response, encode_component};

/// Environment variable naming the `influxd` binary to run (a path); unset means
/// [`INFLUXD_DEFAULT`] looked up in `PATH`.
pub const INFLUXD_ENV: &str = "INFLUXD";
/// The binary the harness looks for in `PATH`: Debian's `influxdb` package installs it.
pub const INFLUXD_DEFAULT: &str = "influxd";
/// The database every server starts with unless [`InfluxServerBuilder::database`] says otherwise.
pub const DATABASE_DEFAULT: &str = "test";
/// How long a start or restart may take before the harness gives up. influxd needs about a
/// second; the margin is for a 2-core machine that is compiling at the same time.
pub const STARTUP_TIMEOUT_DEFAULT: Duration = Duration::from_secs(60);

/// Fresh ports are tried this many times when influxd loses a race for one.
const START_ATTEMPTS: u32 = 5;
const POLL_INTERVAL: Duration = Duration::from_millis(25);
const PING_TIMEOUT: Duration = Duration::from_secs(2);
const LOG_FILE: &str = "influxd.log";
const CONFIG_FILE: &str = "influxd.toml";
const PID_FILE: &str = "influxd.pid";

/// Runs influxd under a small `sh` guard that kills it (SIGKILL) as soon as the guard's stdin,
/// a pipe held by the test process, reaches end of file: on [`InfluxServer::stop`], on drop, and
/// also when the test process dies without running destructors. The guard exits with influxd's
/// status, so an influxd that exits by itself (a port taken) is seen as an exited child.
/// The guard runs in a process group of its own, so terminal signals meant for the test job
/// (Ctrl-C, Ctrl-Z) do not hit influxd directly: it goes down through the guard.
/// Arguments: `$0` influxd, `$1` config file, `$2` pid file.
const GUARD_SCRIPT: &str = r#"
exec 3<&0
"$0" -config "$1" </dev/null &
pid=$!
echo "$pid" > "$2"
( read -r _ <&3; kill -KILL "$pid" 2>/dev/null ) &
watcher=$!
wait "$pid"
status=$?
kill "$watcher" 2>/dev/null
exit "$status"
"#;

/// Configures and starts an [`InfluxServer`]; from [`InfluxServer::builder`].
#[derive(Debug, Clone)]
pub struct InfluxServerBuilder {
    database: String,
    auth: Option<(String, String)>,
    settings: Vec<(String, String, String)>,
    startup_timeout: Duration,
}

impl Default for InfluxServerBuilder {
    fn default() -> Self {
        Self {
            database: DATABASE_DEFAULT.to_owned(),
            auth: None,
            settings: Vec::new(),
            startup_timeout: STARTUP_TIMEOUT_DEFAULT,
        }
    }
}

impl InfluxServerBuilder {
    /// The database created at start (default [`DATABASE_DEFAULT`]) and used by
    /// [`InfluxServer::write`] and [`InfluxServer::query`].
    pub fn database(mut self, name: impl Into<String>) -> Self {
        self.database = name.into();
        self
    }

    /// Turns on authentication (`[http] auth-enabled = true`) and creates this admin user
    /// (`WITH ALL PRIVILEGES`) before the database. The harness's own requests carry the
    /// credentials; requests without them get `401`.
    pub fn auth(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.auth = Some((user.into(), password.into()));
        self
    }

    /// Sets `[http] max-body-size`: a larger `/write` body gets `413 Request Entity Too Large`.
    pub fn max_body_size(self, bytes: u64) -> Self {
        self.setting("http", "max-body-size", &bytes.to_string())
    }

    /// Sets any influxd configuration key: `value` is raw TOML (quote strings yourself) and
    /// `table` is the section name without brackets (`""` for the root table). Applied after the
    /// harness's own settings, so it can override them, e.g.
    /// `.setting("coordinator", "write-timeout", "\"1s\"")`.
    pub fn setting(mut self, table: &str, key: &str, value: &str) -> Self {
        self.settings
            .push((table.to_owned(), key.to_owned(), value.to_owned()));
        self
    }

    /// How long [`start`](Self::start) and [`InfluxServer::restart`] wait for `/ping` (default
    /// [`STARTUP_TIMEOUT_DEFAULT`]).
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = timeout;
        self
    }

    /// Starts the server, or panics with the reason (influxd missing, not ready in time, ...).
    pub fn start(self) -> InfluxServer {
        match find_influxd() {
            Ok(binary) => self.start_with(binary),
            Err(message) => panic!("test-support: {message}"),
        }
    }

    /// Like [`start`](Self::start), but when influxd is not installed it prints a loud
    /// `SKIPPED: influxd not installed` line to stderr (uncaptured) and returns `None`, so the calling test
    /// can return early. Under `CI=true` a missing influxd panics instead: CI never skips.
    /// Any other failure panics, as in [`start`](Self::start).
    pub fn try_start(self) -> Option<InfluxServer> {
        match find_influxd() {
            Ok(binary) => Some(self.start_with(binary)),
            Err(message) if running_in_ci() => {
                panic!("test-support: {message}; CI is set, so this test fails instead of skipping")
            }
            Err(message) => {
                // Straight to the stderr handle: the test harness captures `eprintln!`, and a
                // skip must be visible in a passing run.
                let _ = writeln!(
                    io::stderr(),
                    "\n*** SKIPPED: influxd not installed ({message}); \
                     run `bash scripts/test.sh` to install it ***\n"
                );
                None
            }
        }
    }

    fn start_with(self, binary: PathBuf) -> InfluxServer {
        let dir = create_temp_dir()
            .unwrap_or_else(|error| panic!("test-support: cannot create a temp dir: {error}"));
        // From here on, `Drop` cleans up whatever happens.
        let mut server = InfluxServer {
            binary,
            dir,
            http_port: 0,
            rpc_port: 0,
            database: self.database,
            credentials: self.auth,
            settings: self.settings,
            startup_timeout: self.startup_timeout,
            child: None,
        };
        server.first_launch();
        server
    }
}

/// A real `influxd` (InfluxDB 1.x) on loopback, with its own temp dir and ports, killed and
/// deleted on drop. See the [crate docs](crate) for an example.
#[derive(Debug)]
pub struct InfluxServer {
    binary: PathBuf,
    dir: PathBuf,
    http_port: u16,
    rpc_port: u16,
    database: String,
    credentials: Option<(String, String)>,
    settings: Vec<(String, String, String)>,
    startup_timeout: Duration,
    /// The `sh` guard around influxd; `None` while stopped.
    child: Option<Child>,
}

/// Why one launch attempt failed.
enum LaunchError {
    /// influxd could not bind one of its ports: worth another try.
    PortTaken(String),
    /// Anything else: report it.
    Failed(String),
}

impl InfluxServer {
    /// Starts a server with the defaults: no auth, database [`DATABASE_DEFAULT`].
    /// Panics with the reason if that fails, including when influxd is not installed.
    pub fn start() -> Self {
        Self::builder().start()
    }

    /// Starts a server with the defaults, or returns `None` when influxd is not installed
    /// (never under `CI=true`); see [`InfluxServerBuilder::try_start`].
    pub fn try_start() -> Option<Self> {
        Self::builder().try_start()
    }

    /// A builder for a non-default server (auth, a small `max-body-size`, other settings).
    pub fn builder() -> InfluxServerBuilder {
        InfluxServerBuilder::default()
    }

    /// `http://127.0.0.1:PORT`, the server's HTTP API.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }

    /// The HTTP port. It stays the same across [`stop`](Self::stop) and
    /// [`restart`](Self::restart).
    pub fn port(&self) -> u16 {
        self.http_port
    }

    /// The HTTP address, for clients that want a [`SocketAddr`].
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.http_port))
    }

    /// The database created at start.
    pub fn database(&self) -> &str {
        &self.database
    }

    /// The admin user and password when auth is enabled.
    pub fn credentials(&self) -> Option<(&str, &str)> {
        self.credentials
            .as_ref()
            .map(|(user, password)| (user.as_str(), password.as_str()))
    }

    /// The server's temp dir (config, data, WAL and log); deleted on drop.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Everything influxd has logged so far (stdout and stderr, across restarts), for
    /// assertions and for failure messages.
    pub fn log(&self) -> String {
        fs::read(self.dir.join(LOG_FILE))
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    /// `POST /write?db=<database>&precision=ns` with `body` (credentials added when auth is on).
    /// Returns the status and the response body (empty on `204`). Panics if the server cannot
    /// be reached; a client under test should use its own transport for fault scenarios.
    pub fn write(&self, body: &[u8]) -> (u16, String) {
        let target = format!(
            "/write?db={}&precision=ns{}",
            encode_component(&self.database),
            self.auth_params()
        );
        let response = self.request("POST", &target, body);
        (response.status, response.text())
    }

    /// Runs InfluxQL against the database and returns the JSON response, with timestamps as
    /// integer nanoseconds (`epoch=ns`). `SELECT` and `SHOW` go as `GET /query`, anything else
    /// as `POST /query` (influxd deprecates `GET` for statements that change data). Panics if
    /// the server cannot be reached or does not answer JSON; an error *inside* the JSON (e.g.
    /// `{"error": ...}` with a 401) is returned for the test to assert on.
    pub fn query(&self, q: &str) -> Value {
        let read_only = ["SELECT", "SHOW"].iter().any(|verb| {
            q.trim_start()
                .get(..verb.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(verb))
        });
        let method = if read_only { "GET" } else { "POST" };
        let target = format!(
            "/query?db={}&epoch=ns&q={}{}",
            encode_component(&self.database),
            encode_component(q),
            self.auth_params()
        );
        let response = self.request(method, &target, b"");
        serde_json::from_slice(&response.body).unwrap_or_else(|error| {
            panic!(
                "test-support: /query answered {} with a body that is not JSON ({error}): {:?}",
                response.status,
                response.text()
            )
        })
    }

    /// `CREATE DATABASE "<name>"`; panics if the server reports an error.
    pub fn create_database(&self, name: &str) {
        let statement = format!("CREATE DATABASE {}", quote_identifier(name));
        expect_ok(&statement, &self.query(&statement));
    }

    /// Sends one raw request to the server, with no credentials added: for what
    /// [`write`](Self::write) and [`query`](Self::query) do not cover (other headers, a gzip body,
    /// a request that must fail auth). `target` must already be percent-encoded
    /// ([`http::encode_component`]).
    pub fn send(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<Response> {
        http::send(
            self.addr(),
            method,
            target,
            headers,
            body,
            http::TIMEOUT_DEFAULT,
        )
    }

    /// Kills influxd (SIGKILL, like a crash or a pulled plug) and waits for it to exit. The port,
    /// data and WAL stay: [`restart`](Self::restart) brings the same server back. Acknowledged
    /// writes survive, since the WAL is fsynced before `/write` answers. Does nothing when
    /// already stopped.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Closing the guard's stdin makes it kill influxd; then reap the guard.
            drop(child.stdin.take());
            if child.wait().is_err() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }

    /// Starts influxd again on the same port and data dir (stopping it first if it runs) and
    /// waits until it answers `/ping`. Panics if it is not back within the startup timeout.
    pub fn restart(&mut self) {
        self.stop();
        let deadline = Instant::now() + self.startup_timeout;
        loop {
            match self.launch() {
                Ok(()) => return,
                // Between stop and restart some other socket may have taken the port for a moment.
                Err(LaunchError::PortTaken(message)) if Instant::now() < deadline => {
                    eprintln!("test-support: restart: {message}; retrying");
                    thread::sleep(Duration::from_millis(200));
                }
                Err(LaunchError::PortTaken(message) | LaunchError::Failed(message)) => {
                    panic!("test-support: restart failed: {message}")
                }
            }
        }
    }

    /// Whether influxd is running (started and neither stopped nor exited).
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|child| matches!(child.try_wait(), Ok(None)))
    }

    /// Freezes influxd (SIGSTOP): connections are still accepted by the kernel but nothing is
    /// answered, the way a hung server looks to a client with timeouts. Undo with
    /// [`resume`](Self::resume); [`stop`](Self::stop) and drop work while paused.
    pub fn pause(&self) {
        let pid = self.pid();
        send_signal("STOP", &pid);
        // `kill` returns before the stop takes effect: every thread has to be scheduled once to
        // stop, which takes a while on a busy machine. Wait until all of them report it.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !all_threads_stopped(&pid) {
            assert!(
                Instant::now() < deadline,
                "test-support: influxd ({pid}) does not stop on SIGSTOP"
            );
            thread::sleep(Duration::from_millis(2));
        }
    }

    /// Lets a [`pause`](Self::pause)d influxd run again.
    pub fn resume(&self) {
        send_signal("CONT", &self.pid());
    }

    /// influxd's process id, from the pid file the guard writes.
    fn pid(&self) -> String {
        assert!(
            self.child.is_some(),
            "test-support: influxd is stopped, there is nothing to signal"
        );
        let pid = fs::read_to_string(self.dir.join(PID_FILE))
            .unwrap_or_else(|error| panic!("test-support: no influxd pid file: {error}"));
        pid.trim().to_owned()
    }

    fn request(&self, method: &str, target: &str, body: &[u8]) -> Response {
        self.send(method, target, &[], body)
            .unwrap_or_else(|error| {
                panic!(
                    "test-support: {method} {} failed: {error}",
                    target.split('?').next().unwrap_or(target)
                )
            })
    }

    fn auth_params(&self) -> String {
        self.credentials
            .as_ref()
            .map(|(user, password)| {
                format!(
                    "&u={}&p={}",
                    encode_component(user),
                    encode_component(password)
                )
            })
            .unwrap_or_default()
    }

    /// Picks ports, writes the config, launches influxd and sets it up; tries fresh ports when
    /// another process wins the race for one. Panics with influxd's log on failure.
    fn first_launch(&mut self) {
        let mut attempt = 1;
        loop {
            let ports = free_port().and_then(|http| Ok((http, free_port()?)));
            let (http_port, rpc_port) = ports
                .unwrap_or_else(|error| panic!("test-support: no free loopback port: {error}"));
            self.http_port = http_port;
            self.rpc_port = rpc_port;
            let mut config = Config::new(&self.dir, self.http_port, self.rpc_port);
            if self.credentials.is_some() {
                config.set("http", "auth-enabled", "true");
            }
            for (table, key, value) in &self.settings {
                config.set(table, key, value);
            }
            if let Err(error) = fs::write(self.dir.join(CONFIG_FILE), config.render()) {
                panic!("test-support: cannot write the influxd config: {error}");
            }
            match self.launch() {
                Ok(()) => break,
                Err(LaunchError::PortTaken(message)) if attempt < START_ATTEMPTS => {
                    eprintln!("test-support: {message}; retrying with other ports");
                    attempt += 1;
                }
                Err(LaunchError::PortTaken(message) | LaunchError::Failed(message)) => {
                    panic!("test-support: influxd did not start: {message}")
                }
            }
        }

        if let Some((user, password)) = &self.credentials {
            // With auth on, influxd accepts exactly one unauthenticated statement: creating
            // the first admin user.
            let statement = format!(
                "CREATE USER {} WITH PASSWORD {} WITH ALL PRIVILEGES",
                quote_identifier(user),
                quote_string(password)
            );
            let target = format!("/query?q={}", encode_component(&statement));
            let response = self.request("POST", &target, b"");
            assert_eq!(
                response.status,
                200,
                "test-support: {statement:?} failed: {}",
                response.text()
            );
        }
        let database = self.database.clone();
        self.create_database(&database);
    }

    /// Spawns influxd with the config on disk and waits until it answers `/ping`.
    fn launch(&mut self) -> Result<(), LaunchError> {
        let log_path = self.dir.join(LOG_FILE);
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|error| LaunchError::Failed(format!("cannot open the log: {error}")))?;
        let log_start = log.metadata().map(|m| m.len()).unwrap_or(0);
        let stderr = log
            .try_clone()
            .map_err(|error| LaunchError::Failed(format!("cannot open the log: {error}")))?;
        let child = Command::new("sh")
            .arg("-c")
            .arg(GUARD_SCRIPT)
            .arg(&self.binary)
            .arg(self.dir.join(CONFIG_FILE))
            .arg(self.dir.join(PID_FILE))
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(log)
            .stderr(stderr)
            .spawn()
            .map_err(|error| LaunchError::Failed(format!("cannot run sh: {error}")))?;
        self.child = Some(child);

        let result = self.wait_ready(&log_path, log_start);
        if result.is_err() {
            self.stop();
        }
        result
    }

    fn wait_ready(&mut self, log_path: &Path, log_start: u64) -> Result<(), LaunchError> {
        let deadline = Instant::now() + self.startup_timeout;
        let mut listening = false;
        loop {
            let exited = self
                .child
                .as_mut()
                .and_then(|child| child.try_wait().ok().flatten());
            if let Some(status) = exited {
                let log = read_from(log_path, log_start);
                let message = format!(
                    "influxd on port {} exited ({status}) before it was ready; its log:\n{}",
                    self.http_port,
                    tail(&log)
                );
                return Err(if log.contains("address already in use") {
                    LaunchError::PortTaken(message)
                } else {
                    LaunchError::Failed(message)
                });
            }
            // Only trust /ping once our influxd says it bound the port: until then an answer
            // could come from some other server that holds it.
            listening = listening || read_from(log_path, log_start).contains("Listening on HTTP");
            if listening && self.ping() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(LaunchError::Failed(format!(
                    "influxd on port {} did not answer /ping within {:?}; its log:\n{}",
                    self.http_port,
                    self.startup_timeout,
                    tail(&read_from(log_path, log_start))
                )));
            }
            thread::sleep(POLL_INTERVAL);
        }
    }

    fn ping(&self) -> bool {
        http::send(self.addr(), "GET", "/ping", &[], b"", PING_TIMEOUT)
            .is_ok_and(|response| response.status == 204)
    }
}

impl Drop for InfluxServer {
    fn drop(&mut self) {
        self.stop();
        if thread::panicking() {
            eprintln!(
                "test-support: influxd on port {} log, for the failing test:\n{}",
                self.http_port,
                tail(&self.log())
            );
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Sends the signal `name` (`STOP`, `CONT`) to process `pid` (std has no `kill(2)` but SIGKILL).
fn send_signal(name: &str, pid: &str) {
    let status = Command::new("sh")
        .args(["-c", "kill -s \"$0\" \"$1\"", name, pid])
        .status()
        .unwrap_or_else(|error| panic!("test-support: cannot run sh: {error}"));
    assert!(
        status.success(),
        "test-support: kill -s {name} {pid} failed"
    );
}

/// Whether every thread of process `pid` is stopped (state `T` in `/proc/<pid>/task/*/stat`).
fn all_threads_stopped(pid: &str) -> bool {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    tasks.flatten().all(|task| {
        fs::read_to_string(task.path().join("stat")).is_ok_and(|stat| {
            // `tid (comm) S ...`: the command name may contain spaces and parentheses.
            stat.rsplit_once(") ")
                .is_some_and(|(_, rest)| rest.starts_with('T'))
        })
    })
}

/// The influxd binary: `$INFLUXD`, or `influxd` in `PATH`.
fn find_influxd() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os(INFLUXD_ENV).filter(|path| !path.is_empty()) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("{INFLUXD_ENV}={} is not a file", path.display()))
        };
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(INFLUXD_DEFAULT))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            format!(
                "`{INFLUXD_DEFAULT}` not found in PATH and {INFLUXD_ENV} not set \
                 (Debian: apt-get install influxdb)"
            )
        })
}

/// `CI` set to anything but empty, `0` or `false`.
pub(crate) fn running_in_ci() -> bool {
    std::env::var("CI")
        .is_ok_and(|value| !matches!(value.trim(), "" | "0" | "false" | "FALSE" | "False"))
}

/// A fresh loopback port. The OS picks it (bind to port 0); a port handed out once is never
/// handed out again by this process, so parallel tests never pick the same one. Another
/// process can still take it before influxd binds it: the caller retries then.
fn free_port() -> io::Result<u16> {
    static HANDED_OUT: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    for _ in 0..100 {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
            .local_addr()?
            .port();
        let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
        if handed_out.insert(port) {
            return Ok(port);
        }
    }
    Err(io::Error::other(
        "the OS keeps offering ports already in use",
    ))
}

/// A new, empty directory under the system temp dir.
fn create_temp_dir() -> io::Result<PathBuf> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    loop {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.subsec_nanos());
        let name = format!(
            "test-support-influxd-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let dir = std::env::temp_dir().join(name);
        match fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(error),
        }
    }
}

/// The log from byte `start` on (what the current run of influxd wrote).
fn read_from(path: &Path, start: u64) -> String {
    let mut text = Vec::new();
    if let Ok(mut file) = File::open(path)
        && file.seek(SeekFrom::Start(start)).is_ok()
    {
        let _ = file.read_to_end(&mut text);
    }
    String::from_utf8_lossy(&text).into_owned()
}

/// The last 40 lines of a log.
fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// An InfluxQL identifier in double quotes.
fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
}

/// An InfluxQL string literal in single quotes.
fn quote_string(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Panics if a `/query` response carries an error, at the top level or in a statement result.
fn expect_ok(statement: &str, response: &Value) {
    let statement_error = response["results"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|result| result.get("error"));
    if let Some(error) = response.get("error").or(statement_error) {
        panic!("test-support: {statement:?} failed: {error}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_ports_are_never_repeated() {
        let ports: BTreeSet<u16> = (0..50).map(|_| free_port().unwrap()).collect();
        assert_eq!(ports.len(), 50);
    }

    #[test]
    fn temp_dirs_are_fresh() {
        let first = create_temp_dir().unwrap();
        let second = create_temp_dir().unwrap();
        assert_ne!(first, second);
        fs::remove_dir(first).unwrap();
        fs::remove_dir(second).unwrap();
    }

    #[test]
    fn quotes_influxql() {
        assert_eq!(quote_identifier(r#"my "db"\x"#), r#""my \"db\"\\x""#);
        assert_eq!(quote_string("it's"), r"'it\'s'");
    }

    #[test]
    fn finds_statement_errors() {
        let ok = serde_json::json!({"results": [{"statement_id": 0}]});
        expect_ok("ok", &ok);
        let failed = serde_json::json!({"results": [{"statement_id": 0, "error": "boom"}]});
        let caught = std::panic::catch_unwind(|| expect_ok("bad", &failed));
        assert!(caught.is_err());
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        let log: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let kept = tail(&log);
        assert!(kept.starts_with("line 60\n"));
        assert!(kept.ends_with("line 99"));
    }
}
