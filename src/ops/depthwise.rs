//! depthwise_conv2d over NHWC inputs with Keras' (kh, kw, in_channels, depth_multiplier) kernel:
//! each input channel convolved with its own dm filters, output channel c·dm + m (TF's order).
//! The conv2d geometry with the direct per-channel loops of kernels/depthwise.rs, a batch slice on
//! each thread.
use crate::autograd::Backward;
use crate::error::{Error, Result};
use crate::kernels::depthwise::{add_input_grad, add_kernel_grad, forward};
use crate::kernels::epilogue::{add_bias_grad, bias_relu};
use crate::kernels::fresh;
use crate::kernels::im2col::Geom;
use crate::kernels::parallel::over_batch;
use crate::ops::conv::sum_parts;
use crate::ops::window::Window;
use crate::tensor::Tensor;

/// dW[t] += Σ_pixels x[tap t] ⊙ dz; db += Σ dz; dx[tap t] += dz ⊙ W[t] (summed over the dm filters
/// of each channel). Parts nobody needs are skipped.
struct DepthwiseBackward {
    g: Geom,
    n: usize,
    dm: usize,
}

impl Backward for DepthwiseBackward {
    fn name(&self) -> &'static str {
        "depthwise_conv2d"
    }
    fn backward(&self, grad: &[f32], inputs: &[Tensor], _out: &Tensor) -> Vec<Option<Vec<f32>>> {
        let (g, n, dm) = (self.g, self.n, self.dm);
        let (x, w) = (&inputs[0], &inputs[1]);
        let (need_dx, need_dw) = (x.requires_grad(), w.requires_grad());
        let need_db = inputs.get(2).is_some_and(|b| b.requires_grad());
        let (rows, taps, in_len, width) = (g.pixels(), g.kh * g.kw, g.in_len(), g.c * dm);
        let (xd, wd) = (x.data(), w.data());
        let work = 2 * n * rows * taps * width;
        // SAFETY: with `need_dx` every task zeroes the dx of its samples before adding to it;
        // without it dx is empty.
        let (dx, parts) = unsafe {
            fresh::new_with(if need_dx { n * in_len } else { 0 }, |dx| {
                over_batch(n, dx, work, |r, dxs| {
                    let mut dw = vec![0.0f32; if need_dw { taps * width } else { 0 }];
                    let mut db = vec![0.0f32; if need_db { width } else { 0 }];
                    let dz = &grad[r.start * rows * width..r.end * rows * width];
                    add_bias_grad(dz, &mut db);
                    if need_dw {
                        let xs = &xd[r.start * in_len..r.end * in_len];
                        add_kernel_grad(xs, dz, &g, dm, &mut dw);
                    }
                    if need_dx {
                        add_input_grad(dz, &wd, &g, dm, fresh::zeroed(dxs));
                    }
                    (dw, db)
                })
            })
        };
        let (dw, db) = sum_parts(parts);
        let mut res = vec![need_dx.then_some(dx), dw.filter(|_| need_dw)];
        if inputs.len() > 2 {
            res.push(db.filter(|_| need_db));
        }
        res
    }
}

impl Tensor {
    /// `depthwise_conv2d(self, kernel) + bias`: self (N, H, W, C), kernel (kh, kw, C, dm) →
    /// (N, oh, ow, C·dm), oh and ow as conv2d's.
    pub fn depthwise_conv2d(
        &self,
        kernel: &Tensor,
        bias: Option<&Tensor>,
        win: &Window,
    ) -> Result<Tensor> {
        let (xs, ks) = (self.shape(), kernel.shape());
        if ks.len() != 4 || xs.len() != 4 || xs[3] != ks[2] {
            return Err(Error::shape_mismatch("depthwise_conv2d", xs, ks, "do not fit: the input (batch, height, width, channels) must have as many channels as the kernel (kh, kw, in_channels, depth_multiplier) has input channels"));
        }
        let (c, dm) = (xs[3], ks[3]);
        if let Some(b) = bias {
            if b.shape() != [c * dm] {
                return Err(Error::shape_mismatch(
                    "depthwise_conv2d",
                    b.shape(),
                    &[c * dm],
                    "differ: the bias needs one value per output channel (in_channels · depth_multiplier)",
                ));
            }
        }
        let g = win.geom("depthwise_conv2d", xs, [ks[0], ks[1]], c)?;
        let n = xs[0];
        let (rows, taps, in_len, width) = (g.pixels(), g.kh * g.kw, g.in_len(), c * dm);
        let (xd, wd) = (self.data(), kernel.data());
        let bd = bias.map(|b| b.data());
        // SAFETY: each task zeroes all of its samples' outputs before `forward` adds to them.
        let (y, _) = unsafe {
            fresh::new_with(n * rows * width, |y| {
                over_batch(n, y, n * rows * taps * width, |r, out| {
                    let o = fresh::zeroed(out);
                    forward(&xd[r.start * in_len..r.end * in_len], &wd, &g, dm, o);
                    bias_relu(o, bd.as_deref(), false);
                })
            })
        };
        drop((xd, wd, bd));
        let shape = vec![n, g.oh, g.ow, width];
        let bw = DepthwiseBackward { g, n, dm };
        Ok(match bias {
            Some(b) => Tensor::from_op(y, shape, bw, &[self, kernel, b]),
            None => Tensor::from_op(y, shape, bw, &[self, kernel]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::window::Padding;

    fn ints(len: usize, mul: usize, modulo: usize) -> Vec<f32> {
        (0..len)
            .map(|i| ((i * mul) % modulo) as f32 - (modulo / 2) as f32)
            .collect()
    }

    /// The conv2d kernel (kh, kw, C, C·dm) that is zero except W[t, c, c·dm + m] = dw[t, c, m].
    fn block_diagonal(dw: &[f32], taps: usize, c: usize, dm: usize) -> Vec<f32> {
        let mut full = vec![0.0; taps * c * c * dm];
        for t in 0..taps {
            for ch in 0..c {
                for m in 0..dm {
                    full[(t * c + ch) * c * dm + ch * dm + m] = dw[(t * c + ch) * dm + m];
                }
            }
        }
        full
    }

    /// Value and every gradient equal those of conv2d with the block-diagonal kernel (small
    /// integers, so both are exact): strides, 'same', dilation, a pointwise window, dm 1 to 3.
    #[test]
    fn equals_conv2d_with_a_block_diagonal_kernel() {
        let cases = [
            (Padding::Valid, 1, 1, 3, 1),
            (Padding::Same, 2, 1, 3, 2),
            (Padding::Same, 1, 2, 2, 3),
            (Padding::Valid, 1, 1, 1, 2),
            (Padding::Same, 3, 1, 2, 1),
        ];
        for &(pad, s, d, k, dm) in &cases {
            for c in [3, 9] {
                let (xs, ks) = ([2, 6, 5, c], [k, k, c, dm]);
                let win = Window::new([s, s], [d, d], pad);
                let (x, w, b) = (
                    ints(xs.iter().product(), 7, 5),
                    ints(k * k * c * dm, 3, 5),
                    ints(c * dm, 1, 3),
                );
                let full = block_diagonal(&w, k * k, c, dm);
                let t = |v: &[f32], sh: &[usize]| {
                    Tensor::new(v.to_vec(), sh.to_vec()).unwrap().with_grad()
                };
                let (xt, wt, bt) = (t(&x, &xs), t(&w, &ks), t(&b, &[c * dm]));
                let (xf, wf, bf) = (t(&x, &xs), t(&full, &[k, k, c, c * dm]), t(&b, &[c * dm]));
                let y = xt.depthwise_conv2d(&wt, Some(&bt), &win).unwrap();
                let want = xf.conv2d(&wf, Some(&bf), &win, false).unwrap();
                let what = format!("{pad:?} s{s} d{d} k{k} dm{dm} c{c}");
                assert_eq!(y.shape(), want.shape(), "{what}");
                assert_eq!(y.to_vec(), want.to_vec(), "{what}");
                let r = Tensor::new(ints(y.to_vec().len(), 5, 7), y.shape().to_vec()).unwrap();
                y.mul(&r).unwrap().sum().backward(None, false).unwrap();
                want.mul(&r).unwrap().sum().backward(None, false).unwrap();
                assert_eq!(
                    xt.grad().unwrap().to_vec(),
                    xf.grad().unwrap().to_vec(),
                    "{what}"
                );
                assert_eq!(
                    bt.grad().unwrap().to_vec(),
                    bf.grad().unwrap().to_vec(),
                    "{what}"
                );
                let gfull = wf.grad().unwrap().to_vec();
                let gdiag: Vec<f32> = (0..k * k * c * dm)
                    .map(|i| {
                        let (tc, m) = (i / dm, i % dm);
                        gfull[tc * c * dm + (tc % c) * dm + m]
                    })
                    .collect();
                assert_eq!(wt.grad().unwrap().to_vec(), gdiag, "{what}");
            }
        }
    }

    #[test]
    fn errors_name_the_op_and_shapes() {
        let x = Tensor::ones(&[1, 4, 4, 3]);
        let win = Window::new([1, 1], [1, 1], Padding::Valid);
        let msg = x
            .depthwise_conv2d(&Tensor::ones(&[3, 3, 2, 1]), None, &win)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("depthwise_conv2d") && msg.contains("(3, 3, 2, 1)"),
            "{msg}"
        );
        let msg = x
            .depthwise_conv2d(&Tensor::ones(&[5, 5, 3, 1]), None, &win)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("smaller than the 5x5 window"), "{msg}");
        let msg = x
            .depthwise_conv2d(
                &Tensor::ones(&[3, 3, 3, 2]),
                Some(&Tensor::ones(&[3])),
                &win,
            )
            .unwrap_err()
            .to_string();
        assert!(msg.contains("(3,)") && msg.contains("(6,)"), "{msg}");
    }
}
