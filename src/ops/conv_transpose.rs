//! conv2d_transpose over NHWC inputs with Keras' (kh, kw, filters, in_channels) kernel: the input
//! gradient of a conv2d, so its forward is conv2d's col2im(x·Wᵀ) product and its backward is
//! conv2d's forward (dx) and weight-gradient (dW) products, on the same im2col + GEMM kernels.
use crate::autograd::Backward;
use crate::error::{Error, Result};
use crate::kernels::conv_products::{
    add_kernel_grad, col_len, cols_times_kernel, columns, group_size, input_grad,
};
use crate::kernels::epilogue::{add_bias_grad, bias_relu};
use crate::kernels::fresh;
use crate::kernels::im2col::Geom;
use crate::kernels::parallel::over_batch;
use crate::kernels::scratch::with_scratch;
use crate::ops::conv::sum_parts;
use crate::ops::window::{transpose_geom, Window};
use crate::tensor::Tensor;

/// y = col2im(x·Wᵀ) + b, so for each group of samples: col = im2col(g); dx = col·W (conv2d of the
/// gradient); dW += colᵀ·x; db += Σ_pixels g. Parts nobody needs are skipped.
struct Conv2dTransposeBackward {
    g: Geom,
    n: usize,
    cin: usize,
}

impl Backward for Conv2dTransposeBackward {
    fn name(&self) -> &'static str {
        "conv2d_transpose"
    }
    fn backward(&self, grad: &[f32], inputs: &[Tensor], _out: &Tensor) -> Vec<Option<Vec<f32>>> {
        let (g, n, cin) = (self.g, self.n, self.cin);
        let (x, w) = (&inputs[0], &inputs[1]);
        let (need_dx, need_dw) = (x.requires_grad(), w.requires_grad());
        let need_db = inputs.get(2).is_some_and(|b| b.requires_grad());
        let (rows, k, out_len) = (g.pixels(), g.k(), g.in_len());
        let group = group_size(rows);
        let (xd, wd) = (x.data(), w.data());
        let work = 2 * n * rows * k * cin;
        // SAFETY: with `need_dx` every task writes the dx of each of its samples, group by group;
        // without it dx is empty.
        let (dx, parts) = unsafe {
            fresh::new_with(if need_dx { n * rows * cin } else { 0 }, |dx| {
                over_batch(n, dx, work, |r, dxs| {
                    let mut dw = vec![0.0f32; if need_dw { k * cin } else { 0 }];
                    let mut db = vec![0.0f32; if need_db { g.c } else { 0 }];
                    let lc = if need_dx || need_dw {
                        col_len(&g, group.min(r.len()))
                    } else {
                        0
                    };
                    with_scratch(lc, |col| {
                        for s0 in r.clone().step_by(group) {
                            let s1 = (s0 + group).min(r.end);
                            let gg = &grad[s0 * out_len..s1 * out_len];
                            add_bias_grad(gg, &mut db);
                            if !(need_dx || need_dw) {
                                continue;
                            }
                            let cols = columns(gg, &g, col);
                            if need_dx {
                                let dxg = &mut dxs
                                    [(s0 - r.start) * rows * cin..(s1 - r.start) * rows * cin];
                                cols_times_kernel(cols, &wd, &g, cin, dxg);
                            }
                            if need_dw {
                                let xg = &xd[s0 * rows * cin..s1 * rows * cin];
                                add_kernel_grad(cols, xg, &g, cin, &mut dw);
                            }
                        }
                    });
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
    /// `conv2d_transpose(self, kernel) + bias`: self (N, H, W, C), kernel (kh, kw, F, C) →
    /// (N, OH, OW, F), OH and OW per Keras (see `transpose_len`).
    pub fn conv2d_transpose(
        &self,
        kernel: &Tensor,
        bias: Option<&Tensor>,
        win: &Window,
        output_padding: Option<[usize; 2]>,
    ) -> Result<Tensor> {
        let (xs, ks) = (self.shape(), kernel.shape());
        let g = transpose_geom("conv2d_transpose", xs, ks, win, output_padding)?;
        let (n, cin, f) = (xs[0], xs[3], ks[2]);
        if let Some(b) = bias {
            if b.shape() != [f] {
                return Err(Error::shape_mismatch(
                    "conv2d_transpose",
                    b.shape(),
                    &[f],
                    "differ: the bias needs one value per filter",
                ));
            }
        }
        let (rows, k, out_len) = (g.pixels(), g.k(), g.in_len());
        let group = group_size(rows);
        let (xd, wd) = (self.data(), kernel.data());
        let bd = bias.map(|b| b.data());
        // SAFETY: each task's groups cover its samples, and `input_grad` writes every output value
        // of the samples it is given.
        let (y, _) = unsafe {
            fresh::new_with(n * out_len, |y| {
                over_batch(n, y, n * rows * k * cin, |r, out| {
                    with_scratch(col_len(&g, group.min(r.len())), |dcol| {
                        for s0 in r.clone().step_by(group) {
                            let s1 = (s0 + group).min(r.end);
                            let xg = &xd[s0 * rows * cin..s1 * rows * cin];
                            let o = &mut out[(s0 - r.start) * out_len..(s1 - r.start) * out_len];
                            let o = input_grad(xg, &wd, &g, cin, dcol, o);
                            bias_relu(o, bd.as_deref(), false);
                        }
                    })
                })
            })
        };
        drop((xd, wd, bd));
        let shape = vec![n, g.h, g.w, f];
        let bw = Conv2dTransposeBackward { g, n, cin };
        Ok(match bias {
            Some(b) => Tensor::from_op(y, shape, bw, &[self, kernel, b]),
            None => Tensor::from_op(y, shape, bw, &[self, kernel]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::window::{transpose_len, Padding};

    fn ints(len: usize, mul: usize, modulo: usize) -> Vec<f32> {
        (0..len)
            .map(|i| ((i * mul) % modulo) as f32 - (modulo / 2) as f32)
            .collect()
    }

    /// The definition by scatter: input pixel (i, j) and tap (a, b) add x·W to output pixel
    /// (i·s + a·d − pad, j·s + b·d − pad) when it exists.
    fn naive(x: &[f32], xs: [usize; 4], w: &[f32], ks: [usize; 4], g: &Geom) -> Vec<f32> {
        let [n, h, wd, c] = xs;
        let [kh, kw, f, _] = ks;
        let mut y = vec![0.0; n * g.h * g.w * f];
        for b in 0..n {
            for i in 0..h {
                for j in 0..wd {
                    for ki in 0..kh {
                        for kj in 0..kw {
                            let oy = (i * g.sh + ki * g.dh).checked_sub(g.pt);
                            let ox = (j * g.sw + kj * g.dw).checked_sub(g.pl);
                            let (Some(oy), Some(ox)) = (oy, ox) else {
                                continue;
                            };
                            if oy >= g.h || ox >= g.w {
                                continue;
                            }
                            for o in 0..f {
                                for ch in 0..c {
                                    y[((b * g.h + oy) * g.w + ox) * f + o] += x
                                        [((b * h + i) * wd + j) * c + ch]
                                        * w[((ki * kw + kj) * f + o) * c + ch];
                                }
                            }
                        }
                    }
                }
            }
        }
        y
    }

    /// (padding, stride, dilation, kernel, output_padding) cases: 'same' with stride 2, a stride
    /// wider than the kernel, dilation, output_padding, a pointwise kernel.
    const CASES: [(Padding, usize, usize, usize, Option<usize>); 9] = [
        (Padding::Valid, 1, 1, 3, None),
        (Padding::Same, 2, 1, 3, None),
        (Padding::Same, 2, 1, 3, Some(0)),
        (Padding::Same, 2, 1, 4, Some(1)),
        (Padding::Valid, 2, 1, 3, Some(1)),
        (Padding::Valid, 3, 1, 2, None),
        (Padding::Same, 1, 2, 2, None),
        (Padding::Same, 3, 1, 5, Some(2)),
        (Padding::Valid, 1, 1, 1, None),
    ];

    #[test]
    fn matches_the_scatter_definition_and_is_the_adjoint_of_conv2d() {
        for &(pad, s, d, k, op) in &CASES {
            let (xs, ks) = ([2, 4, 3, 3], [k, k, 2, 3]);
            let x = ints(xs.iter().product(), 7, 5);
            let w = ints(ks.iter().product(), 3, 5);
            let win = Window::new([s, s], [d, d], pad);
            let (xt, wt) = (
                Tensor::new(x.clone(), xs.to_vec()).unwrap(),
                Tensor::new(w.clone(), ks.to_vec()).unwrap(),
            );
            let op2 = op.map(|p| [p, p]);
            let g = transpose_geom("t", &xs, &ks, &win, op2).unwrap();
            let y = xt.conv2d_transpose(&wt, None, &win, op2).unwrap();
            assert_eq!(
                y.shape(),
                &[2, g.h, g.w, 2],
                "{pad:?} s{s} d{d} k{k} {op:?}"
            );
            assert_eq!(
                y.to_vec(),
                naive(&x, xs, &w, ks, &g),
                "{pad:?} s{s} d{d} k{k} {op:?}"
            );
            // <conv2d(z, W), x> == <z, conv2d_transpose(x, W)>: the same W, read as HWIO of the
            // conv2d from the transpose's output shape back to its input shape.
            let z = ints(y.to_vec().len(), 5, 7);
            let zt = Tensor::new(z.clone(), y.shape().to_vec()).unwrap();
            let c = zt.conv2d(&wt, None, &win, false).unwrap();
            assert_eq!(c.shape(), &xs, "{pad:?} s{s} d{d} k{k} {op:?}");
            let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(a, b)| a * b).sum::<f32>();
            assert_eq!(dot(&c.to_vec(), &x), dot(&z, &y.to_vec()));
        }
    }

    #[test]
    fn output_lengths_follow_keras() {
        // keras.layers.Conv2DTranspose on 7x7: k3 s2 'same' → 14; with output_padding=0 → 13;
        // 'valid' → 15; k1 s2 'valid' → 14 (max(k, s)); k4 s2 'same' op 1 → 13.
        assert_eq!(transpose_len(7, 3, 2, 1, true, None).0, 14);
        assert_eq!(transpose_len(7, 3, 2, 1, true, Some(0)).0, 13);
        assert_eq!(transpose_len(7, 3, 2, 1, false, None).0, 15);
        assert_eq!(transpose_len(7, 1, 2, 1, false, None).0, 14);
        assert_eq!(transpose_len(7, 4, 2, 1, true, Some(1)).0, 13);
        assert_eq!(transpose_len(5, 3, 1, 2, false, None).0, 9);
    }

    /// loss = Σ r ⊙ y², y = conv2d_transpose(x, W) + b: its gradient by autograd against central
    /// differences of the loss, summed in f64, for every input of the op.
    #[test]
    fn gradients_match_finite_differences() {
        for &(pad, s, d, k, op) in &[CASES[1], CASES[3], CASES[6], CASES[8]] {
            let (xs, ks) = ([2, 3, 3, 2], [k, k, 3, 2]);
            let win = Window::new([s, s], [d, d], pad);
            let op2 = op.map(|p| [p, p]);
            let scaled = |v: Vec<f32>| v.into_iter().map(|v| v * 0.25).collect::<Vec<_>>();
            let vals = [
                scaled(ints(18 * 2, 7, 9)),
                scaled(ints(ks.iter().product(), 5, 7)),
                scaled(ints(3, 1, 5)),
            ];
            let shapes = [xs.to_vec(), ks.to_vec(), vec![3]];
            let loss = |v: &[Vec<f32>; 3], grad: bool| {
                let t: Vec<Tensor> = (0..3)
                    .map(|i| {
                        let t = Tensor::new(v[i].clone(), shapes[i].clone()).unwrap();
                        if grad {
                            t.with_grad()
                        } else {
                            t
                        }
                    })
                    .collect();
                let y = t[0]
                    .conv2d_transpose(&t[1], Some(&t[2]), &win, op2)
                    .unwrap();
                let r = Tensor::new(ints(y.to_vec().len(), 3, 5), y.shape().to_vec()).unwrap();
                let yv = y.to_vec();
                let l: f64 = yv
                    .iter()
                    .zip(r.to_vec())
                    .map(|(&a, b)| b as f64 * a as f64 * a as f64)
                    .sum();
                if grad {
                    y.mul(&y)
                        .unwrap()
                        .mul(&r)
                        .unwrap()
                        .sum()
                        .backward(None, false)
                        .unwrap();
                }
                (l, t)
            };
            let (_, t) = loss(&vals, true);
            for i in 0..3 {
                let analytic = t[i].grad().unwrap().to_vec();
                for j in 0..vals[i].len() {
                    let h = 1e-2f32;
                    let (mut up, mut down) = (vals.clone(), vals.clone());
                    up[i][j] += h;
                    down[i][j] -= h;
                    let fd = (loss(&up, false).0 - loss(&down, false).0) / (2.0 * h as f64);
                    let a = analytic[j] as f64;
                    assert!(
                        (fd - a).abs() <= 1e-3 * (1.0 + a.abs()),
                        "input {i}[{j}]: fd {fd} vs {a} ({pad:?} s{s} k{k})"
                    );
                }
            }
        }
    }

    #[test]
    fn gradients_nobody_needs_are_skipped() {
        let x = Tensor::ones(&[2, 3, 3, 1]);
        let w = Tensor::ones(&[2, 2, 2, 1]).with_grad();
        let win = Window::new([2, 2], [1, 1], Padding::Valid);
        let y = x.conv2d_transpose(&w, None, &win, None).unwrap();
        assert_eq!(y.shape(), &[2, 6, 6, 2]);
        y.sum().backward(None, false).unwrap();
        assert!(x.grad().is_none());
        assert_eq!(w.grad().unwrap().to_vec(), vec![18.0; 8]);
    }

    #[test]
    fn errors_name_the_op_and_the_values() {
        let x = Tensor::ones(&[1, 3, 3, 2]);
        let win = Window::new([2, 2], [1, 1], Padding::Same);
        let e = x.conv2d_transpose(&Tensor::ones(&[3, 3, 4, 3]), None, &win, None);
        let msg = e.unwrap_err().to_string();
        assert!(
            msg.contains("conv2d_transpose")
                && msg.contains("(1, 3, 3, 2)")
                && msg.contains("(3, 3, 4, 3)"),
            "{msg}"
        );
        let e = x.conv2d_transpose(&Tensor::ones(&[3, 3, 4, 2]), None, &win, Some([2, 1]));
        let msg = e.unwrap_err().to_string();
        assert!(
            msg.contains("output_padding [2, 1]") && msg.contains("strides [2, 2]"),
            "{msg}"
        );
        let one = Tensor::ones(&[1, 1, 1, 2]);
        let e = one.conv2d_transpose(&Tensor::ones(&[2, 2, 4, 2]), None, &win, Some([0, 0]));
        assert!(e.unwrap_err().to_string().contains("empty output"));
    }
}
