//! Batch normalisation over every axis but the last (channels): y = γ·(x − μ)/√(σ² + ε) + β, with the
//! batch's statistics in training and given (moving) statistics at inference, fused in one op.
use crate::autograd::Backward;
use crate::error::{fmt_shape, Error, Result};
use crate::kernels::parallel::over_batch;
use crate::tensor::Tensor;

/// Per-channel sums in f64 over `rows` rows of `c` channels: `f(row, acc)` adds row `row` into `acc`.
fn channel_sums(rows: usize, c: usize, f: impl Fn(usize, &mut [f64]) + Send + Sync) -> Vec<f64> {
    let parts = over_batch(rows, &mut [] as &mut [f32], rows * c, |r, _| {
        let mut acc = vec![0.0f64; c];
        r.for_each(|row| f(row, &mut acc));
        acc
    });
    let mut total = vec![0.0f64; c];
    for p in parts {
        total.iter_mut().zip(&p).for_each(|(a, b)| *a += b);
    }
    total
}

/// y = a·g + b·x + d per channel (b = None: no x term), parallel over rows.
fn affine(g: &[f32], a: &[f32], x: Option<(&[f32], &[f32])>, d: &[f32]) -> Vec<f32> {
    let c = a.len();
    let mut y = vec![0.0f32; g.len()];
    let rows = g.len() / c.max(1);
    over_batch(rows, &mut y, g.len(), |r, ys| {
        let span = r.start * c..r.end * c;
        let gs = g[span.clone()].chunks_exact(c);
        match x {
            None => {
                for (yr, gr) in ys.chunks_exact_mut(c).zip(gs) {
                    for i in 0..c {
                        yr[i] = gr[i] * a[i] + d[i];
                    }
                }
            }
            Some((x, b)) => {
                let xs = x[span].chunks_exact(c);
                for ((yr, gr), xr) in ys.chunks_exact_mut(c).zip(gs).zip(xs) {
                    for i in 0..c {
                        yr[i] = gr[i] * a[i] + xr[i] * b[i] + d[i];
                    }
                }
            }
        }
    });
    y
}

/// x̂ = (x − μ)·r with r = 1/√(σ² + ε). dγ = Σ g·x̂, dβ = Σ g. With batch statistics (m rows)
/// dx = γ·r/m · (m·g − Σg − x̂·Σ g·x̂); with fixed statistics dx = γ·r·g.
struct BatchNormBackward {
    mean: Vec<f32>,
    rstd: Vec<f32>,
    batch_stats: bool,
}

impl Backward for BatchNormBackward {
    fn name(&self) -> &'static str {
        "batch_norm"
    }
    fn backward(&self, grad: &[f32], inputs: &[Tensor], _out: &Tensor) -> Vec<Option<Vec<f32>>> {
        let (x, gamma, beta) = (&inputs[0], &inputs[1], &inputs[2]);
        let xd = x.data();
        let c = self.mean.len();
        let (mean, rstd) = (&self.mean, &self.rstd);
        let sums = channel_sums(xd.len() / c.max(1), 2 * c, |row, acc| {
            let (gr, xr) = (&grad[row * c..][..c], &xd[row * c..][..c]);
            let (sg, sgx) = acc.split_at_mut(c);
            for i in 0..c {
                sg[i] += gr[i] as f64;
                sgx[i] += (gr[i] * xr[i]) as f64;
            }
        });
        let (sg, sgx_raw) = sums.split_at(c);
        // Σ g·x̂ = r·(Σ g·x − μ·Σ g)
        let sgxh: Vec<f64> = (0..c)
            .map(|i| rstd[i] as f64 * (sgx_raw[i] - mean[i] as f64 * sg[i]))
            .collect();
        let dx = x.requires_grad().then(|| {
            let gd = gamma.data();
            let m = (xd.len() / c.max(1)) as f64;
            if !self.batch_stats {
                let scale: Vec<f32> = (0..c).map(|i| gd[i] * rstd[i]).collect();
                return affine(grad, &scale, None, &vec![0.0; c]);
            }
            // dx = a·g + b·x + d per channel, with the terms of the formula above regrouped.
            let mut a = vec![0.0f32; c];
            let mut b = vec![0.0f32; c];
            let mut d = vec![0.0f32; c];
            for i in 0..c {
                let k = gd[i] as f64 * rstd[i] as f64;
                let (sgm, sxm) = (sg[i] / m, sgxh[i] / m);
                a[i] = k as f32;
                b[i] = (-k * sxm * rstd[i] as f64) as f32;
                d[i] = (-k * sgm + k * sxm * rstd[i] as f64 * mean[i] as f64) as f32;
            }
            affine(grad, &a, Some((&xd, &b)), &d)
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

fn check(x: &Tensor, gamma: &Tensor, beta: &Tensor) -> Result<usize> {
    let xs = x.shape();
    let Some(&c) = xs.last() else {
        return Err(Error::shape(
            "batch_norm",
            "expects an input with a channel axis, got a scalar",
        ));
    };
    for p in [gamma, beta] {
        if p.shape() != [c] {
            return Err(Error::shape_mismatch(
                "batch_norm",
                xs,
                p.shape(),
                "do not fit: gamma and beta need one value per channel (the last axis)",
            ));
        }
    }
    Ok(c)
}

impl Tensor {
    /// Normalise with this batch's statistics; returns y and the batch mean and (biased) variance.
    pub fn batch_norm_train(
        &self,
        gamma: &Tensor,
        beta: &Tensor,
        eps: f32,
    ) -> Result<(Tensor, Vec<f32>, Vec<f32>)> {
        let c = check(self, gamma, beta)?;
        let m = self.numel() / c.max(1);
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
        let row = |r: usize| &xd[r * c..(r + 1) * c];
        let sum = channel_sums(m, c, |r, acc| {
            acc.iter_mut()
                .zip(row(r))
                .for_each(|(a, &v)| *a += v as f64)
        });
        let mean64: Vec<f64> = sum.iter().map(|s| s / m as f64).collect();
        let sq = channel_sums(m, c, |r, acc| {
            for ((a, &v), &mu) in acc.iter_mut().zip(row(r)).zip(&mean64) {
                let d = v as f64 - mu;
                *a += d * d;
            }
        });
        let mean: Vec<f32> = mean64.iter().map(|&v| v as f32).collect();
        let var: Vec<f32> = sq.iter().map(|s| (s / m as f64) as f32).collect();
        let y = self.bn_apply(&xd, gamma, beta, &mean, &var, eps, true);
        Ok((y, mean, var))
    }

    /// Normalise with fixed statistics (a BatchNormalization layer at inference).
    pub fn batch_norm_infer(
        &self,
        gamma: &Tensor,
        beta: &Tensor,
        mean: &[f32],
        var: &[f32],
        eps: f32,
    ) -> Result<Tensor> {
        let c = check(self, gamma, beta)?;
        if mean.len() != c || var.len() != c {
            return Err(Error::shape_mismatch(
                "batch_norm",
                self.shape(),
                &[mean.len()],
                "do not fit: the moving statistics need one value per channel",
            ));
        }
        let xd = self.data();
        Ok(self.bn_apply(&xd, gamma, beta, mean, var, eps, false))
    }

    #[allow(clippy::too_many_arguments)]
    fn bn_apply(
        &self,
        xd: &[f32],
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
        let y = affine(xd, &scale, None, &shift);
        let bw = BatchNormBackward {
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

    #[test]
    fn training_output_has_zero_mean_unit_variance_per_channel() {
        let x = Tensor::new((0..24).map(|v| (v * v % 7) as f32).collect(), vec![3, 4, 2]).unwrap();
        let (g, b) = (Tensor::ones(&[2]), Tensor::zeros(&[2]));
        let (y, mean, var) = x.batch_norm_train(&g, &b, 0.0).unwrap();
        let y = y.to_vec();
        for ch in 0..2 {
            let vals: Vec<f32> = y.iter().skip(ch).step_by(2).copied().collect();
            let mu: f32 = vals.iter().sum::<f32>() / 12.0;
            let v: f32 = vals.iter().map(|a| (a - mu) * (a - mu)).sum::<f32>() / 12.0;
            assert!(mu.abs() < 1e-5 && (v - 1.0).abs() < 1e-4);
            assert!(var[ch] > 0.0 && mean[ch] > 0.0);
        }
    }
}
