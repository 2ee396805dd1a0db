//! Softmax and log-softmax along an axis, fused and stable (the row maximum is subtracted first).
//! The lane loops run compiled for the run-time SIMD level (`simd_level::vectorize`), with the
//! exponential inline (`kernels::exp`).
use crate::autograd::Backward;
use crate::error::Result;
use crate::kernels::exp::exp;
use crate::kernels::simd_level::{level, vectorize_at, Level};
use crate::shape::{norm_axis, numel};
use crate::tensor::Tensor;

/// Calls `f(row_values_gathered)` for each 1-D lane along `axis`, writing results back in place.
#[inline(always)]
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

#[inline(always)]
fn softmax_lane(v: &mut [f32]) {
    let m = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut s = 0.0;
    for x in v.iter_mut() {
        *x = exp(*x - m);
        s += *x;
    }
    v.iter_mut().for_each(|x| *x /= s);
}

#[inline(always)]
fn log_softmax_lane(v: &mut [f32]) {
    let m = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let lse = m + v.iter().map(|x| exp(x - m)).sum::<f32>().ln();
    v.iter_mut().for_each(|x| *x -= lse);
}

/// Softmax (or log-softmax) of each run of `d` consecutive values: each run's maximum taken off
/// run by run, then the exponentials in one pass over the whole buffer, which the compiler
/// vectorises; per run they would not be (a classifier's run is 10 values), and 128×10 took 7 µs.
#[inline(always)]
fn contiguous_lanes(y: &mut [f32], d: usize, log: bool) {
    let d = d.max(1);
    for lane in y.chunks_exact_mut(d) {
        let m = lane.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        lane.iter_mut().for_each(|x| *x -= m);
    }
    if log {
        let mut e = y.to_vec();
        e.iter_mut().for_each(|v| *v = exp(*v));
        for (lane, e) in y.chunks_exact_mut(d).zip(e.chunks_exact(d)) {
            let lse = e.iter().sum::<f32>().ln();
            lane.iter_mut().for_each(|x| *x -= lse);
        }
    } else {
        y.iter_mut().for_each(|v| *v = exp(*v));
        for lane in y.chunks_exact_mut(d) {
            let s: f32 = lane.iter().sum();
            lane.iter_mut().for_each(|x| *x /= s);
        }
    }
}

pub(crate) fn softmax_data(x: &[f32], shape: &[usize], axis: usize) -> Vec<f32> {
    lanes_at(level(), x, shape, axis, false)
}

pub(crate) fn log_softmax_data(x: &[f32], shape: &[usize], axis: usize) -> Vec<f32> {
    lanes_at(level(), x, shape, axis, true)
}

fn lanes_at(l: Level, x: &[f32], shape: &[usize], axis: usize, log: bool) -> Vec<f32> {
    let mut y = x.to_vec();
    let contiguous = numel(&shape[axis + 1..]) == 1;
    vectorize_at(
        l,
        #[inline(always)]
        || {
            if contiguous {
                contiguous_lanes(&mut y, shape[axis], log)
            } else if log {
                for_each_lane(&mut y, shape, axis, log_softmax_lane)
            } else {
                for_each_lane(&mut y, shape, axis, softmax_lane)
            }
        },
    );
    y
}

/// dx of softmax (`log` false) or log-softmax for the upstream gradient `grad` and the output `y`.
fn grad_at(l: Level, grad: &[f32], y: &[f32], shape: &[usize], axis: usize, log: bool) -> Vec<f32> {
    // Interleave g and y in one buffer so a single lane walk sees both.
    let d = shape[axis];
    let mut gy: Vec<f32> = Vec::with_capacity(2 * grad.len());
    let mut gshape = shape.to_vec();
    gshape[axis] = 2 * d;
    let inner = numel(&shape[axis + 1..]);
    let outer = numel(&shape[..axis]);
    for o in 0..outer {
        let s = o * d * inner;
        gy.extend_from_slice(&grad[s..s + d * inner]);
        gy.extend_from_slice(&y[s..s + d * inner]);
    }
    vectorize_at(
        l,
        #[inline(always)]
        || {
            for_each_lane(
                &mut gy,
                &gshape,
                axis,
                #[inline(always)]
                |lane| {
                    let (g, y) = lane.split_at_mut(d);
                    if log {
                        let sg: f32 = g.iter().sum();
                        g.iter_mut()
                            .zip(y.iter())
                            .for_each(|(g, y)| *g -= exp(*y) * sg);
                    } else {
                        let dot: f32 = g.iter().zip(y.iter()).map(|(g, y)| g * y).sum();
                        g.iter_mut()
                            .zip(y.iter())
                            .for_each(|(g, y)| *g = y * (*g - dot));
                    }
                },
            )
        },
    );
    let mut dx = Vec::with_capacity(grad.len());
    for o in 0..outer {
        let s = 2 * o * d * inner;
        dx.extend_from_slice(&gy[s..s + d * inner]);
    }
    dx
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
        let dx = grad_at(level(), grad, &out.data(), out.shape(), self.axis, self.log);
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

    #[test]
    fn every_level_matches_the_portable_path_with_nan_and_inf() {
        use crate::kernels::simd_level::testing::{every_level_matches_portable, values};
        for (shape, axis) in [
            (vec![3, 17], 1),
            (vec![5, 1], 1),
            (vec![2, 33, 3], 1),
            (vec![7, 10], 0),
            (vec![2, 1003], 1),
        ] {
            let n: usize = shape.iter().product();
            let (x, g) = (values(n, 6, true), values(n, 7, true));
            for log in [false, true] {
                every_level_matches_portable(&format!("softmax {shape:?} log={log}"), |l| {
                    let y = lanes_at(l, &x, &shape, axis, log);
                    let mut all = grad_at(l, &g, &y, &shape, axis, log);
                    all.extend(y);
                    all
                });
            }
        }
    }
}
