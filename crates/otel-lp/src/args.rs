//! A small command-line parser shared by every subcommand.
//!
//! A subcommand declares its options once as a [`Command`] (name, metavar, help text); [`Command::parse`]
//! turns the arguments into [`Parsed`] and [`Command::help`] renders the usage text from the same
//! table, so the help can never drift from what is accepted. Supported forms: `--name value`,
//! `--name=value`, flags without a value, `-h`/`--help` (always available), positionals, and `--`
//! to end option parsing. A repeated option keeps its last value, as most tools do.

use std::fmt;
use std::process::ExitCode;
use std::str::FromStr;

/// Exit code for a run that failed (bad input, I/O, server error).
pub(crate) const EXIT_FAILURE: u8 = 1;
/// Exit code for bad arguments.
pub(crate) const EXIT_USAGE: u8 = 2;

/// One `--option` of a subcommand.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OptSpec {
    /// Long name without the leading dashes, e.g. `input`.
    pub(crate) name: &'static str,
    /// Placeholder of the value in the help text (`FILE`), or `None` for a flag.
    pub(crate) value: Option<&'static str>,
    /// One-line description; mention the default here.
    pub(crate) help: &'static str,
}

impl OptSpec {
    /// An option that takes a value.
    pub(crate) const fn value(
        name: &'static str,
        metavar: &'static str,
        help: &'static str,
    ) -> Self {
        Self {
            name,
            value: Some(metavar),
            help,
        }
    }

    /// An option without a value.
    pub(crate) const fn flag(name: &'static str, help: &'static str) -> Self {
        Self {
            name,
            value: None,
            help,
        }
    }
}

/// A subcommand's argument grammar.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Command {
    /// Words that invoke it, e.g. `convert` or `traces list`.
    pub(crate) name: &'static str,
    /// What it does, one sentence.
    pub(crate) about: &'static str,
    /// Positional arguments as shown in the usage line (e.g. `<TRACE_ID>`), empty if none.
    pub(crate) positionals: &'static str,
    /// Its options (`--help` is implied).
    pub(crate) options: &'static [OptSpec],
}

/// Why the arguments were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArgError {
    /// `--name` is not an option of this command.
    UnknownOption(String),
    /// `--name` needs a value and none followed.
    MissingValue(&'static str),
    /// A flag was given a value with `--flag=value`.
    UnexpectedValue(&'static str),
    /// A value could not be parsed.
    InvalidValue {
        /// The option.
        option: &'static str,
        /// What was given.
        value: String,
        /// Why it is wrong.
        reason: String,
    },
    /// A positional argument the command does not take.
    UnexpectedArgument(String),
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownOption(name) => write!(f, "unknown option `{name}`"),
            Self::MissingValue(name) => write!(f, "option `--{name}` needs a value"),
            Self::UnexpectedValue(name) => write!(f, "option `--{name}` takes no value"),
            Self::InvalidValue {
                option,
                value,
                reason,
            } => {
                write!(f, "invalid value `{value}` for `--{option}`: {reason}")
            }
            Self::UnexpectedArgument(arg) => write!(f, "unexpected argument `{arg}`"),
        }
    }
}

impl std::error::Error for ArgError {}

/// The parsed arguments of one command.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    values: Vec<(&'static str, Option<String>)>,
    positionals: Vec<String>,
    help: bool,
}

impl Command {
    /// Parses `args` (without the program and subcommand words).
    pub(crate) fn parse<I>(&self, args: I) -> Result<Parsed, ArgError>
    where
        I: IntoIterator<Item = String>,
    {
        let mut parsed = Parsed::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            if arg == "--" {
                parsed.positionals.extend(args.by_ref());
                break;
            }
            if arg == "-h" || arg == "--help" {
                parsed.help = true;
                continue;
            }
            let Some(long) = arg.strip_prefix("--") else {
                if arg.starts_with('-') && arg.len() > 1 {
                    return Err(ArgError::UnknownOption(arg));
                }
                parsed.positionals.push(arg);
                continue;
            };
            let (name, inline_value) = match long.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (long, None),
            };
            let spec = self
                .options
                .iter()
                .find(|spec| spec.name == name)
                .ok_or_else(|| ArgError::UnknownOption(arg.clone()))?;
            let value = match (spec.value, inline_value) {
                (None, Some(_)) => return Err(ArgError::UnexpectedValue(spec.name)),
                (None, None) => None,
                (Some(_), Some(value)) => Some(value),
                (Some(_), None) => Some(args.next().ok_or(ArgError::MissingValue(spec.name))?),
            };
            parsed.values.push((spec.name, value));
        }
        Ok(parsed)
    }

    /// [`Command::parse`] for a subcommand's `run`: `Ok` with the arguments to act on, or `Err`
    /// with the exit code after printing the help (`--help`, exit 0) or the error (exit
    /// [`EXIT_USAGE`]).
    pub(crate) fn parse_or_exit<I>(&self, args: I) -> Result<Parsed, ExitCode>
    where
        I: IntoIterator<Item = String>,
    {
        match self.parse(args) {
            Ok(parsed) if parsed.help_requested() => {
                print!("{}", self.help());
                Err(ExitCode::SUCCESS)
            }
            Ok(parsed) => Ok(parsed),
            Err(err) => Err(self.usage_error(&err)),
        }
    }

    /// Prints `err` and where to find the help to stderr; returns [`EXIT_USAGE`].
    pub(crate) fn usage_error(&self, err: &dyn fmt::Display) -> ExitCode {
        eprintln!(
            "otel-lp {0}: {err}\nRun `otel-lp {0} --help` for its options.",
            self.name
        );
        ExitCode::from(EXIT_USAGE)
    }

    /// The usage text, generated from the option table.
    pub(crate) fn help(&self) -> String {
        let mut out = format!("{}\n\nUsage: otel-lp {} [OPTIONS]", self.about, self.name);
        if !self.positionals.is_empty() {
            out.push(' ');
            out.push_str(self.positionals);
        }
        out.push_str("\n\nOptions:\n");
        let rows: Vec<(String, &str)> = self
            .options
            .iter()
            .map(|spec| match spec.value {
                Some(metavar) => (format!("--{} {metavar}", spec.name), spec.help),
                None => (format!("--{}", spec.name), spec.help),
            })
            .chain(std::iter::once((
                "-h, --help".to_owned(),
                "Print this help",
            )))
            .collect();
        let width = rows.iter().map(|(left, _)| left.len()).max().unwrap_or(0);
        for (left, help) in rows {
            out.push_str(&format!("  {left:width$}  {help}\n"));
        }
        out
    }
}

impl Parsed {
    /// Whether `-h`/`--help` was given.
    pub(crate) fn help_requested(&self) -> bool {
        self.help
    }

    /// Whether the flag `name` was given.
    pub(crate) fn flag(&self, name: &str) -> bool {
        self.values.iter().any(|(given, _)| *given == name)
    }

    /// The last value of option `name`.
    pub(crate) fn value(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(given, _)| *given == name)
            .and_then(|(_, value)| value.as_deref())
    }

    /// The last value of option `name`, parsed with `FromStr`.
    pub(crate) fn parse_value<T>(&self, name: &'static str) -> Result<Option<T>, ArgError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        self.value(name)
            .map(|value| {
                value.parse().map_err(|err: T::Err| ArgError::InvalidValue {
                    option: name,
                    value: value.to_owned(),
                    reason: err.to_string(),
                })
            })
            .transpose()
    }

    /// The last value of option `name`, one of the named `choices`.
    pub(crate) fn choice<T: Copy>(
        &self,
        name: &'static str,
        choices: &[(&str, T)],
    ) -> Result<Option<T>, ArgError> {
        let Some(value) = self.value(name) else {
            return Ok(None);
        };
        match choices.iter().find(|(choice, _)| *choice == value) {
            Some((_, chosen)) => Ok(Some(*chosen)),
            None => {
                let names: Vec<&str> = choices.iter().map(|(choice, _)| *choice).collect();
                Err(ArgError::InvalidValue {
                    option: name,
                    value: value.to_owned(),
                    reason: format!("expected one of {}", names.join(", ")),
                })
            }
        }
    }

    /// The last value of option `name` as a comma-separated list (items trimmed, empty items
    /// dropped, so `--opt ""` gives an empty list).
    pub(crate) fn list(&self, name: &str) -> Option<Vec<String>> {
        self.value(name).map(|value| {
            value
                .split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(str::to_owned)
                .collect()
        })
    }

    /// The positional arguments in order.
    #[allow(
        dead_code,
        reason = "for subcommands with positionals, e.g. `traces show <TRACE_ID>`"
    )]
    pub(crate) fn positionals(&self) -> &[String] {
        &self.positionals
    }

    /// Fails if more than `max` positionals were given.
    pub(crate) fn expect_at_most_positionals(&self, max: usize) -> Result<(), ArgError> {
        match self.positionals.get(max) {
            Some(extra) => Err(ArgError::UnexpectedArgument(extra.clone())),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEMO: Command = Command {
        name: "demo",
        about: "A demo command.",
        positionals: "[NAME]",
        options: &[
            OptSpec::value("input", "FILE", "Read FILE (default: stdin)"),
            OptSpec::value("count", "N", "How many"),
            OptSpec::value("dims", "A,B", "Dimensions"),
            OptSpec::flag("strict", "Be strict"),
        ],
    };

    fn parse(args: &[&str]) -> Result<Parsed, ArgError> {
        DEMO.parse(args.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn values_flags_and_positionals() {
        let parsed = parse(&[
            "--input",
            "a.json",
            "--count=3",
            "--strict",
            "name",
            "--",
            "--not-an-option",
        ])
        .unwrap();
        assert_eq!(parsed.value("input"), Some("a.json"));
        assert_eq!(parsed.parse_value::<u32>("count").unwrap(), Some(3));
        assert!(parsed.flag("strict"));
        assert!(!parsed.help_requested());
        assert_eq!(parsed.positionals(), ["name", "--not-an-option"]);
        assert_eq!(
            parsed.expect_at_most_positionals(1),
            Err(ArgError::UnexpectedArgument("--not-an-option".into()))
        );
    }

    #[test]
    fn last_value_wins_and_lists_split_on_commas() {
        let parsed = parse(&["--dims", "a", "--dims", " service.name , ,span.name"]).unwrap();
        assert_eq!(parsed.list("dims").unwrap(), ["service.name", "span.name"]);
        assert_eq!(
            parse(&["--dims="]).unwrap().list("dims").unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(parse(&[]).unwrap().list("dims"), None);
    }

    #[test]
    fn errors_name_the_option() {
        assert_eq!(
            parse(&["--nope"]).unwrap_err(),
            ArgError::UnknownOption("--nope".into())
        );
        assert_eq!(
            parse(&["-x"]).unwrap_err(),
            ArgError::UnknownOption("-x".into())
        );
        assert_eq!(
            parse(&["--input"]).unwrap_err(),
            ArgError::MissingValue("input")
        );
        assert_eq!(
            parse(&["--strict=yes"]).unwrap_err(),
            ArgError::UnexpectedValue("strict")
        );
        let err = parse(&["--count", "many"])
            .unwrap()
            .parse_value::<u32>("count")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid value `many` for `--count`: invalid digit found in string"
        );
    }

    #[test]
    fn help_lists_every_option() {
        assert!(parse(&["-h"]).unwrap().help_requested());
        let help = DEMO.help();
        assert!(
            help.starts_with("A demo command.\n\nUsage: otel-lp demo [OPTIONS] [NAME]\n"),
            "{help}"
        );
        for needle in [
            "--input FILE",
            "--count N",
            "--dims A,B",
            "--strict",
            "-h, --help",
        ] {
            assert!(help.contains(needle), "{needle} missing from:\n{help}");
        }
    }
}
