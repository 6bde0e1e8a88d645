//! Admission: a byte budget for the requests in flight, and how long a refused client should
//! wait before it retries.
//!
//! Every request holds a share of the budget from before its body is read (its declared length,
//! then its decompressed size) until its lines are stored. A request that does not fit is
//! refused at once with a retry delay, so memory stays bounded however many clients send, and
//! nothing is decoded that cannot be kept.

use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError};

/// The shortest retry delay the receiver asks for.
pub const RETRY_AFTER_MIN: Duration = Duration::from_secs(1);
/// The longest retry delay the receiver asks for.
pub const RETRY_AFTER_MAX: Duration = Duration::from_secs(30);

/// The in-flight byte budget.
#[derive(Debug)]
pub(crate) struct Budget {
    semaphore: Arc<Semaphore>,
    limit: usize,
}

/// A share of the [`Budget`], given back when dropped.
#[derive(Debug)]
pub(crate) struct Share {
    permit: Option<OwnedSemaphorePermit>,
    semaphore: Arc<Semaphore>,
}

impl Budget {
    /// A budget of `limit` bytes (tokio's semaphore counts at most `u32::MAX` per acquire,
    /// which bounds one request, not the budget).
    pub(crate) fn new(limit: usize) -> Self {
        let limit = limit.clamp(1, Semaphore::MAX_PERMITS);
        Self {
            semaphore: Arc::new(Semaphore::new(limit)),
            limit,
        }
    }

    /// Bytes the budget holds in all.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// Bytes held by requests now.
    pub(crate) fn in_use(&self) -> usize {
        self.limit - self.semaphore.available_permits()
    }

    /// Takes `bytes` of the budget, or `None` when they are not free now.
    pub(crate) fn try_take(&self, bytes: usize) -> Option<Share> {
        let mut share = Share {
            permit: None,
            semaphore: Arc::clone(&self.semaphore),
        };
        share.try_grow(bytes).then_some(share)
    }
}

impl Share {
    /// Adds `bytes` to this share; `false` (and no change) when they are not free now.
    pub(crate) fn try_grow(&mut self, bytes: usize) -> bool {
        let Ok(bytes) = u32::try_from(bytes.max(1)) else {
            return false;
        };
        match Arc::clone(&self.semaphore).try_acquire_many_owned(bytes) {
            Ok(more) => {
                match &mut self.permit {
                    Some(permit) => permit.merge(more),
                    None => self.permit = Some(more),
                }
                true
            }
            Err(TryAcquireError::NoPermits | TryAcquireError::Closed) => false,
        }
    }

    /// Bytes held.
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.permit.as_ref().map_or(0, |p| p.num_permits())
    }
}

/// Works out the `Retry-After` / `RetryInfo` delay from how fast the destination drains and
/// whether it is reachable at all.
///
/// While the destination takes writes, the delay is the time it needs to drain the bytes in
/// flight at its recent rate. While it is unavailable, the delay doubles with every refused
/// attempt since the outage began (1 s, 2 s, 4 s, ...). Both stay within
/// [`RETRY_AFTER_MIN`]..=[`RETRY_AFTER_MAX`].
#[derive(Debug, Default)]
pub(crate) struct RetryAdvisor {
    state: Mutex<AdvisorState>,
}

#[derive(Debug, Default)]
struct AdvisorState {
    /// Bytes per second, smoothed over recent writes.
    drain_rate: f64,
    last_write: Option<Instant>,
    /// Consecutive failed writes since the last success.
    failures: u32,
}

impl RetryAdvisor {
    /// A write of `bytes` succeeded after `took`.
    pub(crate) fn record_success(&self, bytes: usize, took: Duration) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.failures = 0;
        let rate = bytes as f64 / took.as_secs_f64().max(1e-3);
        // An exponentially weighted average: recent writes count most.
        state.drain_rate = if state.drain_rate == 0.0 {
            rate
        } else {
            0.8 * state.drain_rate + 0.2 * rate
        };
        state.last_write = Some(Instant::now());
    }

    /// A write failed (the destination is unavailable).
    pub(crate) fn record_failure(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.failures = state.failures.saturating_add(1);
    }

    /// How long a client refused now should wait, with `queued` bytes in flight.
    pub(crate) fn retry_after(&self, queued: usize) -> Duration {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let delay = if state.failures > 0 {
            RETRY_AFTER_MIN.saturating_mul(1 << state.failures.saturating_sub(1).min(5))
        } else if state.drain_rate > 0.0 {
            Duration::from_secs_f64(queued as f64 / state.drain_rate)
        } else {
            RETRY_AFTER_MIN
        };
        delay.clamp(RETRY_AFTER_MIN, RETRY_AFTER_MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_bounded_and_given_back() {
        let budget = Budget::new(1000);
        let mut a = budget.try_take(600).expect("fits");
        assert!(budget.try_take(500).is_none(), "only 400 left");
        assert!(a.try_grow(300));
        assert_eq!(a.bytes(), 900);
        assert_eq!(budget.in_use(), 900);
        assert!(!a.try_grow(200), "would exceed the budget");
        assert_eq!(a.bytes(), 900, "a failed grow changes nothing");
        drop(a);
        assert_eq!(budget.in_use(), 0);
        assert!(budget.try_take(1000).is_some());
        assert!(
            budget.try_take(usize::MAX).is_none(),
            "never more than the whole"
        );
    }

    #[test]
    fn retry_delay_follows_the_drain_rate_and_backs_off_while_failing() {
        let advisor = RetryAdvisor::default();
        assert_eq!(
            advisor.retry_after(1 << 30),
            RETRY_AFTER_MIN,
            "nothing known"
        );
        advisor.record_success(10_000_000, Duration::from_secs(1));
        assert_eq!(advisor.retry_after(50_000_000), Duration::from_secs(5));
        assert_eq!(advisor.retry_after(1), RETRY_AFTER_MIN);
        assert_eq!(advisor.retry_after(usize::MAX), RETRY_AFTER_MAX);
        for expected in [1, 2, 4, 8, 16, 30, 30] {
            advisor.record_failure();
            assert_eq!(advisor.retry_after(0), Duration::from_secs(expected));
        }
        advisor.record_success(1_000_000, Duration::from_secs(1));
        assert_eq!(
            advisor.retry_after(0),
            RETRY_AFTER_MIN,
            "back to the drain rate"
        );
    }
}
