//! The one GEMM entry point: faer's matmul, on one thread below `MIN_PARALLEL_FLOPS`, else on the pool.
//! Measured on the target machine (2 vCPUs, AVX-512; tests/ has no timing, figures in the closing
//! notes): one thread reaches 107-124 GFLOP/s from 32×784·784×128 up to 1024²; two threads only pay
//! from about 2^24 multiply-adds (256×784·784×128: 138 vs 124 GFLOP/s; 1024²: 182 vs 113), while at
//! the MLP's shapes they were slower (32×784·784×128: 58-67 vs 107). The gemm crate's own threading
//! was slower than faer's at every parallel shape, so faer is the only backend.
use super::parallel::{self, MIN_PARALLEL_FLOPS};

/// Row-major operand: `data` holds a `rows × cols` matrix, or its transpose when `trans` is set.
#[derive(Clone, Copy)]
pub struct Operand<'a> {
    pub data: &'a [f32],
    pub trans: bool,
}

impl Operand<'_> {
    /// (row stride, column stride) of the logical matrix with `cols` columns (`rows` rows).
    fn strides(&self, rows: usize, cols: usize) -> (isize, isize) {
        if self.trans {
            (1, rows as isize)
        } else {
            (cols as isize, 1)
        }
    }
}

/// `c (m×n) = a (m×k) · b (k×n)`, plus the old `c` when `accumulate` is set.
/// The callers (ops/matmul.rs, layers) check shapes; here a wrong length is a bug, so it is asserted.
pub fn matmul(
    m: usize,
    k: usize,
    n: usize,
    a: Operand,
    b: Operand,
    c: &mut [f32],
    accumulate: bool,
) {
    check(m, k, n, a, b);
    assert!(c.len() >= m * n, "gemm: output too short");
    // SAFETY: `c` holds at least m·n initialised values.
    unsafe {
        product(
            m,
            k,
            n,
            a,
            b,
            Out(c.as_mut_ptr()),
            accumulate,
            MIN_PARALLEL_FLOPS,
        )
    }
}

/// `a (m×k) · b (k×n)` in a new vector. The products write every element, so the vector is not
/// zero-filled first: for a dense layer's 784×128 weight gradient that fill was 6% of a train step.
pub fn matmul_new(m: usize, k: usize, n: usize, a: Operand, b: Operand) -> Vec<f32> {
    check(m, k, n, a, b);
    let mut c: Vec<f32> = Vec::with_capacity(m * n);
    // SAFETY: the buffer has room for m·n values; `product` without `accumulate` writes each of
    // them and reads none, so every element is initialised before the length is set.
    unsafe {
        product(
            m,
            k,
            n,
            a,
            b,
            Out(c.as_mut_ptr()),
            false,
            MIN_PARALLEL_FLOPS,
        );
        c.set_len(m * n);
    }
    c
}

fn check(m: usize, k: usize, n: usize, a: Operand, b: Operand) {
    assert!(
        a.data.len() >= m * k && b.data.len() >= k * n,
        "gemm: operand too short"
    );
}

/// The output pointer, sendable to the pool thread that runs the product.
#[derive(Clone, Copy)]
struct Out(*mut f32);
// SAFETY: the pointer is used by one product at a time, while its owner waits for the result.
unsafe impl Send for Out {}

/// Runs on the pool when the product has at least `min_parallel` multiply-adds.
/// # Safety
/// `c` points to room for m·n values; they must be initialised when `accumulate` is set.
#[allow(clippy::too_many_arguments)]
unsafe fn product(
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
    let work = m * k * n;
    parallel::run(work, min_parallel, move |threads| {
        let c = c;
        let par = if threads > 1 {
            faer::Par::rayon(threads)
        } else {
            faer::Par::Seq
        };
        faer_kernel(m, k, n, a, b, c.0, accumulate, par);
        parallel::clear_upper_simd_everywhere(threads);
    });
    // The pool threads were cleaned inside `run`; this is the caller's thread (it ran the work
    // itself when the product stayed on one thread).
    parallel::clear_upper_simd();
}

/// `matmul` on the calling thread only, for callers that already split work over the pool
/// (convolutions run one product per group of samples on each thread).
pub fn matmul_serial(
    m: usize,
    k: usize,
    n: usize,
    a: Operand,
    b: Operand,
    c: &mut [f32],
    accumulate: bool,
) {
    check(m, k, n, a, b);
    assert!(c.len() >= m * n, "gemm: output too short");
    // SAFETY: `c` holds at least m·n initialised values.
    unsafe { product(m, k, n, a, b, Out(c.as_mut_ptr()), accumulate, usize::MAX) }
}

#[allow(clippy::too_many_arguments)]
fn faer_kernel(
    m: usize,
    k: usize,
    n: usize,
    a: Operand,
    b: Operand,
    c: *mut f32,
    accumulate: bool,
    par: faer::Par,
) {
    let (ars, acs) = a.strides(m, k);
    let (brs, bcs) = b.strides(k, n);
    // SAFETY: the strides describe matrices inside the slices, whose lengths were checked above.
    let am = unsafe { faer::MatRef::from_raw_parts(a.data.as_ptr(), m, k, ars, acs) };
    let bm = unsafe { faer::MatRef::from_raw_parts(b.data.as_ptr(), k, n, brs, bcs) };
    // SAFETY: `c` has room for the m×n row-major result (see `product`).
    let cm = unsafe { faer::MatMut::from_raw_parts_mut(c, m, n, n as isize, 1) };
    let accum = if accumulate {
        faer::Accum::Add
    } else {
        faer::Accum::Replace
    };
    faer::linalg::matmul::matmul(cm, accum, am, bm, 1.0f32, par);
}

#[cfg(test)]
mod tests {
    use super::*;
    fn naive(m: usize, k: usize, n: usize, a: &[f32], ta: bool, b: &[f32], tb: bool) -> Vec<f32> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                for p in 0..k {
                    let x = if ta { a[p * m + i] } else { a[i * k + p] };
                    let y = if tb { b[j * k + p] } else { b[p * n + j] };
                    c[i * n + j] += x * y;
                }
            }
        }
        c
    }
    #[test]
    fn all_transpose_combinations_match_naive() {
        for &(m, k, n) in &[(3, 4, 5), (33, 70, 17), (64, 128, 96)] {
            let a: Vec<f32> = (0..m * k).map(|i| ((i * 7) % 11) as f32 - 5.0).collect();
            let b: Vec<f32> = (0..k * n).map(|i| ((i * 3) % 13) as f32 - 6.0).collect();
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let want = naive(m, k, n, &a, ta, &b, tb);
                let mut c = vec![1.0; m * n];
                matmul(
                    m,
                    k,
                    n,
                    Operand {
                        data: &a,
                        trans: ta,
                    },
                    Operand {
                        data: &b,
                        trans: tb,
                    },
                    &mut c,
                    false,
                );
                assert_eq!(c, want);
                let fresh = matmul_new(
                    m,
                    k,
                    n,
                    Operand {
                        data: &a,
                        trans: ta,
                    },
                    Operand {
                        data: &b,
                        trans: tb,
                    },
                );
                assert_eq!(fresh, want);
                matmul(
                    m,
                    k,
                    n,
                    Operand {
                        data: &a,
                        trans: ta,
                    },
                    Operand {
                        data: &b,
                        trans: tb,
                    },
                    &mut c,
                    true,
                );
                let doubled: Vec<f32> = want.iter().map(|x| 2.0 * x).collect();
                assert_eq!(c, doubled);
            }
        }
    }
}
