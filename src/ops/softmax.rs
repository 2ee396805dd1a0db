//! Softmax and log-softmax along an axis, fused and stable (the row maximum is subtracted first).
use crate::autograd::Backward;
use crate::error::Result;
use crate::shape::{norm_axis, numel};
use crate::tensor::Tensor;

/// Calls `f(row_values_gathered)` for each 1-D lane along `axis`, writing results back in place.
fn for_each_lane(data: &mut [f32], shape: &[usize], axis: usize, mut f: impl FnMut(&mut [f32])) {
    let d = shape[axis];
    let inner = numel(&shape[axis + 1..]);
    let outer = numel(&shape[..axis]);
    if inner == 1 {
        data.chunks_exact_mut(d.max(1)).for_each(f);
        return;
    }
    let mut lane = vec![0.0f32; d];
    for o in 0..outer {
        for i in 0..inner {
            let base = o * d * inner + i;
            for j in 0..d {
                lane[j] = data[base + j * inner];
            }
            f(&mut lane);
            for j in 0..d {
                data[base + j * inner] = lane[j];
            }
        }
    }
}

fn softmax_lane(v: &mut [f32]) {
    let m = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut s = 0.0;
    for x in v.iter_mut() {
        *x = (*x - m).exp();
        s += *x;
    }
    v.iter_mut().for_each(|x| *x /= s);
}

fn log_softmax_lane(v: &mut [f32]) {
    let m = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let lse = m + v.iter().map(|x| (x - m).exp()).sum::<f32>().ln();
    v.iter_mut().for_each(|x| *x -= lse);
}

pub(crate) fn softmax_data(x: &[f32], shape: &[usize], axis: usize) -> Vec<f32> {
    let mut y = x.to_vec();
    for_each_lane(&mut y, shape, axis, softmax_lane);
    y
}

pub(crate) fn log_softmax_data(x: &[f32], shape: &[usize], axis: usize) -> Vec<f32> {
    let mut y = x.to_vec();
    for_each_lane(&mut y, shape, axis, log_softmax_lane);
    y
}

/// softmax: dx = y ⊙ (g − Σ g⊙y); log_softmax: dx = g − softmax(x) · Σ g.
struct SoftmaxBackward {
    axis: usize,
    log: bool,
}
impl Backward for SoftmaxBackward {
    fn name(&self) -> &'static str {
        if self.log {
            "log_softmax"
        } else {
            "softmax"
        }
    }
    fn backward(&self, grad: &[f32], _inputs: &[Tensor], out: &Tensor) -> Vec<Option<Vec<f32>>> {
        let y = out.data();
        let shape = out.shape();
        // Interleave g and y in one buffer so a single lane walk sees both.
        let d = shape[self.axis];
        let mut gy: Vec<f32> = Vec::with_capacity(2 * grad.len());
        let mut gshape = shape.to_vec();
        gshape[self.axis] = 2 * d;
        let inner = numel(&shape[self.axis + 1..]);
        let outer = numel(&shape[..self.axis]);
        for o in 0..outer {
            let s = o * d * inner;
            gy.extend_from_slice(&grad[s..s + d * inner]);
            gy.extend_from_slice(&y[s..s + d * inner]);
        }
        let log = self.log;
        for_each_lane(&mut gy, &gshape, self.axis, |lane| {
            let (g, y) = lane.split_at_mut(d);
            if log {
                let sg: f32 = g.iter().sum();
                g.iter_mut()
                    .zip(y.iter())
                    .for_each(|(g, y)| *g -= y.exp() * sg);
            } else {
                let dot: f32 = g.iter().zip(y.iter()).map(|(g, y)| g * y).sum();
                g.iter_mut()
                    .zip(y.iter())
                    .for_each(|(g, y)| *g = y * (*g - dot));
            }
        });
        let mut dx = Vec::with_capacity(grad.len());
        for o in 0..outer {
            let s = 2 * o * d * inner;
            dx.extend_from_slice(&gy[s..s + d * inner]);
        }
        vec![Some(dx)]
    }
}

impl Tensor {
    pub fn softmax(&self, axis: isize) -> Result<Tensor> {
        let a = norm_axis("softmax", axis, self.ndim())?;
        let y = softmax_data(&self.data(), self.shape(), a);
        Ok(Tensor::from_op(
            y,
            self.shape().to_vec(),
            SoftmaxBackward {
                axis: a,
                log: false,
            },
            &[self],
        ))
    }
    pub fn log_softmax(&self, axis: isize) -> Result<Tensor> {
        let a = norm_axis("log_softmax", axis, self.ndim())?;
        let y = log_softmax_data(&self.data(), self.shape(), a);
        Ok(Tensor::from_op(
            y,
            self.shape().to_vec(),
            SoftmaxBackward { axis: a, log: true },
            &[self],
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn softmax_is_stable_at_extremes() {
        let t = Tensor::new(
            vec![1000.0, 0.0, -1000.0, -1000.0, -1000.0, -1000.0],
            vec![2, 3],
        )
        .unwrap();
        let y = t.softmax(-1).unwrap().to_vec();
        assert_eq!(&y[..3], &[1.0, 0.0, 0.0]);
        for v in &y[3..] {
            assert!((v - 1.0 / 3.0).abs() < 1e-6);
        }
    }
}
