//! The three products of a convolution over a group of whole NHWC samples, shared by conv2d (its
//! forward, weight gradient and input gradient) and conv2d_transpose (whose forward is conv2d's
//! input gradient, and whose backward is conv2d's forward and weight-gradient products).
use super::gemm::{matmul_serial as gemm, matmul_serial_into as gemm_into, Operand};
use super::im2col::{col2im_add, im2col, Geom};
use std::mem::MaybeUninit;

/// Rows of a column matrix handled by one product. Larger products run the GEMM faster, smaller
/// ones keep the column matrix in cache; on the MNIST CNN (2 Zen 4 cores) 1024 rows trained
/// ~20% faster than 256 and ~30% faster than 8192.
const GROUP_ROWS: usize = 1024;

/// Samples per product for `pixels` output pixels per sample.
pub fn group_size(pixels: usize) -> usize {
    (GROUP_ROWS / pixels.max(1)).max(1)
}

/// Scratch floats one column matrix of `samples` samples needs (none for a pointwise window,
/// whose input already is its column matrix).
pub fn col_len(g: &Geom, samples: usize) -> usize {
    if g.is_pointwise() {
        0
    } else {
        samples * g.pixels() * g.k()
    }
}

/// The column matrix (samples·pixels × k) of the whole samples `x`: written into `col`, or `x`
/// itself for a pointwise window.
pub fn columns<'a>(x: &'a [f32], g: &Geom, col: &'a mut [f32]) -> &'a [f32] {
    if g.is_pointwise() {
        return x;
    }
    let m = x.len() / g.in_len().max(1) * g.pixels();
    im2col(x, g, &mut col[..m * g.k()]);
    &col[..m * g.k()]
}

fn op(data: &[f32], trans: bool) -> Operand<'_> {
    Operand { data, trans }
}

/// `out = cols · W` (m × cout) for the column matrix `cols` (m × k) and an HWIO kernel `w` (k × cout).
pub fn cols_times_kernel<'o>(
    cols: &[f32],
    w: &[f32],
    g: &Geom,
    cout: usize,
    out: &'o mut [MaybeUninit<f32>],
) -> &'o mut [f32] {
    let m = cols.len() / g.k().max(1);
    gemm_into(m, g.k(), cout, op(cols, false), op(w, false), out)
}

/// `dw += colsᵀ · dz`: the kernel gradient (k × cout) of the rows `dz` (m × cout).
pub fn add_kernel_grad(cols: &[f32], dz: &[f32], g: &Geom, cout: usize, dw: &mut [f32]) {
    let m = dz.len() / cout.max(1);
    gemm(g.k(), m, cout, op(cols, true), op(dz, false), dw, true);
}

/// `dx = col2im(dz · Wᵀ)`: the input gradient of whole samples (written in full) for the output
/// rows `dz` (m × cout). `dcol` is scratch of `col_len` floats for those samples.
pub fn input_grad<'o>(
    dz: &[f32],
    w: &[f32],
    g: &Geom,
    cout: usize,
    dcol: &mut [f32],
    dx: &'o mut [MaybeUninit<f32>],
) -> &'o mut [f32] {
    let (m, k) = (dz.len() / cout.max(1), g.k());
    let (dzo, wt) = (op(dz, false), op(w, true));
    if g.is_pointwise() {
        return gemm_into(m, cout, k, dzo, wt, dx);
    }
    gemm(m, cout, k, dzo, wt, &mut dcol[..m * k], false);
    let dx = super::fresh::zeroed(dx);
    col2im_add(&dcol[..m * k], g, dx);
    dx
}
