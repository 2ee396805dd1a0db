//! 2-D pooling over NHWC inputs: max (ties send the gradient to the first maximum only), average
//! (padding excluded from the mean, as TensorFlow does) and global average pooling.
use crate::autograd::Backward;
use crate::error::{fmt_shape, Error, Result};
use crate::kernels::fresh;
use crate::kernels::im2col::Geom;
use crate::kernels::parallel::over_batch;
use crate::kernels::pool;
use crate::ops::conv::Window;
use crate::tensor::Tensor;

/// dx[winner] += g for each output, the winner being the first maximum of its window.
struct MaxPoolBackward {
    g: Geom,
    n: usize,
}

impl Backward for MaxPoolBackward {
    fn name(&self) -> &'static str {
        "max_pool2d"
    }
    fn backward(&self, grad: &[f32], inputs: &[Tensor], out: &Tensor) -> Vec<Option<Vec<f32>>> {
        let (g, n) = (self.g, self.n);
        let (per_out, in_len) = (g.pixels() * g.c, g.in_len());
        let (x, y) = (inputs[0].data(), out.data());
        let work = n * per_out * g.kh * g.kw;
        // SAFETY: `max_pool_back` writes every value of the samples it is given.
        let (dx, _) = unsafe {
            fresh::new_with(n * in_len, |dx| {
                over_batch(n, dx, work, |r, dxs| {
                    let (xs, outs) = (
                        r.start * in_len..r.end * in_len,
                        r.start * per_out..r.end * per_out,
                    );
                    pool::max_pool_back(&x[xs], &y[outs.clone()], &grad[outs], &g, dxs);
                })
            })
        };
        vec![Some(dx)]
    }
}

/// dx = g / (in-image values in the window), spread over the window.
struct AvgPoolBackward {
    g: Geom,
    n: usize,
}

impl Backward for AvgPoolBackward {
    fn name(&self) -> &'static str {
        "avg_pool2d"
    }
    fn backward(&self, grad: &[f32], _inputs: &[Tensor], _out: &Tensor) -> Vec<Option<Vec<f32>>> {
        let (g, per_out) = (self.g, self.g.pixels() * self.g.c);
        let mut dx = vec![0.0f32; self.n * g.in_len()];
        over_batch(self.n, &mut dx, self.n * g.in_len(), |r, dxs| {
            pool::avg_pool_back(&grad[r.start * per_out..r.end * per_out], &g, dxs);
        });
        vec![Some(dx)]
    }
}

/// dx[n, h, w, c] = g[n, c] / (H·W).
struct GlobalAvgBackward {
    hw: usize,
}

impl Backward for GlobalAvgBackward {
    fn name(&self) -> &'static str {
        "global_avg_pool2d"
    }
    fn backward(&self, grad: &[f32], inputs: &[Tensor], _out: &Tensor) -> Vec<Option<Vec<f32>>> {
        let c = inputs[0].shape()[3];
        let inv = 1.0 / self.hw as f32;
        let mut dx = Vec::with_capacity(inputs[0].numel());
        for gs in grad.chunks_exact(c.max(1)) {
            for _ in 0..self.hw {
                dx.extend(gs.iter().map(|v| v * inv));
            }
        }
        vec![Some(dx)]
    }
}

impl Tensor {
    /// Window geometry of a pooling op on this (N, H, W, C) input.
    fn pool_geom(&self, op: &str, size: [usize; 2], win: &Window) -> Result<Geom> {
        let c = self.shape().get(3).copied().unwrap_or(0);
        win.geom(op, self.shape(), size, c)
    }

    /// Max over `size` windows: (N, H, W, C) → (N, oh, ow, C).
    pub fn max_pool2d(&self, size: [usize; 2], win: &Window) -> Result<Tensor> {
        let g = self.pool_geom("max_pool2d", size, win)?;
        let n = self.shape()[0];
        let (per_out, in_len) = (g.pixels() * g.c, g.in_len());
        let xd = self.data();
        // SAFETY: `max_pool_values` writes every output of the samples it is given.
        let (y, _) = unsafe {
            fresh::new_with(n * per_out, |y| {
                over_batch(n, y, n * per_out * g.kh * g.kw, |r, out| {
                    pool::max_pool_values(&xd[r.start * in_len..r.end * in_len], &g, out)
                })
            })
        };
        drop(xd);
        let shape = vec![n, g.oh, g.ow, g.c];
        Ok(Tensor::from_op(y, shape, MaxPoolBackward { g, n }, &[self]))
    }

    /// Mean over `size` windows (padding not counted): (N, H, W, C) → (N, oh, ow, C).
    pub fn avg_pool2d(&self, size: [usize; 2], win: &Window) -> Result<Tensor> {
        let g = self.pool_geom("avg_pool2d", size, win)?;
        let n = self.shape()[0];
        let (per_out, in_len) = (g.pixels() * g.c, g.in_len());
        let mut y = vec![0.0f32; n * per_out];
        let xd = self.data();
        over_batch(n, &mut y, n * per_out * g.kh * g.kw, |r, out| {
            pool::avg_pool(&xd[r.start * in_len..r.end * in_len], &g, out);
        });
        drop(xd);
        Ok(Tensor::from_op(
            y,
            vec![n, g.oh, g.ow, g.c],
            AvgPoolBackward { g, n },
            &[self],
        ))
    }

    /// Mean over the spatial axes: (N, H, W, C) → (N, C).
    pub fn global_avg_pool2d(&self) -> Result<Tensor> {
        let s = self.shape();
        if s.len() != 4 || s[1] * s[2] == 0 {
            return Err(Error::shape(
                "global_avg_pool2d",
                format!(
                    "expects a non-empty 4-D input (batch, height, width, channels), got shape {}",
                    fmt_shape(s)
                ),
            ));
        }
        let (n, hw, c) = (s[0], s[1] * s[2], s[3]);
        let inv = 1.0 / hw as f32;
        let mut y = vec![0.0f32; n * c];
        let xd = self.data();
        for (ys, xs) in y
            .chunks_exact_mut(c.max(1))
            .zip(xd.chunks_exact((hw * c).max(1)))
        {
            for px in xs.chunks_exact(c.max(1)) {
                ys.iter_mut().zip(px).for_each(|(a, b)| *a += b);
            }
            ys.iter_mut().for_each(|v| *v *= inv);
        }
        drop(xd);
        Ok(Tensor::from_op(
            y,
            vec![n, c],
            GlobalAvgBackward { hw },
            &[self],
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::conv::Padding;

    fn win(s: usize, pad: Padding) -> Window {
        Window::new([s, s], [1, 1], pad)
    }

    #[test]
    fn max_pool_ties_send_the_gradient_to_one_element() {
        let x = Tensor::ones(&[1, 4, 4, 2]).with_grad();
        let y = x.max_pool2d([2, 2], &win(2, Padding::Valid)).unwrap();
        assert_eq!(y.shape(), &[1, 2, 2, 2]);
        y.sum().backward(None, false).unwrap();
        let g = x.grad().unwrap().to_vec();
        assert_eq!(g.iter().sum::<f32>(), 8.0);
        assert!(g.iter().all(|&v| v == 0.0 || v == 1.0));
    }

    #[test]
    fn max_pool_without_grad_gives_the_same_values() {
        let v: Vec<f32> = (0..2 * 5 * 5 * 3).map(|i| ((i * 7) % 13) as f32).collect();
        let plain = Tensor::new(v.clone(), vec![2, 5, 5, 3]).unwrap();
        let tracked = Tensor::new(v, vec![2, 5, 5, 3]).unwrap().with_grad();
        for pad in [Padding::Valid, Padding::Same] {
            let a = plain.max_pool2d([3, 3], &win(2, pad)).unwrap();
            let b = tracked.max_pool2d([3, 3], &win(2, pad)).unwrap();
            assert_eq!(a.to_vec(), b.to_vec());
        }
    }

    #[test]
    fn avg_pool_same_excludes_padding() {
        let x = Tensor::new((1..=9).map(|v| v as f32).collect(), vec![1, 3, 3, 1]).unwrap();
        let y = x.avg_pool2d([2, 2], &win(2, Padding::Same)).unwrap();
        assert_eq!(y.shape(), &[1, 2, 2, 1]);
        assert_eq!(y.to_vec(), vec![3.0, 4.5, 7.5, 9.0]);
    }

    #[test]
    fn global_average_is_the_spatial_mean() {
        let x = Tensor::new((0..8).map(|v| v as f32).collect(), vec![1, 2, 2, 2]).unwrap();
        assert_eq!(x.global_avg_pool2d().unwrap().to_vec(), vec![3.0, 4.0]);
    }
}
