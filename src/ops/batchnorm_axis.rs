//! Batch normalisation over any channel axis (e.g. 1 on (N, C, H, W) or (N, T, F)): batchnorm.rs's
//! formulas on an (outer, C, inner) view, where each (outer, channel) block of `inner` values is
//! contiguous, so no transpose is needed. The last axis goes to batchnorm.rs's channels-last path.
use crate::autograd::Backward;
use crate::error::{fmt_shape, Error, Result};
use crate::kernels::parallel::over_batch;
use crate::tensor::Tensor;

/// `c` channels, each block of `inner` contiguous values; block `b` holds channel `b % c`.
#[derive(Clone, Copy, Debug)]
struct Layout {
    c: usize,
    inner: usize,
}

impl Layout {
    fn blocks(&self, len: usize) -> usize {
        len / self.inner.max(1)
    }
}

/// Per-channel f64 sums (`width` accumulators per channel): `f(block, acc)` adds one block.
fn block_sums(
    lay: Layout,
    n: usize,
    width: usize,
    f: impl Fn(usize, &mut [f64]) + Send + Sync,
) -> Vec<f64> {
    let parts = over_batch(n, &mut [] as &mut [f32], n * lay.inner, |r, _| {
        let mut acc = vec![0.0f64; width * lay.c];
        r.for_each(|b| f(b, &mut acc));
        acc
    });
    let mut total = vec![0.0f64; width * lay.c];
    for p in parts {
        total.iter_mut().zip(&p).for_each(|(a, b)| *a += b);
    }
    total
}

/// y = a·g + b·x + d per channel (x = None: no x term), parallel over blocks.
fn affine(lay: Layout, g: &[f32], a: &[f32], x: Option<(&[f32], &[f32])>, d: &[f32]) -> Vec<f32> {
    let (c, w) = (lay.c, lay.inner);
    let mut y = vec![0.0f32; g.len()];
    let n = lay.blocks(g.len());
    over_batch(n, &mut y, g.len(), |r, ys| {
        for (k, b) in r.enumerate() {
            let ch = b % c;
            let (yb, gb) = (&mut ys[k * w..(k + 1) * w], &g[b * w..(b + 1) * w]);
            match x {
                None => yb
                    .iter_mut()
                    .zip(gb)
                    .for_each(|(y, &g)| *y = g * a[ch] + d[ch]),
                Some((x, bc)) => {
                    let xb = &x[b * w..(b + 1) * w];
                    for ((y, &g), &xv) in yb.iter_mut().zip(gb).zip(xb) {
                        *y = g * a[ch] + xv * bc[ch] + d[ch];
                    }
                }
            }
        }
    });
    y
}

/// The same derivatives as batchnorm.rs: dγ = Σ g·x̂, dβ = Σ g, and with batch statistics (m
/// values per channel) dx = γ·r/m · (m·g − Σg − x̂·Σ g·x̂); with fixed ones dx = γ·r·g.
struct AxisBatchNormBackward {
    lay: Layout,
    mean: Vec<f32>,
    rstd: Vec<f32>,
    batch_stats: bool,
}

impl Backward for AxisBatchNormBackward {
    fn name(&self) -> &'static str {
        "batch_norm"
    }
    fn backward(&self, grad: &[f32], inputs: &[Tensor], _out: &Tensor) -> Vec<Option<Vec<f32>>> {
        let (x, gamma, beta) = (&inputs[0], &inputs[1], &inputs[2]);
        let xd = x.data();
        let (lay, c, w) = (self.lay, self.lay.c, self.lay.inner);
        let (mean, rstd) = (&self.mean, &self.rstd);
        let sums = block_sums(lay, lay.blocks(xd.len()), 2, |b, acc| {
            let (gb, xb) = (&grad[b * w..(b + 1) * w], &xd[b * w..(b + 1) * w]);
            let ch = b % c;
            acc[ch] += gb.iter().map(|&v| v as f64).sum::<f64>();
            acc[c + ch] += gb
                .iter()
                .zip(xb)
                .map(|(&g, &v)| (g * v) as f64)
                .sum::<f64>();
        });
        let (sg, sgx_raw) = sums.split_at(c);
        let sgxh: Vec<f64> = (0..c)
            .map(|i| rstd[i] as f64 * (sgx_raw[i] - mean[i] as f64 * sg[i]))
            .collect();
        let dx = x.requires_grad().then(|| {
            let gd = gamma.data();
            let m = (xd.len() / c.max(1)) as f64;
            if !self.batch_stats {
                let scale: Vec<f32> = (0..c).map(|i| gd[i] * rstd[i]).collect();
                return affine(lay, grad, &scale, None, &vec![0.0; c]);
            }
            let (mut a, mut bc, mut d) = (vec![0.0f32; c], vec![0.0f32; c], vec![0.0f32; c]);
            for i in 0..c {
                let k = gd[i] as f64 * rstd[i] as f64;
                let (sgm, sxm) = (sg[i] / m, sgxh[i] / m);
                a[i] = k as f32;
                bc[i] = (-k * sxm * rstd[i] as f64) as f32;
                d[i] = (-k * sgm + k * sxm * rstd[i] as f64 * mean[i] as f64) as f32;
            }
            affine(lay, grad, &a, Some((&xd, &bc)), &d)
        });
        let dgamma = gamma
            .requires_grad()
            .then(|| sgxh.iter().map(|&v| v as f32).collect());
        let dbeta = beta
            .requires_grad()
            .then(|| sg.iter().map(|&v| v as f32).collect());
        vec![dx, dgamma, dbeta]
    }
}

/// The axis in range (the batch axis 0 cannot be the channel axis) and the layout around it.
fn layout(x: &Tensor, gamma: &Tensor, beta: &Tensor, axis: isize) -> Result<(usize, Layout)> {
    let xs = x.shape();
    let rank = xs.len() as isize;
    let k = if axis < 0 { axis + rank } else { axis };
    if !(1..rank).contains(&k) {
        return Err(Error::invalid(
            "batch_norm",
            format!(
                "axis {axis} is out of range for an input of shape {} (axis 0 is the batch)",
                fmt_shape(xs)
            ),
        ));
    }
    let k = k as usize;
    let c = xs[k];
    for p in [gamma, beta] {
        if p.shape() != [c] {
            return Err(Error::shape_mismatch(
                "batch_norm",
                xs,
                p.shape(),
                format!("do not fit: gamma and beta need one value per channel (axis {axis})"),
            ));
        }
    }
    let inner = xs[k + 1..].iter().product();
    Ok((k, Layout { c, inner }))
}

impl Tensor {
    /// `batch_norm_train` with the channels on `axis`: returns y, the batch mean and variance.
    pub fn batch_norm_train_axis(
        &self,
        gamma: &Tensor,
        beta: &Tensor,
        eps: f32,
        axis: isize,
    ) -> Result<(Tensor, Vec<f32>, Vec<f32>)> {
        let (k, lay) = layout(self, gamma, beta, axis)?;
        if k + 1 == self.ndim() {
            return self.batch_norm_train(gamma, beta, eps);
        }
        let m = self.numel() / lay.c.max(1);
        if m == 0 {
            return Err(Error::shape(
                "batch_norm",
                format!(
                    "cannot compute batch statistics of an empty input of shape {}",
                    fmt_shape(self.shape())
                ),
            ));
        }
        let xd = self.data();
        let (n, w) = (lay.blocks(xd.len()), lay.inner);
        let block = |b: usize| &xd[b * w..(b + 1) * w];
        let sum = block_sums(lay, n, 1, |b, acc| {
            acc[b % lay.c] += block(b).iter().map(|&v| v as f64).sum::<f64>()
        });
        let mean64: Vec<f64> = sum.iter().map(|s| s / m as f64).collect();
        let sq = block_sums(lay, n, 1, |b, acc| {
            let mu = mean64[b % lay.c];
            acc[b % lay.c] += block(b)
                .iter()
                .map(|&v| (v as f64 - mu).powi(2))
                .sum::<f64>()
        });
        let mean: Vec<f32> = mean64.iter().map(|&v| v as f32).collect();
        let var: Vec<f32> = sq.iter().map(|s| (s / m as f64) as f32).collect();
        let y = self.bn_axis_apply(&xd, lay, gamma, beta, &mean, &var, eps, true);
        Ok((y, mean, var))
    }

    /// `batch_norm_infer` with the channels on `axis`.
    pub fn batch_norm_infer_axis(
        &self,
        gamma: &Tensor,
        beta: &Tensor,
        mean: &[f32],
        var: &[f32],
        eps: f32,
        axis: isize,
    ) -> Result<Tensor> {
        let (k, lay) = layout(self, gamma, beta, axis)?;
        if k + 1 == self.ndim() {
            return self.batch_norm_infer(gamma, beta, mean, var, eps);
        }
        if mean.len() != lay.c || var.len() != lay.c {
            return Err(Error::shape_mismatch(
                "batch_norm",
                self.shape(),
                &[mean.len()],
                "do not fit: the moving statistics need one value per channel",
            ));
        }
        let xd = self.data();
        Ok(self.bn_axis_apply(&xd, lay, gamma, beta, mean, var, eps, false))
    }

    #[allow(clippy::too_many_arguments)]
    fn bn_axis_apply(
        &self,
        xd: &[f32],
        lay: Layout,
        gamma: &Tensor,
        beta: &Tensor,
        mean: &[f32],
        var: &[f32],
        eps: f32,
        batch_stats: bool,
    ) -> Tensor {
        let rstd: Vec<f32> = var.iter().map(|v| 1.0 / (v + eps).sqrt()).collect();
        let (gd, bd) = (gamma.data(), beta.data());
        let scale: Vec<f32> = gd.iter().zip(&rstd).map(|(g, r)| g * r).collect();
        let shift: Vec<f32> = (0..mean.len())
            .map(|i| bd[i] - mean[i] * scale[i])
            .collect();
        let y = affine(lay, xd, &scale, None, &shift);
        let bw = AxisBatchNormBackward {
            lay,
            mean: mean.to_vec(),
            rstd,
            batch_stats,
        };
        Tensor::from_op(y, self.shape().to_vec(), bw, &[self, gamma, beta])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// axis 1 of (N, C, L) equals the channels-last op on the transposed (N, L, C) input.
    #[test]
    fn axis_one_matches_channels_last_on_the_transpose() {
        let (n, c, l) = (3, 2, 4);
        let v: Vec<f32> = (0..n * c * l)
            .map(|i| ((i * 7) % 11) as f32 * 0.3)
            .collect();
        let x = Tensor::new(v.clone(), vec![n, c, l]).unwrap();
        let mut t = vec![0.0; v.len()];
        for a in 0..n {
            for ch in 0..c {
                for j in 0..l {
                    t[(a * l + j) * c + ch] = v[(a * c + ch) * l + j];
                }
            }
        }
        let xt = Tensor::new(t, vec![n, l, c]).unwrap();
        let g = Tensor::new(vec![1.5, -0.5], vec![2]).unwrap();
        let b = Tensor::new(vec![0.1, 0.2], vec![2]).unwrap();
        let (y, mean, var) = x.batch_norm_train_axis(&g, &b, 1e-3, 1).unwrap();
        let (yt, mt, vt) = xt.batch_norm_train(&g, &b, 1e-3).unwrap();
        let (y, yt) = (y.to_vec(), yt.to_vec());
        for a in 0..n {
            for ch in 0..c {
                for j in 0..l {
                    let (p, q) = (y[(a * c + ch) * l + j], yt[(a * l + j) * c + ch]);
                    assert!((p - q).abs() < 1e-5, "{p} vs {q}");
                }
            }
        }
        assert!(mean.iter().zip(&mt).all(|(p, q)| (p - q).abs() < 1e-6));
        assert!(var.iter().zip(&vt).all(|(p, q)| (p - q).abs() < 1e-6));
        assert!(x.batch_norm_train_axis(&g, &b, 1e-3, 0).is_err());
        assert!(x.batch_norm_train_axis(&g, &b, 1e-3, 3).is_err());
    }
}
