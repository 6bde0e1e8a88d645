//! Deadlines that work under any executor: a future that gives up at an `Instant`, driven by one
//! shared timer thread, so it needs no tokio reactor (the SDK polls exports with
//! `futures_executor::block_on` on plain threads).
//!
//! Every poll of the guarded future also runs with OpenTelemetry telemetry suppressed and with
//! panics caught, so a sink can neither feed our own telemetry back into the pipeline nor kill the
//! SDK's worker thread.

use std::collections::HashMap;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

/// How a guarded future ended when it did not produce its own output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Interrupted {
    /// The deadline passed first.
    DeadlineExceeded,
    /// The future panicked; the message is kept for the error report.
    Panicked(String),
}

/// Polls `inner` until it completes or `deadline` passes, whichever comes first.
pub(crate) struct WithDeadline<F> {
    inner: F,
    deadline: Instant,
    timer_id: Option<u64>,
}

impl<F: Future + Unpin> WithDeadline<F> {
    pub(crate) fn new(inner: F, deadline: Instant) -> Self {
        Self {
            inner,
            deadline,
            timer_id: None,
        }
    }
}

impl<F: Future + Unpin> Future for WithDeadline<F> {
    type Output = Result<F::Output, Interrupted>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let polled =
            suppressed(|| catch_unwind(AssertUnwindSafe(|| Pin::new(&mut this.inner).poll(cx))));
        match polled {
            Ok(Poll::Ready(output)) => return Poll::Ready(Ok(output)),
            Err(panic) => return Poll::Ready(Err(Interrupted::Panicked(panic_message(&panic)))),
            Ok(Poll::Pending) => {}
        }
        if Instant::now() >= this.deadline {
            return Poll::Ready(Err(Interrupted::DeadlineExceeded));
        }
        let id = *this.timer_id.get_or_insert_with(next_timer_id);
        timer().wake_at(id, this.deadline, cx.waker());
        Poll::Pending
    }
}

impl<F> Drop for WithDeadline<F> {
    fn drop(&mut self) {
        if let Some(id) = self.timer_id {
            timer().cancel(id);
        }
    }
}

/// Runs `f` with OpenTelemetry telemetry suppressed on this thread, so spans and logs created by
/// the transport (or a user's sink) are not exported back through us.
pub(crate) fn suppressed<T>(f: impl FnOnce() -> T) -> T {
    let _guard = opentelemetry::Context::enter_telemetry_suppressed_scope();
    f()
}

/// Runs `f`, turning a panic into its message.
pub(crate) fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|panic| panic_message(&panic))
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic with a non-string payload".to_owned())
}

fn next_timer_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// One thread that wakes registered wakers when their deadline passes. Started on first use.
///
/// Registering a deadline wakes the thread only when it is earlier than the one the thread
/// already sleeps until, and cancelling never wakes it: with one export timeout, deadlines only
/// grow, so exports that finish in time cost the thread nothing (it wakes once per timeout
/// period, finds the cancelled deadline gone and sleeps until the next one).
struct Timer {
    state: Mutex<TimerState>,
    changed: Condvar,
}

struct TimerState {
    pending: HashMap<u64, (Instant, Waker)>,
    /// When the thread wakes up next by itself (`None`: it waits for a notification).
    wakes_at: Option<Instant>,
}

fn timer() -> &'static Timer {
    static TIMER: OnceLock<&'static Timer> = OnceLock::new();
    TIMER.get_or_init(|| {
        let timer: &'static Timer = Box::leak(Box::new(Timer {
            state: Mutex::new(TimerState {
                pending: HashMap::new(),
                wakes_at: None,
            }),
            changed: Condvar::new(),
        }));
        std::thread::Builder::new()
            .name("otel-datalayers-deadline".into())
            .spawn(move || timer.run())
            .expect("spawning the deadline timer thread");
        timer
    })
}

impl Timer {
    fn wake_at(&self, id: u64, deadline: Instant, waker: &Waker) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match state.pending.get_mut(&id) {
            Some((_, known)) if known.will_wake(waker) => {}
            Some(entry) => entry.1 = waker.clone(),
            None => {
                state.pending.insert(id, (deadline, waker.clone()));
            }
        }
        if state.wakes_at.is_none_or(|wakes_at| deadline < wakes_at) {
            // Set here too, so registrations before the thread runs do not notify again.
            state.wakes_at = Some(deadline);
            drop(state);
            self.changed.notify_one();
        }
    }

    fn cancel(&self, id: u64) {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pending
            .remove(&id);
    }

    fn run(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            let now = Instant::now();
            state.pending.retain(|_, (deadline, waker)| {
                let due = *deadline <= now;
                if due {
                    waker.wake_by_ref();
                }
                !due
            });
            let next = state.pending.values().map(|(deadline, _)| *deadline).min();
            state.wakes_at = next;
            state = match next {
                None => self
                    .changed
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(next) => {
                    self.changed
                        .wait_timeout(state, next.saturating_duration_since(now))
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_future_that_never_completes_gives_up_at_its_deadline() {
        let start = Instant::now();
        let deadline = start + Duration::from_millis(50);
        let result =
            futures_executor::block_on(WithDeadline::new(std::future::pending::<()>(), deadline));
        assert_eq!(result, Err(Interrupted::DeadlineExceeded));
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_millis(50),
            "gave up early: {waited:?}"
        );
        assert!(waited < Duration::from_secs(5), "gave up late: {waited:?}");
    }

    /// Polls a never-ready future once under `deadline` (registering it with the timer) and
    /// returns it, still pending.
    fn registered(deadline: Instant) -> Pin<Box<WithDeadline<std::future::Pending<()>>>> {
        let mut guarded = Box::pin(WithDeadline::new(std::future::pending::<()>(), deadline));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(guarded.as_mut().poll(&mut cx).is_pending());
        guarded
    }

    #[test]
    fn an_earlier_deadline_wakes_a_timer_sleeping_until_a_later_one() {
        let start = Instant::now();
        let _later = registered(start + Duration::from_secs(30));
        let result = futures_executor::block_on(WithDeadline::new(
            std::future::pending::<()>(),
            start + Duration::from_millis(50),
        ));
        assert_eq!(result, Err(Interrupted::DeadlineExceeded));
        let waited = start.elapsed();
        assert!(waited < Duration::from_secs(5), "gave up late: {waited:?}");
    }

    #[test]
    fn a_later_deadline_fires_after_an_earlier_one_was_cancelled() {
        let start = Instant::now();
        // The timer goes to sleep until this one; cancelling it does not wake the timer.
        drop(registered(start + Duration::from_millis(100)));
        let deadline = start + Duration::from_millis(300);
        let result =
            futures_executor::block_on(WithDeadline::new(std::future::pending::<()>(), deadline));
        assert_eq!(result, Err(Interrupted::DeadlineExceeded));
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_millis(300),
            "gave up early: {waited:?}"
        );
        assert!(waited < Duration::from_secs(5), "gave up late: {waited:?}");
    }

    #[test]
    fn a_ready_future_passes_its_output_through() {
        let deadline = Instant::now() + Duration::from_secs(1);
        let result = futures_executor::block_on(WithDeadline::new(std::future::ready(7), deadline));
        assert_eq!(result, Ok(7));
    }

    #[test]
    fn a_panicking_future_becomes_an_error_not_a_dead_thread() {
        struct Panics;
        impl Future for Panics {
            type Output = ();
            fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
                panic!("sink exploded")
            }
        }
        let deadline = Instant::now() + Duration::from_secs(1);
        let result = futures_executor::block_on(WithDeadline::new(Panics, deadline));
        assert_eq!(result, Err(Interrupted::Panicked("sink exploded".into())));
    }

    #[test]
    fn polls_run_with_telemetry_suppressed() {
        let deadline = Instant::now() + Duration::from_secs(1);
        let seen = futures_executor::block_on(WithDeadline::new(
            std::future::poll_fn(|_| {
                Poll::Ready(opentelemetry::Context::is_current_telemetry_suppressed())
            }),
            deadline,
        ));
        assert_eq!(seen, Ok(true));
        assert!(!opentelemetry::Context::is_current_telemetry_suppressed());
    }
}
