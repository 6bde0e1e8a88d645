//! `otel-lp`: OpenTelemetry data and line protocol on the command line.
//!
//! ```text
//! otel-lp convert [OPTIONS]      OTLP (JSON or protobuf) to line protocol on stdout
//! ```
//!
//! Every subcommand parses its own options with the small parser in `args.rs` and prints its help
//! with `--help`. Exit codes: 0 success, 1 failure (unreadable or malformed input, I/O), 2 bad
//! arguments.

mod args;
mod convert;
mod render;
mod traces;
// Subcommands that talk to a server (e.g. `traces`) are declared here, with their arm in `main`.

use std::process::ExitCode;

use args::EXIT_USAGE;

/// The top-level help.
const USAGE: &str = "\
otel-lp: OpenTelemetry data as InfluxDB/Datalayers line protocol

Usage: otel-lp <COMMAND> [OPTIONS]

Commands:
  convert   Convert OTLP traces, logs or metrics (JSON or protobuf) to line protocol
  traces    List stored traces and show one as a waterfall (Datalayers SQL, InfluxDB 1.x InfluxQL)

Options:
  -h, --help     Print this help (`otel-lp <COMMAND> --help` for a command's options)
  -V, --version  Print the version
";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(command) = args.next() else {
        eprint!("{USAGE}");
        return ExitCode::from(EXIT_USAGE);
    };
    let rest: Vec<String> = args.collect();
    match command.as_str() {
        "convert" => convert::run(rest),
        "traces" => traces::run(rest),
        // Further subcommands: one arm each, e.g. `"traces" => traces::run(rest),`.
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        "-V" | "--version" => {
            println!("otel-lp {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        other => {
            eprintln!("otel-lp: unknown command `{other}`\n\n{USAGE}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}
