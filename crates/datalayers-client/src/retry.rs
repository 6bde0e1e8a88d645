//! Back-off with full jitter, and `Retry-After` parsing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use crate::config::RetryPolicy;

/// Longest `Retry-After` taken from a server (a bigger value is clamped, then the deadline decides).
const RETRY_AFTER_CAP: Duration = Duration::from_secs(3600);

/// `Retry-After: <seconds>` or `Retry-After: <HTTP-date>` (IMF-fixdate, RFC 850 or asctime), as a
/// wait from `now`. A date in the past means "now" (zero). Anything else is ignored (`None`).
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds).min(RETRY_AFTER_CAP));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(RETRY_AFTER_CAP),
    )
}

/// Upper bound of the wait before retry number `attempt` (0-based): `initial * 2^attempt`, capped.
pub(crate) fn backoff_ceiling(policy: &RetryPolicy, attempt: u32) -> Duration {
    let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
    policy
        .initial_backoff
        .saturating_mul(factor)
        .min(policy.max_backoff)
}

/// Full jitter: a uniformly random wait in `[0, backoff_ceiling]` (AWS architecture blog's
/// recommendation: spreads clients that failed together).
pub(crate) fn jittered_backoff(policy: &RetryPolicy, attempt: u32) -> Duration {
    let ceiling = backoff_ceiling(policy, attempt);
    let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    if nanos == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos(random_u64() % (nanos + 1))
}

/// splitmix64 over a process-wide counter seeded from the clock: good enough to spread retries,
/// no dependency, no lock.
fn random_u64() -> u64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut seed = STATE.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
    if seed == 0 {
        let clock = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        seed = clock | 1;
        STATE.store(seed.wrapping_add(0x9E37_79B9_7F4A_7C15), Ordering::Relaxed);
    }
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:40 GMT", now),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            parse_retry_after("Sunday, 06-Nov-94 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sun Nov  6 08:49:57 1994", now),
            Some(Duration::from_secs(20))
        );
        // In the past: retry now.
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        // Huge values are clamped, junk is ignored.
        assert_eq!(parse_retry_after("99999999999", now), Some(RETRY_AFTER_CAP));
        for junk in ["", "-1", "1.5", "soon", "Sun, 06 Nov 1994"] {
            assert_eq!(parse_retry_after(junk, now), None, "{junk:?}");
        }
    }

    #[test]
    fn backoff_grows_then_caps() {
        let policy = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            max_retries: None,
        };
        let ceilings: Vec<u128> = (0..8)
            .map(|a| backoff_ceiling(&policy, a).as_millis())
            .collect();
        assert_eq!(ceilings, [100, 200, 400, 800, 1600, 2000, 2000, 2000]);
        assert_eq!(backoff_ceiling(&policy, u32::MAX), Duration::from_secs(2));
    }

    #[test]
    fn jitter_stays_within_bounds_and_varies() {
        let policy = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            max_retries: None,
        };
        for attempt in 0..10 {
            let ceiling = backoff_ceiling(&policy, attempt);
            let waits: Vec<Duration> = (0..200)
                .map(|_| jittered_backoff(&policy, attempt))
                .collect();
            assert!(waits.iter().all(|w| *w <= ceiling), "attempt {attempt}");
            let distinct: std::collections::HashSet<_> = waits.iter().collect();
            assert!(
                distinct.len() > 150,
                "attempt {attempt}: only {} distinct waits",
                distinct.len()
            );
            // Full jitter spreads over the whole range, not only near the ceiling.
            assert!(
                waits.iter().any(|w| *w < ceiling / 4)
                    && waits.iter().any(|w| *w > ceiling * 3 / 4)
            );
        }
        assert_eq!(
            jittered_backoff(&RetryPolicy::disabled(), 3),
            Duration::ZERO
        );
    }
}
