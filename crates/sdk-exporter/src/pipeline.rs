//! The part every exporter shares: map a batch into a reused encoder, hand the lines to the sink
//! under a deadline, count what happened, and the shutdown state.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::{Duration, Instant};

use lineproto::Encoder;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use otlp_influx::{MappingConfig, MappingReport, OtlpMapper, PreparedResource};

use crate::deadline::{Interrupted, WithDeadline, catch_panic, suppressed};
use crate::stats::Signal;
use crate::{Batch, LineSink, SinkError, SinkOutcome, StatsHandle};

/// How long `force_flush` may take (the SDK gives it no timeout of its own).
const FORCE_FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// The mapper and encoder of one exporter: reused across exports, so steady-state encoding
/// allocates nothing. Taken out of the mutex for the duration of an export (exports of one
/// exporter never overlap, so the mutex is never contended) and put back afterwards.
///
/// The encoder is shared with the sink while it writes ([`Batch::to_bytes`]: the HTTP sink sends
/// the buffer from its own thread without copying it), and emptied when the next export starts.
#[derive(Debug)]
struct Scratch {
    mapper: OtlpMapper,
    encoder: Arc<Encoder>,
}

#[derive(Debug)]
pub(crate) struct Pipeline {
    mapping: MappingConfig,
    scratch: Mutex<Option<Scratch>>,
    resource: PreparedResource,
    sink: Arc<dyn LineSink>,
    stats: StatsHandle,
    timeout: Duration,
    shut_down: AtomicBool,
}

impl Pipeline {
    /// `mapping` must already be validated (the builder does it).
    pub(crate) fn new(
        mapping: MappingConfig,
        sink: Arc<dyn LineSink>,
        stats: StatsHandle,
        timeout: Duration,
    ) -> Self {
        let scratch = Scratch::new(&mapping);
        let resource = scratch
            .mapper
            .prepare_resource(&Resource::builder_empty().build());
        Self {
            mapping,
            scratch: Mutex::new(Some(scratch)),
            resource,
            sink,
            stats,
            timeout,
            shut_down: AtomicBool::new(false),
        }
    }

    pub(crate) fn stats(&self) -> &StatsHandle {
        &self.stats
    }

    /// Converts the resource once; every later export reuses it.
    pub(crate) fn set_resource(&mut self, resource: &Resource) {
        let scratch = self
            .scratch
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        let scratch = scratch.get_or_insert_with(|| Scratch::new(&self.mapping));
        self.resource = scratch.mapper.prepare_resource(resource);
    }

    /// One export: `map` writes the batch's lines into the encoder, the sink gets them before the
    /// deadline. Any line not written (rejected, failed, deadline, panic) makes the result an error;
    /// every one of them is counted in the stats.
    pub(crate) async fn export<M>(&self, signal: Signal, items: u64, map: M) -> OTelSdkResult
    where
        M: FnOnce(&mut OtlpMapper, &PreparedResource, &mut Encoder, &mut MappingReport),
    {
        if self.shut_down.load(Ordering::Acquire) {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        self.stats.record_received(signal, items);
        let deadline = Instant::now() + self.timeout;
        let mut scratch = self.take_scratch();
        let mut report = MappingReport::default();
        let Scratch { mapper, encoder } = &mut scratch;
        let encoder = reclaim_encoder(encoder, mapper);
        let mapped =
            catch_panic(|| suppressed(|| map(mapper, &self.resource, encoder, &mut report)));
        self.stats.record_mapping(&report);
        if let Err(panic) = mapped {
            // The scratch may hold a half-built line: drop it, the next export builds a fresh one.
            // What was mapped before the panic is not sent either: the whole batch is lost.
            self.stats.record_mapping_panic(items);
            return Err(OTelSdkError::InternalFailure(format!(
                "mapping {items} items panicked: {panic}"
            )));
        }
        // Whatever the mapping could not write, the rest still goes out.
        let mut result = self.write(&scratch.encoder, deadline).await;
        *self.scratch.lock().unwrap_or_else(PoisonError::into_inner) = Some(scratch);
        if result.is_ok() && report.dropped() > 0 {
            self.stats.record_failed_export(false);
            result = Err(OTelSdkError::InternalFailure(format!(
                "{} items dropped in mapping ({items} received): {report}",
                report.dropped()
            )));
        }
        result
    }

    async fn write(&self, encoder: &Arc<Encoder>, deadline: Instant) -> OTelSdkResult {
        let count = encoder.line_count();
        if count == 0 {
            return Ok(());
        }
        let batch = Batch::new(encoder);
        let started = suppressed(|| catch_panic(|| self.sink.write_batch(batch, deadline)));
        let (outcome, timed_out) = match started {
            Err(panic) => (
                SinkOutcome::failed(count, format_args!("sink panicked: {panic}")),
                false,
            ),
            Ok(future) => match WithDeadline::new(future, deadline).await {
                Ok(outcome) => (outcome, false),
                Err(Interrupted::DeadlineExceeded) => (
                    SinkOutcome::failed(
                        count,
                        format_args!("export deadline of {:?} exceeded", self.timeout),
                    ),
                    true,
                ),
                Err(Interrupted::Panicked(panic)) => (
                    SinkOutcome::failed(count, format_args!("sink panicked: {panic}")),
                    false,
                ),
            },
        };
        self.stats.record_outcome(&outcome);
        if timed_out {
            self.stats.record_failed_export(true);
            return Err(OTelSdkError::Timeout(self.timeout));
        }
        if outcome.rejected + outcome.failed > 0 {
            self.stats.record_failed_export(false);
            return Err(OTelSdkError::InternalFailure(format!(
                "{} of {count} lines not written ({} rejected, {} failed): {}",
                outcome.rejected + outcome.failed,
                outcome.rejected,
                outcome.failed,
                outcome.error.as_deref().unwrap_or("no detail"),
            )));
        }
        Ok(())
    }

    /// Flushes the sink; the first call wins, later ones return `AlreadyShutdown`.
    pub(crate) fn shutdown(&self, timeout: Duration) -> OTelSdkResult {
        if self.shut_down.swap(true, Ordering::AcqRel) {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        self.flush_within(timeout)
    }

    pub(crate) fn force_flush(&self) -> OTelSdkResult {
        if self.shut_down.load(Ordering::Acquire) {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        self.flush_within(FORCE_FLUSH_TIMEOUT)
    }

    /// Flushes the sink on a helper thread and waits at most `timeout`: a sink that ignores its
    /// deadline cannot hold up the SDK's shutdown (the helper is left to finish on its own).
    fn flush_within(&self, timeout: Duration) -> OTelSdkResult {
        let deadline = Instant::now() + timeout;
        let sink = Arc::clone(&self.sink);
        let flush = move || suppressed(|| catch_panic(|| sink.flush(deadline)));
        let (done, result) = mpsc::sync_channel(1);
        let spawned = std::thread::Builder::new()
            .name("otel-datalayers-flush".into())
            .spawn(move || {
                let _ = done.send(flush());
            });
        let flushed = match spawned {
            Ok(_) => result
                .recv_timeout(timeout)
                .map_err(|_| OTelSdkError::Timeout(timeout))?,
            Err(_) => suppressed(|| catch_panic(|| self.sink.flush(deadline))),
        };
        match flushed {
            Ok(Ok(())) => Ok(()),
            Ok(Err(SinkError::Timeout)) => Err(OTelSdkError::Timeout(timeout)),
            Ok(Err(SinkError::Failed(error))) => Err(OTelSdkError::InternalFailure(error)),
            Err(panic) => Err(OTelSdkError::InternalFailure(format!(
                "sink flush panicked: {panic}"
            ))),
        }
    }

    /// The reused mapper and encoder; a fresh pair when the last export panicked or was dropped
    /// before it finished (an async-runtime processor cancelling it), which took them along.
    fn take_scratch(&self) -> Scratch {
        let taken = self
            .scratch
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        taken.unwrap_or_else(|| Scratch::new(&self.mapping))
    }
}

impl Scratch {
    fn new(mapping: &MappingConfig) -> Self {
        let mapper =
            OtlpMapper::new(mapping.clone()).expect("the builder validated the mapping config");
        let encoder = Arc::new(mapper.new_encoder());
        Self { mapper, encoder }
    }
}

/// The encoder to map into, emptied: the last export's, unless a sink still holds that one's
/// lines (a write abandoned at its deadline), then a new one.
fn reclaim_encoder<'a>(encoder: &'a mut Arc<Encoder>, mapper: &OtlpMapper) -> &'a mut Encoder {
    if Arc::get_mut(encoder).is_none() {
        *encoder = Arc::new(mapper.new_encoder());
    }
    let encoder = Arc::get_mut(encoder).expect("a new encoder is not shared");
    encoder.clear();
    encoder
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MemorySink, SinkFuture};
    use bytes::Bytes;
    use lineproto::Lines;

    fn pipeline(sink: Arc<dyn LineSink>) -> Pipeline {
        Pipeline::new(
            MappingConfig::default(),
            sink,
            StatsHandle::default(),
            Duration::from_secs(5),
        )
    }

    /// Exports one line `spans,k=v f=<value>i <value>`.
    fn export_one(pipeline: &Pipeline, value: i64) -> OTelSdkResult {
        futures_executor::block_on(pipeline.export(Signal::Spans, 1, |_, _, encoder, _| {
            encoder
                .start_line("spans")
                .tag("k", "v")
                .field_i64("f", value);
            encoder.end_line(Some(value)).unwrap();
        }))
    }

    /// Takes every batch as shared bytes, like the HTTP sink; keeps them while `keep` is set.
    #[derive(Debug, Default)]
    struct SharesBatches {
        keep: std::sync::atomic::AtomicBool,
        kept: Mutex<Vec<Bytes>>,
        /// Where each batch's bytes were.
        addresses: Mutex<Vec<usize>>,
    }

    impl LineSink for SharesBatches {
        fn write<'a>(&'a self, _: Lines<'a>, _: Instant) -> SinkFuture<'a> {
            unreachable!("the exporter calls write_batch")
        }

        fn write_batch<'a>(&'a self, batch: Batch<'a>, _: Instant) -> SinkFuture<'a> {
            let bytes = batch.to_bytes();
            assert_eq!(bytes, batch.lines().bytes());
            assert_eq!(batch.line_ends(), [bytes.len()], "one line per export here");
            self.addresses.lock().unwrap().push(bytes.as_ptr() as usize);
            if self.keep.load(Ordering::Relaxed) {
                self.kept.lock().unwrap().push(bytes);
            }
            Box::pin(std::future::ready(SinkOutcome::written(
                batch.lines().len(),
            )))
        }
    }

    #[test]
    fn shared_batch_bytes_are_the_reused_buffer_and_stay_intact_while_a_sink_holds_them() {
        let sink = Arc::new(SharesBatches::default());
        let pipeline = pipeline(Arc::clone(&sink) as Arc<dyn LineSink>);
        for value in 1..=3 {
            export_one(&pipeline, value).unwrap();
        }
        let addresses = sink.addresses.lock().unwrap().clone();
        assert!(
            addresses.windows(2).all(|pair| pair[0] == pair[1]),
            "dropped bytes give the buffer back to the next export: {addresses:x?}"
        );
        let lines_encoded = || {
            let scratch = pipeline.scratch.lock().unwrap();
            scratch.as_ref().unwrap().encoder.stats().lines
        };
        assert_eq!(lines_encoded(), 3, "one encoder for the three exports");

        sink.keep.store(true, Ordering::Relaxed);
        export_one(&pipeline, 4).unwrap();
        export_one(&pipeline, 5).unwrap();
        let kept = sink.kept.lock().unwrap().clone();
        assert_eq!(
            kept[0],
            &b"spans,k=v f=4i 4\n"[..],
            "not overwritten by the next export"
        );
        assert_eq!(kept[1], &b"spans,k=v f=5i 5\n"[..]);
        assert_eq!(
            lines_encoded(),
            1,
            "a new encoder while the sink held the last batch"
        );
    }

    #[test]
    fn a_mapping_panic_counts_the_whole_batch_as_lost_and_the_next_export_works() {
        let sink = Arc::new(MemorySink::new());
        let pipeline = pipeline(Arc::clone(&sink) as Arc<dyn LineSink>);
        let result =
            futures_executor::block_on(pipeline.export(Signal::Spans, 7, |_, _, encoder, _| {
                encoder.start_line("spans").tag("k", "v").field_i64("f", 1);
                encoder.end_line(Some(1)).unwrap();
                panic!("mapper bug");
            }));
        assert!(
            matches!(result, Err(OTelSdkError::InternalFailure(ref m)) if m.contains("mapper bug"))
        );
        let stats = pipeline.stats().snapshot();
        assert_eq!(
            (stats.mapping_panicked, stats.failed_exports, stats.lost()),
            (7, 1, 7),
            "{stats}"
        );
        assert!(
            sink.lines().is_empty(),
            "nothing of a panicked batch is sent"
        );

        let result = export_one(&pipeline, 2);
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(sink.lines(), vec!["spans,k=v f=2i 2".to_owned()]);
        assert_eq!(pipeline.stats().snapshot().lost(), 7);
    }
}
