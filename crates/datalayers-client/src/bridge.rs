//! [`BackgroundClient`]: the [`Client`] on a private tokio runtime, callable from anywhere.
//!
//! The OpenTelemetry SDK's batch processors and periodic reader poll exports with
//! `futures_executor::block_on` on plain OS threads: an async HTTP client polled there panics
//! with "there is no reactor running". A blocking client built or dropped inside a tokio runtime
//! panics with "Cannot drop a runtime in a context where blocking is not allowed". This type avoids
//! both:
//!
//! - one dedicated thread builds a current-thread tokio runtime, runs every request on it, and
//!   drops it there, never inside anyone's async context;
//! - [`BackgroundClient::write`] hands the job over a channel and returns a [`WriteFuture`] that
//!   only waits on a oneshot channel: any executor can poll it (`futures_executor::block_on` on a
//!   plain thread, a tokio multi-thread or current-thread runtime, a plain `main`), and it never
//!   needs the caller's thread to make progress, so it cannot deadlock a current-thread runtime;
//! - [`BackgroundClient::write_here`] is the shortcut for callers that may block: on a thread
//!   that runs no tokio runtime it makes the request right there, on a second runtime the
//!   calling thread drives itself, with no hop to the worker thread and back (the SDK's batch
//!   processors poll exports on their own threads, where blocking is what they expect);
//! - every call has a deadline, and [`BackgroundClient::shutdown`] is bounded by its timeout;
//! - the worker thread (and a caller-driven write) runs in OpenTelemetry's telemetry-suppressed
//!   context, so anything the HTTP stack might report through OpenTelemetry is not exported back
//!   into this client.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

use crate::config::ClientConfig;
use crate::error::{ClientError, WriteError, WriteErrorKind};
use crate::write::WriteReport;
use crate::{Client, ShutdownError};

/// Jobs waiting for the worker; a full queue fails the write at once (counted), never blocks.
pub const QUEUE_CAPACITY_DEFAULT: usize = 64;
/// Name of the worker thread.
pub const WORKER_THREAD_NAME: &str = "datalayers-client";

/// Extra time the worker gives a write past its deadline before abandoning it (the write itself
/// honours the deadline; this only guards against a stuck future).
const DEADLINE_GRACE: Duration = Duration::from_millis(500);

/// A [`Client`] running on its own thread and tokio runtime. See the [module docs](self).
///
/// ```no_run
/// use datalayers_client::{BackgroundClient, config::ClientConfig};
///
/// let client = BackgroundClient::new(ClientConfig::new("http://127.0.0.1:8361").with_database("otel"))?;
/// let body = bytes::Bytes::from_static(b"spans,trace_id=ab duration_nano=5i 1700000000000000000\n");
/// let ends = vec![body.len()];
/// // No runtime needed here: any executor can wait for the report.
/// let report = futures_executor::block_on(client.write(body, ends));
/// println!("{report}");
/// client.shutdown(std::time::Duration::from_secs(5))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct BackgroundClient {
    config: ClientConfig,
    sender: Mutex<Option<mpsc::Sender<Job>>>,
    worker: Mutex<Option<Worker>>,
    shared: Arc<Shared>,
    direct: Mutex<DirectLane>,
}

/// The runtime and client of [`BackgroundClient::write_here`], driven by the calling thread.
/// Separate from the worker's: a connection only makes progress on the runtime that opened it.
#[derive(Debug)]
enum DirectLane {
    /// Not needed yet (built on the first caller-driven write).
    Unused,
    Ready(Box<Direct>),
    /// A thread is writing with it (or a write panicked and took it along): other callers go
    /// through the worker meanwhile.
    InUse,
    /// Shut down or dropped.
    Closed,
}

#[derive(Debug)]
struct Direct {
    runtime: tokio::runtime::Runtime,
    client: Client,
}

impl Direct {
    /// `None` when the runtime or the client cannot be built (the worker's were, so the worker
    /// does the writes then).
    fn new(config: &ClientConfig) -> Option<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        let client = Client::new(config.clone()).ok()?;
        Some(Self { runtime, client })
    }

    /// Never blocks, so it may run in async code (a runtime's plain drop may not).
    fn close(self) {
        let Self { runtime, client } = self;
        drop(client);
        runtime.shutdown_background();
    }
}

/// State shared by the handle and the worker.
#[derive(Debug)]
struct Shared {
    /// How long the worker lets in-flight writes run once the queue is closed (ms; `u64::MAX`:
    /// until their own deadlines).
    drain_ms: AtomicU64,
    /// Every write's report merged, including writes whose future was dropped.
    totals: Mutex<WriteReport>,
}

impl Shared {
    fn count(&self, report: &WriteReport) {
        self.totals
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .merge(report);
    }
}

#[derive(Debug)]
struct Worker {
    thread: JoinHandle<()>,
    done: std::sync::mpsc::Receiver<()>,
}

#[derive(Debug)]
struct Job {
    body: Bytes,
    line_ends: Vec<usize>,
    deadline: Instant,
    reply: oneshot::Sender<WriteReport>,
}

impl BackgroundClient {
    /// Starts the worker thread and its runtime. Callable from any context, async or not.
    pub fn new(config: ClientConfig) -> Result<Self, ClientError> {
        Self::with_queue_capacity(config, QUEUE_CAPACITY_DEFAULT)
    }

    /// Like [`BackgroundClient::new`] with a given job queue capacity (at least 1).
    pub fn with_queue_capacity(config: ClientConfig, capacity: usize) -> Result<Self, ClientError> {
        let client = Client::new(config.clone())?;
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        let (started_tx, started_rx) = std::sync::mpsc::sync_channel(1);
        let (done_tx, done) = std::sync::mpsc::sync_channel(1);
        let shared = Arc::new(Shared {
            drain_ms: AtomicU64::new(u64::MAX),
            totals: Mutex::new(WriteReport::default()),
        });
        let worker_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name(WORKER_THREAD_NAME.into())
            .spawn(move || {
                let _suppressed = opentelemetry::Context::enter_telemetry_suppressed_scope();
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(err) => {
                        let _ = started_tx.send(Err(err.to_string()));
                        return;
                    }
                };
                let _ = started_tx.send(Ok(()));
                runtime.block_on(run_worker(client, receiver, worker_shared));
                // Dropped here, on a plain thread: never "drop a runtime in async context".
                drop(runtime);
                let _ = done_tx.send(());
            })
            .map_err(|err| ClientError::Runtime(err.to_string()))?;
        match started_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(err)) => return Err(ClientError::Runtime(err)),
            Err(_) => {
                return Err(ClientError::Runtime(
                    "the worker thread exited during start".into(),
                ));
            }
        }
        Ok(Self {
            config,
            sender: Mutex::new(Some(sender)),
            worker: Mutex::new(Some(Worker { thread, done })),
            shared,
            direct: Mutex::new(DirectLane::Unused),
        })
    }

    /// Totals over every write so far (counts are complete; the rejection and error details keep
    /// the first few). Includes writes whose future was dropped and writes refused because the
    /// queue was full or the client shut down.
    pub fn totals(&self) -> WriteReport {
        self.shared
            .totals
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Writes the lines of `body` ending (exclusively) at `line_ends`, within the configured
    /// timeout. See [`BackgroundClient::write_until`].
    pub fn write(&self, body: Bytes, line_ends: Vec<usize>) -> WriteFuture {
        let deadline = Instant::now() + self.config.timeout;
        self.write_until(body, line_ends, deadline)
    }

    /// Queues a write that must end by `deadline` and returns a future of its report, pollable
    /// by any executor. Never blocks: a full queue or a shut-down client gives a ready report
    /// with every line counted as failed.
    pub fn write_until(
        &self,
        body: Bytes,
        line_ends: Vec<usize>,
        deadline: Instant,
    ) -> WriteFuture {
        let lines = line_ends.len();
        if lines == 0 {
            return WriteFuture::ready(WriteReport::default());
        }
        let sender = self
            .sender
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let Some(sender) = sender else {
            return self.refuse(lines, "the client was shut down");
        };
        let (reply, receiver) = oneshot::channel();
        match sender.try_send(Job {
            body,
            line_ends,
            deadline,
            reply,
        }) {
            Ok(()) => WriteFuture {
                state: State::Waiting { receiver, lines },
            },
            Err(mpsc::error::TrySendError::Full(_)) => self.refuse(
                lines,
                "the client's queue is full (the server is slower than the writers)",
            ),
            Err(mpsc::error::TrySendError::Closed(_)) => {
                self.refuse(lines, "the client was shut down")
            }
        }
    }

    /// Writes the lines of `body` ending at `line_ends` on the calling thread, blocking it until
    /// the report (by `deadline`, like [`BackgroundClient::write_until`]): no hop to the worker
    /// thread and back, which costs two thread wake-ups per write.
    ///
    /// Returns `None`, having done nothing, when the calling thread runs inside a tokio runtime
    /// (blocking there is not allowed), when another thread is writing this way right now, or
    /// after shutdown: then use [`BackgroundClient::write_until`]. Only call it where blocking the
    /// thread is fine (a plain thread, e.g. under `futures_executor::block_on`): polled by another
    /// async executor, it would block that executor's thread for the whole request.
    ///
    /// The first such write builds a second current-thread runtime and client (with its own
    /// connection pool), driven only while a caller is in here.
    pub fn write_here(
        &self,
        body: &Bytes,
        line_ends: &[usize],
        deadline: Instant,
    ) -> Option<WriteReport> {
        if line_ends.is_empty()
            || tokio::runtime::Handle::try_current().is_ok()
            || self.is_shutdown()
        {
            return None;
        }
        let taken = {
            let mut lane = self.direct.lock().unwrap_or_else(PoisonError::into_inner);
            match std::mem::replace(&mut *lane, DirectLane::InUse) {
                busy_or_closed @ (DirectLane::InUse | DirectLane::Closed) => {
                    *lane = busy_or_closed;
                    return None;
                }
                taken => taken,
            }
        };
        let direct = match taken {
            DirectLane::Ready(direct) => direct,
            // Built outside the lock (it loads the TLS roots): other callers use the worker.
            _ => match Direct::new(&self.config) {
                Some(direct) => Box::new(direct),
                None => {
                    // Cannot build one here: the worker does every write.
                    *self.direct.lock().unwrap_or_else(PoisonError::into_inner) =
                        DirectLane::Closed;
                    return None;
                }
            },
        };
        let report = {
            let _suppressed = opentelemetry::Context::enter_telemetry_suppressed_scope();
            direct
                .runtime
                .block_on(write_by(&direct.client, body, line_ends, deadline))
        };
        self.shared.count(&report);
        let mut lane = self.direct.lock().unwrap_or_else(PoisonError::into_inner);
        match *lane {
            DirectLane::InUse => *lane = DirectLane::Ready(direct),
            // Shut down meanwhile.
            _ => direct.close(),
        }
        Some(report)
    }

    /// A write refused before it reached the worker: counted, reported at once.
    fn refuse(&self, lines: usize, why: &str) -> WriteFuture {
        let report = failed_report(lines, why.into());
        self.shared.count(&report);
        WriteFuture::ready(report)
    }

    /// Stops accepting writes, lets the ones in flight finish for at most `timeout` (then
    /// abandons them, counted as failed), and stops the worker thread. Blocks the caller for at
    /// most about `timeout`; safe to call from inside an async runtime of any flavour (it does
    /// not need the caller's thread to make progress). A second call returns
    /// [`ShutdownError::AlreadyShutdown`].
    pub fn shutdown(&self, timeout: Duration) -> Result<(), ShutdownError> {
        let sender = self
            .sender
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if sender.is_none() {
            return Err(ShutdownError::AlreadyShutdown);
        }
        self.close_direct_lane();
        self.shared.drain_ms.store(
            u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
            Ordering::SeqCst,
        );
        drop(sender); // closes the queue: the worker drains and exits
        let worker = self
            .worker
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        let Some(worker) = worker else {
            return Err(ShutdownError::AlreadyShutdown);
        };
        // Drain time plus a margin for the runtime to wind down.
        match worker
            .done
            .recv_timeout(timeout + Duration::from_millis(200))
        {
            Ok(()) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                let _ = worker.thread.join();
                Ok(())
            }
            // Left detached; it ends by itself once its writes' deadlines pass.
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(ShutdownError::Timeout(timeout)),
        }
    }

    /// Whether [`BackgroundClient::shutdown`] was called.
    pub fn is_shutdown(&self) -> bool {
        self.sender
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_none()
    }

    /// Closes the caller-driven runtime; one in use is closed by its writer when it is done.
    fn close_direct_lane(&self) {
        let mut lane = self.direct.lock().unwrap_or_else(PoisonError::into_inner);
        if let DirectLane::Ready(direct) = std::mem::replace(&mut *lane, DirectLane::Closed) {
            direct.close();
        }
    }
}

impl Drop for BackgroundClient {
    fn drop(&mut self) {
        // Close the queue without waiting: the worker finishes in-flight writes (each bounded by
        // its deadline) and exits on its own. Never blocks, so dropping in async code is fine.
        if let Ok(mut sender) = self.sender.lock() {
            sender.take();
        }
        self.close_direct_lane();
    }
}

async fn run_worker(client: Client, mut receiver: mpsc::Receiver<Job>, shared: Arc<Shared>) {
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            job = receiver.recv() => match job {
                Some(job) => {
                    tasks.spawn(run_job(client.clone(), job, Arc::clone(&shared)));
                }
                None => break,
            },
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    let drain_ms = shared.drain_ms.load(Ordering::SeqCst);
    let drained = async { while tasks.join_next().await.is_some() {} };
    if drain_ms == u64::MAX {
        // Dropped without shutdown: every write runs to its own deadline.
        drained.await;
    } else if tokio::time::timeout(Duration::from_millis(drain_ms), drained)
        .await
        .is_err()
    {
        // Abandoned writes drop their reply senders: their futures resolve as failed.
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
    }
}

async fn run_job(client: Client, job: Job, shared: Arc<Shared>) {
    let Job {
        body,
        line_ends,
        deadline,
        reply,
    } = job;
    // Counts the lines as failed if this task is aborted (shutdown timeout) before it reports.
    let mut unreported = Unreported {
        shared: &shared,
        lines: line_ends.len(),
    };
    let report = write_by(&client, &body, &line_ends, deadline).await;
    unreported.lines = 0;
    shared.count(&report);
    // Released before the caller hears back, so a caller that reuses the body's memory for its
    // next write finds it free.
    drop((body, line_ends));
    let _ = reply.send(report);
}

/// One write, given up a little after `deadline` even if the write itself would not stop.
async fn write_by(
    client: &Client,
    body: &Bytes,
    line_ends: &[usize],
    deadline: Instant,
) -> WriteReport {
    let write = client.write_bytes(body, line_ends, Some(deadline));
    match tokio::time::timeout_at((deadline + DEADLINE_GRACE).into(), write).await {
        Ok(report) => report,
        Err(_) => failed_report(
            line_ends.len(),
            "the write did not finish by its deadline".into(),
        ),
    }
}

struct Unreported<'a> {
    shared: &'a Shared,
    lines: usize,
}

impl Drop for Unreported<'_> {
    fn drop(&mut self) {
        if self.lines > 0 {
            self.shared
                .count(&failed_report(self.lines, "abandoned at shutdown".into()));
        }
    }
}

fn failed_report(lines: usize, message: String) -> WriteReport {
    let mut report = WriteReport::default();
    report.record(WriteError {
        kind: WriteErrorKind::Client,
        status: None,
        message,
        lines: lines as u64,
    });
    report
}

/// The report of a [`BackgroundClient`] write. Runtime-agnostic: it only waits on a channel.
#[derive(Debug)]
#[must_use = "the write runs anyway; the future only carries its report"]
pub struct WriteFuture {
    state: State,
}

#[derive(Debug)]
enum State {
    Ready(Option<WriteReport>),
    Waiting {
        receiver: oneshot::Receiver<WriteReport>,
        lines: usize,
    },
}

impl WriteFuture {
    fn ready(report: WriteReport) -> Self {
        Self {
            state: State::Ready(Some(report)),
        }
    }
}

impl Future for WriteFuture {
    type Output = WriteReport;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<WriteReport> {
        match &mut self.state {
            State::Ready(report) => {
                Poll::Ready(report.take().expect("WriteFuture polled after completion"))
            }
            State::Waiting { receiver, lines } => match Pin::new(receiver).poll(cx) {
                Poll::Ready(Ok(report)) => Poll::Ready(report),
                Poll::Ready(Err(_)) => Poll::Ready(failed_report(
                    *lines,
                    "the client stopped before the write finished".into(),
                )),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}
