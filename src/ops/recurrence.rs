//! The recurrence of SimpleRNN, LSTM and GRU over a whole sequence as one op, with its
//! backpropagation through time written by hand: one node instead of ~15 per step, the gate
//! values of every step kept for the backward pass, and the recurrent kernel's gradient as one
//! product over all steps (K = steps · batch) rather than one small product per step.
use super::recurrence_backward::bptt;
use crate::autograd::Backward;
use crate::error::{fmt_shape, Error, Result};
use crate::kernels::exp;
use crate::kernels::gemm::{matmul_serial as matmul, Operand};
use crate::kernels::parallel;
use crate::ops::Unary;
use crate::tensor::Tensor;
use rayon::prelude::*;
use std::ops::Range;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell {
    /// h = act(x·W + h·U + b)
    Simple,
    /// Gates i, f, c, o (Keras' order); c = f*c + i*act(z_c); h = o*act(c).
    Lstm,
    /// Gates z, r, h (Keras' order); h = z*h + (1 − z)*act(x_h + r ⊙ (h·U_h)). With
    /// `reset_after` (Keras 3's default) r multiplies h·U_h + b_h, and the bias is (2, 3·units):
    /// the input's and the recurrent product's.
    Gru { reset_after: bool },
}

impl Cell {
    pub fn gates(self) -> usize {
        match self {
            Cell::Simple => 1,
            Cell::Lstm => 4,
            Cell::Gru { .. } => 3,
        }
    }
}

/// What the op computes besides its inputs: the cell, its activation and the gates'
/// (`recurrent`), and whether the steps run from the end of the sequence.
#[derive(Clone, Copy, Debug)]
pub struct Recurrence {
    pub cell: Cell,
    pub activation: Unary,
    pub recurrent: Unary,
    pub backwards: bool,
}

/// `u(x)`, with sigmoid and tanh through the inline exp (`kernels::exp`): libm's tanhf (through
/// expm1f) took a fifth of an LSTM train step, and a libm expf call per gate value another eighth.
#[inline(always)]
fn apply(u: Unary, x: f32) -> f32 {
    match u {
        Unary::Tanh => exp::tanh(x),
        Unary::Sigmoid => exp::sigmoid(x),
        _ => u.f(x),
    }
}

/// `y = u(z)` over one gate's units: the activation chosen once, so that the loop vectorises.
#[inline(always)]
fn activate(u: Unary, z: &[f32], y: &mut [f32]) {
    match u {
        Unary::Tanh => y.iter_mut().zip(z).for_each(|(y, &z)| *y = exp::tanh(z)),
        Unary::Sigmoid => y.iter_mut().zip(z).for_each(|(y, &z)| *y = exp::sigmoid(z)),
        _ => y.iter_mut().zip(z).for_each(|(y, &z)| *y = u.f(z)),
    }
}

pub(super) fn op(a: &[f32], trans: bool) -> Operand<'_> {
    Operand { data: a, trans }
}

/// Per-step values the backward pass reads, all in step order (s = 0 is the first step run).
pub(super) struct Saved {
    /// Gate pre-activations and activations, (steps, batch, gates·units).
    pub pre: Vec<f32>,
    pub post: Vec<f32>,
    /// LSTM: the cell state c; GRU with reset_after: h·U_h + b_h. (steps, batch, units)
    pub extra: Vec<f32>,
    /// LSTM: act(c).
    pub act_c: Vec<f32>,
}

/// steps, batch, units, gates
#[derive(Clone, Copy)]
pub(super) struct Dims {
    pub t: usize,
    pub b: usize,
    pub u: usize,
    pub g: usize,
}

impl Tensor {
    /// The hidden states of every step, (steps, batch, units) in the order the steps ran, of
    /// `self` = the input products x·W (+ input bias), time-major (steps, batch, gates·units).
    /// `r`: the recurrent kernel (units, gates·units); `rb`: a GRU's recurrent bias with
    /// reset_after; `mask`: the recurrent dropout mask (batch, units), applied to the state
    /// before its product only, as Keras.
    pub fn recurrence(
        &self,
        r: &Tensor,
        rb: Option<&Tensor>,
        mask: Option<&Tensor>,
        spec: Recurrence,
    ) -> Result<Tensor> {
        let d = check(self, r, rb, mask, spec)?;
        let mask_v = mask.map(|m| m.to_vec());
        let rb_v = rb.map(|t| t.to_vec());
        let chunks = {
            let (xw, rk) = (self.data(), r.data());
            // Sequences are independent: each pool thread runs every step for its rows of the
            // batch, with no join per step (a step's products are far too small to split).
            let work = d.t * d.b * d.u * d.g * d.u * 4;
            parallel::run(work, parallel::min_parallel_flops(), |threads| {
                let n = (threads * 2).min(d.b).max(1);
                let step = d.b.div_ceil(n);
                let ranges: Vec<Range<usize>> = (0..d.b)
                    .step_by(step)
                    .map(|r0| r0..(r0 + step).min(d.b))
                    .collect();
                let one = |rows: Range<usize>| {
                    crate::kernels::simd_level::vectorize(
                        #[inline(always)]
                        || forward(&xw, &rk, rb_v.as_deref(), mask_v.as_deref(), &d, spec, rows),
                    )
                };
                if threads == 1 {
                    ranges.into_iter().map(one).collect::<Vec<Chunk>>()
                } else {
                    ranges.into_par_iter().map(one).collect()
                }
            })
        };
        let mut hs = vec![0.0f32; d.t * d.b * d.u];
        for c in &chunks {
            scatter(&mut hs, &c.hs, &c.rows, d.t, d.b, d.u);
        }
        let back = RecurrenceBackward {
            spec,
            chunks,
            mask: mask_v,
            has_rb: rb.is_some(),
        };
        let mut inputs = vec![self, r];
        inputs.extend(rb);
        Ok(Tensor::from_op(hs, vec![d.t, d.b, d.u], back, &inputs))
    }
}

fn check(
    x: &Tensor,
    r: &Tensor,
    rb: Option<&Tensor>,
    mask: Option<&Tensor>,
    spec: Recurrence,
) -> Result<Dims> {
    let bad = |what: &str| Error::shape("recurrence", what.to_string());
    let (xs, rs) = (x.shape(), r.shape());
    let g = spec.cell.gates();
    let (&[t, b, gu], &[u, gu2]) = (xs, rs) else {
        return Err(bad(&format!(
            "needs (steps, batch, gates·units) inputs and a (units, gates·units) kernel, got {} and {}",
            fmt_shape(xs),
            fmt_shape(rs)
        )));
    };
    if gu != g * u || gu2 != gu || t == 0 {
        return Err(bad(&format!(
            "input products {} and recurrent kernel {} do not fit {g} gates",
            fmt_shape(xs),
            fmt_shape(rs)
        )));
    }
    if rb.is_some_and(|v| v.shape() != [gu]) || mask.is_some_and(|m| m.shape() != [b, u]) {
        return Err(bad("recurrent bias or dropout mask of the wrong shape"));
    }
    Ok(Dims { t, b, u, g })
}

/// The columns [from, to) of a (rows, cols) row-major matrix, as a new matrix.
pub(super) fn columns(a: &[f32], cols: usize, from: usize, to: usize) -> Vec<f32> {
    a.chunks(cols)
        .flat_map(|row| row[from..to].iter().copied())
        .collect()
}

/// Rows `rows` of the batch through every step: their hidden states (steps, rows, units) and
/// what their backward pass needs. Inlined into its caller's `vectorize`, so that the gate loops
/// compile at the run-time SIMD level.
#[inline(always)]
fn forward(
    xw: &[f32],
    r: &[f32],
    rb: Option<&[f32]>,
    mask: Option<&[f32]>,
    d: &Dims,
    spec: Recurrence,
    rows: Range<usize>,
) -> Chunk {
    let Dims { t, b: full, u, g } = *d;
    let b = rows.len();
    let mask = mask.map(|m| &m[rows.start * u..rows.end * u]);
    let (gu, bu) = (g * u, b * u);
    let (act, rec) = (spec.activation, spec.recurrent);
    let mut hs = vec![0.0f32; t * bu];
    let mut pre = vec![0.0f32; t * b * gu];
    let mut post = vec![0.0f32; t * b * gu];
    let lstm = spec.cell == Cell::Lstm;
    let gru_after = spec.cell == (Cell::Gru { reset_after: true });
    let mut extra = vec![0.0f32; if lstm || gru_after { t * bu } else { 0 }];
    let mut act_c = vec![0.0f32; if lstm { t * bu } else { 0 }];
    // GRU without reset_after multiplies h by U's z and r columns and r ⊙ h by the candidate's.
    let (r_zr, r_h) = match spec.cell {
        Cell::Gru { reset_after: false } => (columns(r, gu, 0, 2 * u), columns(r, gu, 2 * u, gu)),
        _ => (Vec::new(), Vec::new()),
    };
    let mut inner = vec![0.0f32; b * gu];
    let mut hd = vec![0.0f32; bu];
    let mut rh = vec![0.0f32; bu];
    let mut q = vec![0.0f32; bu];
    for s in 0..t {
        let at = if spec.backwards { t - 1 - s } else { s };
        let x = &xw[(at * full + rows.start) * gu..(at * full + rows.end) * gu];
        let (done, rest) = hs.split_at_mut(s * bu);
        let h_prev = (s > 0).then(|| &done[(s - 1) * bu..]);
        let h = &mut rest[..bu];
        // The state's product (zero at the first step, whose state is zero).
        inner.iter_mut().for_each(|v| *v = 0.0);
        if let Some(hp) = h_prev {
            hd.iter_mut().zip(hp).enumerate().for_each(|(i, (o, &v))| {
                *o = mask.map_or(v, |m| v * m[i]);
            });
            match spec.cell {
                Cell::Gru { reset_after: false } => matmul(
                    b,
                    u,
                    2 * u,
                    op(&hd, false),
                    op(&r_zr, false),
                    &mut inner,
                    false,
                ),
                _ => matmul(b, u, gu, op(&hd, false), op(r, false), &mut inner, false),
            }
        }
        let z = &mut pre[s * b * gu..(s + 1) * b * gu];
        let y = &mut post[s * b * gu..(s + 1) * b * gu];
        match spec.cell {
            Cell::Simple => {
                for i in 0..bu {
                    z[i] = x[i] + inner[i];
                    y[i] = apply(act, z[i]);
                    h[i] = y[i];
                }
            }
            Cell::Lstm => {
                z.iter_mut()
                    .zip(x.iter().zip(&inner))
                    .for_each(|(z, (x, i))| *z = x + i);
                // This step's cell states follow the previous step's in `extra`.
                let (c_done, c_rest) = extra.split_at_mut(s * bu);
                let c_prev = (s > 0).then(|| &c_done[(s - 1) * bu..]);
                let tc_all = &mut act_c[s * bu..(s + 1) * bu];
                for row in 0..b {
                    let gates = row * gu..(row + 1) * gu;
                    let (zr, yr) = (&z[gates.clone()], &mut y[gates]);
                    for gate in 0..4 {
                        let f = if gate == 2 { act } else { rec };
                        activate(
                            f,
                            &zr[gate * u..(gate + 1) * u],
                            &mut yr[gate * u..(gate + 1) * u],
                        );
                    }
                    let (i_g, rest) = yr.split_at(u);
                    let (f_g, rest) = rest.split_at(u);
                    let (g_g, o_g) = rest.split_at(u);
                    let units = row * u..(row + 1) * u;
                    let c = &mut c_rest[units.clone()];
                    match c_prev {
                        Some(cp) => {
                            let cp = &cp[units.clone()];
                            for k in 0..u {
                                c[k] = f_g[k] * cp[k] + i_g[k] * g_g[k];
                            }
                        }
                        None => {
                            for k in 0..u {
                                c[k] = f_g[k] * 0.0 + i_g[k] * g_g[k];
                            }
                        }
                    }
                    let tc = &mut tc_all[units.clone()];
                    activate(act, c, tc);
                    let h = &mut h[units];
                    for k in 0..u {
                        h[k] = o_g[k] * tc[k];
                    }
                }
            }
            Cell::Gru { reset_after } => {
                if let (Some(rb), true) = (rb, reset_after) {
                    inner
                        .chunks_mut(gu)
                        .for_each(|row| row.iter_mut().zip(rb).for_each(|(v, b)| *v += b));
                }
                for row in 0..b {
                    for k in 0..u {
                        let (jz, jr) = (row * gu + k, row * gu + u + k);
                        let iz = if reset_after { jz } else { row * 2 * u + k };
                        let ir = iz + u;
                        z[jz] = x[jz] + inner[iz];
                        z[jr] = x[jr] + inner[ir];
                        y[jz] = apply(rec, z[jz]);
                        y[jr] = apply(rec, z[jr]);
                        rh[row * u + k] = y[jr] * if s > 0 { hd[row * u + k] } else { 0.0 };
                    }
                }
                if !reset_after && s > 0 {
                    matmul(b, u, u, op(&rh, false), op(&r_h, false), &mut q, false);
                }
                for row in 0..b {
                    for k in 0..u {
                        let jh = row * gu + 2 * u + k;
                        let cand = if reset_after {
                            let ih = inner[jh];
                            extra[s * bu + row * u + k] = ih;
                            y[row * gu + u + k] * ih
                        } else if s > 0 {
                            q[row * u + k]
                        } else {
                            0.0
                        };
                        z[jh] = x[jh] + cand;
                        y[jh] = apply(act, z[jh]);
                        let hp = h_prev.map_or(0.0, |p| p[row * u + k]);
                        let zg = y[row * gu + k];
                        h[row * u + k] = zg * hp + (1.0 - zg) * y[jh];
                    }
                }
            }
        }
    }
    Chunk {
        rows,
        hs,
        saved: Saved {
            pre,
            post,
            extra,
            act_c,
        },
    }
}

/// One range of batch rows as forward left it.
struct Chunk {
    rows: Range<usize>,
    hs: Vec<f32>,
    saved: Saved,
}

/// Rows `rows` of a (steps, batch, width) array from a (steps, rows, width) one.
fn scatter(full: &mut [f32], part: &[f32], rows: &Range<usize>, t: usize, b: usize, w: usize) {
    let n = rows.len() * w;
    for s in 0..t {
        full[(s * b + rows.start) * w..(s * b + rows.end) * w]
            .copy_from_slice(&part[s * n..(s + 1) * n]);
    }
}

/// The (steps, rows, width) part of a (steps, batch, width) array.
fn gather(full: &[f32], rows: &Range<usize>, t: usize, b: usize, w: usize) -> Vec<f32> {
    (0..t)
        .flat_map(|s| {
            full[(s * b + rows.start) * w..(s * b + rows.end) * w]
                .iter()
                .copied()
        })
        .collect()
}

/// dxw, dU and a GRU's d(recurrent bias) from the hidden states' gradients: each chunk of batch
/// rows walks its steps backwards on its own thread; their dU and bias parts are summed.
struct RecurrenceBackward {
    spec: Recurrence,
    chunks: Vec<Chunk>,
    mask: Option<Vec<f32>>,
    has_rb: bool,
}

impl Backward for RecurrenceBackward {
    fn name(&self) -> &'static str {
        "recurrence"
    }
    fn backward(&self, grad: &[f32], inputs: &[Tensor], _out: &Tensor) -> Vec<Option<Vec<f32>>> {
        let (xs, rs) = (inputs[0].shape(), inputs[1].shape());
        let (t, b, u, g) = (xs[0], xs[1], rs[0], self.spec.cell.gates());
        let rk = inputs[1].data();
        let work = t * b * u * g * u * 8;
        let parts: Vec<_> = parallel::run(work, parallel::min_parallel_flops(), |threads| {
            let one = |c: &Chunk| {
                let d = Dims {
                    t,
                    b: c.rows.len(),
                    u,
                    g,
                };
                let mask = self
                    .mask
                    .as_deref()
                    .map(|m| &m[c.rows.start * u..c.rows.end * u]);
                let dhs = gather(grad, &c.rows, t, b, u);
                bptt(d, self.spec, &c.saved, mask, &dhs, &c.hs, &rk)
            };
            if threads == 1 {
                self.chunks.iter().map(one).collect()
            } else {
                self.chunks.par_iter().map(one).collect()
            }
        });
        let mut dxw = vec![0.0f32; t * b * g * u];
        let mut dr = vec![0.0f32; u * g * u];
        let mut drb = vec![0.0f32; if self.has_rb { g * u } else { 0 }];
        for (c, (dx, dr_part, drb_part)) in self.chunks.iter().zip(parts) {
            scatter(&mut dxw, &dx, &c.rows, t, b, g * u);
            dr.iter_mut().zip(&dr_part).for_each(|(a, v)| *a += v);
            drb.iter_mut().zip(&drb_part).for_each(|(a, v)| *a += v);
        }
        let mut res = vec![Some(dxw), Some(dr)];
        if self.has_rb {
            res.push(Some(drb));
        }
        res
    }
}
