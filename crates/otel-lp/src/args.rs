//! The option groups subcommands share, each flattened with `#[command(flatten)]`:
//! [`DestinationArgs`] (where the server is: every `OTEL_EXPORTER_DATALAYERS_*` setting as a
//! flag) and [`MappingArgs`] (how OTLP becomes lines); plus the exit codes and the usage-error
//! printer every subcommand uses.

use std::fmt;
use std::process::ExitCode;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Args, CommandFactory, FromArgMatches, ValueEnum};
use datalayers_client::config::{ClientSettings, Origin, Setting};
use datalayers_client::{ClientConfig, ConfigError};
use lineproto::{Dialect, FloatFormat};
use otlp_influx::{
    DEFAULT_LOG_RECORD_DIMENSIONS, DEFAULT_SPAN_DIMENSIONS, MappingConfig, MetricsSchema,
};

/// Exit code for a run that failed (bad input, I/O, server error).
pub(crate) const EXIT_FAILURE: u8 = 1;
/// Exit code for bad arguments (clap uses it for its own errors too).
pub(crate) const EXIT_USAGE: u8 = 2;

/// Prints `message` as clap prints a usage error of `otel-lp <subcommand...>` and returns
/// [`EXIT_USAGE`]: for what only shows once the arguments are combined (no database, a
/// duplicate dimension, a malformed variable).
pub(crate) fn usage_error(subcommand: &[&str], message: impl fmt::Display) -> ExitCode {
    let mut command = crate::Cli::command();
    command.build();
    let mut command = &mut command;
    for name in subcommand {
        command = command
            .find_subcommand_mut(name)
            .expect("a subcommand of otel-lp");
    }
    // Nothing more to do if stderr is gone.
    let _ = command.error(ErrorKind::ValueValidation, message).print();
    ExitCode::from(EXIT_USAGE)
}

/// The destination: every [`Setting`] of `datalayers-client` as a flag (`--endpoint`,
/// `--database`, `--username`, `--password`, `--token`, `--org`, `--bucket`, `--protocol`,
/// `--timeout`, `--compression`, `--ca-file`), with its variable and default in `--help`.
///
/// The flags are one layer of a [`ClientSettings`]; [`DestinationArgs::client_settings`] parses
/// them with the settings' own parsers and adds the environment under them. clap reads the
/// variables too (that is how `--help` shows them), but only typed flags are taken from it: the
/// environment is read by [`ClientSettings::fill_from_env`], after the flags and only for what
/// they leave unset, so a malformed variable that a flag overrides never fails, and its errors
/// name the variable. A new [`Setting`] becomes a flag here by itself.
#[derive(Debug, Clone, Default)]
pub(crate) struct DestinationArgs {
    /// The settings typed on the command line, as typed (secrets included: never shown).
    typed: Vec<(Setting, String)>,
}

impl DestinationArgs {
    /// The flags, then the `OTEL_EXPORTER_DATALAYERS_*` variables for what they leave unset.
    /// Errors name the flag or the variable.
    pub(crate) fn client_settings(&self) -> Result<ClientSettings, ConfigError> {
        ClientSettings::new()
            .fill_from(Origin::Flag, |setting| {
                self.typed
                    .iter()
                    .find(|(typed, _)| *typed == setting)
                    .map(|(_, text)| text.clone())
            })?
            .fill_from_env()
    }

    /// [`DestinationArgs::client_settings`] resolved over the defaults.
    pub(crate) fn client_config(&self) -> Result<ClientConfig, ConfigError> {
        self.client_settings()?.resolve()
    }
}

impl Args for DestinationArgs {
    fn augment_args(command: clap::Command) -> clap::Command {
        command
            .next_help_heading("Destination")
            .args(Setting::ALL.iter().copied().map(setting_arg))
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        Self::augment_args(command)
    }
}

/// The flag of one setting: `--name VALUE`, its variable and default shown (never the variable's
/// value: it may be a secret).
fn setting_arg(setting: Setting) -> Arg {
    let arg = Arg::new(setting.name())
        .long(setting.name())
        .value_name(setting.value_name())
        .help(setting.help())
        .env(setting.variable())
        .hide_env_values(true)
        .action(ArgAction::Set);
    match setting.default_value() {
        Some(default) => arg.default_value(default),
        None => arg,
    }
}

impl FromArgMatches for DestinationArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut args = Self::default();
        args.update_from_arg_matches(matches)?;
        Ok(args)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        self.typed = Setting::ALL
            .iter()
            .copied()
            .filter(|setting| {
                matches.value_source(setting.name()) == Some(ValueSource::CommandLine)
            })
            .filter_map(|setting| {
                let text = matches.get_one::<String>(setting.name())?;
                Some((setting, text.clone()))
            })
            .collect();
        Ok(())
    }
}

/// How OTLP becomes lines: dialect, dimensions, metrics schema, stable columns, float text.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Mapping")]
pub(crate) struct MappingArgs {
    /// Line-protocol dialect [default: datalayers, or the destination protocol's]
    #[arg(long, value_name = "NAME", value_parser = named(Dialect::ALL, Dialect::name))]
    dialect: Option<Dialect>,

    /// Span attributes written as tags, comma-separated ("" for none)
    #[arg(long, value_name = "A,B", default_value_t = Dimensions::of(&DEFAULT_SPAN_DIMENSIONS))]
    span_dimensions: Dimensions,

    /// Log record attributes written as tags, comma-separated ("" for none)
    #[arg(
        long,
        value_name = "A,B",
        default_value_t = Dimensions::of(&DEFAULT_LOG_RECORD_DIMENSIONS)
    )]
    log_record_dimensions: Dimensions,

    /// How metric points become lines
    #[arg(
        long,
        value_name = "NAME",
        default_value_t,
        value_parser = named(MetricsSchema::ALL, MetricsSchema::name)
    )]
    metrics_schema: MetricsSchema,

    /// Same tag keys on every line of a measurement (for Datalayers tables, which cannot gain
    /// columns by default)
    #[arg(long)]
    stable_columns: bool,

    /// Float text
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t)]
    float_format: FloatText,
}

impl MappingArgs {
    /// The mapping configuration, in `--dialect` or else `default_dialect`; fails on a
    /// duplicate or unusable dimension.
    pub(crate) fn mapping_config(
        &self,
        default_dialect: Dialect,
    ) -> Result<MappingConfig, otlp_influx::ConfigError> {
        let mut config = MappingConfig::new(self.dialect.unwrap_or(default_dialect));
        config.encoder = config.encoder.with_float_format(match self.float_format {
            FloatText::Shortest => FloatFormat::Shortest,
            FloatText::Go => FloatFormat::GoStrconv,
        });
        config.span_dimensions = self.span_dimensions.0.clone();
        config.log_record_dimensions = self.log_record_dimensions.0.clone();
        config.metrics_schema = self.metrics_schema;
        config.stable_columns = self.stable_columns;
        config.validate()?;
        Ok(config)
    }
}

/// `--float-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
enum FloatText {
    /// The shortest digits that read back as the same number
    #[default]
    Shortest,
    /// Go's strconv 'g' text, byte for byte like the reference exporter
    Go,
}

/// A comma-separated list of attribute keys: items trimmed, empty items dropped (so `""` is no
/// dimension at all).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Dimensions(Vec<String>);

impl Dimensions {
    fn of(keys: &[&str]) -> Self {
        Self(keys.iter().map(|key| (*key).to_owned()).collect())
    }
}

impl fmt::Display for Dimensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(","))
    }
}

impl std::str::FromStr for Dimensions {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self(
            text.split(',')
                .map(str::trim)
                .filter(|key| !key.is_empty())
                .map(str::to_owned)
                .collect(),
        ))
    }
}

/// A parser for a type with named values (`Dialect::ALL` and `Dialect::name`): `--help` lists the
/// names and clap refuses any other.
pub(crate) fn named<T>(
    all: &'static [T],
    name: fn(T) -> &'static str,
) -> impl TypedValueParser<Value = T>
where
    T: Copy + Send + Sync + 'static,
{
    PossibleValuesParser::new(all.iter().map(|value| name(*value))).map(move |given| {
        all.iter()
            .copied()
            .find(|value| name(*value) == given)
            .expect("clap accepts only the listed names")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Both {
        #[command(flatten)]
        destination: DestinationArgs,
        #[command(flatten)]
        mapping: MappingArgs,
    }

    fn parse(args: &[&str]) -> Result<Both, clap::Error> {
        Both::try_parse_from(std::iter::once("test").chain(args.iter().copied()))
    }

    #[test]
    fn mapping_defaults_and_lists() {
        let config = parse(&[])
            .unwrap()
            .mapping
            .mapping_config(Dialect::InfluxDbV1);
        let config = config.unwrap();
        assert_eq!(config.encoder.dialect, Dialect::InfluxDbV1);
        assert_eq!(config.span_dimensions, DEFAULT_SPAN_DIMENSIONS);
        assert_eq!(config.metrics_schema, MetricsSchema::TelegrafPrometheusV1);
        let args = parse(&[
            "--dialect",
            "influxdb-v3",
            "--span-dimensions",
            " service.name , ,http.route",
            "--log-record-dimensions=",
            "--metrics-schema",
            "otel-v1",
            "--float-format",
            "go",
            "--stable-columns",
        ])
        .unwrap();
        let config = args.mapping.mapping_config(Dialect::Datalayers).unwrap();
        assert_eq!(config.encoder.dialect, Dialect::InfluxDbV3);
        assert_eq!(config.span_dimensions, ["service.name", "http.route"]);
        assert!(config.log_record_dimensions.is_empty());
        assert_eq!(config.metrics_schema, MetricsSchema::OtelV1);
        assert_eq!(config.encoder.float_format, FloatFormat::GoStrconv);
        assert!(config.stable_columns);
    }

    #[test]
    fn destination_flags_are_parsed_by_the_settings_and_named_in_errors() {
        let args = parse(&["--timeout", "2s", "--protocol", "influxdb-v1"]).unwrap();
        let settings = args.destination.client_settings().unwrap();
        assert_eq!(settings.timeout, Some(std::time::Duration::from_secs(2)));
        let err = parse(&["--timeout", "soon"])
            .unwrap()
            .destination
            .client_settings()
            .unwrap_err();
        assert!(
            err.to_string().starts_with("--timeout=\"soon\" is invalid"),
            "{err}"
        );
        // Defaults shown in the help are not typed flags: the environment still fills them.
        assert!(parse(&[]).unwrap().destination.typed.is_empty());
    }

    #[test]
    fn every_setting_is_a_flag_with_its_variable_in_the_help() {
        let help = Both::command().render_help().to_string();
        for &setting in Setting::ALL {
            assert!(help.contains(&format!("--{}", setting.name())), "{help}");
            assert!(help.contains(setting.variable()), "{help}");
        }
        assert!(help.contains("[default: http://localhost:8361]"), "{help}");
    }
}
