//! Deterministic randomness for generators: stable pseudo-random numbers from `(seed, index)`.
//!
//! A generator must be a pure function of its index so that a restored job regenerates exactly
//! the records it would have produced. These functions are **SplitMix64** (Steele, Lea and Flood,
//! 2014; the generator behind Java's `SplittableRandom`): `random_u64(seed, i)` is the `i`-th
//! output (0-based) of SplitMix64 started from state `seed`. The values are part of weir's
//! compatibility promise, pinned by tests, and will not change.

/// SplitMix64's increment, the golden ratio in 64-bit fixed point.
const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// A stable pseudo-random `u64` for `index` under `seed`: the `index`-th output of SplitMix64
/// seeded with `seed`.
#[inline]
pub fn random_u64(seed: u64, index: u64) -> u64 {
    let mut z = seed.wrapping_add(index.wrapping_add(1).wrapping_mul(GOLDEN_GAMMA));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A stable pseudo-random number in `0..n` (0 when `n` is 0), by Lemire's multiply-shift, which
/// avoids the bias of `%` for large `n`.
#[inline]
pub fn random_range(seed: u64, index: u64, n: u64) -> u64 {
    ((u128::from(random_u64(seed, index)) * u128::from(n)) >> 64) as u64
}

/// A stable pseudo-random `f64` in `[0, 1)`, from the top 53 bits of [`random_u64`].
#[inline]
pub fn random_f64(seed: u64, index: u64) -> f64 {
    (random_u64(seed, index) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}
