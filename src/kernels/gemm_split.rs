//! How one matrix product is cut over the pool's threads: each task is a one-thread faer product on
//! a block of the output, or on a slice of the inner dimension whose partial sums are then added.
//!
//! Measured on the 2-vCPU target (one-thread faer: 107-115 GFLOP/s): splitting in two reached
//! 1.9-2.0x at the MLP's shapes (32×784·784×128: 58 → 30 µs) where faer's own parallel mode was
//! slower than one thread. Which side is cut matters as much as the cut. In a train step the
//! weight gradient xᵀ·dZ (784×32·32×128) is cut by its rows, and the optimizer updates each weight
//! row on the thread that computed its gradient. The forward x·W (32×784·784×128) is therefore cut
//! along the inner dimension, the same rows of W, so no thread reads weights the other one writes.
//! Cutting the forward by columns instead made each thread fetch half of W from the other core's
//! cache every step: forward + gradient + Adam took 110-300 µs instead of 84.
use super::gemm::Operand;
use super::offered;
use super::parallel;
use rayon::prelude::*;
use std::ops::Range;

/// The output pointer, shared by the tasks of one product.
#[derive(Clone, Copy)]
pub(super) struct Out(pub *mut f32);
// SAFETY: the tasks of one product write disjoint blocks of the output (or buffers of their own),
// while its owner waits.
unsafe impl Send for Out {}
unsafe impl Sync for Out {}

impl Out {
    /// The pointer `off` values further on.
    /// # Safety
    /// The result must stay inside the same buffer.
    unsafe fn add(self, off: usize) -> Out {
        // SAFETY: as the caller promises.
        Out(unsafe { self.0.add(off) })
    }
}

/// Column cuts fall on multiples of this many columns: one AVX-512 register of f32.
const COL_ALIGN: usize = 16;
/// The inner dimension is cut only while each extra thread's m×n partial sum stays this small.
const MAX_PARTIAL: usize = 1 << 16;

/// The part of `c = a·b` that one task computes: output rows × output columns, summed over `depth`.
#[derive(Clone)]
struct Block {
    rows: Range<usize>,
    cols: Range<usize>,
    depth: Range<usize>,
}

/// Which dimension a product is cut along.
#[derive(Clone, Copy, PartialEq)]
enum Cut {
    Rows,
    Cols,
    Depth,
}

fn choose(m: usize, k: usize, n: usize) -> Cut {
    if k >= m.max(n) && m * n <= MAX_PARTIAL {
        Cut::Depth
    } else if m >= n {
        Cut::Rows
    } else {
        Cut::Cols
    }
}

/// `c = a·b` (or `c += a·b` with `accumulate`), in parallel from `min_parallel` multiply-adds: on a
/// pool thread by forking there, from outside by offering the pieces to idle workers.
/// # Safety
/// `c` points to room for m·n values; they must be initialised when `accumulate` is set.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn product(
    m: usize,
    k: usize,
    n: usize,
    a: Operand,
    b: Operand,
    c: Out,
    accumulate: bool,
    min_parallel: usize,
) {
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            // SAFETY: room for m·n values (caller); all-zero bits are 0.0f32.
            unsafe { std::ptr::write_bytes(c.0, 0, m * n) };
        }
        return;
    }
    let cut = choose(m, k, n);
    let (side, align) = match cut {
        Cut::Rows => (m, 1),
        Cut::Cols => (n, COL_ALIGN),
        Cut::Depth => (k, 1),
    };
    let threads = if m * k * n >= min_parallel {
        parallel::num_threads()
    } else {
        1
    };
    let parts = threads.min(side.div_ceil(align));
    let whole = Block {
        rows: 0..m,
        cols: 0..n,
        depth: 0..k,
    };
    if parts <= 1 {
        // SAFETY: forwarded from the caller.
        unsafe { faer_block(m, k, n, a, b, c, accumulate, whole) };
        parallel::clear_upper_simd();
        return;
    }
    let step = side.div_ceil(parts).next_multiple_of(align);
    let piece = |p: usize| {
        let r = (p * step).min(side)..((p + 1) * step).min(side);
        match cut {
            Cut::Rows => Block {
                rows: r,
                ..whole.clone()
            },
            Cut::Cols => Block {
                cols: r,
                ..whole.clone()
            },
            Cut::Depth => Block {
                depth: r,
                ..whole.clone()
            },
        }
    };
    // With a depth cut, part 0 sums into `c` and every other part into a buffer of its own,
    // added to `c` after.
    let mut partial = vec![
        0.0f32;
        if cut == Cut::Depth {
            (parts - 1) * m * n
        } else {
            0
        }
    ];
    let extra = Out(partial.as_mut_ptr());
    let each = |p: usize| {
        let (out, acc) = match (cut, p) {
            (Cut::Depth, 1..) => {
                // SAFETY: buffer p - 1 of `partial`, m·n values.
                (unsafe { extra.add((p - 1) * m * n) }, false)
            }
            _ => (c, accumulate),
        };
        // SAFETY: each part writes its own block of `c` or its own buffer.
        unsafe { faer_block(m, k, n, a, b, out, acc, piece(p)) };
        parallel::clear_upper_simd();
    };
    // From outside the pool a large product is handed over whole: the wait for a worker to wake is
    // small beside it. A smaller one is offered piece by piece, so that the caller does not wait.
    if parallel::on_pool() || m * k * n >= parallel::MIN_PARALLEL_FLOPS {
        parallel::within_pool(|| (0..parts).into_par_iter().for_each(each));
    } else {
        offered::for_each(parts, &each);
    }
    // SAFETY: every part has finished, and with a depth cut part 0 wrote all m·n values of `c`.
    let c = unsafe { std::slice::from_raw_parts_mut({ c }.0, m * n) };
    for part in partial.chunks_exact(m * n) {
        c.iter_mut().zip(part).for_each(|(c, p)| *c += p);
    }
}

/// One block of the product as a one-thread faer product into the m×n row-major `c`.
/// # Safety
/// As `product`; no other thread touches the block's part of `c` while this runs.
#[allow(clippy::too_many_arguments)]
unsafe fn faer_block(
    m: usize,
    k: usize,
    n: usize,
    a: Operand,
    b: Operand,
    c: Out,
    accumulate: bool,
    block: Block,
) {
    let (ars, acs) = a.strides(m, k);
    let (brs, bcs) = b.strides(k, n);
    let (r0, rn) = (block.rows.start, block.rows.len());
    let (c0, cn) = (block.cols.start, block.cols.len());
    let (k0, kn) = (block.depth.start, block.depth.len());
    // SAFETY: the strides describe matrices inside the slices, whose lengths were checked by the
    // callers in gemm.rs.
    let am = unsafe { faer::MatRef::from_raw_parts(a.data.as_ptr(), m, k, ars, acs) };
    let bm = unsafe { faer::MatRef::from_raw_parts(b.data.as_ptr(), k, n, brs, bcs) };
    // SAFETY: `c` has room for the m×n row-major result (see `product`).
    let cm = unsafe { faer::MatMut::from_raw_parts_mut(c.0, m, n, n as isize, 1) };
    let accum = if accumulate {
        faer::Accum::Add
    } else {
        faer::Accum::Replace
    };
    faer::linalg::matmul::matmul(
        cm.submatrix_mut(r0, c0, rn, cn),
        accum,
        am.submatrix(r0, k0, rn, kn),
        bm.submatrix(k0, c0, kn, cn),
        1.0f32,
        faer::Par::Seq,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn a_train_step_cuts_weights_the_same_way_in_every_product() {
        // Forward x·W and the weight gradient xᵀ·dZ both cut the 784 rows of W.
        assert!(choose(32, 784, 128) == Cut::Depth);
        assert!(choose(784, 32, 128) == Cut::Rows);
        assert!(choose(128, 784, 128) == Cut::Depth);
        // Square products are cut by rows, without m×n partial sums.
        assert!(choose(1024, 1024, 1024) == Cut::Rows);
        assert!(choose(40, 100, 301) == Cut::Cols);
    }
}
