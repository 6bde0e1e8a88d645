//! Exponential histograms as explicit-bound histograms.
//!
//! The reference rejects the whole batch on an exponential histogram. Here each exponential data
//! point becomes an explicit-bound histogram with the same counts, and then goes through the schema's
//! ordinary histogram rules (cumulative `le` fields in `telegraf-prometheus-v1`, `le`-tagged lines in
//! `telegraf-prometheus-v2`, per-bucket fields in `otel-v1`), so a Prometheus-style dashboard reads
//! both kinds the same way. The conversion is exact (no count moves to another bucket):
//!
//! - `base = 2^(2^-scale)`; positive bucket `i` holds `(base^i, base^(i+1)]`, so its upper bound is
//!   `base^(i+1)`; negative bucket `i` holds `[-base^(i+1), -base^i)`, so its upper bound is
//!   `-base^i`.
//! - Bounds ascend: negative buckets from the highest index down, then the zero bucket with upper
//!   bound `zero_threshold` (always present, so the set of bounds does not depend on whether a point
//!   saw a zero), then positive buckets from the lowest index up. The overflow (`+Inf`) bucket is
//!   empty unless a bound overflows `f64`.
//! - A bound that overflows to ±∞ is not written: a negative bucket's count moves into the next
//!   bound up, a positive bucket's count into the overflow bucket.
//!
//! Bounds are `base^k` computed with `exp2`, exact for integer powers of two (scale <= 0, or indices
//! that are multiples of `2^scale`), otherwise correctly rounded to within an ulp, and always the same
//! for the same (scale, index), so a bucket keeps its field key or `le` tag from point to point.

/// Explicit-bound histogram buckets: `counts.len() == bounds.len() + 1`, the last count being the
/// overflow (`+Inf`) bucket. Reused between points.
#[derive(Debug, Default)]
pub(crate) struct ExplicitBuckets {
    pub(crate) bounds: Vec<f64>,
    pub(crate) counts: Vec<u64>,
}

/// One side (positive or negative) of an exponential histogram.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExponentialSide<I> {
    /// Index of the first bucket.
    pub(crate) offset: i32,
    /// Bucket counts from `offset` up.
    pub(crate) counts: I,
}

/// The lower boundary `base^index` of exponential bucket `index` at `scale`.
fn lower_boundary(index: i64, scale: i32) -> f64 {
    // index * 2^-scale, exact in f64 for every (i32 index, scale in -10..=20).
    (index as f64 * (-f64::from(scale)).exp2()).exp2()
}

impl ExplicitBuckets {
    /// Replaces the content with the explicit form of an exponential histogram point.
    pub(crate) fn set_from_exponential<P, N>(
        &mut self,
        scale: i32,
        zero_count: u64,
        zero_threshold: f64,
        positive: ExponentialSide<P>,
        negative: ExponentialSide<N>,
    ) where
        P: Iterator<Item = u64>,
        N: Iterator<Item = u64>,
    {
        self.bounds.clear();
        self.counts.clear();

        // Negative side, most negative bucket first.
        let negative_start = self.counts.len();
        for (k, count) in negative.counts.enumerate() {
            let index = i64::from(negative.offset) + k as i64;
            self.bounds.push(-lower_boundary(index, scale));
            self.counts.push(count);
        }
        self.bounds[negative_start..].reverse();
        self.counts[negative_start..].reverse();
        // Drop bounds that overflowed to -inf, carrying their counts up to the next bound. Counts come
        // from the sender: sums saturate rather than overflow (a debug panic, a wrapped count).
        let mut carry = 0u64;
        let mut kept = negative_start;
        for i in negative_start..self.bounds.len() {
            if self.bounds[i].is_finite() {
                self.bounds[kept] = self.bounds[i];
                self.counts[kept] = self.counts[i].saturating_add(carry);
                carry = 0;
                kept += 1;
            } else {
                carry = carry.saturating_add(self.counts[i]);
            }
        }
        self.bounds.truncate(kept);
        self.counts.truncate(kept);

        self.bounds.push(zero_threshold);
        self.counts.push(zero_count.saturating_add(carry));

        let mut overflow = 0u64;
        for (k, count) in positive.counts.enumerate() {
            let upper = lower_boundary(i64::from(positive.offset) + k as i64 + 1, scale);
            if upper.is_finite() {
                self.bounds.push(upper);
                self.counts.push(count);
            } else {
                overflow = overflow.saturating_add(count);
            }
        }
        self.counts.push(overflow);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(
        scale: i32,
        zero_count: u64,
        zero_threshold: f64,
        positive: (i32, &[u64]),
        negative: (i32, &[u64]),
    ) -> ExplicitBuckets {
        let mut buckets = ExplicitBuckets::default();
        buckets.set_from_exponential(
            scale,
            zero_count,
            zero_threshold,
            ExponentialSide {
                offset: positive.0,
                counts: positive.1.iter().copied(),
            },
            ExponentialSide {
                offset: negative.0,
                counts: negative.1.iter().copied(),
            },
        );
        buckets
    }

    #[test]
    fn scale_zero_gives_powers_of_two() {
        // Positive buckets 1..=3 at scale 0: (2,4], (4,8], (8,16].
        let b = convert(0, 2, 0.0, (1, &[3, 0, 5]), (0, &[]));
        assert_eq!(b.bounds, [0.0, 4.0, 8.0, 16.0]);
        assert_eq!(b.counts, [2, 3, 0, 5, 0]);
    }

    #[test]
    fn negative_side_ascends_before_zero() {
        // Negative buckets 0 and 1 at scale 0: [-2,-1) and [-4,-2).
        let b = convert(0, 1, 0.5, (0, &[7]), (0, &[4, 6]));
        assert_eq!(b.bounds, [-2.0, -1.0, 0.5, 2.0]);
        assert_eq!(b.counts, [6, 4, 1, 7, 0]);
    }

    #[test]
    fn positive_scale_uses_fractional_powers() {
        // scale 1: base = sqrt(2); bucket 0 is (1, sqrt 2], bucket 1 is (sqrt 2, 2].
        let b = convert(1, 0, 0.0, (0, &[1, 2]), (0, &[]));
        assert_eq!(b.bounds, [0.0, 2f64.sqrt(), 2.0]);
        assert_eq!(b.counts, [0, 1, 2, 0]);
    }

    #[test]
    fn negative_scale_merges_powers() {
        // scale -1: base = 4; bucket -1 is (1/4, 1], bucket 0 is (1, 4].
        let b = convert(-1, 0, 0.0, (-1, &[1, 1]), (0, &[]));
        assert_eq!(b.bounds, [0.0, 1.0, 4.0]);
    }

    #[test]
    fn overflowing_bounds_fold_into_neighbours() {
        // At scale 0 positive bucket 1023 ends at 2^1024 = +inf; negative bucket 1024 ends at -2^1024.
        let b = convert(0, 0, 0.0, (1022, &[1, 2]), (1024, &[3]));
        assert_eq!(b.bounds, [0.0, 2f64.powi(1023)]);
        assert_eq!(
            b.counts,
            [3, 1, 2],
            "negative overflow carried to zero, positive to +Inf"
        );
        assert_eq!(b.counts.iter().sum::<u64>(), 6, "no count lost");
    }

    #[test]
    fn folded_counts_saturate_instead_of_overflowing() {
        // Counts come from the sender; folding huge ones into one bucket must not panic or wrap.
        let b = convert(
            0,
            u64::MAX,
            0.0,
            (1023, &[u64::MAX, u64::MAX]),
            (1024, &[u64::MAX, u64::MAX]),
        );
        assert_eq!(b.bounds, [0.0]);
        assert_eq!(b.counts, [u64::MAX, u64::MAX]);
    }

    #[test]
    fn counts_are_preserved() {
        let b = convert(3, 5, 1e-9, (-20, &[1, 2, 3, 4]), (-4, &[9, 8]));
        assert_eq!(b.counts.len(), b.bounds.len() + 1);
        assert_eq!(b.counts.iter().sum::<u64>(), 5 + 10 + 17);
        assert!(b.bounds.windows(2).all(|w| w[0] < w[1]), "{:?}", b.bounds);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// No count is lost or invented, bounds ascend strictly and are finite, and the overflow
        /// bucket is the only one without a bound.
        #[test]
        fn conversion_keeps_every_count(
            scale in -10i32..=20,
            zero_count in 0u64..1000,
            positive_offset in -2000i32..2000,
            positive in proptest::collection::vec(0u64..1000, 0..40),
            negative_offset in -2000i32..2000,
            negative in proptest::collection::vec(0u64..1000, 0..40),
        ) {
            let mut buckets = ExplicitBuckets::default();
            buckets.set_from_exponential(
                scale,
                zero_count,
                0.0,
                ExponentialSide { offset: positive_offset, counts: positive.iter().copied() },
                ExponentialSide { offset: negative_offset, counts: negative.iter().copied() },
            );
            let total: u64 = zero_count + positive.iter().sum::<u64>() + negative.iter().sum::<u64>();
            prop_assert_eq!(buckets.counts.iter().sum::<u64>(), total);
            prop_assert_eq!(buckets.counts.len(), buckets.bounds.len() + 1);
            prop_assert!(buckets.bounds.iter().all(|b| b.is_finite()));
            // Tiny buckets may round to the same bound as their neighbour, never below it.
            prop_assert!(buckets.bounds.windows(2).all(|w| w[0] <= w[1]), "{:?}", buckets.bounds);
        }
    }
}
