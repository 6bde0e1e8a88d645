//! The harness itself, against the real influxd.

use std::net::TcpStream;
use std::time::Duration;

use serde_json::{Value, json};
use test_support::{InfluxServer, http};

/// The `values` rows of the first series of the first statement.
fn rows(response: &Value) -> &Value {
    &response["results"][0]["series"][0]["values"]
}

fn refuses_connections(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_err()
}

#[test]
fn starts_writes_and_queries() {
    let Some(server) = InfluxServer::try_start() else {
        return;
    };
    assert_eq!(
        server.base_url(),
        format!("http://127.0.0.1:{}", server.port())
    );
    assert_eq!(server.database(), test_support::DATABASE_DEFAULT);
    assert_eq!(server.credentials(), None);

    let (status, body) = server.write(b"m,t=a v=1i 1\nm,t=b v=2i 2\n");
    assert_eq!((status, body.as_str()), (204, ""));
    let response = server.query("SELECT t, v FROM m ORDER BY time");
    assert_eq!(rows(&response), &json!([[1, "a", 1], [2, "b", 2]]));

    // Errors come back as data for the test to assert on, not as panics.
    let (status, body) = server.write(b"m,t=a v=oops 3\n");
    assert_eq!(status, 400);
    assert!(body.contains("unable to parse"), "{body}");
}

#[test]
fn creates_more_databases() {
    let Some(server) = InfluxServer::builder().database("first").try_start() else {
        return;
    };
    server.create_database("second db");
    let databases = server.query("SHOW DATABASES");
    let names = rows(&databases).as_array().unwrap();
    assert!(names.contains(&json!(["first"])), "{databases}");
    assert!(names.contains(&json!(["second db"])), "{databases}");

    let target = format!("/write?db={}", http::encode_component("second db"));
    let response = server.send("POST", &target, &[], b"m v=1 1").unwrap();
    assert_eq!(response.status, 204, "{}", response.text());
}

#[test]
fn auth_requires_credentials() {
    let Some(server) = InfluxServer::builder()
        .auth("admin", "p@ss 'word'")
        .try_start()
    else {
        return;
    };
    assert_eq!(server.credentials(), Some(("admin", "p@ss 'word'")));

    // The harness's own requests carry the credentials...
    assert_eq!(server.write(b"m v=1 1").0, 204);
    assert_eq!(rows(&server.query("SELECT v FROM m")), &json!([[1, 1]]));

    // ...anything else is refused.
    let target = format!("/write?db={}", server.database());
    let anonymous = server.send("POST", &target, &[], b"m v=2 2").unwrap();
    assert_eq!(anonymous.status, 401, "{}", anonymous.text());
    let wrong = format!("{target}&u=admin&p=wrong");
    let wrong = server.send("POST", &wrong, &[], b"m v=2 2").unwrap();
    assert_eq!(wrong.status, 401, "{}", wrong.text());
    assert_eq!(rows(&server.query("SELECT v FROM m")), &json!([[1, 1]]));
}

#[test]
fn small_max_body_size_rejects_large_writes() {
    let Some(server) = InfluxServer::builder().max_body_size(64).try_start() else {
        return;
    };
    assert_eq!(server.write(b"m v=1 1").0, 204);
    let large: Vec<u8> = (0..10)
        .flat_map(|i| format!("m v={i} {i}\n").into_bytes())
        .collect();
    assert!(large.len() > 64);
    assert_eq!(server.write(&large).0, 413);
}

#[test]
fn raw_settings_reach_influxd() {
    let Some(server) = InfluxServer::builder()
        .setting("http", "max-row-limit", "1")
        .try_start()
    else {
        return;
    };
    assert_eq!(server.write(b"m v=1 1\nm v=2 2\n").0, 204);
    let response = server.query("SELECT v FROM m");
    assert_eq!(rows(&response), &json!([[1, 1]]), "{response}");
    assert_eq!(
        response["results"][0]["series"][0]["partial"],
        json!(true),
        "{response}"
    );
}

#[test]
fn restart_keeps_port_and_data() {
    let Some(mut server) = InfluxServer::try_start() else {
        return;
    };
    let port = server.port();
    assert_eq!(server.write(b"m v=1 1").0, 204);

    server.stop();
    assert!(!server.is_running());
    assert!(refuses_connections(port));
    server.stop(); // idempotent

    server.restart();
    assert!(server.is_running());
    assert_eq!(server.port(), port);
    assert_eq!(server.write(b"m v=2 2").0, 204);
    let response = server.query("SELECT v FROM m ORDER BY time");
    assert_eq!(rows(&response), &json!([[1, 1], [2, 2]]), "{response}");

    // Restarting a running server works too.
    server.restart();
    assert_eq!(
        rows(&server.query("SELECT count(v) FROM m")),
        &json!([[0, 2]])
    );
    assert!(server.log().contains("Listening on HTTP"));
}

#[test]
fn pause_makes_requests_time_out() {
    let Some(server) = InfluxServer::try_start() else {
        return;
    };
    server.pause();
    let frozen = http::send(
        server.addr(),
        "GET",
        "/ping",
        &[],
        b"",
        Duration::from_millis(300),
    );
    let error = frozen.expect_err("a paused server must not answer");
    assert!(
        matches!(
            error.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{error:?}"
    );
    server.resume();
    assert_eq!(server.write(b"m v=1 1").0, 204);
}

#[test]
fn drop_kills_the_server_and_removes_its_dir() {
    let Some(server) = InfluxServer::try_start() else {
        return;
    };
    let (port, dir) = (server.port(), server.dir().to_owned());
    assert!(dir.join("data").is_dir());
    drop(server);
    assert!(refuses_connections(port));
    assert!(!dir.exists());
}

#[test]
fn parallel_servers_are_independent() {
    let servers: Vec<InfluxServer> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3)
            .map(|_| scope.spawn(InfluxServer::try_start))
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().unwrap())
            .collect()
    });
    if servers.is_empty() {
        return;
    }
    for (i, server) in servers.iter().enumerate() {
        assert_eq!(server.write(format!("m v={i}i 1").as_bytes()).0, 204);
    }
    for (i, server) in servers.iter().enumerate() {
        assert_eq!(rows(&server.query("SELECT v FROM m")), &json!([[1, i]]));
    }
    let mut ports: Vec<u16> = servers.iter().map(InfluxServer::port).collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), servers.len());
}

/// Run by `missing_influxd_skips_or_fails_under_ci` in a child process with `INFLUXD` pointing
/// nowhere.
#[test]
#[ignore = "run as a child process by missing_influxd_skips_or_fails_under_ci"]
fn try_start_without_influxd() {
    assert!(InfluxServer::try_start().is_none());
}

#[test]
fn missing_influxd_skips_or_fails_under_ci() {
    let run = |ci: Option<&str>| {
        let mut command = std::process::Command::new(std::env::current_exe().unwrap());
        command
            .args([
                "--exact",
                "try_start_without_influxd",
                "--ignored",
                "--nocapture",
            ])
            .env(test_support::INFLUXD_ENV, "no-such-dir/influxd")
            .env_remove("CI");
        if let Some(ci) = ci {
            command.env("CI", ci);
        }
        let output = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (output.status.success(), stderr)
    };

    let (passed, stderr) = run(None);
    assert!(passed, "{stderr}");
    assert!(
        stderr.contains("SKIPPED: influxd not installed"),
        "{stderr}"
    );

    let (passed, stderr) = run(Some("true"));
    assert!(!passed, "under CI a missing influxd must fail the test");
    assert!(stderr.contains("fails instead of skipping"), "{stderr}");
}

/// The installed peers are real and importable (fails under CI when the installer did not run).
#[test]
fn python_peer_imports_the_otlp_exporters() {
    let Some(python) = test_support::peers::python() else {
        return;
    };
    let output = std::process::Command::new(python)
        .args([
            "-c",
            "import opentelemetry.sdk.trace, opentelemetry.exporter.otlp.proto.grpc.trace_exporter, \
             opentelemetry.exporter.otlp.proto.http.trace_exporter, \
             opentelemetry.exporter.otlp.json.http.trace_exporter; print('ok')",
        ])
        .output()
        .expect("run python");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
