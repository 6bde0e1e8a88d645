//! Request bodies to lines: the decode and map stage, one call per request.
//!
//! Stand-in until `otlp_influx::decode` lands (protobuf through prost, JSON through
//! `opentelemetry-proto`'s serde types); the receiver only sees [`map_request`].

use opentelemetry_proto::tonic::collector::{
    logs::v1::ExportLogsServiceRequest, metrics::v1::ExportMetricsServiceRequest,
    trace::v1::ExportTraceServiceRequest,
};
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use otlp_influx::{DropReason, MappingReport, OtlpMapper};
use prost::Message;

/// The three OTLP signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    /// Spans (`/v1/traces`, `TraceService/Export`).
    Traces,
    /// Log records (`/v1/logs`, `LogsService/Export`).
    Logs,
    /// Metric data points (`/v1/metrics`, `MetricsService/Export`).
    Metrics,
}

impl Signal {
    /// Every signal.
    pub const ALL: [Self; 3] = [Self::Traces, Self::Logs, Self::Metrics];

    /// `traces`, `logs` or `metrics`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Traces => "traces",
            Self::Logs => "logs",
            Self::Metrics => "metrics",
        }
    }
}

/// How a request body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Binary protobuf (`application/x-protobuf`, and every gRPC request).
    Protobuf,
    /// OTLP/JSON (`application/json`).
    Json,
}

/// Items of one request: how many came, how many wrote no line at all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ItemCounts {
    pub(crate) received: u64,
    pub(crate) rejected: u64,
}

/// Decodes one `Export*ServiceRequest` body and maps it into `out`.
pub(crate) fn map_request(
    mapper: &mut OtlpMapper,
    signal: Signal,
    encoding: Encoding,
    body: &[u8],
    out: &mut lineproto::Encoder,
    report: &mut MappingReport,
) -> Result<ItemCounts, String> {
    let received = match signal {
        Signal::Traces => {
            let request: ExportTraceServiceRequest = decode(encoding, body)?;
            mapper.map_proto_traces(&request, out, report);
            request
                .resource_spans
                .iter()
                .flat_map(|r| &r.scope_spans)
                .map(|s| s.spans.len() as u64)
                .sum()
        }
        Signal::Logs => {
            let request: ExportLogsServiceRequest = decode(encoding, body)?;
            mapper.map_proto_logs(&request, out, report);
            request
                .resource_logs
                .iter()
                .flat_map(|r| &r.scope_logs)
                .map(|s| s.log_records.len() as u64)
                .sum()
        }
        Signal::Metrics => {
            let request: ExportMetricsServiceRequest = decode(encoding, body)?;
            mapper.map_proto_metrics(&request, out, report);
            request
                .resource_metrics
                .iter()
                .flat_map(|r| &r.scope_metrics)
                .flat_map(|s| &s.metrics)
                .map(|m| match &m.data {
                    Some(Data::Gauge(g)) => g.data_points.len() as u64,
                    Some(Data::Sum(s)) => s.data_points.len() as u64,
                    Some(Data::Histogram(h)) => h.data_points.len() as u64,
                    Some(Data::ExponentialHistogram(h)) => h.data_points.len() as u64,
                    Some(Data::Summary(s)) => s.data_points.len() as u64,
                    None => 0,
                })
                .sum()
        }
    };
    let rejected = match signal {
        Signal::Traces => {
            report.count(DropReason::SpanWithoutTraceId)
                + report.count(DropReason::SpanWithoutSpanId)
        }
        Signal::Logs => report.count(DropReason::LineRejected),
        Signal::Metrics => {
            report.count(DropReason::EmptyPoint) + report.count(DropReason::UnsupportedMetric)
        }
    };
    Ok(ItemCounts {
        received,
        rejected: rejected.min(received),
    })
}

fn decode<T: Message + Default + serde::de::DeserializeOwned>(
    encoding: Encoding,
    body: &[u8],
) -> Result<T, String> {
    match encoding {
        Encoding::Protobuf => T::decode(body).map_err(|e| format!("malformed protobuf: {e}")),
        Encoding::Json => serde_json::from_slice(body).map_err(|e| format!("malformed JSON: {e}")),
    }
}
