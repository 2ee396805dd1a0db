//! The fused dense op: y = act(x · W + b) in one node, so bias and activation add no extra passes.
use crate::autograd::Backward;
use crate::error::{Error, Result};
use crate::kernels::gemm::{matmul_new as gemm, Operand};
use crate::kernels::reduce::sum_to;
use crate::ops::Unary;
use crate::tensor::Tensor;

/// dZ = g ⊙ act'(Z); dW = xᵀ·dZ; db = Σ_rows dZ; dx = dZ·Wᵀ (skipped when x needs no gradient,
/// as for a network's input).
struct LinearBackward {
    rows: usize,
    k: usize,
    m: usize,
    act: Option<Unary>,
    pre: Vec<f32>, // pre-activation Z, kept only when there is an activation
}

impl Backward for LinearBackward {
    fn name(&self) -> &'static str {
        "linear"
    }
    fn backward(&self, grad: &[f32], inputs: &[Tensor], out: &Tensor) -> Vec<Option<Vec<f32>>> {
        let (rows, k, m) = (self.rows, self.k, self.m);
        let dz: Vec<f32> = match self.act {
            None => grad.to_vec(),
            Some(u) => slope(u, grad, &self.pre, &out.data()),
        };
        let (x, w) = (&inputs[0], &inputs[1]);
        let dx = x.requires_grad().then(|| {
            gemm(
                rows,
                m,
                k,
                Operand {
                    data: &dz,
                    trans: false,
                },
                Operand {
                    data: &w.data(),
                    trans: true,
                },
            )
        });
        let dw = w.requires_grad().then(|| {
            gemm(
                k,
                rows,
                m,
                Operand {
                    data: &x.data(),
                    trans: true,
                },
                Operand {
                    data: &dz,
                    trans: false,
                },
            )
        });
        let mut res = vec![dx, dw];
        if let Some(b) = inputs.get(2) {
            res.push(b.requires_grad().then(|| sum_to(&dz, &[rows, m], &[m])));
        }
        res
    }
}

/// act(z). ReLU, the common case, gets a loop of its own: with the activation fixed at compile time
/// the loop vectorises, where the per-element dispatch over every activation does not. It selects
/// with bit masks, not `if`: about half of a ReLU's inputs are negative, and on real data a branch
/// there mispredicts (as it did in the convolution's backward pass).
fn activate(u: Unary, z: &[f32]) -> Vec<f32> {
    crate::kernels::simd_level::vectorize(
        #[inline(always)]
        || match u {
            // Keeps positives and NaN (as `Unary::Relu.f`), zeroes the rest.
            Unary::Relu => z
                .iter()
                .map(|&v| f32::from_bits(v.to_bits() & mask(v > 0.0 || v.is_nan())))
                .collect(),
            // Each arm names its variant, so the match in `f` folds away and the loop vectorises.
            Unary::Sigmoid => z.iter().map(|&v| Unary::Sigmoid.f(v)).collect(),
            Unary::Tanh => z.iter().map(|&v| Unary::Tanh.f(v)).collect(),
            u => z.iter().map(|&v| u.f(v)).collect(),
        },
    )
}

/// All ones when `keep`, else all zeros.
#[inline(always)]
fn mask(keep: bool) -> u32 {
    (keep as u32).wrapping_neg()
}

/// g ⊙ act'(z), specialised for ReLU as in `activate`.
fn slope(u: Unary, g: &[f32], z: &[f32], y: &[f32]) -> Vec<f32> {
    crate::kernels::simd_level::vectorize(
        #[inline(always)]
        || match u {
            // g where z > 0, else g·0 (0, or NaN for a NaN or infinite g), as `g * Unary::Relu.df`.
            Unary::Relu => g
                .iter()
                .zip(z)
                .map(|(&g, &z)| {
                    let m = mask(z > 0.0);
                    f32::from_bits((g.to_bits() & m) | ((g * 0.0).to_bits() & !m))
                })
                .collect(),
            u => g
                .iter()
                .zip(z)
                .zip(y)
                .map(|((g, &z), &y)| g * u.df(z, y))
                .collect(),
        },
    )
}

impl Tensor {
    /// `act(self · w + b)` over the last axis of `self` (leading axes are batch axes).
    pub fn linear(&self, w: &Tensor, b: Option<&Tensor>, act: Option<Unary>) -> Result<Tensor> {
        let (xs, ws) = (self.shape(), w.shape());
        if xs.is_empty() || ws.len() != 2 || xs[xs.len() - 1] != ws[0] {
            return Err(Error::shape_mismatch(
                "linear",
                xs,
                ws,
                "do not fit: the input's last axis must equal the kernel's first",
            ));
        }
        let (k, m) = (ws[0], ws[1]);
        if let Some(b) = b {
            if b.shape() != [m] {
                return Err(Error::shape_mismatch(
                    "linear",
                    b.shape(),
                    &[m],
                    "differ: the bias needs one value per unit",
                ));
            }
        }
        let rows = self.numel() / k.max(1);
        let mut z = gemm(
            rows,
            k,
            m,
            Operand {
                data: &self.data(),
                trans: false,
            },
            Operand {
                data: &w.data(),
                trans: false,
            },
        );
        if let Some(b) = b {
            let bd = b.data();
            for row in z.chunks_exact_mut(m.max(1)) {
                row.iter_mut().zip(bd.iter()).for_each(|(v, b)| *v += b);
            }
        }
        let (y, pre) = match act {
            None => (z, Vec::new()),
            Some(u) => (activate(u, &z), z),
        };
        let mut shape = xs[..xs.len() - 1].to_vec();
        shape.push(m);
        let bw = LinearBackward {
            rows,
            k,
            m,
            act,
            pre,
        };
        Ok(match b {
            Some(b) => Tensor::from_op(y, shape, bw, &[self, w, b]),
            None => Tensor::from_op(y, shape, bw, &[self, w]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::Unary;
    #[test]
    fn n_d_input_acts_on_the_last_axis_as_its_2_d_reshape() {
        let vals = |n: usize, s: f32| (0..n).map(|i| ((i as f32) * s).sin()).collect::<Vec<_>>();
        let x3 = Tensor::new(vals(24, 0.7), vec![2, 3, 4])
            .unwrap()
            .with_grad();
        let x2 = Tensor::new(vals(24, 0.7), vec![6, 4]).unwrap().with_grad();
        let w = || Tensor::new(vals(20, 0.3), vec![4, 5]).unwrap().with_grad();
        let b = || Tensor::new(vals(5, 1.1), vec![5]).unwrap().with_grad();
        let (w3, b3, w2, b2) = (w(), b(), w(), b());
        let y3 = x3.linear(&w3, Some(&b3), Some(Unary::Tanh)).unwrap();
        let y2 = x2.linear(&w2, Some(&b2), Some(Unary::Tanh)).unwrap();
        assert_eq!(y3.shape(), &[2, 3, 5]);
        assert_eq!(y3.to_vec(), y2.to_vec());
        y3.sum().backward(None, false).unwrap();
        y2.sum().backward(None, false).unwrap();
        let g = |t: &Tensor| t.grad().unwrap().to_vec();
        assert_eq!(x3.grad().unwrap().shape(), &[2, 3, 4]);
        assert_eq!((g(&x3), g(&w3), g(&b3)), (g(&x2), g(&w2), g(&b2)));
    }
}
