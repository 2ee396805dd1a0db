//! Fresh output buffers that their producers initialise in place. A train step allocates megabytes
//! of outputs (the MNIST CNN's first convolution alone writes 5.5 MB per batch of 64); zero-filling
//! them up front was one thread streaming through memory that the kernels then wrote again.
//! Instead each task initialises its own part right before it writes there, in parallel and while
//! that part is in its cache.
use std::mem::MaybeUninit;

/// Initialise `s` with `v` and view it as the initialised values it now holds.
pub fn filled(s: &mut [MaybeUninit<f32>], v: f32) -> &mut [f32] {
    s.fill(MaybeUninit::new(v));
    // SAFETY: every element was written just above; MaybeUninit<f32> has f32's layout.
    unsafe { &mut *(s as *mut [MaybeUninit<f32>] as *mut [f32]) }
}

/// `filled(s, 0.0)`.
pub fn zeroed(s: &mut [MaybeUninit<f32>]) -> &mut [f32] {
    filled(s, 0.0)
}

/// A vector of `len` values, all written by `init`, which must write every one of them.
/// # Safety
/// `init` initialises every element of the slice it is given.
pub unsafe fn new_with<R>(
    len: usize,
    init: impl FnOnce(&mut [MaybeUninit<f32>]) -> R,
) -> (Vec<f32>, R) {
    let mut v = Vec::with_capacity(len);
    let r = init(&mut v.spare_capacity_mut()[..len]);
    // SAFETY: the caller's `init` wrote all `len` values.
    unsafe { v.set_len(len) };
    (v, r)
}
