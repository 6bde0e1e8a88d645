//! What trace queries take and return.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value as Json};

use datalayers_client::query::{Rfc3339, Value};

use crate::TraceError;

/// A trace id: exactly 32 lowercase hex digits, never all zeros.
///
/// Trace ids are the one value every trace query splices into its text, so they are checked
/// before any query is built.
///
/// ```
/// use trace_query::TraceId;
/// let id: TraceId = "4BF92F3577B34DA6A3CE929D0E0E4736".parse().unwrap();
/// assert_eq!(id.as_str(), "4bf92f3577b34da6a3ce929d0e0e4736");
/// assert!("4bf92f35' OR '1'='1".parse::<TraceId>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TraceId([u8; 32]);

impl TraceId {
    /// Parses 32 hex digits (either case).
    pub fn parse(text: &str) -> Result<Self, TraceError> {
        let bytes = text.as_bytes();
        if bytes.len() != 32 || !bytes.iter().all(u8::is_ascii_hexdigit) {
            return Err(TraceError::InvalidInput(format!(
                "trace id must be exactly 32 hex digits, got {:?}",
                text.chars().take(80).collect::<String>()
            )));
        }
        if bytes.iter().all(|&b| b == b'0') {
            return Err(TraceError::InvalidInput(
                "the all-zero trace id is not a valid trace id".into(),
            ));
        }
        let mut id = [0u8; 32];
        for (dst, src) in id.iter_mut().zip(bytes) {
            *dst = src.to_ascii_lowercase();
        }
        Ok(Self(id))
    }

    /// The id as 32 lowercase hex digits.
    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl FromStr for TraceId {
    type Err = TraceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A half-open time range `[start, end)` in Unix nanoseconds; either side may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    /// Inclusive lower bound.
    pub start_ns: Option<i64>,
    /// Exclusive upper bound.
    pub end_ns: Option<i64>,
}

impl TimeRange {
    /// No bounds at all.
    pub const UNBOUNDED: Self = Self {
        start_ns: None,
        end_ns: None,
    };

    /// `[start, end)`.
    pub fn between(start_ns: i64, end_ns: i64) -> Self {
        Self {
            start_ns: Some(start_ns),
            end_ns: Some(end_ns),
        }
    }

    /// From `now - window` on, open-ended (spans still being written are included).
    pub fn last(window: Duration) -> Self {
        Self::last_from(now_ns(), window)
    }

    /// From `now_ns - window` on, open-ended; [`TimeRange::last`] with an explicit clock.
    pub fn last_from(now_ns: i64, window: Duration) -> Self {
        let window = i64::try_from(window.as_nanos()).unwrap_or(i64::MAX);
        Self {
            start_ns: Some(now_ns.saturating_sub(window)),
            end_ns: None,
        }
    }

    /// `true` when `t` lies inside.
    pub fn contains(&self, t: i64) -> bool {
        self.start_ns.is_none_or(|s| t >= s) && self.end_ns.is_none_or(|e| t < e)
    }
}

impl fmt::Display for TimeRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.start_ns, self.end_ns) {
            (None, None) => f.write_str("all time"),
            (Some(s), None) => write!(f, "since {}", Rfc3339::seconds(s)),
            (None, Some(e)) => write!(f, "before {}", Rfc3339::seconds(e)),
            (Some(s), Some(e)) => write!(f, "{} to {}", Rfc3339::seconds(s), Rfc3339::seconds(e)),
        }
    }
}

/// The current time in Unix nanoseconds.
pub fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// The default window of [`TraceFilter`]: the last hour.
pub const DEFAULT_LIST_WINDOW: Duration = Duration::from_secs(3600);
/// The default page size of [`TraceFilter`].
pub const DEFAULT_LIST_LIMIT: usize = 20;

/// Which traces [`TraceStore::list_traces`](crate::TraceStore::list_traces) returns.
///
/// `service`, `span_name` and `tags` select traces that have **at least one span** matching all
/// of them (as Jaeger does); `min_duration`/`max_duration` apply to the **trace's** total
/// duration (first span start to last span end), which is what the list shows. Summaries are
/// computed over the spans that start inside the range: a trace that straddles its start shows
/// only its later spans (and, lacking its root, its earliest span in the root columns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceFilter {
    /// Spans starting in this range; `None` means the last hour at the time of the query.
    pub range: Option<TimeRange>,
    /// A span of the trace has this `service.name`.
    pub service: Option<String>,
    /// A span of the trace has this name.
    pub span_name: Option<String>,
    /// Equality on dimension tags (columns), all on the same span.
    pub tags: Vec<(String, String)>,
    /// The trace lasts at least this long.
    pub min_duration: Option<Duration>,
    /// The trace lasts at most this long.
    pub max_duration: Option<Duration>,
    /// At most this many traces (newest first).
    pub limit: usize,
    /// Skip this many traces first.
    pub offset: usize,
}

impl Default for TraceFilter {
    fn default() -> Self {
        Self {
            range: None,
            service: None,
            span_name: None,
            tags: Vec::new(),
            min_duration: None,
            max_duration: None,
            limit: DEFAULT_LIST_LIMIT,
            offset: 0,
        }
    }
}

impl TraceFilter {
    /// The time range to search: `range`, or the last hour before `now_ns`.
    pub fn resolved_range(&self, now_ns: i64) -> TimeRange {
        self.range
            .unwrap_or_else(|| TimeRange::last_from(now_ns, DEFAULT_LIST_WINDOW))
    }

    /// `true` when a per-span condition (service, span name, tags) is set.
    pub fn has_span_conditions(&self) -> bool {
        self.service.is_some() || self.span_name.is_some() || !self.tags.is_empty()
    }

    /// `true` when a trace lasting `duration_ns` passes the duration bounds.
    pub fn duration_matches(&self, duration_ns: i64) -> bool {
        let ns = |d: Duration| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX);
        self.min_duration.is_none_or(|min| duration_ns >= ns(min))
            && self.max_duration.is_none_or(|max| duration_ns <= ns(max))
    }
}

/// One line of the trace list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceSummary {
    /// The trace.
    pub trace_id: TraceId,
    /// Start of the earliest span, Unix ns.
    pub start_ns: i64,
    /// `service.name` of the root span (the earliest span when no root was found).
    pub root_service: Option<String>,
    /// Name of the root span (the earliest span when no root was found).
    pub root_span_name: Option<String>,
    /// Latest span end minus earliest span start.
    pub duration_ns: i64,
    /// Number of spans found.
    pub span_count: u64,
    /// Some span has status `Error` (`error_count > 0`).
    pub has_error: bool,
    /// Number of spans with status `Error`.
    pub error_count: u64,
    /// Every service with spans in the trace, by name, with its span and error counts.
    pub services: Vec<ServiceSummary>,
}

/// One service's share of a trace, in [`TraceSummary::services`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSummary {
    /// `service.name`; `None` for spans stored without one.
    pub name: Option<String>,
    /// Spans of this service in the trace.
    pub span_count: u64,
    /// Of which with status `Error`.
    pub error_count: u64,
}

/// A span name of a service and the kind of its spans, from
/// [`TraceStore::operations_with_kind`](crate::TraceStore::operations_with_kind).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Operation {
    /// The span name.
    pub name: String,
    /// The kind as stored (`Server`, `Client`, `Producer`, `Consumer`, `Internal`); `None` when
    /// the spans have none.
    pub kind: Option<String>,
}

/// Calls from one service to another: spans of `child` whose parent span belongs to `parent`,
/// from [`TraceStore::dependencies`](crate::TraceStore::dependencies).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ServiceDependency {
    /// The calling service.
    pub parent: String,
    /// The called service.
    pub child: String,
    /// How many parent/child span pairs were found.
    pub call_count: u64,
}

/// The span kinds as stored (`otel.span.kind` names): the values a kind filter accepts, in any
/// case, and what [`stored_span_kind`] returns.
pub const SPAN_KINDS: [&str; 5] = ["Internal", "Server", "Client", "Producer", "Consumer"];

/// The stored spelling of a span kind given in any case (`server` -> `Server`), or `None` when
/// it is not one of [`SPAN_KINDS`].
///
/// ```
/// assert_eq!(trace_query::stored_span_kind("SERVER"), Some("Server"));
/// assert_eq!(trace_query::stored_span_kind("unspecified"), None);
/// ```
pub fn stored_span_kind(kind: &str) -> Option<&'static str> {
    SPAN_KINDS
        .into_iter()
        .find(|k| k.eq_ignore_ascii_case(kind.trim()))
}

/// A span event (measurement `logs` with `event.name`) or a log record written inside the span
/// (measurement `logs` with `body`).
#[derive(Debug, Clone, PartialEq)]
pub struct SpanEvent {
    /// Event time, Unix ns.
    pub time_ns: i64,
    /// `event.name`, for span events.
    pub name: Option<String>,
    /// `body`, for log records.
    pub body: Option<String>,
    /// `severity_text` (or the number), for log records.
    pub severity: Option<String>,
    /// Decoded `attributes` JSON.
    pub attributes: Map<String, Json>,
}

/// A link from a span to another span (measurement `span-links`).
#[derive(Debug, Clone, PartialEq)]
pub struct SpanLink {
    /// The linked trace.
    pub linked_trace_id: String,
    /// The linked span.
    pub linked_span_id: String,
    /// The link's `trace_state`.
    pub trace_state: Option<String>,
    /// Decoded `attributes` JSON.
    pub attributes: Map<String, Json>,
}

/// One span, as stored in the `spans` measurement, with its events and links.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// The span's own id (16 hex digits as stored).
    pub span_id: String,
    /// The parent span id; `None` for a root span.
    pub parent_span_id: Option<String>,
    /// `span.name`.
    pub name: String,
    /// `service.name` (a dimension tag).
    pub service: Option<String>,
    /// `span.kind` (`Server`, `Client`, ...).
    pub kind: Option<String>,
    /// Start, Unix ns (the point's timestamp).
    pub start_ns: i64,
    /// `duration_nano` (or end minus start).
    pub duration_ns: i64,
    /// `otel.status_code`: `Ok` or `Error`, `None` when unset.
    pub status_code: Option<String>,
    /// `otel.status_description`.
    pub status_message: Option<String>,
    /// `trace_state`.
    pub trace_state: Option<String>,
    /// Decoded `attributes` JSON (resource, scope and span attributes that are not tags).
    pub attributes: Map<String, Json>,
    /// The `attributes` text when it was not a JSON object (kept, not lost).
    pub undecoded_attributes: Option<String>,
    /// Every other non-null column (dimension tags, dropped counts, ...), by name.
    pub other: Vec<(String, Value)>,
    /// Events and trace-correlated log records, by time.
    pub events: Vec<SpanEvent>,
    /// Links, as stored.
    pub links: Vec<SpanLink>,
}

impl Span {
    /// A span with only its id, name, start and duration set (no parent, service, status,
    /// attributes, events or links), for building traces by hand.
    pub fn new(
        span_id: impl Into<String>,
        name: impl Into<String>,
        start_ns: i64,
        duration_ns: i64,
    ) -> Self {
        Self {
            span_id: span_id.into(),
            parent_span_id: None,
            name: name.into(),
            service: None,
            kind: None,
            start_ns,
            duration_ns,
            status_code: None,
            status_message: None,
            trace_state: None,
            attributes: Map::new(),
            undecoded_attributes: None,
            other: Vec::new(),
            events: Vec::new(),
            links: Vec::new(),
        }
    }

    /// End, Unix ns.
    pub fn end_ns(&self) -> i64 {
        self.start_ns.saturating_add(self.duration_ns)
    }

    /// `true` when the status is `Error`.
    pub fn is_error(&self) -> bool {
        self.status_code
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case(otel_schema::STATUS_CODE_ERROR))
    }
}

/// Where a span sits in the assembled tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// A root span (no parent id).
    Root,
    /// Under its parent.
    Child,
    /// Its parent id names a span that was not found: shown at top level.
    MissingParent,
    /// Its parent chain loops back to itself (corrupt data): the loop is cut here.
    Cycle,
}

/// One row of the tree, in display order (depth-first, siblings by start time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeEntry {
    /// Index into [`Trace::spans`].
    pub span: usize,
    /// Nesting depth, 0 at top level.
    pub depth: usize,
    /// Why the span is where it is.
    pub placement: Placement,
}

/// One trace, its spans assembled into a tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// The trace.
    pub trace_id: TraceId,
    /// All spans, ordered by start time (then span id).
    pub spans: Vec<Span>,
    /// Every span exactly once, in tree display order.
    pub tree: Vec<TreeEntry>,
    /// Events whose span id matches no span (kept, shown separately).
    pub unattached_events: Vec<(String, SpanEvent)>,
    /// Links whose span id matches no span.
    pub unattached_links: Vec<(String, SpanLink)>,
    /// Rows that could not become spans, events or links, with the reason.
    pub skipped_rows: Vec<String>,
}

impl Trace {
    /// Earliest span start, Unix ns.
    pub fn start_ns(&self) -> i64 {
        self.spans.iter().map(|s| s.start_ns).min().unwrap_or(0)
    }

    /// Latest span end, Unix ns.
    pub fn end_ns(&self) -> i64 {
        self.spans.iter().map(Span::end_ns).max().unwrap_or(0)
    }

    /// Latest end minus earliest start.
    pub fn duration_ns(&self) -> i64 {
        self.end_ns().saturating_sub(self.start_ns())
    }

    /// The summary the list would show for this trace.
    pub fn summary(&self) -> TraceSummary {
        crate::rows::summarize(self.trace_id, &self.spans)
    }
}

/// Table and column names of the stored schema. The defaults are otel2influx's (from
/// `otel-schema`, the names the writer uses): measurements `spans`, `logs`, `span-links`, the
/// timestamp column `time` and the `service.name` dimension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceSchema {
    /// The spans measurement.
    pub spans_table: String,
    /// The measurement holding span events and log records.
    pub logs_table: String,
    /// The span-links measurement.
    pub links_table: String,
    /// The timestamp column (`time` for line-protocol tables in Datalayers and InfluxDB).
    pub time_column: String,
    /// The column holding the service name.
    pub service_column: String,
}

impl Default for TraceSchema {
    fn default() -> Self {
        Self {
            spans_table: otel_schema::MEASUREMENT_SPANS.into(),
            logs_table: otel_schema::MEASUREMENT_LOGS.into(),
            links_table: otel_schema::MEASUREMENT_SPAN_LINKS.into(),
            time_column: otel_schema::TIME.into(),
            service_column: otel_schema::SERVICE_NAME.into(),
        }
    }
}
