//! [`OpenSlices`]: a key's open slices — those of windows not fired yet, where records go —
//! in a ring indexed by slice number: slot `i` holds the slice numbered `first + i`.
//!
//! Why a ring and not a sorted list of `(slice start, accumulator)`: at small slides each record
//! lands in one of a dozen slices of its key, and at 10,000 keys those slices do not fit the
//! CPU's caches, so the load of the record's slice is a cache miss whatever the layout. The
//! ring finds the slot by arithmetic (no start to compare) and stores the accumulator alone,
//! 16 instead of 24 bytes for a count and a sum: a third fewer cache lines per key, and a third
//! fewer misses. Which slots have records is one bit each in a `u64` beside the ring (an empty
//! slot holds a fresh accumulator, never read).
//!
//! So the ring spans at most [`SPAN`] slice numbers; a slice further from the others does not
//! fit and the caller keeps it elsewhere (with the closed slices). It is **not** ordered storage
//! for any number of slices, and it knows nothing of windows or timers.

use std::collections::VecDeque;

/// The most slice numbers the ring spans: one bit each in `present`.
pub(super) const SPAN: i64 = 64;

#[derive(Debug, Clone)]
pub(super) struct OpenSlices<ACC> {
    /// Slot `i` is the slice numbered `first + i`.
    slots: VecDeque<ACC>,
    /// The slice number of the first slot (meaningless while there are no slots).
    first: i64,
    /// Bit `i`: slot `i` has records.
    present: u64,
}

impl<ACC> Default for OpenSlices<ACC> {
    fn default() -> Self {
        OpenSlices { slots: VecDeque::new(), first: 0, present: 0 }
    }
}

/// Where [`OpenSlices::slot`] put a slice.
pub(super) enum Slot<'a, ACC> {
    /// The slice's accumulator; `is_new` when it had no records before.
    Here { acc: &'a mut ACC, is_new: bool },
    /// The slice lies [`SPAN`] or more numbers from the ring's slices: not taken.
    TooFar,
}

impl<ACC> OpenSlices<ACC> {
    /// How many slices have records.
    pub(super) fn len(&self) -> usize {
        self.present.count_ones() as usize
    }

    pub(super) fn is_empty(&self) -> bool {
        self.present == 0
    }

    /// The number of the first slot and one past the last, when there are slots (the first and
    /// the last have records).
    fn numbers(&self) -> Option<(i64, i64)> {
        let len = i64::try_from(self.slots.len()).ok().filter(|len| *len > 0)?;
        Some((self.first, self.first + len))
    }

    /// The numbers of the oldest and the newest slice, if any.
    pub(super) fn bounds(&self) -> Option<(i64, i64)> {
        self.numbers().map(|(first, end)| (first, end - 1))
    }

    /// The slices with records, oldest first, as `(slice number, accumulator)`.
    pub(super) fn iter(&self) -> impl Iterator<Item = (i64, &ACC)> {
        let present = self.present;
        self.slots
            .iter()
            .zip(self.first..)
            .enumerate()
            .filter(move |(i, _)| present >> i & 1 == 1)
            .map(|(_, (acc, n))| (n, acc))
    }

    /// The slices with records numbered in `[from, to)`, oldest first.
    pub(super) fn range(&self, from: i64, to: i64) -> impl Iterator<Item = (i64, &ACC)> {
        self.iter().skip_while(move |(n, _)| *n < from).take_while(move |(n, _)| *n < to)
    }

    /// The number of the oldest slice with records numbered `from` or later.
    pub(super) fn first_from(&self, from: i64) -> Option<i64> {
        let skip = from.saturating_sub(self.first).clamp(0, SPAN);
        let present = u32::try_from(skip).ok().and_then(|skip| self.present.checked_shr(skip)).unwrap_or(0);
        (present != 0).then(|| self.first + skip + i64::from(present.trailing_zeros()))
    }

    /// The number of the newest slice with records numbered before `number`.
    pub(super) fn last_before(&self, number: i64) -> Option<i64> {
        let keep = u32::try_from(number.saturating_sub(self.first).clamp(0, SPAN)).ok()?;
        let present = if keep == 64 { self.present } else { self.present & ((1u64 << keep) - 1) };
        (present != 0).then(|| self.first + 63 - i64::from(present.leading_zeros()))
    }

    /// Starts loading the slot of the slice numbered `number` into the CPU's caches, if the
    /// ring has it ([`crate::prefetch`]).
    #[inline]
    pub(super) fn prefetch(&self, number: i64) {
        if let Some(acc) = usize::try_from(number.wrapping_sub(self.first)).ok().and_then(|i| self.slots.get(i)) {
            crate::prefetch::prefetch(acc);
        }
    }

    /// The accumulator of the slice numbered `number`, made with `empty` (and the slots between
    /// it and the others) if the ring had none.
    #[inline]
    pub(super) fn slot(&mut self, number: i64, empty: impl Fn() -> ACC) -> Slot<'_, ACC> {
        let Some((first, end)) = self.numbers() else {
            self.slots.push_back(empty());
            (self.first, self.present) = (number, 1);
            return self.slots.front_mut().map_or(Slot::TooFar, |acc| Slot::Here { acc, is_new: true });
        };
        if number < first {
            if end - number > SPAN {
                return Slot::TooFar;
            }
            for _ in number..first {
                self.slots.push_front(empty());
            }
            self.present <<= first - number;
            self.first = number;
        } else if number >= end {
            if number - first >= SPAN {
                return Slot::TooFar;
            }
            for _ in end..=number {
                self.slots.push_back(empty());
            }
        }
        // In range now: 0 <= number - first < SPAN.
        let Ok(i) = usize::try_from(number - self.first) else { return Slot::TooFar };
        let bit = 1u64 << i;
        let is_new = self.present & bit == 0;
        match self.slots.get_mut(i) {
            Some(acc) => {
                self.present |= bit;
                Slot::Here { acc, is_new }
            }
            None => Slot::TooFar,
        }
    }

    /// Removes the slots numbered before `number` and hands the slices with records among them
    /// to `take`, oldest first. The ring then starts at a slice with records, so that it spans
    /// no more than its slices do.
    pub(super) fn take_before(&mut self, number: i64, mut take: impl FnMut(i64, ACC)) {
        while !self.slots.is_empty() && (self.first < number || self.present & 1 == 0) {
            let Some(acc) = self.slots.pop_front() else { break };
            if self.present & 1 == 1 {
                take(self.first, acc);
            }
            self.present >>= 1;
            self.first += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[derive(Debug, Clone)]
    enum Op {
        Add(i64),
        TakeBefore(i64),
    }

    fn ops() -> impl Strategy<Value = Vec<Op>> {
        prop::collection::vec(
            prop_oneof![3 => (-80i64..80).prop_map(Op::Add), 1 => (-80i64..80).prop_map(Op::TakeBefore)],
            0..120,
        )
    }

    proptest! {
        /// Against a sorted map of slice number to record count.
        #[test]
        fn matches_a_sorted_map(ops in ops()) {
            let mut ring = OpenSlices::<u64>::default();
            let mut model: BTreeMap<i64, u64> = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Add(n) => {
                        let (lo, hi) = match (model.keys().next(), model.keys().next_back()) {
                            (Some(lo), Some(hi)) => (*lo.min(&n), *hi.max(&n)),
                            _ => (n, n),
                        };
                        let fits = hi - lo < SPAN;
                        match ring.slot(n, || 0) {
                            Slot::Here { acc, is_new } => {
                                *acc += 1;
                                prop_assert!(fits, "{} to {}", lo, hi);
                                prop_assert_eq!(is_new, !model.contains_key(&n));
                                *model.entry(n).or_default() += 1;
                            }
                            Slot::TooFar => prop_assert!(hi - lo >= SPAN, "{} to {}", lo, hi),
                        }
                    }
                    Op::TakeBefore(n) => {
                        let mut taken = Vec::new();
                        ring.take_before(n, |number, acc| taken.push((number, acc)));
                        let expected: Vec<(i64, u64)> = model.range(..n).map(|(k, v)| (*k, *v)).collect();
                        model.retain(|k, _| *k >= n);
                        prop_assert_eq!(taken, expected);
                    }
                }
                let listed: Vec<(i64, u64)> = ring.iter().map(|(n, acc)| (n, *acc)).collect();
                prop_assert_eq!(&listed, &model.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>());
                prop_assert_eq!(ring.len(), model.len());
                for probe in -90i64..90 {
                    prop_assert_eq!(ring.first_from(probe), model.range(probe..).next().map(|(k, _)| *k));
                    prop_assert_eq!(ring.last_before(probe), model.range(..probe).next_back().map(|(k, _)| *k));
                }
                let range: Vec<i64> = ring.range(-10, 10).map(|(n, _)| n).collect();
                prop_assert_eq!(range, model.range(-10..10).map(|(k, _)| *k).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn a_slice_too_far_is_not_taken() {
        let mut ring = OpenSlices::<u64>::default();
        assert!(matches!(ring.slot(100, || 0), Slot::Here { is_new: true, .. }));
        assert!(matches!(ring.slot(100 + SPAN, || 0), Slot::TooFar));
        assert!(matches!(ring.slot(100 - SPAN, || 0), Slot::TooFar));
        assert!(matches!(ring.slot(100 + SPAN - 1, || 0), Slot::Here { is_new: true, .. }));
        assert!(matches!(ring.slot(101, || 0), Slot::Here { is_new: true, .. }));
        assert!(matches!(ring.slot(99, || 0), Slot::TooFar));
        assert_eq!(ring.len(), 3);
    }
}
