//! `otel-lp traces`: list traces and open one as a waterfall, from Datalayers (SQL over REST, or
//! over Arrow Flight SQL with `--flight-sql URL`) or InfluxDB 1.x (InfluxQL).
//!
//! ```text
//! otel-lp traces list [--service S] [--span-name N] [--since 1h] [--limit N] [--min-duration 10ms]
//! otel-lp traces show TRACE_ID [--attributes]
//! otel-lp traces services
//! otel-lp traces operations SERVICE
//! ```
//!
//! Where the server is: the destination flags (`--endpoint`, `--database`, ...), then the
//! `OTEL_EXPORTER_DATALAYERS_*` variables for what they leave unset (see `args::DestinationArgs`).
//! With a Flight SQL endpoint (`--flight-sql`, `OTEL_EXPORTER_DATALAYERS_FLIGHT_SQL_ENDPOINT`) the
//! same SQL goes over Flight SQL, with the same database and credentials.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use datalayers_client::config::{ClientConfig, Protocol};
use datalayers_client::query::{QueryError, parse_rfc3339};
use trace_query::{
    AnyTraceStore, DEFAULT_LIST_LIMIT, TimeRange, TraceError, TraceFilter, TraceId, TraceSchema,
    TraceStore, now_ns,
};

use crate::args::{DestinationArgs, EXIT_FAILURE, usage_error};
use crate::render::{WaterfallOptions, render_trace_list, render_waterfall};

/// Query stored traces (Datalayers over SQL, InfluxDB 1.x over InfluxQL)
///
/// Where the server is comes from the destination flags, then the OTEL_EXPORTER_DATALAYERS_*
/// variables for what they leave unset. With --flight-sql the SQL goes over Arrow Flight SQL
/// (Datalayers' gRPC port 8360), the fast path for large reads.
#[derive(Debug, Args)]
#[command(
    arg_required_else_help = true,
    after_help = "\
Examples:
  otel-lp traces list --endpoint http://127.0.0.1:8361 --database demo --since 2h
  otel-lp traces list --service checkout --min-duration 100ms --tag http.route=/cart
  otel-lp traces show 4bf92f3577b34da6a3ce929d0e0e4736 --attributes
  otel-lp traces list --flight-sql http://127.0.0.1:8360 --database demo --username admin
  OTEL_EXPORTER_DATALAYERS_PROTOCOL=influxdb-v1 otel-lp traces services --database otel"
)]
pub(crate) struct TracesArgs {
    #[command(subcommand)]
    command: TracesCommand,
}

#[derive(Debug, Subcommand)]
enum TracesCommand {
    /// List traces like a trace UI: id, start (UTC), root service and span, duration, spans,
    /// errors (newest first)
    List(ListArgs),
    /// Show one trace as a waterfall: the span tree with service, start offset, duration, a time
    /// bar and status
    Show(ShowArgs),
    /// List the service names that have spans
    Services(StoreArgs),
    /// List the span names of one service
    Operations(OperationsArgs),
}

/// `traces list`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  otel-lp traces list --since 15m
  otel-lp traces list --service checkout --span-name 'GET /cart' --min-duration 10ms
  otel-lp traces list --from 2024-09-22T17:00:00Z --until 2024-09-22T18:00:00Z --limit 50")]
struct ListArgs {
    /// Traces with a span of this service.name
    #[arg(long, value_name = "NAME")]
    service: Option<String>,

    /// Traces with a span of this name
    #[arg(long, value_name = "NAME")]
    span_name: Option<String>,

    /// Traces with a span whose dimension tags have these values (comma-separated or repeated;
    /// all on the same span)
    #[arg(long, value_name = "K=V", value_delimiter = ',', value_parser = tag_pair)]
    tag: Vec<(String, String)>,

    /// Spans that started in the last DURATION, e.g. 15m, 2h, 7d [default: 1h]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, conflicts_with = "from")]
    since: Option<Duration>,

    /// Spans that started at or after this time (instead of --since)
    #[arg(long, value_name = "RFC3339", value_parser = instant)]
    from: Option<i64>,

    /// Spans that started before this time
    #[arg(long, value_name = "RFC3339", value_parser = instant)]
    until: Option<i64>,

    /// Traces lasting at least this long, e.g. 10ms
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    min_duration: Option<Duration>,

    /// Traces lasting at most this long
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    max_duration: Option<Duration>,

    /// At most N traces, newest first
    #[arg(long, value_name = "N", default_value_t = DEFAULT_LIST_LIMIT)]
    limit: usize,

    /// Skip the first N traces (paging)
    #[arg(long, value_name = "N", default_value_t = 0)]
    offset: usize,

    #[command(flatten)]
    store: StoreArgs,
}

/// `traces show`.
#[derive(Debug, Args)]
struct ShowArgs {
    /// The trace id: 32 hex digits
    #[arg(value_name = "TRACE_ID", value_parser = trace_id)]
    trace_id: TraceId,

    /// Also print each span's attributes, events and links
    #[arg(long)]
    attributes: bool,

    /// Only search spans of the last DURATION [default: all time]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, conflicts_with = "from")]
    since: Option<Duration>,

    /// Only search spans from this time on
    #[arg(long, value_name = "RFC3339", value_parser = instant)]
    from: Option<i64>,

    /// Width of the time bar
    #[arg(long, value_name = "N", default_value_t = WaterfallOptions::default().bar_width)]
    width: usize,

    #[command(flatten)]
    store: StoreArgs,
}

/// `traces operations`.
#[derive(Debug, Args)]
struct OperationsArgs {
    /// The service.name whose span names to list
    #[arg(value_name = "SERVICE")]
    service: String,

    #[command(flatten)]
    store: StoreArgs,
}

/// Where the traces are: the server, and the table names in it.
#[derive(Debug, Args)]
pub(crate) struct StoreArgs {
    #[command(flatten)]
    destination: DestinationArgs,

    #[command(flatten)]
    schema: SchemaArgs,
}

/// Table names, for schemas other than otel2influx's defaults.
#[derive(Debug, Args)]
#[command(next_help_heading = "Schema")]
pub(crate) struct SchemaArgs {
    /// Measurement of spans
    #[arg(long, value_name = "NAME", default_value_t = TraceSchema::default().spans_table)]
    spans_table: String,

    /// Measurement of span events and logs
    #[arg(long, value_name = "NAME", default_value_t = TraceSchema::default().logs_table)]
    logs_table: String,

    /// Measurement of span links
    #[arg(long, value_name = "NAME", default_value_t = TraceSchema::default().links_table)]
    links_table: String,
}

impl SchemaArgs {
    pub(crate) fn trace_schema(&self) -> TraceSchema {
        TraceSchema {
            spans_table: self.spans_table.clone(),
            logs_table: self.logs_table.clone(),
            links_table: self.links_table.clone(),
            ..TraceSchema::default()
        }
    }
}

/// Entry point of `otel-lp traces`.
pub(crate) fn run(args: TracesArgs) -> ExitCode {
    let (name, store, what) = match args.command {
        TracesCommand::List(list) => {
            let filter = TraceFilter {
                range: time_range(
                    list.since,
                    list.from,
                    list.until,
                    Some(Duration::from_secs(3600)),
                ),
                service: list.service,
                span_name: list.span_name,
                tags: list.tag,
                min_duration: list.min_duration,
                max_duration: list.max_duration,
                limit: list.limit,
                offset: list.offset,
            };
            ("list", list.store, What::List(filter))
        }
        TracesCommand::Show(show) => {
            let what = What::Show {
                trace_id: show.trace_id,
                range: time_range(show.since, show.from, None, None)
                    .unwrap_or(TimeRange::UNBOUNDED),
                options: WaterfallOptions {
                    bar_width: show.width,
                    details: show.attributes,
                },
            };
            ("show", show.store, what)
        }
        TracesCommand::Services(store) => ("services", store, What::Services),
        TracesCommand::Operations(operations) => (
            "operations",
            operations.store,
            What::Operations(operations.service),
        ),
    };
    let config = match store.destination.client_config() {
        Ok(config) if config.database.is_none() => {
            return usage_error(
                &["traces", name],
                "no database: set --database or OTEL_EXPORTER_DATALAYERS_DATABASE",
            );
        }
        Ok(config)
            if config.flight_sql_endpoint.is_some() && config.protocol != Protocol::Datalayers =>
        {
            return usage_error(
                &["traces", name],
                format!(
                    "--flight-sql reads Datalayers in SQL; the protocol is {} (set --protocol datalayers)",
                    config.protocol
                ),
            );
        }
        Ok(config) => config,
        Err(err) => return usage_error(&["traces", name], err),
    };
    let request = Request {
        config,
        schema: store.schema.trace_schema(),
        what,
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("otel-lp traces {name}: cannot start the async runtime: {err}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    match runtime.block_on(request.execute()) {
        Ok(output) => {
            print!("{output}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("otel-lp traces {name}: {err}");
            if let Some(hint) = hint(&err, &request) {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(EXIT_FAILURE)
        }
    }
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
    /// Over Flight SQL when an endpoint is set, else over the protocol's HTTP API.
    async fn execute(&self) -> Result<String, TraceError> {
        let store: AnyTraceStore<datalayers_client::Client> =
            AnyTraceStore::from_config(self.config.clone(), self.schema.clone())?;
        self.answer(&store).await
    }

    async fn answer(&self, store: &impl TraceStore) -> Result<String, TraceError> {
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
        TraceError::Query(QueryError::Transport { endpoint, .. })
            if request.config.flight_sql_endpoint.is_some() =>
        {
            Some(format!(
                "is Flight SQL served at {endpoint}? Set --flight-sql or OTEL_EXPORTER_DATALAYERS_FLIGHT_SQL_ENDPOINT (Datalayers: port 8360)"
            ))
        }
        TraceError::Query(QueryError::Transport { .. }) => Some(format!(
            "is the server running at {}? Set --endpoint or OTEL_EXPORTER_DATALAYERS_ENDPOINT",
            request.config.endpoint
        )),
        TraceError::Query(QueryError::Tls { .. }) => Some(
            "for a self-signed certificate set --ca-file (OTEL_EXPORTER_DATALAYERS_CERTIFICATE); \
             http:// is plain text, https:// and grpc+tls:// are TLS"
                .into(),
        ),
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

/// `--from`/`--until` or `--since` (a duration back from now, else `default_window`); `None`
/// when none is given and there is no default window.
fn time_range(
    since: Option<Duration>,
    from: Option<i64>,
    until: Option<i64>,
    default_window: Option<Duration>,
) -> Option<TimeRange> {
    let start = match (from, since.or(default_window)) {
        (Some(from), _) => Some(from),
        (None, Some(window)) => TimeRange::last_from(now_ns(), window).start_ns,
        (None, None) => None,
    };
    (start.is_some() || until.is_some()).then_some(TimeRange {
        start_ns: start,
        end_ns: until,
    })
}

/// `--tag K=V`.
fn tag_pair(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(key, value)| (key.trim().to_owned(), value.to_owned()))
        .filter(|(key, _)| !key.is_empty())
        .ok_or_else(|| "expected KEY=VALUE".to_owned())
}

/// An RFC3339 instant as Unix nanoseconds.
fn instant(text: &str) -> Result<i64, String> {
    parse_rfc3339(text).map_err(|err| err.to_string())
}

/// `<TRACE_ID>`.
fn trace_id(text: &str) -> Result<TraceId, String> {
    TraceId::parse(text).map_err(|_| format!("`{text}` is not a trace id: expected 32 hex digits"))
}

/// Units whose length varies (humantime counts a month as 30.44 days and a year as 365.25):
/// refused, a query window in them would surprise.
const CALENDAR_UNITS: [&str; 9] = [
    "w", "week", "weeks", "M", "month", "months", "y", "year", "years",
];

/// `1h30m`, `10ms`, `2.5s`, `7d`, `500us`/`500µs`, `100ns` (humantime's grammar); a bare number is
/// seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    const EXPECTED: &str =
        "expected a duration like 10ms, 2.5s, 1h30m or 7d (ns, us, ms, s, m, h, d)";
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds).map_err(|err| err.to_string());
    }
    let has_calendar_unit = text
        .split(|c: char| c.is_ascii_digit() || c == '.' || c.is_whitespace())
        .any(|unit| CALENDAR_UNITS.contains(&unit));
    if has_calendar_unit {
        return Err(format!(
            "weeks, months and years have no fixed length: {EXPECTED}"
        ));
    }
    humantime::parse_duration(text).map_err(|_| EXPECTED.to_owned())
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

    /// The `--help` text of `otel-lp traces <name>`.
    fn help_of(name: &str) -> String {
        let mut command = <crate::Cli as clap::CommandFactory>::command();
        command.build();
        let traces = command.find_subcommand_mut("traces").unwrap();
        traces
            .find_subcommand_mut(name)
            .unwrap()
            .render_help()
            .to_string()
    }

    #[test]
    fn every_list_option_is_in_the_help() {
        let help = help_of("list");
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
            "--flight-sql",
        ] {
            assert!(help.contains(option), "{option} missing:\n{help}");
        }
        assert!(help_of("show").contains("--attributes"));
    }
}
