//! `otel-lp completions <SHELL>` and `otel-lp man`: shell completions and the man page, generated
//! from the same clap definitions as `--help` (clap_complete, clap_mangen), written to stdout so
//! a packager or user redirects them where their system looks.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Args, Command};
use clap_complete::Shell;

use crate::args::EXIT_FAILURE;

/// Print a shell completion script on stdout
///
/// Generated from the same definitions as --help, so it always matches this binary.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  otel-lp completions bash > ~/.local/share/bash-completion/completions/otel-lp
  otel-lp completions zsh > ~/.zfunc/_otel-lp
  otel-lp completions fish > ~/.config/fish/completions/otel-lp.fish")]
pub(crate) struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    shell: Shell,
}

/// Print the man page (roff) on stdout
#[derive(Debug, Args)]
#[command(after_help = "\
Example:
  otel-lp man > ~/.local/share/man/man1/otel-lp.1 && man otel-lp")]
pub(crate) struct ManArgs {}

pub(crate) fn completions(args: CompletionsArgs, mut command: Command) -> ExitCode {
    let name = command.get_name().to_owned();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, name, &mut script);
    write_stdout(&script)
}

pub(crate) fn man(_args: ManArgs, command: Command) -> ExitCode {
    let mut page = Vec::new();
    if let Err(error) = clap_mangen::Man::new(command).render(&mut page) {
        eprintln!("otel-lp man: {error}");
        return ExitCode::from(EXIT_FAILURE);
    }
    write_stdout(&page)
}

/// Writes all of `bytes`; a closed pipe (`otel-lp man | head`) is not an error.
fn write_stdout(bytes: &[u8]) -> ExitCode {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("otel-lp: cannot write to stdout: {error}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}
