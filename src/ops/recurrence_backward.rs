//! Backpropagation through time for ops/recurrence.rs: the steps walked from the last, each
//! turning the hidden state's gradient into the gates' (saved activations, `Unary::df`), the
//! input products' and the previous state's; then the recurrent kernel's gradient as one
//! product over all steps.
use super::recurrence::{columns, op, Cell, Dims, Recurrence, Saved};
use crate::kernels::gemm::matmul_serial as matmul;
use crate::ops::Unary;

/// (d input products in input time order, d recurrent kernel, d recurrent bias (GRU with
/// reset_after; else empty)). `grad` and `hs` are (steps, batch, units) in step order.
#[allow(clippy::too_many_arguments)]
pub(super) fn bptt(
    d: Dims,
    spec: Recurrence,
    saved: &Saved,
    mask: Option<&[f32]>,
    grad: &[f32],
    hs: &[f32],
    r: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let (act, rec) = (spec.activation, spec.recurrent);
    // Keras' default activations get their slopes inlined (the same formulas as `Unary::df`), so
    // the step loops vectorise; a `df` dispatched per value was a sixth of the backward pass.
    crate::kernels::simd_level::vectorize(
        #[inline(always)]
        || match (act, rec) {
            (Unary::Tanh, Unary::Sigmoid) => bptt_with(
                d,
                spec,
                saved,
                (mask, grad, hs, r),
                |_, y| 1.0 - y * y,
                |_, y| y * (1.0 - y),
            ),
            _ => bptt_with(
                d,
                spec,
                saved,
                (mask, grad, hs, r),
                |x, y| act.df(x, y),
                |x, y| rec.df(x, y),
            ),
        },
    )
}

type Slices<'a> = (Option<&'a [f32]>, &'a [f32], &'a [f32], &'a [f32]);

/// `bptt` with the activation's and the recurrent activation's slopes d(x, y) given.
#[inline(always)]
fn bptt_with(
    d: Dims,
    spec: Recurrence,
    saved: &Saved,
    (mask, grad, hs, r): Slices,
    dact: impl Fn(f32, f32) -> f32,
    drec: impl Fn(f32, f32) -> f32,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let Dims { t, b, u, g } = d;
    let (gu, bu) = (g * u, b * u);
    let before = spec.cell == (Cell::Gru { reset_after: false });
    // The recurrent product's output width: a GRU without reset_after multiplies h by z, r only.
    let w = if before { 2 * u } else { gu };
    let (r_zr, r_h) = if before {
        (columns(r, gu, 0, 2 * u), columns(r, gu, 2 * u, gu))
    } else {
        (Vec::new(), Vec::new())
    };
    let masked = |v: f32, i: usize| mask.map_or(v, |m| v * m[i]);
    let mut dxw = vec![0.0f32; t * b * gu];
    let mut dzr = vec![0.0f32; t * b * w];
    let (mut dq, mut rhd) = if before {
        (vec![0.0f32; t * bu], vec![0.0f32; t * bu])
    } else {
        (Vec::new(), Vec::new())
    };
    let (mut dh_next, mut dc_next) = (vec![0.0f32; bu], vec![0.0f32; bu]);
    let (mut direct, mut dhd, mut drh) = (vec![0.0f32; bu], vec![0.0f32; bu], vec![0.0f32; bu]);
    for s in (0..t).rev() {
        let at = if spec.backwards { t - 1 - s } else { s };
        let (z, y) = (&saved.pre[s * b * gu..], &saved.post[s * b * gu..]);
        let dx = &mut dxw[at * b * gu..(at + 1) * b * gu];
        let dz = &mut dzr[s * b * w..(s + 1) * b * w];
        let h_prev = |i: usize| if s > 0 { hs[(s - 1) * bu + i] } else { 0.0 };
        let dh = |i: usize| grad[s * bu + i] + dh_next[i];
        match spec.cell {
            Cell::Simple => {
                for i in 0..bu {
                    let da = dh(i) * dact(z[i], y[i]);
                    dx[i] = da;
                    dz[i] = da;
                }
            }
            Cell::Lstm => {
                for row in 0..b {
                    for k in 0..u {
                        let j = row * u + k;
                        let at = |gate: usize| row * gu + gate * u + k;
                        let (i, f, c_in, o) = (y[at(0)], y[at(1)], y[at(2)], y[at(3)]);
                        let (c, tc) = (saved.extra[s * bu + j], saved.act_c[s * bu + j]);
                        let c_prev = if s > 0 {
                            saved.extra[(s - 1) * bu + j]
                        } else {
                            0.0
                        };
                        let dhv = dh(j);
                        let dc = dc_next[j] + dhv * o * dact(c, tc);
                        dc_next[j] = dc * f;
                        let grads = [
                            dc * c_in * drec(z[at(0)], i),
                            dc * c_prev * drec(z[at(1)], f),
                            dc * i * dact(z[at(2)], c_in),
                            dhv * tc * drec(z[at(3)], o),
                        ];
                        for (gate, v) in grads.into_iter().enumerate() {
                            dx[at(gate)] = v;
                            dz[at(gate)] = v;
                        }
                    }
                }
            }
            Cell::Gru { reset_after } => {
                for row in 0..b {
                    for k in 0..u {
                        let j = row * u + k;
                        let (jz, jr, jh) = (row * gu + k, row * gu + u + k, row * gu + 2 * u + k);
                        let (zg, rg, hh) = (y[jz], y[jr], y[jh]);
                        let dhv = dh(j);
                        direct[j] = dhv * zg;
                        let dhp = dhv * (1.0 - zg) * dact(z[jh], hh);
                        dx[jh] = dhp;
                        // The update gate's gradient waits in dx[jz] until the reset gate's is known.
                        dx[jz] = dhv * (h_prev(j) - hh) * drec(z[jz], zg);
                        if reset_after {
                            let ih = saved.extra[s * bu + j];
                            dx[jr] = dhp * ih * drec(z[jr], rg);
                            dz[jz] = dx[jz];
                            dz[jr] = dx[jr];
                            dz[jh] = dhp * rg;
                        } else {
                            dq[s * bu + j] = dhp;
                        }
                    }
                }
                if !reset_after {
                    // q = (r ⊙ hd)·U_h: d(r ⊙ hd) = dq·U_hᵀ.
                    if s > 0 {
                        matmul(
                            b,
                            u,
                            u,
                            op(&dq[s * bu..(s + 1) * bu], false),
                            op(&r_h, true),
                            &mut drh,
                            false,
                        );
                    } else {
                        drh.iter_mut().for_each(|v| *v = 0.0);
                    }
                    for row in 0..b {
                        for k in 0..u {
                            let j = row * u + k;
                            let (jz, jr) = (row * gu + k, row * gu + u + k);
                            let hdv = masked(h_prev(j), j);
                            rhd[s * bu + j] = y[jr] * hdv;
                            dx[jr] = drh[j] * hdv * drec(z[jr], y[jr]);
                            dz[row * w + k] = dx[jz];
                            dz[row * w + u + k] = dx[jr];
                            drh[j] *= y[jr]; // now d hd through q
                        }
                    }
                }
            }
        }
        if s > 0 {
            match spec.cell {
                Cell::Gru { reset_after: false } => {
                    matmul(b, w, u, op(dz, false), op(&r_zr, true), &mut dhd, false);
                    dhd.iter_mut().zip(&drh).for_each(|(a, q)| *a += q);
                }
                _ => matmul(b, gu, u, op(dz, false), op(r, true), &mut dhd, false),
            }
            let gru = matches!(spec.cell, Cell::Gru { .. });
            for i in 0..bu {
                dh_next[i] = masked(dhd[i], i) + if gru { direct[i] } else { 0.0 };
            }
        }
    }
    // dU = Σ_s hd_(s-1)ᵀ · dz_s, as one product over the steps × batch rows (hd of step 0 is 0).
    let mut hd_all = vec![0.0f32; t * bu];
    for s in 1..t {
        for i in 0..bu {
            hd_all[s * bu + i] = masked(hs[(s - 1) * bu + i], i);
        }
    }
    let mut dr = vec![0.0f32; u * gu];
    if before {
        let (mut dzr_w, mut dh_w) = (vec![0.0f32; u * w], vec![0.0f32; u * u]);
        matmul(
            u,
            t * b,
            w,
            op(&hd_all, true),
            op(&dzr, false),
            &mut dzr_w,
            false,
        );
        matmul(
            u,
            t * b,
            u,
            op(&rhd, true),
            op(&dq, false),
            &mut dh_w,
            false,
        );
        for row in 0..u {
            dr[row * gu..row * gu + w].copy_from_slice(&dzr_w[row * w..(row + 1) * w]);
            dr[row * gu + w..(row + 1) * gu].copy_from_slice(&dh_w[row * u..(row + 1) * u]);
        }
    } else {
        matmul(
            u,
            t * b,
            gu,
            op(&hd_all, true),
            op(&dzr, false),
            &mut dr,
            false,
        );
    }
    let drb = if spec.cell == (Cell::Gru { reset_after: true }) {
        let mut sums = vec![0.0f32; gu];
        dzr.chunks(gu)
            .for_each(|row| sums.iter_mut().zip(row).for_each(|(a, v)| *a += v));
        sums
    } else {
        Vec::new()
    };
    (dxw, dr, drb)
}
