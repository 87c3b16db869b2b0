//! The global allocator: mimalloc 2 instead of glibc's malloc.
//!
//! Why: after SigV4's hashing was fixed (the `sha2` profile note in Cargo.toml),
//! allocation was the largest share of the CPU per record that this crate can
//! change without rewriting the SDK: glibc's `malloc`/`free`, their
//! consolidation and `realloc` were ~14% of a warm invocation's samples, and
//! mimalloc takes about 15% off the CPU per record (benches/LEVERS.md).
//!
//! Two settings keep its memory at glibc's level, which `make bench` checks
//! (peak RSS after 50 invocations):
//! - `no_thp` (a Cargo feature): without it the peak was 4 MiB higher; its
//!   eagerly committed arena gets transparent huge pages (turning eager commit
//!   off, `MIMALLOC_ARENA_EAGER_COMMIT=0`, removed the 4 MiB as well).
//! - [`tune`]: pages freed at the end of an invocation go back to the kernel at
//!   once instead of after mimalloc's 10 ms delay, so the next invocation's
//!   peak does not stack on the last one's (−0.1 to −0.4 MiB in the runs
//!   measured, no measurable CPU).
//!
//! In the library, not just the binary, so the tests run on the allocator
//! that ships.

use libmimalloc_sys::{mi_option_set, mi_option_t};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay`, the 16th entry of `mi_option_e` in mimalloc 2's
/// `include/mimalloc.h`; the `libmimalloc-sys` bindings don't name it. The
/// unit test below reads its documented default (10 ms) back through it.
const PURGE_DELAY: mi_option_t = 15;

/// Applies the run-time settings; called once at the start of `main`.
pub fn tune() {
    // SAFETY: mimalloc's options are plain process-wide integers, settable at
    // any time from any thread.
    unsafe { mi_option_set(PURGE_DELAY, 0) };
}

#[cfg(test)]
mod tests {
    use libmimalloc_sys::mi_option_get;

    /// The index is mimalloc 2's purge delay: its default is 10 ms, and
    /// `tune` sets it to 0. A different mimalloc layout fails here.
    #[test]
    fn purge_delay_is_the_option_tune_sets() {
        // SAFETY: reading and writing mimalloc's process-wide options.
        let before = unsafe { mi_option_get(super::PURGE_DELAY) };
        assert_eq!(before, 10, "mimalloc 2 documents a 10 ms purge delay");
        super::tune();
        assert_eq!(unsafe { mi_option_get(super::PURGE_DELAY) }, 0);
    }
}
