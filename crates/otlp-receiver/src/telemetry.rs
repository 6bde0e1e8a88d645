//! The receiver's own counters, served as Prometheus text on `GET /metrics`.
//!
//! Plain atomics, written on the request path without locks (a lock only for the drop reasons,
//! which are rare). The receiver never sends its own telemetry through itself.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use otlp_influx::DropReason;

use crate::Signal;

/// Which listener a request came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    Grpc,
    Http,
}

impl Transport {
    const ALL: [Self; 2] = [Self::Grpc, Self::Http];

    const fn name(self) -> &'static str {
        match self {
            Self::Grpc => "grpc",
            Self::Http => "http",
        }
    }
}

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Everything stored.
    Ok,
    /// Stored, with items rejected or parts dropped (`partial_success` set).
    Partial,
    /// Malformed body (400 / `INVALID_ARGUMENT`).
    Invalid,
    /// Over the size limit (413 / `RESOURCE_EXHAUSTED`).
    TooLarge,
    /// Unknown content type or coding (415).
    Unsupported,
    /// The destination could not store it (503 / `UNAVAILABLE`).
    Unavailable,
    /// Refused for want of budget (429 / `UNAVAILABLE`).
    Throttled,
    /// Missing or wrong credentials (401 / `UNAUTHENTICATED`).
    Unauthenticated,
}

impl Outcome {
    const ALL: [Self; 8] = [
        Self::Ok,
        Self::Partial,
        Self::Invalid,
        Self::TooLarge,
        Self::Unsupported,
        Self::Unavailable,
        Self::Throttled,
        Self::Unauthenticated,
    ];

    const fn name(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Partial => "partial",
            Self::Invalid => "invalid",
            Self::TooLarge => "too_large",
            Self::Unsupported => "unsupported",
            Self::Unavailable => "unavailable",
            Self::Throttled => "throttled",
            Self::Unauthenticated => "unauthenticated",
        }
    }
}

/// The counters' slot of `signal`: its place in `Signal::ALL`, which lists every signal.
fn signal_index(signal: Signal) -> usize {
    Signal::ALL
        .iter()
        .position(|&s| s == signal)
        .expect("Signal::ALL lists every signal")
}

type PerSignal = [AtomicU64; Signal::ALL.len()];

/// Every counter of the receiver.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    requests: [[[AtomicU64; Outcome::ALL.len()]; Signal::ALL.len()]; Transport::ALL.len()],
    /// Items (spans, log records, data points) in requests that were decoded.
    items_received: PerSignal,
    /// Items stored (acknowledged to the client).
    items_stored: PerSignal,
    /// Items reported as rejected to the client (mapping or database).
    items_rejected: PerSignal,
    /// Items in requests refused as a whole after decoding (destination unavailable).
    items_refused: PerSignal,
    /// What the mapping dropped, by signal and reason.
    drops: Mutex<BTreeMap<(usize, &'static str), u64>>,
    /// Request body bytes as received, and after decompression.
    wire_bytes: AtomicU64,
    body_bytes: AtomicU64,
    /// Lines handed to the store.
    lines: PerSignal,
}

impl Metrics {
    pub(crate) fn request(&self, transport: Transport, signal: Signal, outcome: Outcome) {
        let t = Transport::ALL
            .iter()
            .position(|&x| x == transport)
            .unwrap_or(0);
        let o = Outcome::ALL.iter().position(|&x| x == outcome).unwrap_or(0);
        self.requests[t][signal_index(signal)][o].fetch_add(1, Relaxed);
    }

    pub(crate) fn bytes(&self, wire: usize, body: usize) {
        self.wire_bytes.fetch_add(wire as u64, Relaxed);
        self.body_bytes.fetch_add(body as u64, Relaxed);
    }

    pub(crate) fn mapped(
        &self,
        signal: Signal,
        received: u64,
        lines: usize,
        drops: &[(DropReason, u64)],
    ) {
        let s = signal_index(signal);
        self.items_received[s].fetch_add(received, Relaxed);
        self.lines[s].fetch_add(lines as u64, Relaxed);
        if !drops.is_empty() {
            let mut map = self.drops.lock().unwrap_or_else(|e| e.into_inner());
            for &(reason, count) in drops {
                *map.entry((s, reason.name())).or_default() += count;
            }
        }
    }

    pub(crate) fn stored(&self, signal: Signal, stored: u64, rejected: u64) {
        let s = signal_index(signal);
        self.items_stored[s].fetch_add(stored, Relaxed);
        self.items_rejected[s].fetch_add(rejected, Relaxed);
    }

    pub(crate) fn refused(&self, signal: Signal, items: u64) {
        self.items_refused[signal_index(signal)].fetch_add(items, Relaxed);
    }

    /// Renders every counter; `gauges` are name, help and value of the caller's gauges.
    pub(crate) fn render(&self, gauges: &[(&str, &str, u64)], out: &mut String) {
        header(
            out,
            "otlp_receiver_requests_total",
            "counter",
            "OTLP export requests, by transport, signal and outcome.",
        );
        for (t, transport) in Transport::ALL.iter().enumerate() {
            for (s, signal) in Signal::ALL.iter().enumerate() {
                for (o, outcome) in Outcome::ALL.iter().enumerate() {
                    let n = self.requests[t][s][o].load(Relaxed);
                    if n > 0 {
                        let _ = writeln!(
                            out,
                            "otlp_receiver_requests_total{{transport=\"{}\",signal=\"{}\",outcome=\"{}\"}} {n}",
                            transport.name(),
                            signal.name(),
                            outcome.name()
                        );
                    }
                }
            }
        }
        let per_signal: [(&str, &str, &PerSignal); 5] = [
            (
                "otlp_receiver_items_received_total",
                "Spans, log records and data points in decoded requests.",
                &self.items_received,
            ),
            (
                "otlp_receiver_items_stored_total",
                "Items acknowledged to clients as stored.",
                &self.items_stored,
            ),
            (
                "otlp_receiver_items_rejected_total",
                "Items reported to clients as rejected (partial success): refused by the mapping or the database.",
                &self.items_rejected,
            ),
            (
                "otlp_receiver_items_refused_total",
                "Items of requests refused as a whole after decoding (the destination was unavailable; clients retry).",
                &self.items_refused,
            ),
            (
                "otlp_receiver_lines_total",
                "Line-protocol lines mapped from requests.",
                &self.lines,
            ),
        ];
        for (name, help, counters) in per_signal {
            header(out, name, "counter", help);
            for &signal in Signal::ALL {
                let _ = writeln!(
                    out,
                    "{name}{{signal=\"{}\"}} {}",
                    signal.name(),
                    counters[signal_index(signal)].load(Relaxed)
                );
            }
        }
        header(
            out,
            "otlp_receiver_dropped_total",
            "counter",
            "What the mapping left out, by signal and reason (whole items or parts of items).",
        );
        for (&(s, reason), count) in self.drops.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(
                out,
                "otlp_receiver_dropped_total{{signal=\"{}\",reason=\"{reason}\"}} {count}",
                Signal::ALL[s].name()
            );
        }
        header(
            out,
            "otlp_receiver_received_bytes_total",
            "counter",
            "Request body bytes, as received (encoding=\"wire\") and decompressed (encoding=\"identity\").",
        );
        let _ = writeln!(
            out,
            "otlp_receiver_received_bytes_total{{encoding=\"wire\"}} {}",
            self.wire_bytes.load(Relaxed)
        );
        let _ = writeln!(
            out,
            "otlp_receiver_received_bytes_total{{encoding=\"identity\"}} {}",
            self.body_bytes.load(Relaxed)
        );
        for &(name, help, value) in gauges {
            header(out, name, "gauge", help);
            let _ = writeln!(out, "{name} {value}");
        }
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}
