//! Per-thread scratch buffers that live across calls, so hot loops (im2col's column matrix, the
//! convolution's gradient columns) neither allocate nor zero memory on every batch.
use std::cell::RefCell;

thread_local! {
    static SCRATCH: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Run `f` on this thread's buffer of `len` floats. Its contents are left over from earlier use:
/// callers write every value before reading it. A nested call gets a buffer of its own.
pub fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
    let mut buf = SCRATCH.with(|s| s.take());
    if buf.len() < len {
        buf.resize(len, 0.0);
    }
    let r = f(&mut buf[..len]);
    SCRATCH.with(|s| {
        let mut slot = s.borrow_mut();
        if slot.len() < buf.len() {
            *slot = buf;
        }
    });
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn nested_calls_get_separate_buffers() {
        with_scratch(4, |a| {
            a.fill(1.0);
            with_scratch(4, |b| b.fill(2.0));
            assert_eq!(a, &[1.0; 4]);
        });
    }
}
