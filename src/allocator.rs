//! The process's allocator: mimalloc, told to keep freed pages for a while.
//!
//! Training allocates and frees the same few large buffers every step (a product's output, a
//! gradient, im2col's columns). mimalloc reuses a freed buffer instead of returning its pages to
//! the OS and faulting fresh zeroed pages back in, but only until it purges its free memory, which
//! it does `purge_delay` ms after the first free of a round (mimalloc 3 does not extend the delay
//! on later frees). At its default of 1 s every second of training handed the whole working set
//! back: in `benches/cifar_cnn.py` the kernel zeroing 2 MB pages (`clear_page_erms`) took 3.4% of
//! the samples and the run had 14 000-26 000 page faults; at 10 s it took 2.3%, nearly all the
//! first touch of the data and of the first step, with 7 700 faults. Freed memory still goes back
//! to the OS, 10 s after it was freed.

use libmimalloc_sys::{mi_option_get, mi_option_set, mi_option_t};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc 3's `mi_option_e` (the sys crate names no constant for it;
/// Cargo.lock pins the version, and a test checks the index against the environment variable).
const PURGE_DELAY: mi_option_t = 15;

/// How long freed memory is kept before it goes back to the OS.
pub const KEEP_FREED_MS: i64 = 10_000;

/// Sets the purge delay to `KEEP_FREED_MS` unless the user chose one through mimalloc's own
/// environment variables (`MIMALLOC_PURGE_DELAY`, or its old name `MIMALLOC_RESET_DELAY`).
pub fn configure() {
    let chosen = ["MIMALLOC_PURGE_DELAY", "MIMALLOC_RESET_DELAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some());
    if !chosen {
        // SAFETY: mi_option_set only stores the value; mimalloc reads options atomically.
        unsafe { mi_option_set(PURGE_DELAY, KEEP_FREED_MS as _) };
    }
}

/// The purge delay mimalloc uses now, in ms.
pub fn purge_delay_ms() -> i64 {
    // SAFETY: reading an option has no preconditions.
    unsafe { mi_option_get(PURGE_DELAY) as i64 }
}
