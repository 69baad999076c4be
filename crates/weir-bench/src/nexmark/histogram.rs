//! [`Histogram`]: a log-linear histogram of microsecond values, for latency percentiles.
//!
//! Values below 64 have a bucket each; above, every power of two is cut into 32 equal buckets,
//! so a bucket is at most 1/32 (3.1%) of its values wide. A percentile is reported as the upper
//! bound of its bucket (never below the true value, at most 3.1% above it); the maximum is kept
//! exactly. Fixed size (~15 KiB), no allocation per value, mergeable: one per sink subtask,
//! merged at the end. Pure logic, no I/O.

/// Sub-buckets per power of two, as a power of two.
const SUB_BITS: u32 = 5;
/// Values below this have exact buckets.
const LINEAR: u64 = 1 << (SUB_BITS + 1);
/// Buckets: the linear ones, then 32 per power of two from 2^6 to 2^63.
const BUCKETS: usize = LINEAR as usize + (64 - (SUB_BITS as usize + 1)) * (1 << SUB_BITS);

/// Counts of values by bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Histogram {
    counts: Box<[u64]>,
    total: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram { counts: vec![0; BUCKETS].into_boxed_slice(), total: 0, max: 0 }
    }
}

impl Histogram {
    #[inline]
    pub fn record(&mut self, value: u64) {
        self.counts[bucket_of(value)] += 1;
        self.total += 1;
        self.max = self.max.max(value);
    }

    /// Adds `other`'s values to this one's.
    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts.iter()) {
            *mine += theirs;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    /// How many values were recorded.
    pub fn len(&self) -> u64 {
        self.total
    }

    /// The largest value recorded (0 when empty).
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The `quantile` (0.0–1.0) as the upper bound of the bucket holding the value of rank
    /// `ceil(quantile · n)`, capped at the maximum; `None` when empty.
    pub fn quantile(&self, quantile: f64) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((quantile.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (bucket, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Some(upper_bound(bucket).min(self.max));
            }
        }
        Some(self.max)
    }
}

/// The bucket of `value`.
#[inline]
fn bucket_of(value: u64) -> usize {
    if value < LINEAR {
        return value as usize;
    }
    let exponent = 63 - value.leading_zeros(); // at least SUB_BITS + 1
    let shift = exponent - SUB_BITS;
    let sub = (value >> shift) - (1 << SUB_BITS); // 0..32
    LINEAR as usize + ((exponent - SUB_BITS - 1) as usize) * (1 << SUB_BITS) + sub as usize
}

/// The largest value of `bucket`.
fn upper_bound(bucket: usize) -> u64 {
    if bucket < LINEAR as usize {
        return bucket as u64;
    }
    let above = bucket - LINEAR as usize;
    let exponent = (above >> SUB_BITS) as u32 + SUB_BITS + 1;
    let sub = (above & ((1 << SUB_BITS) - 1)) as u64;
    let shift = exponent - SUB_BITS;
    let lower = ((1u64 << SUB_BITS) + sub) << shift;
    lower + ((1u64 << shift) - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_value_in_order() {
        let mut last = 0;
        for value in (0..100_000u64).chain([1 << 40, u64::MAX / 3, u64::MAX]) {
            let bucket = bucket_of(value);
            assert!(bucket < BUCKETS && bucket >= last, "{value}");
            assert!(upper_bound(bucket) >= value, "{value}");
            if bucket > 0 {
                assert!(upper_bound(bucket - 1) < value, "{value}");
            }
            last = bucket;
        }
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn buckets_are_at_most_a_32nd_of_their_values_wide() {
        for value in [64u64, 100, 1_000, 12_345, 1_000_000, 987_654_321] {
            let upper = upper_bound(bucket_of(value));
            assert!((upper - value) as f64 <= value as f64 / 32.0, "{value} -> {upper}");
        }
    }

    #[test]
    fn quantiles_of_a_known_distribution() {
        let mut histogram = Histogram::default();
        assert_eq!(histogram.quantile(0.99), None);
        for value in 1..=1_000u64 {
            histogram.record(value);
        }
        assert_eq!(histogram.len(), 1_000);
        assert_eq!(histogram.quantile(0.0), Some(1));
        assert_eq!(histogram.quantile(0.5), Some(503)); // 500 falls in [496, 503]
        assert_eq!(histogram.quantile(0.99), Some(991)); // 990 falls in [976, 991]
        assert_eq!(histogram.quantile(1.0), Some(1_000)); // capped at the maximum
        let mut other = Histogram::default();
        other.record(50_000);
        histogram.merge(&other);
        assert_eq!((histogram.len(), histogram.max()), (1_001, 50_000));
        assert_eq!(histogram.quantile(1.0), Some(50_000));
    }
}
