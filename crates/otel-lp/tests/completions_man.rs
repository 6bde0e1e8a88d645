//! `otel-lp completions <SHELL>` and `otel-lp man`: generated from the clap definitions, so they
//! name the real subcommands and options.

use std::process::{Command, Output};

fn otel_lp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_otel-lp"))
        .args(args)
        .output()
        .expect("run otel-lp")
}

fn stdout_of(args: &[&str]) -> String {
    let output = otel_lp(args);
    assert!(
        output.status.success(),
        "otel-lp {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

const SUBCOMMANDS: [&str; 6] = [
    "convert",
    "traces",
    "serve",
    "generate",
    "completions",
    "man",
];

#[test]
fn bash_completion_completes_the_subcommands_and_their_options() {
    let script = stdout_of(&["completions", "bash"]);
    assert!(
        script.contains("complete -F _otel__lp") && script.contains(" otel-lp\n"),
        "not a bash completion for otel-lp:\n{script}"
    );
    for subcommand in SUBCOMMANDS {
        assert!(
            script.contains(subcommand),
            "bash completion lacks {subcommand}"
        );
    }
    // An option only `serve` takes, so the completion knows the subcommands' own options.
    assert!(
        script.contains("--otlp-grpc"),
        "bash completion lacks serve's --otlp-grpc"
    );
}

#[test]
fn every_shell_gets_a_script() {
    for (shell, marker) in [
        ("zsh", "#compdef otel-lp"),
        ("fish", "complete -c otel-lp"),
        ("elvish", "otel-lp"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let script = stdout_of(&["completions", shell]);
        assert!(
            script.contains(marker),
            "{shell} completion lacks {marker:?}"
        );
        assert!(script.contains("serve"), "{shell} completion lacks serve");
    }
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let output = otel_lp(&["completions", "tcsh"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("tcsh") && stderr.contains("bash"),
        "{stderr}"
    );
}

#[test]
fn the_man_page_is_roff_naming_every_subcommand() {
    let page = stdout_of(&["man"]);
    // roff escapes a hyphen as `\-`; read the text as a reader of the page sees it.
    let text = page.replace("\\-", "-");
    let title = text
        .lines()
        .find(|line| line.starts_with(".TH "))
        .unwrap_or_else(|| panic!("no .TH header:\n{page}"));
    assert!(title.contains("otel-lp"), "{title}");
    assert!(
        text.contains(".SH NAME") && text.contains(".SH SUBCOMMANDS"),
        "{page}"
    );
    for subcommand in SUBCOMMANDS {
        assert!(
            text.contains(&format!("otel-lp-{subcommand}(1)")),
            "man page lacks the {subcommand} subcommand:\n{page}"
        );
    }
}
