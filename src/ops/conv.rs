//! conv2d over NHWC inputs with an HWIO kernel (Keras' layouts), strides, dilation, 'valid'/'same'
//! padding, with bias and ReLU fused into the product's epilogue. im2col + GEMM, a group of samples
//! at a time on each thread, so the column matrix is still in cache when the GEMM reads it.
use crate::autograd::{is_grad_enabled, Backward};
use crate::error::{Error, Result};
use crate::kernels::conv_products::{
    add_kernel_grad, col_len, cols_times_kernel, columns, group_size, input_grad,
};
use crate::kernels::epilogue::{add_bias_grad, bias_relu, relu_mask};
use crate::kernels::fresh;
use crate::kernels::im2col::Geom;
use crate::kernels::parallel::over_batch;
use crate::kernels::scratch::with_scratch;
pub(crate) use crate::ops::conv_choice::{Conv, Engine};
pub use crate::ops::window::{Padding, Window};
use crate::tensor::Tensor;

/// Sum the per-task (dW, db) parts of a convolution's backward.
pub(crate) fn sum_parts(parts: Vec<(Vec<f32>, Vec<f32>)>) -> (Option<Vec<f32>>, Option<Vec<f32>>) {
    let (mut dw, mut db) = (None::<Vec<f32>>, None::<Vec<f32>>);
    for (pw, pb) in parts {
        for (acc, part) in [(&mut dw, pw), (&mut db, pb)] {
            match acc {
                Some(a) => a.iter_mut().zip(&part).for_each(|(a, b)| *a += b),
                None => *acc = Some(part),
            }
        }
    }
    (dw, db)
}

/// The backward pass of a convolution; `engine`: the algorithm the forward ran, which the
/// backward follows.
struct Conv2dBackward {
    g: Geom,
    n: usize,
    cout: usize,
    relu: bool,
    engine: Engine,
}

impl Backward for Conv2dBackward {
    fn name(&self) -> &'static str {
        "conv2d"
    }
    fn backward(&self, grad: &[f32], inputs: &[Tensor], out: &Tensor) -> Vec<Option<Vec<f32>>> {
        let (x, w) = (&inputs[0], &inputs[1]);
        let need_dx = x.requires_grad();
        let need = [
            need_dx,
            w.requires_grad(),
            inputs.get(2).is_some_and(|b| b.requires_grad()),
        ];
        let (xd, wd) = (x.data(), w.data());
        let y = self.relu.then(|| out.data());
        let conv = Conv {
            x: &xd,
            w: &wd,
            bias: None,
            g: &self.g,
            n: self.n,
            cout: self.cout,
            relu: self.relu,
        };
        let (dx, dw, db) = self.engine.backward(&conv, grad, y.as_deref(), need);
        let mut res = vec![need_dx.then_some(dx), dw];
        if inputs.len() > 2 {
            res.push(db);
        }
        res
    }
}

/// (dx, dW, db) of `im2col_forward` for the output gradient `grad`; `y` is the forward's output
/// when ReLU was fused. For each group of samples: col = im2col(x); dZ = g ⊙ [y > 0];
/// dW += colᵀ·dZ; db += Σ_rows dZ; dx = col2im(dZ·Wᵀ). Each is computed only when asked for (dx
/// is not for a network's input).
pub(crate) fn im2col_backward(
    c: &Conv,
    grad: &[f32],
    y: Option<&[f32]>,
    need: [bool; 3],
) -> (Vec<f32>, Option<Vec<f32>>, Option<Vec<f32>>) {
    let [need_dx, need_dw, need_db] = need;
    let (g, n, cout) = (*c.g, c.n, c.cout);
    let (xd, wd) = (c.x, c.w);
    let (rows, k, in_len) = (g.pixels(), g.k(), g.in_len());
    let group = group_size(rows);
    let work = 2 * n * rows * k * cout;
    // SAFETY: with `need_dx` every task writes the dx of each of its samples, group by group
    // (the groups cover the task's samples); without it dx is empty.
    let (dx, parts) = unsafe {
        fresh::new_with(if need_dx { n * in_len } else { 0 }, |dx| {
            over_batch(n, dx, work, |r, dxs| {
                let mut dw = vec![0.0f32; if need_dw { k * cout } else { 0 }];
                let mut db = vec![0.0f32; if need_db { cout } else { 0 }];
                let span = group.min(r.len()) * rows;
                let cols = col_len(&g, group.min(r.len()));
                let (lc, ld) = (
                    if need_dw { cols } else { 0 },
                    if need_dx { cols } else { 0 },
                );
                let lz = if y.is_some() { span * cout } else { 0 };
                with_scratch(lc + ld + lz, |buf| {
                    let (col, rest) = buf.split_at_mut(lc);
                    let (dcol, dz) = rest.split_at_mut(ld);
                    for s0 in r.clone().step_by(group) {
                        let s1 = (s0 + group).min(r.end);
                        let m = (s1 - s0) * rows;
                        let gz = &grad[s0 * rows * cout..s1 * rows * cout];
                        let dzg: &[f32] = match y {
                            Some(y) => {
                                let ys = &y[s0 * rows * cout..s1 * rows * cout];
                                relu_mask(gz, ys, dz);
                                &dz[..m * cout]
                            }
                            None => gz,
                        };
                        add_bias_grad(dzg, &mut db);
                        if need_dw {
                            let xs = &xd[s0 * in_len..s1 * in_len];
                            add_kernel_grad(columns(xs, &g, col), dzg, &g, cout, &mut dw);
                        }
                        if need_dx {
                            let dxg = &mut dxs[(s0 - r.start) * in_len..(s1 - r.start) * in_len];
                            input_grad(dzg, wd, &g, cout, dcol, dxg);
                        }
                    }
                });
                (dw, db)
            })
        })
    };
    let (dw, db) = sum_parts(parts);
    (dx, dw.filter(|_| need_dw), db.filter(|_| need_db))
}

/// relu?(conv2d(x, w) + bias) over `n` samples by im2col and a GEMM, a group of samples at a time.
pub(crate) fn im2col_forward(c: &Conv) -> Vec<f32> {
    let (x, w, bias, g, n, cout, relu) = (c.x, c.w, c.bias, c.g, c.n, c.cout, c.relu);
    let (rows, k, in_len) = (g.pixels(), g.k(), g.in_len());
    let group = group_size(rows);
    // SAFETY: each task's groups cover its samples, and each group's product writes all of
    // that group's outputs.
    let (y, _) = unsafe {
        fresh::new_with(n * rows * cout, |y| {
            over_batch(n, y, n * rows * k * cout, |r, out| {
                with_scratch(col_len(g, group.min(r.len())), |col| {
                    for s0 in r.clone().step_by(group) {
                        let s1 = (s0 + group).min(r.end);
                        let cols = columns(&x[s0 * in_len..s1 * in_len], g, col);
                        let o =
                            &mut out[(s0 - r.start) * rows * cout..(s1 - r.start) * rows * cout];
                        let o = cols_times_kernel(cols, w, g, cout, o);
                        bias_relu(o, bias, relu);
                    }
                })
            })
        })
    };
    y
}

impl Tensor {
    /// `relu?(conv2d(self, kernel) + bias)`: self (N, H, W, C), kernel (kh, kw, C, F) → (N, oh, ow, F).
    pub fn conv2d(
        &self,
        kernel: &Tensor,
        bias: Option<&Tensor>,
        win: &Window,
        relu: bool,
    ) -> Result<Tensor> {
        let (xs, ks) = (self.shape(), kernel.shape());
        if ks.len() != 4 || xs.len() != 4 || xs[3] != ks[2] {
            return Err(Error::shape_mismatch("conv2d", xs, ks, "do not fit: the input (batch, height, width, channels) must have as many channels as the kernel (kh, kw, in_channels, filters) has input channels"));
        }
        let cout = ks[3];
        if let Some(b) = bias {
            if b.shape() != [cout] {
                return Err(Error::shape_mismatch(
                    "conv2d",
                    b.shape(),
                    &[cout],
                    "differ: the bias needs one value per filter",
                ));
            }
        }
        let g = win.geom("conv2d", xs, [ks[0], ks[1]], xs[3])?;
        let n = xs[0];
        let (xd, wd) = (self.data(), kernel.data());
        let bd = bias.map(|b| b.data());
        let conv = Conv {
            x: &xd,
            w: &wd,
            bias: bd.as_deref(),
            g: &g,
            n,
            cout,
            relu,
        };
        // What the backward will be asked for, which the measured choice times with the forward.
        let recording = is_grad_enabled();
        let need = [
            recording && self.requires_grad(),
            recording && kernel.requires_grad(),
            recording && bias.is_some_and(|b| b.requires_grad()),
        ];
        let engine = Engine::of(&conv, need);
        let y = engine.forward(&conv);
        drop((xd, wd, bd));
        let shape = vec![n, g.oh, g.ow, cout];
        let bw = Conv2dBackward {
            g,
            n,
            cout,
            relu,
            engine,
        };
        Ok(match bias {
            Some(b) => Tensor::from_op(y, shape, bw, &[self, kernel, b]),
            None => Tensor::from_op(y, shape, bw, &[self, kernel]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Direct convolution with plain loops, the definition the fast path must match.
    fn naive(x: &[f32], xs: [usize; 4], w: &[f32], ks: [usize; 4], g: &Geom) -> Vec<f32> {
        let [n, h, wd, c] = xs;
        let [kh, kw, _, f] = ks;
        let mut y = vec![0.0; n * g.oh * g.ow * f];
        for b in 0..n {
            for oy in 0..g.oh {
                for ox in 0..g.ow {
                    for o in 0..f {
                        let mut s = 0.0;
                        for i in 0..kh {
                            for j in 0..kw {
                                let iy = (oy * g.sh + i * g.dh) as isize - g.pt as isize;
                                let ix = (ox * g.sw + j * g.dw) as isize - g.pl as isize;
                                if iy < 0 || ix < 0 || iy >= h as isize || ix >= wd as isize {
                                    continue;
                                }
                                for ch in 0..c {
                                    let xv = x[((b * h + iy as usize) * wd + ix as usize) * c + ch];
                                    s += xv * w[((i * kw + j) * c + ch) * f + o];
                                }
                            }
                        }
                        y[((b * g.oh + oy) * g.ow + ox) * f + o] = s;
                    }
                }
            }
        }
        y
    }

    #[test]
    fn matches_direct_convolution() {
        for &(pad, s, d, k) in &[
            (Padding::Valid, 1, 1, 3),
            (Padding::Same, 2, 1, 3),
            (Padding::Same, 1, 2, 2),
            (Padding::Valid, 2, 1, 1),
            (Padding::Same, 1, 1, 1),
        ] {
            // A one-pixel-wide image too: some taps then miss the image in every output column.
            for xs in [[3, 7, 6, 2], [2, 3, 1, 2]] {
                let ks = [k, k, 2, 4];
                let x: Vec<f32> = (0..xs.iter().product())
                    .map(|i| ((i * 7) % 11) as f32 - 5.0)
                    .collect();
                let w: Vec<f32> = (0..ks.iter().product())
                    .map(|i| ((i * 3) % 5) as f32 - 2.0)
                    .collect();
                let win = Window::new([s, s], [d, d], pad);
                let xt = Tensor::new(x.clone(), xs.to_vec()).unwrap();
                let wt = Tensor::new(w.clone(), ks.to_vec()).unwrap();
                let Ok(g) = win.geom("t", &xs, [k, k], 2) else {
                    continue; // 'valid' with a window wider than the image
                };
                let y = xt.conv2d(&wt, None, &win, false).unwrap();
                assert_eq!(y.shape(), &[xs[0], g.oh, g.ow, 4]);
                assert_eq!(y.to_vec(), naive(&x, xs, &w, ks, &g));
            }
        }
    }

    #[test]
    fn input_gradient_is_skipped_for_a_network_input() {
        let x = Tensor::ones(&[2, 5, 5, 1]);
        let w = Tensor::ones(&[3, 3, 1, 2]).with_grad();
        let b = Tensor::zeros(&[2]).with_grad();
        let y = x.conv2d(
            &w,
            Some(&b),
            &Window::new([1, 1], [1, 1], Padding::Valid),
            true,
        );
        let loss = y.unwrap().sum();
        loss.backward(None, false).unwrap();
        assert!(x.grad().is_none());
        assert_eq!(w.grad().unwrap().to_vec(), vec![18.0; 18]);
        assert_eq!(b.grad().unwrap().to_vec(), vec![18.0; 2]);
    }

    #[test]
    fn shape_errors_name_the_op_and_shapes() {
        let x = Tensor::ones(&[1, 2, 2, 3]);
        let w = Tensor::ones(&[3, 3, 2, 4]);
        let e = x.conv2d(
            &w,
            None,
            &Window::new([1, 1], [1, 1], Padding::Valid),
            false,
        );
        let msg = e.unwrap_err().to_string();
        assert!(
            msg.contains("conv2d") && msg.contains("(1, 2, 2, 3)") && msg.contains("(3, 3, 2, 4)")
        );
        let w = Tensor::ones(&[3, 3, 3, 4]);
        let e = x.conv2d(
            &w,
            None,
            &Window::new([1, 1], [1, 1], Padding::Valid),
            false,
        );
        assert!(e
            .unwrap_err()
            .to_string()
            .contains("smaller than the 3x3 window"));
    }
}
