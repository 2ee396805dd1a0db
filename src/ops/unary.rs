//! One-input elementwise ops: each function and its derivative side by side, as a table.
use crate::autograd::Backward;
use crate::error::{Error, Result};
use crate::kernels::broadcast::{map, zip};
use crate::tensor::Tensor;

/// An elementwise function. Scalar-operand arithmetic (`x + 2`, `3 / x`) lives here too, so a Python
/// float never becomes a tensor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Unary {
    Neg,
    Exp,
    Log,
    Sqrt,
    Abs,
    Relu,
    LeakyRelu(f32),
    Sigmoid,
    Tanh,
    Sin,
    Cos,
    Elu(f32),
    Gelu,
    Softplus,
    Selu,
    Softsign,
    /// x · sigmoid(x), Keras' silu and swish.
    Silu,
    /// relu6(x + 3) / 6, Keras 3's form (not Keras 2's 0.2·x + 0.5).
    HardSigmoid,
    /// x · hard_sigmoid(x), Keras' hard_silu and hard_swish.
    HardSilu,
    Relu6,
    /// x · tanh(softplus(x)).
    Mish,
    Clip(f32, f32),
    AddScalar(f32),
    MulScalar(f32),
    /// `c - x`
    RSubScalar(f32),
    /// `c / x`
    RDivScalar(f32),
    /// `x ** p`
    PowScalar(f32),
    /// `c ** x`
    RPowScalar(f32),
}

const SQRT_2: f32 = std::f32::consts::SQRT_2;
const INV_SQRT_2PI: f32 = 0.398_942_3;
/// SELU's constants as Keras gives them (Klambauer et al., 2017).
const SELU_ALPHA: f32 = 1.673_263_2;
const SELU_SCALE: f32 = 1.050_701;

/// log(1 + eˣ); past 20 it equals x in f32, and exp would overflow further out.
fn softplus(x: f32) -> f32 {
    if x > 20.0 {
        x
    } else {
        x.exp().ln_1p()
    }
}

fn sigmoid(x: f32) -> f32 {
    crate::kernels::exp::sigmoid(x)
}

impl Unary {
    pub fn name(self) -> &'static str {
        use Unary::*;
        match self {
            Neg => "neg",
            Exp => "exp",
            Log => "log",
            Sqrt => "sqrt",
            Abs => "abs",
            Relu => "relu",
            LeakyRelu(_) => "leaky_relu",
            Sigmoid => "sigmoid",
            Tanh => "tanh",
            Sin => "sin",
            Cos => "cos",
            Elu(_) => "elu",
            Gelu => "gelu",
            Softplus => "softplus",
            Selu => "selu",
            Softsign => "softsign",
            Silu => "silu",
            HardSigmoid => "hard_sigmoid",
            HardSilu => "hard_silu",
            Relu6 => "relu6",
            Mish => "mish",
            Clip(..) => "clip",
            AddScalar(_) => "add",
            MulScalar(_) => "mul",
            RSubScalar(_) => "sub",
            RDivScalar(_) => "div",
            PowScalar(_) => "pow",
            RPowScalar(_) => "pow",
        }
    }

    /// f(x). Always inlined so a loop over a known op (ReLU in the dense layer) folds the match away
    /// and vectorises.
    #[inline(always)]
    pub fn f(self, x: f32) -> f32 {
        use Unary::*;
        match self {
            Neg => -x,
            Exp => crate::kernels::exp::exp(x),
            Log => x.ln(),
            Sqrt => x.sqrt(),
            Abs => x.abs(),
            // f32::max would turn NaN into 0; NaN flows through as in NumPy and PyTorch.
            Relu => {
                if x > 0.0 || x.is_nan() {
                    x
                } else {
                    0.0
                }
            }
            LeakyRelu(a) => {
                if x > 0.0 {
                    x
                } else {
                    a * x
                }
            }
            Sigmoid => sigmoid(x),
            Tanh => crate::kernels::exp::tanh(x),
            Sin => x.sin(),
            Cos => x.cos(),
            Elu(a) => {
                if x > 0.0 {
                    x
                } else {
                    a * x.exp_m1()
                }
            }
            Gelu => 0.5 * x * (1.0 + libm::erff(x / SQRT_2)),
            Softplus => softplus(x),
            Selu => {
                if x > 0.0 {
                    SELU_SCALE * x
                } else {
                    SELU_SCALE * SELU_ALPHA * x.exp_m1()
                }
            }
            Softsign => x / (1.0 + x.abs()),
            Silu => x * sigmoid(x),
            HardSigmoid => Relu6.f(x + 3.0) / 6.0,
            HardSilu => x * (Relu6.f(x + 3.0) / 6.0),
            Relu6 => {
                if x.is_nan() {
                    x
                } else {
                    x.clamp(0.0, 6.0)
                }
            }
            Mish => x * softplus(x).tanh(),
            Clip(lo, hi) => {
                if x.is_nan() {
                    x
                } else {
                    x.max(lo).min(hi)
                }
            }
            AddScalar(c) => x + c,
            MulScalar(c) => x * c,
            RSubScalar(c) => c - x,
            RDivScalar(c) => c / x,
            PowScalar(p) => x.powf(p),
            RPowScalar(c) => c.powf(x),
        }
    }

    /// f'(x), given x and y = f(x). Kinks take the left derivative: relu'(0) = 0, abs'(0) = 0.
    #[inline(always)]
    pub fn df(self, x: f32, y: f32) -> f32 {
        use Unary::*;
        match self {
            Neg => -1.0,
            Exp => y,
            Log => 1.0 / x,
            Sqrt => 0.5 / y,
            Abs => {
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            }
            Relu => {
                if x > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            LeakyRelu(a) => {
                if x > 0.0 {
                    1.0
                } else {
                    a
                }
            }
            Sigmoid => y * (1.0 - y),
            Tanh => 1.0 - y * y,
            Sin => x.cos(),
            Cos => -x.sin(),
            Elu(a) => {
                if x > 0.0 {
                    1.0
                } else {
                    y + a
                }
            }
            Gelu => 0.5 * (1.0 + libm::erff(x / SQRT_2)) + x * INV_SQRT_2PI * (-0.5 * x * x).exp(),
            Softplus => sigmoid(x),
            Selu => {
                if x > 0.0 {
                    SELU_SCALE
                } else {
                    y + SELU_SCALE * SELU_ALPHA
                }
            }
            Softsign => 1.0 / ((1.0 + x.abs()) * (1.0 + x.abs())),
            Silu => {
                let s = sigmoid(x);
                s * (1.0 + x * (1.0 - s))
            }
            HardSigmoid => Relu6.df(x + 3.0, 0.0) / 6.0,
            HardSilu => Relu6.f(x + 3.0) / 6.0 + x * Relu6.df(x + 3.0, 0.0) / 6.0,
            // As TensorFlow's Relu6Grad: 1 strictly inside (0, 6), 0 at both kinks.
            Relu6 => {
                if x > 0.0 && x < 6.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Mish => {
                let t = softplus(x).tanh();
                t + x * (1.0 - t * t) * sigmoid(x)
            }
            Clip(lo, hi) => {
                if x >= lo && x <= hi {
                    1.0
                } else {
                    0.0
                }
            }
            AddScalar(_) => 1.0,
            MulScalar(c) => c,
            RSubScalar(_) => -1.0,
            RDivScalar(c) => -c / (x * x),
            PowScalar(p) => {
                if p == 0.0 {
                    0.0
                } else {
                    p * x.powf(p - 1.0)
                }
            }
            RPowScalar(c) => y * c.ln(),
        }
    }
}

struct UnaryBackward(Unary);

impl Backward for UnaryBackward {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn backward(&self, grad: &[f32], inputs: &[Tensor], out: &Tensor) -> Vec<Option<Vec<f32>>> {
        let u = self.0;
        let x = inputs[0].data();
        let g = match u {
            // No need to read x or y for these.
            Unary::Neg | Unary::AddScalar(_) | Unary::MulScalar(_) | Unary::RSubScalar(_) => {
                let d = u.df(0.0, 0.0);
                map(grad, move |g| g * d)
            }
            _ => {
                let y = out.data();
                let dy = zip(&x, &y, move |x, y| u.df(x, y));
                zip(grad, &dy, |g, d| g * d)
            }
        };
        vec![Some(g)]
    }
}

/// Apply `u` elementwise, recording its derivative.
pub fn unary(x: &Tensor, u: Unary) -> Tensor {
    let xd = x.data();
    // The scalar ops a training loop runs every step get a loop of their own, so they vectorise;
    // the table's match inside one shared loop does not.
    let data = match u {
        // Each arm names its variant, so the table's match folds away.
        Unary::MulScalar(c) => map(&xd, move |v| Unary::MulScalar(c).f(v)),
        Unary::AddScalar(c) => map(&xd, move |v| Unary::AddScalar(c).f(v)),
        Unary::Neg => map(&xd, |v| Unary::Neg.f(v)),
        Unary::Relu => map(&xd, |v| Unary::Relu.f(v)),
        Unary::Sigmoid => map(&xd, |v| Unary::Sigmoid.f(v)),
        Unary::Tanh => map(&xd, |v| Unary::Tanh.f(v)),
        Unary::Exp => map(&xd, |v| Unary::Exp.f(v)),
        _ => map(&xd, move |v| u.f(v)),
    };
    drop(xd);
    Tensor::from_op(data, x.shape().to_vec(), UnaryBackward(u), &[x])
}

impl Tensor {
    pub fn neg(&self) -> Tensor {
        unary(self, Unary::Neg)
    }
    pub fn exp(&self) -> Tensor {
        unary(self, Unary::Exp)
    }
    pub fn log(&self) -> Tensor {
        unary(self, Unary::Log)
    }
    pub fn sqrt(&self) -> Tensor {
        unary(self, Unary::Sqrt)
    }
    pub fn abs(&self) -> Tensor {
        unary(self, Unary::Abs)
    }
    pub fn relu(&self) -> Tensor {
        unary(self, Unary::Relu)
    }
    pub fn leaky_relu(&self, alpha: f32) -> Tensor {
        unary(self, Unary::LeakyRelu(alpha))
    }
    pub fn sigmoid(&self) -> Tensor {
        unary(self, Unary::Sigmoid)
    }
    pub fn tanh(&self) -> Tensor {
        unary(self, Unary::Tanh)
    }
    pub fn sin(&self) -> Tensor {
        unary(self, Unary::Sin)
    }
    pub fn cos(&self) -> Tensor {
        unary(self, Unary::Cos)
    }
    pub fn elu(&self, alpha: f32) -> Tensor {
        unary(self, Unary::Elu(alpha))
    }
    pub fn gelu(&self) -> Tensor {
        unary(self, Unary::Gelu)
    }
    pub fn softplus(&self) -> Tensor {
        unary(self, Unary::Softplus)
    }
    pub fn clip(&self, lo: f32, hi: f32) -> Result<Tensor> {
        if lo > hi {
            return Err(Error::invalid(
                "clip",
                format!("lower bound {lo} is above upper bound {hi}"),
            ));
        }
        Ok(unary(self, Unary::Clip(lo, hi)))
    }
    pub fn add_scalar(&self, c: f32) -> Tensor {
        unary(self, Unary::AddScalar(c))
    }
    pub fn mul_scalar(&self, c: f32) -> Tensor {
        unary(self, Unary::MulScalar(c))
    }
    pub fn rsub_scalar(&self, c: f32) -> Tensor {
        unary(self, Unary::RSubScalar(c))
    }
    pub fn rdiv_scalar(&self, c: f32) -> Tensor {
        unary(self, Unary::RDivScalar(c))
    }
    pub fn pow_scalar(&self, p: f32) -> Tensor {
        unary(self, Unary::PowScalar(p))
    }
    pub fn rpow_scalar(&self, c: f32) -> Tensor {
        unary(self, Unary::RPowScalar(c))
    }
}

// The tests live in unary/tests.rs, so this file holds only the table and its op.
#[cfg(test)]
mod tests;
