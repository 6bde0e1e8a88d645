//! Counters of what the exporters did, readable at any time from a cloneable [`StatsHandle`].

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use otlp_influx::MappingReport;

use crate::SinkOutcome;

/// A cloneable, cheap handle on the counters of one exporter (or of every exporter built by one
/// [`ExporterBuilder`](crate::ExporterBuilder), which share them).
#[derive(Debug, Clone, Default)]
pub struct StatsHandle {
    counters: Arc<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    exports: AtomicU64,
    failed_exports: AtomicU64,
    timed_out_exports: AtomicU64,
    spans: AtomicU64,
    log_records: AtomicU64,
    metrics: AtomicU64,
    lines_exported: AtomicU64,
    lines_rejected: AtomicU64,
    lines_failed: AtomicU64,
    retries: AtomicU64,
    mapping_dropped: AtomicU64,
    mapping_panicked: AtomicU64,
    mapping: Mutex<MappingReport>,
}

/// A point-in-time copy of the counters. Lines are what reaches the database: one span gives one
/// `spans` line plus one line per event and per link.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ExportStats {
    /// `export` calls made by the SDK (including ones that failed).
    pub exports: u64,
    /// `export` calls that returned an error (lines not written, mapping drops, deadline, panic).
    pub failed_exports: u64,
    /// `export` calls stopped by their deadline (also counted in `failed_exports`).
    pub timed_out_exports: u64,
    /// Spans received.
    pub spans: u64,
    /// Log records received.
    pub log_records: u64,
    /// Metric streams received (one per instrument in each collection).
    pub metrics: u64,
    /// Lines the destination accepted.
    pub lines_exported: u64,
    /// Lines the destination refused as invalid.
    pub lines_rejected: u64,
    /// Lines that could not be delivered (transport, server errors after retries, deadline).
    pub lines_failed: u64,
    /// Requests the sink re-sent.
    pub retries: u64,
    /// Items (spans, events, links, records, data points, attributes) the mapping dropped;
    /// `mapping` says why.
    pub mapping_dropped: u64,
    /// Items (spans, log records, metric streams) of exports whose mapping panicked: the whole
    /// batch is lost, and it is counted here rather than in `mapping`.
    pub mapping_panicked: u64,
    /// Every mapping drop, by reason, accumulated over all exports.
    pub mapping: MappingReport,
}

impl StatsHandle {
    /// A copy of the current counters.
    pub fn snapshot(&self) -> ExportStats {
        let c = &*self.counters;
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        ExportStats {
            exports: load(&c.exports),
            failed_exports: load(&c.failed_exports),
            timed_out_exports: load(&c.timed_out_exports),
            spans: load(&c.spans),
            log_records: load(&c.log_records),
            metrics: load(&c.metrics),
            lines_exported: load(&c.lines_exported),
            lines_rejected: load(&c.lines_rejected),
            lines_failed: load(&c.lines_failed),
            retries: load(&c.retries),
            mapping_dropped: load(&c.mapping_dropped),
            mapping_panicked: load(&c.mapping_panicked),
            mapping: c
                .mapping
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        }
    }

    pub(crate) fn record_received(&self, signal: Signal, items: u64) {
        let c = &*self.counters;
        c.exports.fetch_add(1, Ordering::Relaxed);
        let counter = match signal {
            Signal::Spans => &c.spans,
            Signal::Logs => &c.log_records,
            Signal::Metrics => &c.metrics,
        };
        counter.fetch_add(items, Ordering::Relaxed);
    }

    pub(crate) fn record_mapping(&self, report: &MappingReport) {
        let dropped = report.dropped();
        if dropped > 0 {
            self.counters
                .mapping_dropped
                .fetch_add(dropped, Ordering::Relaxed);
            self.counters
                .mapping
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .merge(report);
        }
    }

    /// The mapping of a whole batch of `items` panicked: every item is lost.
    pub(crate) fn record_mapping_panic(&self, items: u64) {
        self.counters
            .mapping_panicked
            .fetch_add(items, Ordering::Relaxed);
        self.record_failed_export(false);
    }

    pub(crate) fn record_outcome(&self, outcome: &SinkOutcome) {
        let c = &*self.counters;
        c.lines_exported
            .fetch_add(outcome.written, Ordering::Relaxed);
        c.lines_rejected
            .fetch_add(outcome.rejected, Ordering::Relaxed);
        c.lines_failed.fetch_add(outcome.failed, Ordering::Relaxed);
        c.retries.fetch_add(outcome.retries, Ordering::Relaxed);
    }

    pub(crate) fn record_failed_export(&self, timed_out: bool) {
        self.counters.failed_exports.fetch_add(1, Ordering::Relaxed);
        if timed_out {
            self.counters
                .timed_out_exports
                .fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Which SDK signal an export carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    Spans,
    Logs,
    Metrics,
}

impl ExportStats {
    /// Items and lines lost for any reason: mapping drops, batches whose mapping panicked,
    /// rejected and failed lines.
    pub fn lost(&self) -> u64 {
        self.mapping_dropped + self.mapping_panicked + self.lines_rejected + self.lines_failed
    }
}

impl fmt::Display for ExportStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} lines exported from {} spans, {} log records and {} metric streams in {} exports; \
             {} lines rejected, {} lines failed, {} retries, {} failed exports ({} timed out), \
             {} items dropped in mapping",
            self.lines_exported,
            self.spans,
            self.log_records,
            self.metrics,
            self.exports,
            self.lines_rejected,
            self.lines_failed,
            self.retries,
            self.failed_exports,
            self.timed_out_exports,
            self.mapping_dropped,
        )?;
        if self.mapping_dropped > 0 {
            write!(f, " ({})", self.mapping)?;
        }
        if self.mapping_panicked > 0 {
            write!(
                f,
                ", {} items lost to mapping panics",
                self.mapping_panicked
            )?;
        }
        Ok(())
    }
}
