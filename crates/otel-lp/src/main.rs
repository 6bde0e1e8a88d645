//! `otel-lp`: OpenTelemetry data and line protocol on the command line.
//!
//! ```text
//! otel-lp convert [OPTIONS]           OTLP (JSON or protobuf) to line protocol on stdout
//! otel-lp traces <COMMAND> [OPTIONS]  list stored traces, show one as a waterfall
//! otel-lp serve [OPTIONS]             the OTLP gateway: gRPC and HTTP in, line protocol out
//! otel-lp generate <SIGNAL> [OPTIONS] a load generator for OTLP receivers
//! otel-lp completions <SHELL>         a shell completion script (bash, zsh, fish, ...)
//! otel-lp man                         the man page (roff)
//! ```
//!
//! The command line is parsed by clap (derive). Each subcommand is one module holding its
//! `...Args` struct and its `run`; adding one (e.g. `serve`) is that module plus a variant of
//! [`Command`] and its arm in `main`. Option groups that several subcommands take live in `args.rs`
//! and are flattened in: the destination settings (`DestinationArgs`) and the mapping options
//! (`MappingArgs`). Exit codes: 0 success, 1 failure (unreadable or malformed input, I/O, server
//! errors), 2 bad arguments.

mod args;
mod convert;
mod docs;
mod generate;
mod render;
mod serve;
mod traces;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// otel-lp: OpenTelemetry data as InfluxDB/Datalayers line protocol
#[derive(Debug, Parser)]
#[command(
    name = "otel-lp",
    version,
    arg_required_else_help = true,
    // A repeated option keeps its last value, as most tools do.
    args_override_self = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    Convert(convert::ConvertArgs),
    Traces(traces::TracesArgs),
    Serve(Box<serve::ServeArgs>),
    Generate(generate::GenerateArgs),
    Completions(docs::CompletionsArgs),
    Man(docs::ManArgs),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Convert(args) => convert::run(args),
        Command::Traces(args) => traces::run(args),
        Command::Serve(args) => serve::run(*args),
        Command::Generate(args) => generate::run(args),
        Command::Completions(args) => docs::completions(args, Cli::command()),
        Command::Man(args) => docs::man(args, Cli::command()),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    #[test]
    fn the_command_line_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
