//! [`Receiver`]: the one export path both transports share, from a decompressed body to the
//! client's answer.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use otlp_influx::{ConfigError, MappingConfig};

use crate::admission::{Budget, Share};
use crate::config::{BUDGET_PER_BODY_BYTE, ReceiverConfig};
use crate::ingest::{Ingestor, Mapped};
use crate::reply::Refusal;
use crate::store::{LineStore, StoreOutcome};
use crate::telemetry::{Metrics, Outcome, Transport};
use crate::{Encoding, Signal};

/// Bodies larger than this are mapped on a blocking thread, so one big request does not hold
/// up the async workers that serve the others.
const INLINE_MAPPING_MAX: usize = 256 << 10;

/// The most drop messages quoted in one `error_message`.
const MESSAGES_PER_REPLY: usize = 3;

/// An OTLP receiver: maps what the transports hand it and stores the lines through a
/// [`LineStore`]. Cheap to clone; mount its services with [`Receiver::http_router`] and
/// [`Receiver::grpc_routes`], or run both with [`bind`](crate::bind).
#[derive(Debug, Clone)]
pub struct Receiver {
    pub(crate) shared: Arc<Shared>,
}

pub(crate) struct Shared {
    pub(crate) config: ReceiverConfig,
    ingestor: Ingestor,
    pub(crate) store: Arc<dyn LineStore>,
    pub(crate) budget: Budget,
    pub(crate) metrics: Metrics,
    accepting: AtomicBool,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("config", &self.config)
            .field("store", &self.store.describe())
            .finish_non_exhaustive()
    }
}

/// A stored request: what the client is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Accepted {
    /// Items rejected (mapping or database).
    pub(crate) rejected: u64,
    /// Why, or a warning when parts were dropped.
    pub(crate) message: Option<String>,
}

impl Receiver {
    /// A receiver that maps with `config.mapping` and stores through `store`.
    ///
    /// Fails when the mapping configuration is invalid.
    pub fn new(config: ReceiverConfig, store: Arc<dyn LineStore>) -> Result<Self, ConfigError> {
        let ingestor = Ingestor::new(config.mapping.clone())?;
        // One request must always fit the budget, or it could never be taken.
        let budget = Budget::new(
            config.max_in_flight_bytes.max(
                config
                    .max_request_bytes
                    .saturating_mul(BUDGET_PER_BODY_BYTE + 1),
            ),
        );
        Ok(Self {
            shared: Arc::new(Shared {
                config,
                ingestor,
                store,
                budget,
                metrics: Metrics::default(),
                accepting: AtomicBool::new(true),
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ReceiverConfig {
        &self.shared.config
    }

    /// The mapping configuration in effect.
    pub fn mapping(&self) -> &MappingConfig {
        self.shared.ingestor.config()
    }

    /// The store lines go to.
    pub fn store(&self) -> &Arc<dyn LineStore> {
        &self.shared.store
    }

    /// Stops taking new requests: from now on they are refused with `UNAVAILABLE` / 503 and a
    /// retry delay, while requests already in flight finish. Part of a graceful shutdown.
    pub fn stop_accepting(&self) {
        self.shared.accepting.store(false, Ordering::SeqCst);
    }

    /// Whether new requests are taken.
    pub fn is_accepting(&self) -> bool {
        self.shared.accepting.load(Ordering::SeqCst)
    }

    /// Resolves once the store has dealt with everything handed to it.
    pub async fn flush(&self) {
        self.shared.store.flush().await;
    }

    /// Why the receiver cannot take data now (for `/health`), or `None` when ready.
    pub fn unavailable_reason(&self) -> Option<String> {
        if !self.is_accepting() {
            return Some("shutting down".into());
        }
        self.shared
            .store
            .unavailable_reason()
            .map(|reason| format!("destination unavailable: {reason}"))
    }

    /// Prometheus text for `GET /metrics`.
    pub fn render_metrics(&self) -> String {
        let shared = &self.shared;
        let mut out = String::with_capacity(4096);
        let gauges = [
            (
                "otlp_receiver_in_flight_bytes",
                "Bytes held by requests in flight (bodies and mapped lines).",
                shared.budget.in_use() as u64,
            ),
            (
                "otlp_receiver_in_flight_bytes_limit",
                "The in-flight byte budget; requests beyond it are refused with a retry delay.",
                shared.budget.limit() as u64,
            ),
            (
                "otlp_receiver_destination_up",
                "1 while the destination takes writes, 0 while it is unavailable.",
                u64::from(shared.store.unavailable_reason().is_none()),
            ),
        ];
        shared.metrics.render(&gauges, &mut out);
        shared.store.write_metrics(&mut out);
        out
    }

    /// Admission before a body is read: refuses when shutting down, or when `bytes` do not fit
    /// the budget now.
    pub(crate) fn admit(&self, bytes: usize) -> Result<Share, Refusal> {
        if !self.is_accepting() {
            return Err(Refusal::unavailable(
                "the receiver is shutting down",
                crate::admission::RETRY_AFTER_MIN,
            ));
        }
        self.shared
            .budget
            .try_take(bytes)
            .ok_or_else(|| self.over_budget())
    }

    /// The refusal for a request that does not fit the budget: 503 while the destination is
    /// down (the backlog is why), 429 while it is up (the clients send faster than it drains).
    pub(crate) fn over_budget(&self) -> Refusal {
        let queued = self.shared.budget.in_use();
        let retry_after = self.shared.store.retry_after(queued);
        match self.shared.store.unavailable_reason() {
            Some(reason) => Refusal::unavailable(
                format!("destination unavailable ({reason}); {queued} bytes waiting"),
                retry_after,
            ),
            None => Refusal::throttled(
                format!(
                    "too much data in flight ({queued} of {} bytes); retry later",
                    self.shared.budget.limit()
                ),
                retry_after,
            ),
        }
    }

    /// The export path for a decompressed body: map, store, answer.
    ///
    /// `share` already holds the body's wire bytes; the decompressed body and its lines are
    /// added to it here, before decoding.
    pub(crate) async fn export(
        &self,
        transport: Transport,
        signal: Signal,
        encoding: Encoding,
        body: Bytes,
        wire_len: usize,
        mut share: Share,
    ) -> Result<Accepted, Refusal> {
        let shared = &self.shared;
        shared.metrics.bytes(wire_len, body.len());
        if !share.try_grow(body.len().saturating_mul(BUDGET_PER_BODY_BYTE)) {
            return Err(self.refuse(transport, signal, self.over_budget()));
        }
        let mapped = if body.len() <= INLINE_MAPPING_MAX {
            shared
                .ingestor_map(signal, encoding, &body)
                .map_err(|err| err.to_string())
        } else {
            let receiver = self.clone();
            tokio::task::spawn_blocking(move || {
                receiver.shared.ingestor_map(signal, encoding, &body)
            })
            .await
            .map_err(|err| format!("the mapping task failed: {err}"))
            .and_then(|mapped| mapped.map_err(|err| err.to_string()))
        };
        let mapped = match mapped {
            Ok(mapped) => mapped,
            Err(reason) => {
                tracing::debug!(
                    signal = signal.name(),
                    "refused a malformed request: {reason}"
                );
                return Err(self.refuse(transport, signal, Refusal::invalid(reason)));
            }
        };
        let Mapped {
            batch,
            received,
            rejected,
            drops,
            messages,
        } = mapped;
        shared
            .metrics
            .mapped(signal, received, batch.line_count(), &drops);
        if !messages.is_empty() {
            tracing::debug!(
                signal = signal.name(),
                "mapping dropped data: {}",
                messages.join("; ")
            );
        }
        let outcome = shared.store.store(batch).await;
        drop(share);
        let result = match outcome {
            StoreOutcome::Stored {
                rejected_lines,
                message,
            } => {
                // A line refused by the database costs (at most) the item it came from.
                let rejected = (rejected + rejected_lines).min(received);
                shared.metrics.stored(signal, received - rejected, rejected);
                Ok(Accepted {
                    rejected,
                    message: reply_message(&drops, &messages, message.as_deref()),
                })
            }
            StoreOutcome::Unavailable {
                reason,
                retry_after,
            } => {
                shared.metrics.refused(signal, received);
                Err(Refusal::unavailable(
                    format!("cannot store the data now: {reason}"),
                    retry_after,
                ))
            }
        };
        self.finish(transport, signal, result)
    }

    /// Counts a request's outcome and passes the result through.
    pub(crate) fn finish(
        &self,
        transport: Transport,
        signal: Signal,
        result: Result<Accepted, Refusal>,
    ) -> Result<Accepted, Refusal> {
        let outcome = match &result {
            Ok(accepted) if accepted.rejected == 0 && accepted.message.is_none() => Outcome::Ok,
            Ok(_) => Outcome::Partial,
            Err(refusal) => refusal_outcome(refusal),
        };
        self.shared.metrics.request(transport, signal, outcome);
        result
    }

    /// Counts a refusal made before the export path, and passes it through.
    pub(crate) fn refuse(&self, transport: Transport, signal: Signal, refusal: Refusal) -> Refusal {
        self.shared
            .metrics
            .request(transport, signal, refusal_outcome(&refusal));
        refusal
    }
}

impl Shared {
    fn ingestor_map(
        &self,
        signal: Signal,
        encoding: Encoding,
        body: &[u8],
    ) -> Result<Mapped, otlp_influx::decode::DecodeError> {
        self.ingestor.map(signal, encoding, body)
    }
}

fn refusal_outcome(refusal: &Refusal) -> Outcome {
    use http::StatusCode;
    match refusal.http {
        StatusCode::BAD_REQUEST => Outcome::Invalid,
        StatusCode::PAYLOAD_TOO_LARGE => Outcome::TooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Outcome::Unsupported,
        StatusCode::TOO_MANY_REQUESTS => Outcome::Throttled,
        StatusCode::UNAUTHORIZED => Outcome::Unauthenticated,
        _ => Outcome::Unavailable,
    }
}

/// The `error_message` of a partial success: what was dropped, by reason, with the first few
/// messages, and the database's reason for lines it refused.
fn reply_message(
    drops: &[(otlp_influx::DropReason, u64)],
    messages: &[String],
    database: Option<&str>,
) -> Option<String> {
    if drops.is_empty() && database.is_none() {
        return None;
    }
    let mut text = String::new();
    if !drops.is_empty() {
        text.push_str("dropped: ");
        for (i, (reason, count)) in drops.iter().enumerate() {
            let _ = write!(
                text,
                "{}{count} {}",
                if i > 0 { ", " } else { "" },
                reason.name()
            );
        }
        for message in messages.iter().take(MESSAGES_PER_REPLY) {
            let _ = write!(text, "; {message}");
        }
    }
    if let Some(database) = database {
        if !text.is_empty() {
            text.push_str("; ");
        }
        text.push_str(database);
    }
    Some(text)
}
