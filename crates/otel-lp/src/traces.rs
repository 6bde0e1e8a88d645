//! `otel-lp traces`: list traces and open one as a waterfall, from Datalayers (SQL over REST) or
//! InfluxDB 1.x (InfluxQL).
//!
//! ```text
//! otel-lp traces list [--service S] [--span-name N] [--since 1h] [--limit N] [--min-duration 10ms]
//! otel-lp traces show TRACE_ID [--attributes]
//! otel-lp traces services
//! otel-lp traces operations SERVICE
//! ```
//!
//! Connection settings come from the `OTEL_EXPORTER_DATALAYERS_*` variables (as for the exporter);
//! `--endpoint`, `--database`, `--protocol`, `--username`, `--password`, `--token` and
//! `--timeout` override them.

use std::process::ExitCode;
use std::time::Duration;

use datalayers_client::config::{Auth, Secret};
use datalayers_client::query::{QueryError, parse_rfc3339};
use datalayers_client::{Client, ClientConfig, Protocol};
use trace_query::{
    AnyTraceStore, DEFAULT_LIST_LIMIT, TimeRange, TraceError, TraceFilter, TraceId, TraceSchema,
    TraceStore, now_ns,
};

use crate::args::{ArgError, Command, EXIT_FAILURE, EXIT_USAGE, OptSpec, Parsed};
use crate::render::{WaterfallOptions, render_trace_list, render_waterfall};

/// Options every `traces` subcommand takes: where the server is.
const CONNECTION: [OptSpec; 7] = [
    OptSpec::value(
        "endpoint",
        "URL",
        "Server base URL (env OTEL_EXPORTER_DATALAYERS_ENDPOINT; default http://localhost:8361)",
    ),
    OptSpec::value(
        "database",
        "NAME",
        "Database (env OTEL_EXPORTER_DATALAYERS_DATABASE)",
    ),
    OptSpec::value(
        "protocol",
        "P",
        "datalayers (SQL) or influxdb-v1 (InfluxQL) (env OTEL_EXPORTER_DATALAYERS_PROTOCOL; default datalayers)",
    ),
    OptSpec::value(
        "username",
        "USER",
        "Basic-auth user (env OTEL_EXPORTER_DATALAYERS_USERNAME)",
    ),
    OptSpec::value(
        "password",
        "PASS",
        "Basic-auth password (env OTEL_EXPORTER_DATALAYERS_PASSWORD)",
    ),
    OptSpec::value(
        "token",
        "TOKEN",
        "Token auth instead of Basic (env OTEL_EXPORTER_DATALAYERS_TOKEN)",
    ),
    OptSpec::value(
        "timeout",
        "DURATION",
        "Request timeout, e.g. 10s (env OTEL_EXPORTER_DATALAYERS_TIMEOUT in ms)",
    ),
];

/// Table and column names, for schemas other than otel2influx's defaults.
const SCHEMA: [OptSpec; 3] = [
    OptSpec::value(
        "spans-table",
        "NAME",
        "Measurement of spans (default spans)",
    ),
    OptSpec::value(
        "logs-table",
        "NAME",
        "Measurement of span events and logs (default logs)",
    ),
    OptSpec::value(
        "links-table",
        "NAME",
        "Measurement of span links (default span-links)",
    ),
];

const LIST_OPTIONS: [OptSpec; 20] = concat([
    OptSpec::value("service", "NAME", "Traces with a span of this service.name"),
    OptSpec::value("span-name", "NAME", "Traces with a span of this name"),
    OptSpec::value(
        "tag",
        "K=V[,K=V]",
        "Traces with a span whose dimension tags have these values",
    ),
    OptSpec::value(
        "since",
        "DURATION",
        "Spans that started in the last DURATION, e.g. 15m, 2h, 7d (default 1h)",
    ),
    OptSpec::value(
        "from",
        "RFC3339",
        "Spans that started at or after this time (instead of --since)",
    ),
    OptSpec::value("until", "RFC3339", "Spans that started before this time"),
    OptSpec::value(
        "min-duration",
        "DURATION",
        "Traces lasting at least this long, e.g. 10ms",
    ),
    OptSpec::value(
        "max-duration",
        "DURATION",
        "Traces lasting at most this long",
    ),
    OptSpec::value("limit", "N", "At most N traces, newest first (default 20)"),
    OptSpec::value("offset", "N", "Skip the first N traces (paging)"),
]);

const SHOW_OPTIONS: [OptSpec; 14] = concat([
    OptSpec::flag(
        "attributes",
        "Also print each span's attributes, events and links",
    ),
    OptSpec::value(
        "since",
        "DURATION",
        "Only search spans of the last DURATION (default: all time)",
    ),
    OptSpec::value("from", "RFC3339", "Only search spans from this time on"),
    OptSpec::value("width", "N", "Width of the time bar (default 40)"),
]);

const CATALOG_OPTIONS: [OptSpec; 10] = concat([]);

/// A subcommand's own options followed by the connection and schema options.
const fn concat<const N: usize, const M: usize>(own: [OptSpec; N]) -> [OptSpec; M] {
    let mut out = [CONNECTION[0]; M];
    let mut i = 0;
    while i < N {
        out[i] = own[i];
        i += 1;
    }
    let mut j = 0;
    while j < CONNECTION.len() {
        out[N + j] = CONNECTION[j];
        j += 1;
    }
    let mut k = 0;
    while k < SCHEMA.len() {
        out[N + CONNECTION.len() + k] = SCHEMA[k];
        k += 1;
    }
    out
}

const LIST: Command = Command {
    name: "traces list",
    about: "List traces like a trace UI: id, start (UTC), root service and span, duration, spans, errors.",
    positionals: "",
    options: &LIST_OPTIONS,
};

const SHOW: Command = Command {
    name: "traces show",
    about: "Show one trace as a waterfall: the span tree with service, start offset, duration, a time bar and status.",
    positionals: "<TRACE_ID>",
    options: &SHOW_OPTIONS,
};

const SERVICES: Command = Command {
    name: "traces services",
    about: "List the service names that have spans.",
    positionals: "",
    options: &CATALOG_OPTIONS,
};

const OPERATIONS: Command = Command {
    name: "traces operations",
    about: "List the span names of one service.",
    positionals: "<SERVICE>",
    options: &CATALOG_OPTIONS,
};

const USAGE: &str = "\
Query stored traces (Datalayers over SQL, InfluxDB 1.x over InfluxQL)

Usage: otel-lp traces <COMMAND> [OPTIONS]

Commands:
  list        List traces (newest first)
  show        Show one trace as a waterfall
  services    List service names
  operations  List the span names of a service

Connection settings come from the OTEL_EXPORTER_DATALAYERS_* environment variables;
flags override them. `otel-lp traces <COMMAND> --help` lists a command's options.
";

/// Entry point of `otel-lp traces`.
pub(crate) fn run(args: Vec<String>) -> ExitCode {
    let mut args = args.into_iter();
    let Some(command) = args.next() else {
        eprint!("{USAGE}");
        return ExitCode::from(EXIT_USAGE);
    };
    let rest: Vec<String> = args.collect();
    let (spec, action): (&Command, Action) = match command.as_str() {
        "list" => (&LIST, Action::List),
        "show" => (&SHOW, Action::Show),
        "services" => (&SERVICES, Action::Services),
        "operations" => (&OPERATIONS, Action::Operations),
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        other => {
            eprintln!("otel-lp traces: unknown command `{other}`\n\n{USAGE}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let parsed = match spec.parse_or_exit(rest) {
        Ok(parsed) => parsed,
        Err(code) => return code,
    };
    let request = match Request::from_args(action, &parsed) {
        Ok(request) => request,
        Err(err) => return spec.usage_error(&err),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!(
                "otel-lp {}: cannot start the async runtime: {err}",
                spec.name
            );
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    match runtime.block_on(request.execute()) {
        Ok(output) => {
            print!("{output}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("otel-lp {}: {err}", spec.name);
            if let Some(hint) = hint(&err, &request) {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Action {
    List,
    Show,
    Services,
    Operations,
}

/// Everything a run needs, checked before any connection is made.
#[derive(Debug)]
struct Request {
    config: ClientConfig,
    schema: TraceSchema,
    what: What,
}

#[derive(Debug)]
enum What {
    List(TraceFilter),
    Show {
        trace_id: TraceId,
        range: TimeRange,
        options: WaterfallOptions,
    },
    Services,
    Operations(String),
}

impl Request {
    /// The request, or what is wrong with the arguments (exit code 2).
    fn from_args(action: Action, args: &Parsed) -> Result<Self, String> {
        let config = connection(args).map_err(|e| e.to_string())?;
        if config.database.is_none() {
            return Err("no database: set --database or OTEL_EXPORTER_DATALAYERS_DATABASE".into());
        }
        let schema = schema(args);
        let what = match action {
            Action::List => {
                args.expect_at_most_positionals(0)
                    .map_err(|e| e.to_string())?;
                What::List(list_filter(args).map_err(|e| e.to_string())?)
            }
            Action::Show => {
                let text = single_positional(args, "TRACE_ID")?;
                let trace_id = TraceId::parse(&text)
                    .map_err(|_| format!("`{text}` is not a trace id: expected 32 hex digits"))?;
                let since = time_range(args, None).map_err(|e| e.to_string())?;
                let options = WaterfallOptions {
                    bar_width: args
                        .parse_value("width")
                        .map_err(|e| e.to_string())?
                        .unwrap_or(40),
                    details: args.flag("attributes"),
                };
                What::Show {
                    trace_id,
                    range: since.unwrap_or(TimeRange::UNBOUNDED),
                    options,
                }
            }
            Action::Services => {
                args.expect_at_most_positionals(0)
                    .map_err(|e| e.to_string())?;
                What::Services
            }
            Action::Operations => What::Operations(single_positional(args, "SERVICE")?),
        };
        Ok(Self {
            config,
            schema,
            what,
        })
    }

    async fn execute(&self) -> Result<String, TraceError> {
        let client = Client::new(self.config.clone())
            .map_err(|err| QueryError::InvalidInput(err.to_string()))?;
        let store = AnyTraceStore::for_client(&client, self.schema.clone())?;
        Ok(match &self.what {
            What::List(filter) => render_trace_list(&store.list_traces(filter).await?),
            What::Show {
                trace_id,
                range,
                options,
            } => render_waterfall(&store.get_trace(trace_id, *range).await?, options),
            What::Services => lines(store.services().await?),
            What::Operations(service) => lines(store.operations(service).await?),
        })
    }
}

fn lines(items: Vec<String>) -> String {
    items.into_iter().map(|item| item + "\n").collect()
}

/// What to try next, for the errors people hit first.
fn hint(err: &TraceError, request: &Request) -> Option<String> {
    match err {
        TraceError::Query(QueryError::Transport { .. }) => Some(format!(
            "is the server running at {}? Set --endpoint or OTEL_EXPORTER_DATALAYERS_ENDPOINT",
            request.config.endpoint
        )),
        TraceError::NotFound { .. } => {
            Some("check the id, or search a wider time range (--since 7d)".into())
        }
        TraceError::Query(QueryError::Unauthorized { .. }) => {
            Some("check --username/--password (or the OTEL_EXPORTER_DATALAYERS_* variables)".into())
        }
        TraceError::Query(QueryError::DatabaseNotFound { .. }) => Some(format!(
            "check --database (now {:?}) or OTEL_EXPORTER_DATALAYERS_DATABASE",
            request.config.database.as_deref().unwrap_or_default()
        )),
        _ => None,
    }
}

fn single_positional(args: &Parsed, name: &str) -> Result<String, String> {
    args.expect_at_most_positionals(1)
        .map_err(|e| e.to_string())?;
    args.positionals()
        .first()
        .cloned()
        .ok_or_else(|| format!("missing <{name}>"))
}

/// The environment's settings with the flags on top.
fn connection(args: &Parsed) -> Result<ClientConfig, ArgError> {
    let mut config = ClientConfig::from_env().map_err(|err| ArgError::InvalidValue {
        option: "environment",
        value: String::new(),
        reason: err.to_string(),
    })?;
    if let Some(endpoint) = args.value("endpoint") {
        config.endpoint = endpoint.to_owned();
    }
    if let Some(database) = args.value("database") {
        config.database = Some(database.to_owned());
    }
    if let Some(protocol) = args.parse_value::<Protocol>("protocol")? {
        config.protocol = protocol;
    }
    if let Some(token) = args.value("token") {
        config.auth = Auth::Token(Secret::new(token));
    }
    if let Some(username) = args.value("username") {
        let password = args
            .value("password")
            .map(str::to_owned)
            .or_else(|| std::env::var("OTEL_EXPORTER_DATALAYERS_PASSWORD").ok())
            .unwrap_or_default();
        config.auth = Auth::Basic {
            username: username.to_owned(),
            password: Secret::new(password),
        };
    } else if let Some(password) = args.value("password") {
        match &mut config.auth {
            Auth::Basic { password: p, .. } => *p = Secret::new(password),
            _ => {
                return Err(ArgError::InvalidValue {
                    option: "password",
                    value: "***".into(),
                    reason: "needs --username (or OTEL_EXPORTER_DATALAYERS_USERNAME)".into(),
                });
            }
        }
    }
    if let Some(timeout) = duration(args, "timeout")? {
        config.timeout = timeout;
    }
    Ok(config)
}

fn schema(args: &Parsed) -> TraceSchema {
    let mut schema = TraceSchema::default();
    for (option, slot) in [
        ("spans-table", &mut schema.spans_table),
        ("logs-table", &mut schema.logs_table),
        ("links-table", &mut schema.links_table),
    ] {
        if let Some(name) = args.value(option) {
            *slot = name.to_owned();
        }
    }
    schema
}

fn list_filter(args: &Parsed) -> Result<TraceFilter, ArgError> {
    let mut tags = Vec::new();
    for pair in args.list("tag").unwrap_or_default() {
        let (key, value) = pair.split_once('=').ok_or_else(|| ArgError::InvalidValue {
            option: "tag",
            value: pair.clone(),
            reason: "expected KEY=VALUE".into(),
        })?;
        tags.push((key.to_owned(), value.to_owned()));
    }
    Ok(TraceFilter {
        range: time_range(args, Some(Duration::from_secs(3600)))?,
        service: args.value("service").map(str::to_owned),
        span_name: args.value("span-name").map(str::to_owned),
        tags,
        min_duration: duration(args, "min-duration")?,
        max_duration: duration(args, "max-duration")?,
        limit: args.parse_value("limit")?.unwrap_or(DEFAULT_LIST_LIMIT),
        offset: args.parse_value("offset")?.unwrap_or(0),
    })
}

/// `--from`/`--until` (RFC3339) or `--since` (a duration back from now); `None` when none is
/// given and there is no default window.
fn time_range(
    args: &Parsed,
    default_window: Option<Duration>,
) -> Result<Option<TimeRange>, ArgError> {
    let instant = |option: &'static str| -> Result<Option<i64>, ArgError> {
        args.value(option)
            .map(|text| {
                parse_rfc3339(text).map_err(|err| ArgError::InvalidValue {
                    option,
                    value: text.to_owned(),
                    reason: err.to_string(),
                })
            })
            .transpose()
    };
    let from = instant("from")?;
    let until = args
        .value("until")
        .map(|_| instant("until"))
        .transpose()?
        .flatten();
    let since = duration(args, "since")?;
    if from.is_some() && since.is_some() {
        return Err(ArgError::InvalidValue {
            option: "since",
            value: args.value("since").unwrap_or_default().to_owned(),
            reason: "give either --since or --from, not both".into(),
        });
    }
    let start = match (from, since.or(default_window)) {
        (Some(from), _) => Some(from),
        (None, Some(window)) => TimeRange::last_from(now_ns(), window).start_ns,
        (None, None) => None,
    };
    Ok((start.is_some() || until.is_some()).then_some(TimeRange {
        start_ns: start,
        end_ns: until,
    }))
}

fn duration(args: &Parsed, option: &'static str) -> Result<Option<Duration>, ArgError> {
    args.value(option)
        .map(|text| {
            parse_duration(text).map_err(|reason| ArgError::InvalidValue {
                option,
                value: text.to_owned(),
                reason,
            })
        })
        .transpose()
}

/// `1h30m`, `10ms`, `2.5s`, `7d`, `500us`/`500µs`, `100ns`; a bare number is seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration".into());
    }
    if let Ok(seconds) = text.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds).map_err(|err| err.to_string());
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("`{rest}` has no unit (ns, us, ms, s, m, h, d)"))?;
        let (number, tail) = rest.split_at(number_end);
        let unit_end = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_end);
        let value: f64 = number
            .parse()
            .map_err(|_| format!("`{number}` is not a number"))?;
        let seconds_per_unit = match unit {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86_400.0,
            other => return Err(format!("unknown unit `{other}` (ns, us, ms, s, m, h, d)")),
        };
        total +=
            Duration::try_from_secs_f64(value * seconds_per_unit).map_err(|err| err.to_string())?;
        rest = tail;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10ms"), Ok(Duration::from_millis(10)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("2.5s"), Ok(Duration::from_millis(2500)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_duration("500us"), Ok(Duration::from_micros(500)));
        assert_eq!(parse_duration("500µs"), Ok(Duration::from_micros(500)));
        assert_eq!(parse_duration("100ns"), Ok(Duration::from_nanos(100)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        for bad in ["", "ms", "10 parsecs", "1y", "-5s", "1.2.3s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_list_option_is_in_the_help() {
        let help = LIST.help();
        for option in [
            "--service",
            "--span-name",
            "--since",
            "--limit",
            "--min-duration",
            "--endpoint",
            "--database",
            "--protocol",
            "--username",
            "--password",
        ] {
            assert!(help.contains(option), "{option} missing:\n{help}");
        }
        assert!(SHOW.help().contains("--attributes"));
    }
}
