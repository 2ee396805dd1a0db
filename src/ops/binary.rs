//! Two-input elementwise ops with NumPy broadcasting; derivatives beside each; comparisons (no grad).
use crate::autograd::{unbroadcast, Backward};
use crate::error::Result;
use crate::kernels::broadcast::zip_broadcast;
use crate::shape::{broadcast, check_alloc};
use crate::tensor::Tensor;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Binary {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Maximum,
    Minimum,
}

impl Binary {
    pub fn name(self) -> &'static str {
        match self {
            Binary::Add => "add",
            Binary::Sub => "sub",
            Binary::Mul => "mul",
            Binary::Div => "div",
            Binary::Pow => "pow",
            Binary::Maximum => "maximum",
            Binary::Minimum => "minimum",
        }
    }
    #[inline]
    pub(crate) fn f(self, a: f32, b: f32) -> f32 {
        match self {
            Binary::Add => a + b,
            Binary::Sub => a - b,
            Binary::Mul => a * b,
            Binary::Div => a / b,
            Binary::Pow => a.powf(b),
            // NaN propagates like NumPy's maximum/minimum.
            Binary::Maximum => {
                if a.is_nan() || b.is_nan() {
                    f32::NAN
                } else {
                    a.max(b)
                }
            }
            Binary::Minimum => {
                if a.is_nan() || b.is_nan() {
                    f32::NAN
                } else {
                    a.min(b)
                }
            }
        }
    }
    /// (∂f/∂a, ∂f/∂b) at (a, b) with y = f(a, b). Ties of maximum/minimum go to `a`.
    #[inline]
    fn df(self, a: f32, b: f32, y: f32) -> (f32, f32) {
        match self {
            Binary::Add => (1.0, 1.0),
            Binary::Sub => (1.0, -1.0),
            Binary::Mul => (b, a),
            Binary::Div => (1.0 / b, -a / (b * b)),
            Binary::Pow => (
                if b == 0.0 { 0.0 } else { b * a.powf(b - 1.0) },
                if a > 0.0 { y * a.ln() } else { 0.0 },
            ),
            Binary::Maximum => {
                if a >= b {
                    (1.0, 0.0)
                } else {
                    (0.0, 1.0)
                }
            }
            Binary::Minimum => {
                if a <= b {
                    (1.0, 0.0)
                } else {
                    (0.0, 1.0)
                }
            }
        }
    }
}

struct BinaryBackward(Binary);

impl Backward for BinaryBackward {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn backward(&self, grad: &[f32], inputs: &[Tensor], out: &Tensor) -> Vec<Option<Vec<f32>>> {
        let (a, b) = (&inputs[0], &inputs[1]);
        let os = out.shape();
        let op = self.0;
        let side = |t: &Tensor, first: bool| -> Option<Vec<f32>> {
            if !t.requires_grad() {
                return None;
            }
            let full = match op {
                Binary::Add => grad.to_vec(),
                Binary::Sub if first => grad.to_vec(),
                Binary::Sub => grad.iter().map(|g| -g).collect(),
                // d(a*b)/da = b: multiply by the other operand, broadcast.
                Binary::Mul => {
                    let other = if first { b } else { a };
                    zip_broadcast(grad, os, &other.data(), other.shape(), os, |g, o| g * o)
                }
                _ => {
                    let (ad, bd) = (a.data(), b.data());
                    let partial = zip_broadcast(&ad, a.shape(), &bd, b.shape(), os, |x, y| {
                        let (da, db) = op.df(x, y, op.f(x, y));
                        if first {
                            da
                        } else {
                            db
                        }
                    });
                    grad.iter().zip(&partial).map(|(g, p)| g * p).collect()
                }
            };
            Some(unbroadcast(&full, os, t.shape()))
        };
        vec![side(a, true), side(b, false)]
    }
}

/// `op(a, b)` with broadcasting, recording its derivative.
pub fn binary(a: &Tensor, b: &Tensor, op: Binary) -> Result<Tensor> {
    let shape = broadcast(op.name(), a.shape(), b.shape())?;
    check_alloc(op.name(), &shape)?;
    let data = {
        let (ad, bd) = (a.data(), b.data());
        zip_broadcast(&ad, a.shape(), &bd, b.shape(), &shape, move |x, y| {
            op.f(x, y)
        })
    };
    Ok(Tensor::from_op(data, shape, BinaryBackward(op), &[a, b]))
}

/// Comparisons give 0/1 tensors and are never differentiated.
#[derive(Clone, Copy, Debug)]
pub enum Compare {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Compare {
    pub fn name(self) -> &'static str {
        match self {
            Compare::Lt => "lt",
            Compare::Le => "le",
            Compare::Gt => "gt",
            Compare::Ge => "ge",
            Compare::Eq => "eq",
            Compare::Ne => "ne",
        }
    }
}

pub fn compare(a: &Tensor, b: &Tensor, c: Compare) -> Result<Tensor> {
    let shape = broadcast(c.name(), a.shape(), b.shape())?;
    check_alloc(c.name(), &shape)?;
    let (ad, bd) = (a.data(), b.data());
    let data = zip_broadcast(&ad, a.shape(), &bd, b.shape(), &shape, move |x, y| {
        let r = match c {
            Compare::Lt => x < y,
            Compare::Le => x <= y,
            Compare::Gt => x > y,
            Compare::Ge => x >= y,
            Compare::Eq => x == y,
            Compare::Ne => x != y,
        };
        r as u8 as f32
    });
    Ok(Tensor::mask_from_parts(data, shape))
}

impl Tensor {
    pub fn add(&self, o: &Tensor) -> Result<Tensor> {
        binary(self, o, Binary::Add)
    }
    pub fn sub(&self, o: &Tensor) -> Result<Tensor> {
        binary(self, o, Binary::Sub)
    }
    pub fn mul(&self, o: &Tensor) -> Result<Tensor> {
        binary(self, o, Binary::Mul)
    }
    pub fn div(&self, o: &Tensor) -> Result<Tensor> {
        binary(self, o, Binary::Div)
    }
    pub fn pow(&self, o: &Tensor) -> Result<Tensor> {
        binary(self, o, Binary::Pow)
    }
    pub fn maximum(&self, o: &Tensor) -> Result<Tensor> {
        binary(self, o, Binary::Maximum)
    }
    pub fn minimum(&self, o: &Tensor) -> Result<Tensor> {
        binary(self, o, Binary::Minimum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn broadcast_add_backward_sums_over_broadcast_axes() {
        let a = Tensor::new(vec![1.0; 6], vec![2, 3]).unwrap().with_grad();
        let b = Tensor::new(vec![1.0, 2.0, 3.0], vec![3])
            .unwrap()
            .with_grad();
        let c = a.mul(&b).unwrap();
        c.backward(Some(vec![1.0; 6]), false).unwrap();
        assert_eq!(b.grad().unwrap().to_vec(), vec![2.0, 2.0, 2.0]);
        assert_eq!(
            a.grad().unwrap().to_vec(),
            vec![1.0, 2.0, 3.0, 1.0, 2.0, 3.0]
        );
        assert!(a.add(&Tensor::zeros(&[4])).is_err());
    }
}
