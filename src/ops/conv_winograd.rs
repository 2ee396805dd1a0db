//! conv2d's forward and backward passes for the 3×3 stride-1 convolutions that
//! `kernels::winograd` computes: a group of samples at a time on each thread, as the im2col path.
use crate::kernels::epilogue::relu_mask;
use crate::kernels::fresh;
use crate::kernels::im2col::Geom;
use crate::kernels::parallel::over_batch;
use crate::kernels::scratch::with_scratch;
use crate::kernels::simd_level::level;
use crate::kernels::winograd::{
    self, backward_scratch_len, group_size, kernel_transform, scratch_len, transposed_kernel,
};
use crate::ops::conv::sum_parts;

/// relu?(conv2d(x, w) + bias) over `n` samples.
pub(crate) fn forward(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    g: &Geom,
    n: usize,
    cout: usize,
    relu: bool,
) -> Vec<f32> {
    let (lv, rows, in_len) = (level(), g.pixels(), g.in_len());
    let u = kernel_transform(w, g.c, cout, lv);
    let group = group_size(g);
    // SAFETY: each task's groups cover its samples, and each group writes all of its outputs.
    let (y, _) = unsafe {
        fresh::new_with(n * rows * cout, |y| {
            over_batch(n, y, n * rows * g.k() * cout, |r, out| {
                with_scratch(scratch_len(g, group.min(r.len()), cout), |buf| {
                    for s0 in r.clone().step_by(group) {
                        let s1 = (s0 + group).min(r.end);
                        let o =
                            &mut out[(s0 - r.start) * rows * cout..(s1 - r.start) * rows * cout];
                        let xs = &x[s0 * in_len..s1 * in_len];
                        winograd::forward(xs, &u, g, cout, bias, relu, buf, o, lv);
                    }
                })
            })
        })
    };
    y
}

/// (dx, dW, db) of `forward` for the output gradient `grad`; `y` is the forward's output when ReLU
/// was fused (its mask is applied to `grad` first). Each is computed only when asked for.
#[allow(clippy::too_many_arguments)]
pub(crate) fn backward(
    grad: &[f32],
    x: &[f32],
    w: &[f32],
    y: Option<&[f32]>,
    g: &Geom,
    n: usize,
    cout: usize,
    need: [bool; 3],
) -> (Vec<f32>, Option<Vec<f32>>, Option<Vec<f32>>) {
    let [need_dx, need_dw, need_db] = need;
    let (lv, rows, in_len) = (level(), g.pixels(), g.in_len());
    let ut = need_dx.then(|| kernel_transform(&transposed_kernel(w, g.c, cout), cout, g.c, lv));
    let group = group_size(g);
    // SAFETY: with `need_dx` every task writes the dx of each of its samples, group by group (the
    // groups cover the task's samples); without it dx is empty.
    let (dx, parts) = unsafe {
        fresh::new_with(if need_dx { n * in_len } else { 0 }, |dx| {
            over_batch(n, dx, n * rows * g.k() * cout * 2, |r, dxs| {
                let mut du = vec![0.0f32; if need_dw { 16 * g.c * cout } else { 0 }];
                let mut db = vec![0.0f32; if need_db { cout } else { 0 }];
                let samples = group.min(r.len());
                let masked = if y.is_some() {
                    samples * rows * cout
                } else {
                    0
                };
                with_scratch(backward_scratch_len(g, samples, cout) + masked, |buf| {
                    let (buf, dz) = buf.split_at_mut(buf.len() - masked);
                    for s0 in r.clone().step_by(group) {
                        let s1 = (s0 + group).min(r.end);
                        let span = s0 * rows * cout..s1 * rows * cout;
                        let dz: &[f32] = match y {
                            Some(y) => {
                                relu_mask(&grad[span.clone()], &y[span.clone()], dz);
                                &dz[..span.len()]
                            }
                            None => &grad[span],
                        };
                        let grads = winograd::Grads {
                            du: need_dw.then_some(&mut du[..]),
                            db: need_db.then_some(&mut db[..]),
                            dx: ut.as_deref().map(|ut| {
                                (
                                    ut,
                                    &mut dxs[(s0 - r.start) * in_len..(s1 - r.start) * in_len],
                                )
                            }),
                        };
                        let xs = &x[s0 * in_len..s1 * in_len];
                        winograd::backward(xs, dz, g, cout, buf, grads, lv);
                    }
                });
                (du, db)
            })
        })
    };
    let (du, db) = sum_parts(parts);
    let dw = du
        .filter(|_| need_dw)
        .map(|du| winograd::kernel_grad(&du, g.c, cout, lv));
    (dx, dw, db.filter(|_| need_db))
}
