//! The one GEMM entry point. Which maintained crate runs a product is decided here, from measurements
//! on the target machine (2 Zen 4 cores; figures in benches/README.md):
//! faer's sequential kernel is fastest on one core at every shape we train with; the gemm crate splits
//! small and medium products over two cores with far less overhead than faer; faer again wins on large
//! square products with both cores.
use super::parallel::{self, MIN_PARALLEL_FLOPS};

/// Products at or above this many multiply-adds use faer's parallel kernel.
const FAER_PARALLEL_FLOPS: usize = 1 << 26;

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
    assert!(
        a.data.len() >= m * k && b.data.len() >= k * n && c.len() >= m * n,
        "gemm: operand too short"
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            c[..m * n].fill(0.0);
        }
        return;
    }
    let work = m * k * n;
    parallel::run(work, MIN_PARALLEL_FLOPS, |threads| {
        if threads > 1 && work < FAER_PARALLEL_FLOPS {
            gemm_crate(m, k, n, a, b, c, accumulate, threads)
        } else {
            let par = if threads > 1 {
                faer::Par::rayon(threads)
            } else {
                faer::Par::Seq
            };
            faer_kernel(m, k, n, a, b, c, accumulate, par)
        }
    })
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
    assert!(
        a.data.len() >= m * k && b.data.len() >= k * n && c.len() >= m * n,
        "gemm: operand too short"
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            c[..m * n].fill(0.0);
        }
        return;
    }
    faer_kernel(m, k, n, a, b, c, accumulate, faer::Par::Seq)
}

#[allow(clippy::too_many_arguments)]
fn faer_kernel(
    m: usize,
    k: usize,
    n: usize,
    a: Operand,
    b: Operand,
    c: &mut [f32],
    accumulate: bool,
    par: faer::Par,
) {
    let (ars, acs) = a.strides(m, k);
    let (brs, bcs) = b.strides(k, n);
    // SAFETY: the strides describe matrices inside the slices, whose lengths were checked above.
    let am = unsafe { faer::MatRef::from_raw_parts(a.data.as_ptr(), m, k, ars, acs) };
    let bm = unsafe { faer::MatRef::from_raw_parts(b.data.as_ptr(), k, n, brs, bcs) };
    let cm = faer::MatMut::from_row_major_slice_mut(&mut c[..m * n], m, n);
    let accum = if accumulate {
        faer::Accum::Add
    } else {
        faer::Accum::Replace
    };
    faer::linalg::matmul::matmul(cm, accum, am, bm, 1.0f32, par);
}

#[allow(clippy::too_many_arguments)]
fn gemm_crate(
    m: usize,
    k: usize,
    n: usize,
    a: Operand,
    b: Operand,
    c: &mut [f32],
    accumulate: bool,
    threads: usize,
) {
    let (ars, acs) = a.strides(m, k);
    let (brs, bcs) = b.strides(k, n);
    let alpha = if accumulate { 1.0 } else { 0.0 };
    // SAFETY: as above; gemm reads `c` only when alpha is non-zero.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            acs,
            ars,
            b.data.as_ptr(),
            bcs,
            brs,
            alpha,
            1.0f32,
            false,
            false,
            false,
            gemm::Parallelism::Rayon(threads),
        );
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
