//! The one GEMM entry point: faer's one-thread matmul, with the product cut into a piece per pool
//! thread from `MIN_SPLIT_FLOPS` multiply-adds (how and why: gemm_split.rs). faer's own parallel
//! mode and the gemm crate's threading were both slower at the MLP's shapes (sessions 1-3 notes).
use super::gemm_split::{product, Out};
use super::parallel::MIN_SPLIT_FLOPS;

/// Row-major operand: `data` holds a `rows × cols` matrix, or its transpose when `trans` is set.
#[derive(Clone, Copy)]
pub struct Operand<'a> {
    pub data: &'a [f32],
    pub trans: bool,
}

impl Operand<'_> {
    /// (row stride, column stride) of the logical matrix with `cols` columns (`rows` rows).
    pub(super) fn strides(&self, rows: usize, cols: usize) -> (isize, isize) {
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
            MIN_SPLIT_FLOPS,
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
        product(m, k, n, a, b, Out(c.as_mut_ptr()), false, MIN_SPLIT_FLOPS);
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

/// `matmul_serial` into a fresh, uninitialised output, which the product writes in full; returns it
/// initialised.
pub fn matmul_serial_into<'c>(
    m: usize,
    k: usize,
    n: usize,
    a: Operand,
    b: Operand,
    c: &'c mut [std::mem::MaybeUninit<f32>],
) -> &'c mut [f32] {
    check(m, k, n, a, b);
    assert!(c.len() >= m * n, "gemm: output too short");
    // SAFETY: room for m·n values; without `accumulate` the product writes each of them and reads
    // none (as in `matmul_new`).
    unsafe {
        product(m, k, n, a, b, Out(c.as_mut_ptr().cast()), false, usize::MAX);
        &mut *(&mut c[..m * n] as *mut [std::mem::MaybeUninit<f32>] as *mut [f32])
    }
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
        all_transpose_combinations();
    }

    #[test]
    fn products_cut_over_the_pool_match_naive() {
        crate::kernels::parallel::within_pool(all_transpose_combinations);
    }

    fn all_transpose_combinations() {
        // With two or more threads the last three shapes are cut: along the inner dimension, by
        // rows and by columns (each with a ragged last piece); offered piece by piece when called
        // from outside the pool, forked on it.
        for &(m, k, n) in &[
            (3, 4, 5),
            (33, 70, 17),
            (64, 128, 96),
            (40, 300, 200),
            (301, 90, 37),
            (40, 100, 301),
        ] {
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
