//! [`prefetch`]: asks the CPU to start loading a value into its caches, for code that knows
//! which cold data it will touch a few steps ahead (the window operator looks up the slices the
//! next records of a batch go to).
//!
//! It is **not** a read: nothing is loaded architecturally, nothing waits for the load, and on
//! targets without a prefetch instruction it does nothing.

/// Starts loading the cache line holding `value`: a hint, with no effect on results.
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults and reads nothing architecturally, whatever the address;
    // this one is of a live reference. `sse`, which the instruction needs, is part of every
    // x86_64 target.
    #[allow(unsafe_code)]
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(std::ptr::from_ref(value).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}
