//! roapi: a real Arrow Flight SQL server over Parquet tables made from line protocol (feature
//! `roapi`).
//!
//! roapi 0.12.7 (PyPI, installed into the test virtualenv by `scripts/install-test-peers.sh`) is
//! DataFusion behind HTTP (`POST /api/sql`, JSON rows) and Flight SQL (with basic auth).
//! [`ParquetTables::from_line_protocol`] shapes tables the way Datalayers stores line protocol:
//! one table per measurement, a `time` column of `TIMESTAMP(9)` (UTC nanoseconds), every tag a
//! string column, every field a column of its type (`i` integers as Int64, `u` as UInt64, floats
//! as Float64, strings, booleans), absent values NULL. The lines are read by InfluxData's own
//! parser (`influxdb-line-protocol`), then written by pyarrow (pinned beside roapi).
//!
//! ```no_run
//! use test_support::flight_sql::Roapi;
//!
//! let lines = "spans,service.name=shop trace_id=\"abc\",duration_nano=5i 1700000000000000000\n";
//! let Some(roapi) = Roapi::builder().line_protocol(lines).basic_auth("admin", "s3cret").try_start()
//! else { return }; // not installed and CI unset: a SKIPPED line was printed
//! println!("Flight SQL at {}", roapi.flight_sql_url());
//! let (status, rows) = roapi.http_sql("SELECT count(*) AS n FROM spans");
//! assert_eq!((status, rows[0]["n"].as_i64()), (200, Some(1)));
//! ```

use std::collections::HashMap;
use std::fs;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use influxdb_line_protocol::{FieldValue, parse_lines};
use serde_json::{Value as Json, json};

use crate::{http, peers};

/// How long roapi may take to load its tables and listen.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// Reads the table description on stdin and writes each table as Parquet with pyarrow.
const WRITE_PARQUET_PY: &str = r#"
import json, sys
import pyarrow as pa, pyarrow.parquet as pq
types = {"timestamp_ns": pa.timestamp("ns"), "string": pa.string(), "int64": pa.int64(),
         "uint64": pa.uint64(), "float64": pa.float64(), "bool": pa.bool_()}
for table in json.load(sys.stdin)["tables"]:
    columns = table["columns"]
    arrays = [pa.array(c["values"], type=types[c["type"]]) for c in columns]
    fields = [pa.field(c["name"], types[c["type"]], nullable=c["name"] != "time") for c in columns]
    pq.write_table(pa.Table.from_arrays(arrays, schema=pa.schema(fields)), table["path"])
"#;

/// Parquet files, one per measurement of some line protocol, in a temp dir removed on drop.
#[derive(Debug)]
pub struct ParquetTables {
    dir: PathBuf,
    tables: Vec<(String, PathBuf)>,
}

/// One column being filled: its type and a value (or null) per row so far.
struct Column {
    name: String,
    kind: &'static str,
    values: Vec<Json>,
}

impl ParquetTables {
    /// Writes a Parquet file per measurement of `lines`, shaped as Datalayers stores them (see
    /// the [module docs](self)). `None` after a `SKIPPED` line when the test virtualenv is not
    /// installed and `CI` is not set.
    ///
    /// # Panics
    /// On lines that do not parse, a line without a timestamp, a field whose type differs
    /// between lines, a key that is a tag in one line and a field in another (each refused by
    /// Datalayers as well), and when pyarrow fails; under `CI=true` when the virtualenv is
    /// missing.
    pub fn from_line_protocol(lines: &str) -> Option<Self> {
        let python = peers::python()?;
        let dir = temp_dir("parquet");
        let mut tables: Vec<(String, Vec<Column>, usize)> = Vec::new();
        for (number, parsed) in parse_lines(lines).enumerate() {
            let line = parsed.unwrap_or_else(|e| panic!("test-support: line {number}: {e}"));
            let measurement = line.series.measurement.to_string();
            let index = match tables.iter().position(|(name, ..)| *name == measurement) {
                Some(index) => index,
                None => {
                    let time = Column {
                        name: "time".into(),
                        kind: "timestamp_ns",
                        values: Vec::new(),
                    };
                    tables.push((measurement.clone(), vec![time], 0));
                    tables.len() - 1
                }
            };
            let (_, columns, rows) = &mut tables[index];
            let timestamp = line.timestamp.unwrap_or_else(|| {
                panic!("test-support: line {number} has no timestamp (Datalayers needs one)")
            });
            let mut cells: Vec<(String, &'static str, Json)> =
                vec![("time".into(), "timestamp_ns", json!(timestamp))];
            for (key, value) in line.series.tag_set.iter().flatten() {
                cells.push((key.to_string(), "string", json!(value.to_string())));
            }
            for (key, value) in &line.field_set {
                let (kind, value) = match value {
                    FieldValue::I64(v) => ("int64", json!(v)),
                    FieldValue::U64(v) => ("uint64", json!(v)),
                    FieldValue::F64(v) => ("float64", json!(v)),
                    FieldValue::String(v) => ("string", json!(v.to_string())),
                    FieldValue::Boolean(v) => ("bool", json!(v)),
                };
                cells.push((key.to_string(), kind, value));
            }
            for (name, kind, value) in cells {
                let column = match columns.iter().position(|c| c.name == name) {
                    Some(at) => &mut columns[at],
                    None => {
                        columns.push(Column {
                            name: name.clone(),
                            kind,
                            values: vec![Json::Null; *rows],
                        });
                        columns.last_mut().expect("just pushed")
                    }
                };
                assert_eq!(
                    column.kind, kind,
                    "test-support: line {number}: column {name} of {measurement} is {} in earlier lines",
                    column.kind
                );
                column.values.push(value);
            }
            *rows += 1;
            for column in columns.iter_mut() {
                column.values.resize(*rows, Json::Null);
            }
        }
        let description: Vec<Json> = tables
            .iter()
            .map(|(name, columns, _)| {
                json!({
                    "name": name,
                    "path": dir.join(format!("{name}.parquet")),
                    "columns": columns.iter().map(|c| json!({"name": c.name, "type": c.kind, "values": c.values})).collect::<Vec<_>>(),
                })
            })
            .collect();
        run_python(&python, &json!({ "tables": description }));
        let tables = tables
            .into_iter()
            .map(|(name, ..)| {
                let path = dir.join(format!("{name}.parquet"));
                (name, path)
            })
            .collect();
        Some(Self { dir, tables })
    }

    /// (table name, Parquet file) pairs.
    pub fn tables(&self) -> &[(String, PathBuf)] {
        &self.tables
    }
}

impl Drop for ParquetTables {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn run_python(python: &Path, input: &Json) {
    let mut child = Command::new(python)
        .args(["-c", WRITE_PARQUET_PY])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("test-support: cannot run {}: {e}", python.display()));
    let mut stdin = child.stdin.take().expect("piped stdin");
    let body = input.to_string();
    let writer = thread::spawn(move || stdin.write_all(body.as_bytes()));
    let output = child.wait_with_output().expect("python finishes");
    let _ = writer.join();
    assert!(
        output.status.success(),
        "test-support: pyarrow could not write the Parquet tables: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Configures a [`Roapi`]; from [`Roapi::builder`].
#[derive(Debug, Default)]
pub struct RoapiBuilder {
    lines: String,
    tables: Vec<(String, PathBuf)>,
    auth: Option<(String, String)>,
}

impl RoapiBuilder {
    /// Serves the measurements of `lines` as tables ([`ParquetTables::from_line_protocol`]).
    pub fn line_protocol(mut self, lines: &str) -> Self {
        self.lines.push_str(lines);
        if !lines.is_empty() && !lines.ends_with('\n') {
            self.lines.push('\n');
        }
        self
    }

    /// Serves the Parquet file `path` as table `name`.
    pub fn table(mut self, name: &str, path: impl Into<PathBuf>) -> Self {
        self.tables.push((name.to_owned(), path.into()));
        self
    }

    /// Requires these credentials on Flight SQL (`flight_sql_config.auth_basic`).
    pub fn basic_auth(mut self, username: &str, password: &str) -> Self {
        self.auth = Some((username.to_owned(), password.to_owned()));
        self
    }

    /// Starts roapi on free loopback ports and waits until it serves; `None` after a `SKIPPED`
    /// line when roapi (or the virtualenv) is not installed and `CI` is not set.
    ///
    /// # Panics
    /// When roapi does not start, with its log; under `CI=true` when it is not installed.
    pub fn try_start(self) -> Option<Roapi> {
        let binary = peers::roapi()?;
        let parquet = if self.lines.is_empty() {
            None
        } else {
            Some(ParquetTables::from_line_protocol(&self.lines)?)
        };
        let dir = temp_dir("roapi");
        let mut tables = self.tables.clone();
        tables.extend(parquet.iter().flat_map(|p| p.tables().iter().cloned()));
        // Port 0 everywhere: roapi binds free ports and logs them, so no port can be taken
        // between choosing and binding it.
        let mut config = String::from(
            "addr:\n  http: 127.0.0.1:0\n  flight_sql: 127.0.0.1:0\n  postgres: 127.0.0.1:0\ntables:\n",
        );
        for (name, path) in &tables {
            config.push_str(&format!(
                "  - name: {}\n    uri: {}\n",
                json!(name),
                json!(path.to_string_lossy())
            ));
        }
        if let Some((username, password)) = &self.auth {
            config.push_str(&format!(
                "flight_sql_config:\n  auth_basic:\n    username: {}\n    password: {}\n",
                json!(username),
                json!(password)
            ));
        }
        let config_path = dir.join("roapi.yml");
        fs::write(&config_path, config).expect("test-support: write roapi.yml");
        let log_path = dir.join("roapi.log");
        let log = fs::File::create(&log_path).expect("test-support: create roapi.log");
        // The `sh` guard kills roapi when the test process dies (its stdin pipe closes).
        let child = Command::new("sh")
            .arg("-c")
            .arg(GUARD_SCRIPT)
            .arg(&binary)
            .arg(&config_path)
            .stdin(Stdio::piped())
            .stdout(log.try_clone().expect("test-support: roapi.log"))
            .stderr(log)
            .spawn()
            .expect("test-support: run sh");
        let mut roapi = Roapi {
            tables: tables.iter().map(|(name, _)| name.clone()).collect(),
            column_types: OnceLock::new(),
            child: Some(child),
            dir,
            log_path,
            http: None,
            flight_sql: None,
            auth: self.auth,
            _parquet: parquet,
        };
        roapi.wait_ready();
        Some(roapi)
    }
}

const GUARD_SCRIPT: &str = r#"
exec 3<&0
"$0" -c "$1" </dev/null &
pid=$!
( read -r _ <&3; kill -KILL "$pid" 2>/dev/null ) &
wait "$pid" 2>/dev/null
"#;

/// A running roapi, killed (and its files deleted) on drop. See the [module docs](self).
#[derive(Debug)]
pub struct Roapi {
    tables: Vec<String>,
    /// Column name -> Arrow type name over every table, when all tables agree on it.
    column_types: OnceLock<HashMap<String, String>>,
    child: Option<Child>,
    dir: PathBuf,
    log_path: PathBuf,
    http: Option<SocketAddr>,
    flight_sql: Option<SocketAddr>,
    auth: Option<(String, String)>,
    _parquet: Option<ParquetTables>,
}

impl Roapi {
    /// Configures roapi: no tables, no auth.
    pub fn builder() -> RoapiBuilder {
        RoapiBuilder::default()
    }

    /// `http://127.0.0.1:<port>` of its Flight SQL listener.
    pub fn flight_sql_url(&self) -> String {
        format!("http://{}", self.flight_sql.expect("started"))
    }

    /// `http://127.0.0.1:<port>` of its HTTP API.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.http.expect("started"))
    }

    /// The Flight SQL credentials, if auth is on.
    pub fn credentials(&self) -> Option<(&str, &str)> {
        self.auth.as_ref().map(|(u, p)| (u.as_str(), p.as_str()))
    }

    /// Runs `sql` on the HTTP API (`POST /api/sql`): the status and the JSON answer (an array of
    /// row objects, null cells left out, on success; `{"code", "error", "message"}` on failure).
    pub fn http_sql(&self, sql: &str) -> (u16, Json) {
        let response = http::send(
            self.http.expect("started"),
            "POST",
            "/api/sql",
            &[("content-type", "text/plain")],
            sql.as_bytes(),
            http::TIMEOUT_DEFAULT,
        )
        .unwrap_or_else(|e| panic!("test-support: roapi's HTTP API: {e}"));
        let body = serde_json::from_slice(&response.body).unwrap_or(Json::Null);
        (response.status, body)
    }

    /// Runs `sql` on the HTTP API and answers as Datalayers' REST SQL API does:
    /// `{"result":{"columns":[..],"types":[..],"values":[[..],..]}}`, or `{"error": message}` with
    /// roapi's status. For replaying roapi's data through a REST client.
    ///
    /// Columns come in roapi's order, absent cells as null. `types` are in the Arrow spelling
    /// Datalayers used in 2024 (`Timestamp(Nanosecond, None)`, `UInt64`, `Utf8`): a result column
    /// named like a table column has that column's type; a computed one (`count(*) AS n`) gets an
    /// empty type, so its cells keep their JSON type. Times are roapi's RFC3339 text without an
    /// offset (UTC).
    pub fn sql_as_datalayers_rest(&self, sql: &str) -> (u16, String) {
        let (status, body) = self.http_sql(sql);
        if status != 200 {
            let message = body["message"]
                .as_str()
                .map_or_else(|| body.to_string(), str::to_owned);
            return (status, json!({ "error": message }).to_string());
        }
        let rows = body.as_array().cloned().unwrap_or_default();
        let mut columns: Vec<String> = Vec::new();
        for row in &rows {
            for key in row.as_object().into_iter().flat_map(|o| o.keys()) {
                if !columns.contains(key) {
                    columns.push(key.clone());
                }
            }
        }
        let values: Vec<Json> = rows
            .iter()
            .map(|row| Json::Array(columns.iter().map(|c| row[c].clone()).collect()))
            .collect();
        let known = self.column_types();
        let types: Vec<&str> = columns
            .iter()
            .map(|c| known.get(c).map_or("", String::as_str))
            .collect();
        let answer = json!({ "result": { "columns": columns, "types": types, "values": values } });
        (200, answer.to_string())
    }

    /// The type of each column name over all tables (`GET /api/schema/<table>`), in Arrow's
    /// spelling; names whose type differs between tables are left out.
    fn column_types(&self) -> &HashMap<String, String> {
        self.column_types.get_or_init(|| {
            let mut types: HashMap<String, Option<String>> = HashMap::new();
            for table in &self.tables {
                let target = format!("/api/schema/{}", http::encode_component(table));
                let response = http::send(
                    self.http.expect("started"),
                    "GET",
                    &target,
                    &[],
                    b"",
                    http::TIMEOUT_DEFAULT,
                )
                .unwrap_or_else(|e| panic!("test-support: roapi's schema of {table}: {e}"));
                let schema: Json = serde_json::from_slice(&response.body).unwrap_or(Json::Null);
                for field in schema["fields"].as_array().into_iter().flatten() {
                    let (Some(name), Some(spelled)) =
                        (field["name"].as_str(), arrow_spelling(&field["data_type"]))
                    else {
                        continue;
                    };
                    types
                        .entry(name.to_owned())
                        .and_modify(|known| {
                            if known.as_deref() != Some(spelled.as_str()) {
                                *known = None;
                            }
                        })
                        .or_insert(Some(spelled));
                }
            }
            types
                .into_iter()
                .filter_map(|(name, ty)| Some((name, ty?)))
                .collect()
        })
    }

    /// roapi's log so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            let log = self.log();
            self.http = self.http.or_else(|| listening(&log, "HTTP"));
            self.flight_sql = self.flight_sql.or_else(|| listening(&log, "FlightSQL"));
            if let (Some(_), Some(flight)) = (self.http, self.flight_sql)
                && std::net::TcpStream::connect_timeout(&flight, Duration::from_secs(1)).is_ok()
            {
                return;
            }
            let exited = self
                .child
                .as_mut()
                .and_then(|child| child.try_wait().ok().flatten());
            if let Some(status) = exited {
                panic!("test-support: roapi exited ({status}) before serving; its log:\n{log}");
            }
            assert!(
                Instant::now() < deadline,
                "test-support: roapi did not listen within {STARTUP_TIMEOUT:?}; its log:\n{log}"
            );
            thread::sleep(Duration::from_millis(50));
        }
    }
}

/// An Arrow type of roapi's JSON schema (`"Utf8"`, `{"Timestamp":["Nanosecond",null]}`) as
/// Datalayers' REST API spelled types in 2024 (`Utf8`, `Timestamp(Nanosecond, None)`).
fn arrow_spelling(data_type: &Json) -> Option<String> {
    if let Some(name) = data_type.as_str() {
        return Some(name.to_owned());
    }
    let unit_and_zone = data_type.get("Timestamp")?.as_array()?;
    let unit = unit_and_zone.first()?.as_str()?;
    let zone = unit_and_zone
        .get(1)
        .and_then(Json::as_str)
        .unwrap_or("None");
    Some(format!("Timestamp({unit}, {zone})"))
}

/// The address of roapi's "Listening on 127.0.0.1:PORT for KIND traffic" line.
fn listening(log: &str, kind: &str) -> Option<SocketAddr> {
    log.lines().find_map(|line| {
        let rest = line.split("Listening on ").nth(1)?;
        let (addr, tail) = rest.split_once(' ')?;
        (tail.starts_with(&format!("for {kind} traffic")))
            .then(|| addr.parse().ok())
            .flatten()
    })
}

impl Drop for Roapi {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Closing the guard's stdin makes it kill roapi; then reap the guard.
            drop(child.stdin.take());
            let _ = child.wait();
        }
        if thread::panicking() {
            eprintln!(
                "test-support: roapi log, for the failing test:\n{}",
                self.log()
            );
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// A new, empty directory under the system temp dir.
fn temp_dir(what: &str) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos());
    let dir = std::env::temp_dir().join(format!(
        "test-support-{what}-{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("test-support: create {dir:?}: {e}"));
    dir
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_listening_lines() {
        let log = "[..] 🚀 Listening on 127.0.0.1:42429 for Postgres traffic...\n\
                   [..] 🚀 Listening on 127.0.0.1:46647 for FlightSQL traffic...\n\
                   [..] 🚀 Listening on 127.0.0.1:36115 for HTTP traffic...\n";
        assert_eq!(listening(log, "FlightSQL"), "127.0.0.1:46647".parse().ok());
        assert_eq!(listening(log, "HTTP"), "127.0.0.1:36115".parse().ok());
        assert_eq!(listening("", "HTTP"), None);
    }

    #[test]
    fn spells_types_as_datalayers_did() {
        assert_eq!(arrow_spelling(&json!("UInt64")).as_deref(), Some("UInt64"));
        assert_eq!(
            arrow_spelling(&json!({"Timestamp": ["Nanosecond", null]})).as_deref(),
            Some("Timestamp(Nanosecond, None)")
        );
        assert_eq!(arrow_spelling(&json!({"List": {}})), None);
    }
}
