//! SimpleRNN, LSTM and GRU (Keras 3's cells and gate order) over (batch, time, features): the
//! input product of every step in one GEMM, then a loop over time composed of ops, so the
//! backward pass is autograd's walk through the steps (backpropagation through time).
use super::{Activation, Layer};
use crate::error::{fmt_shape, Error, Result};
use crate::init::{glorot_uniform, orthogonal, Rng};
pub use crate::ops::recurrence::Cell;
use crate::ops::recurrence::Recurrence;
use crate::ops::{Index, Unary};
use crate::tensor::Tensor;
use parking_lot::Mutex;

/// The cell named as Keras' class ("SimpleRNN", "LSTM", "GRU").
pub fn cell_from_name(name: &str, reset_after: bool) -> Result<Cell> {
    match name {
        "SimpleRNN" => Ok(Cell::Simple),
        "LSTM" => Ok(Cell::Lstm),
        "GRU" => Ok(Cell::Gru { reset_after }),
        other => Err(Error::invalid(
            "recurrent",
            format!("unknown cell '{other}' (SimpleRNN, LSTM or GRU)"),
        )),
    }
}

/// The elementwise function an activation is; the recurrence op takes no softmax.
fn elementwise(a: Activation) -> Result<Unary> {
    match a {
        Activation::Elementwise(u) => Ok(u),
        Activation::Linear => Ok(Unary::MulScalar(1.0)),
        _ => Err(Error::invalid(
            "recurrent",
            "the activations of a recurrent layer must be elementwise (not softmax)",
        )),
    }
}

/// What a recurrent layer does besides its cell.
#[derive(Clone, Copy, Debug)]
pub struct RecurrentOptions {
    pub activation: Activation,
    pub recurrent_activation: Activation,
    pub use_bias: bool,
    pub return_sequences: bool,
    pub go_backwards: bool,
    /// Keras' dropout of the inputs and of the carried state: one mask per sequence, drawn in
    /// training only.
    pub dropout: f32,
    pub recurrent_dropout: f32,
    pub unit_forget_bias: bool,
}

pub struct Recurrent {
    pub cell: Cell,
    pub units: usize,
    pub options: RecurrentOptions,
    /// (features, gates·units)
    pub kernel: Tensor,
    /// (units, gates·units)
    pub recurrent_kernel: Tensor,
    /// (gates·units), or (2, 3·units) for a GRU with reset_after.
    pub bias: Option<Tensor>,
    rng: Mutex<Rng>,
}

impl Recurrent {
    pub fn new(
        cell: Cell,
        features: usize,
        units: usize,
        options: RecurrentOptions,
        seed: u64,
    ) -> Result<Recurrent> {
        let (d, rd) = (options.dropout, options.recurrent_dropout);
        if units == 0 || features == 0 || !(0.0..1.0).contains(&d) || !(0.0..1.0).contains(&rd) {
            return Err(Error::invalid(
                "recurrent",
                format!(
                    "needs units > 0, features > 0 and dropout rates in [0, 1), got units \
                     {units}, features {features}, dropout {d}, recurrent_dropout {rd}"
                ),
            ));
        }
        elementwise(options.activation)?;
        elementwise(options.recurrent_activation)?;
        let g = cell.gates() * units;
        let bias = options.use_bias.then(|| {
            let mut b = vec![0.0f32; g];
            if cell == Cell::Lstm && options.unit_forget_bias {
                b[units..2 * units].fill(1.0);
            }
            match cell {
                Cell::Gru { reset_after: true } => Tensor::from_parts(vec![0.0; 2 * g], vec![2, g]),
                _ => Tensor::from_parts(b, vec![g]),
            }
            .with_grad()
        });
        Ok(Recurrent {
            cell,
            units,
            options,
            kernel: glorot_uniform(&[features, g]).with_grad(),
            recurrent_kernel: orthogonal(&[units, g]).with_grad(),
            bias,
            rng: Mutex::new(Rng::new(seed)),
        })
    }

    /// An inverted-dropout mask of `shape` (values 0 or 1/(1 − rate)).
    fn mask(&self, rate: f32, shape: Vec<usize>) -> Tensor {
        let keep = 1.0 - rate;
        let mut rng = self.rng.lock();
        let n = shape.iter().product();
        let v = (0..n)
            .map(|_| {
                if rng.uniform() < keep {
                    1.0 / keep
                } else {
                    0.0
                }
            })
            .collect();
        Tensor::from_parts(v, shape)
    }

    fn check(&self, x: &Tensor) -> Result<(usize, usize)> {
        match x.shape() {
            &[b, t, f] if f == self.kernel.shape()[0] && t > 0 => Ok((b, t)),
            s => Err(Error::shape(
                self.kind(),
                format!(
                    "expects (batch, timesteps > 0, {}) inputs, got shape {}",
                    self.kernel.shape()[0],
                    fmt_shape(s)
                ),
            )),
        }
    }

    /// (the bias added to the input product, the bias added to the recurrent product)
    fn biases(&self) -> Result<(Option<Tensor>, Option<Tensor>)> {
        Ok(match (&self.bias, self.cell) {
            (Some(b), Cell::Gru { reset_after: true }) => (
                Some(b.index(&[Index::Int(0)])?),
                Some(b.index(&[Index::Int(1)])?),
            ),
            (b, _) => (b.clone(), None),
        })
    }
}

impl Layer for Recurrent {
    fn kind(&self) -> &'static str {
        match self.cell {
            Cell::Simple => "SimpleRNN",
            Cell::Lstm => "LSTM",
            Cell::Gru { .. } => "GRU",
        }
    }
    fn rng(&self) -> Option<&Mutex<Rng>> {
        Some(&self.rng)
    }
    fn forward(&self, x: &Tensor, training: bool) -> Result<Tensor> {
        let (b, t) = self.check(x)?;
        let (f, u) = (self.kernel.shape()[0], self.units);
        let o = self.options;
        let mut x = x.clone();
        if training && o.dropout > 0.0 {
            x = x.mul(&self.mask(o.dropout, vec![b, 1, f]))?;
        }
        let (input_bias, recurrent_bias) = self.biases()?;
        // Every step's input product at once, time-major so each step reads contiguous rows.
        let xw = x
            .permute(&[1, 0, 2])?
            .linear(&self.kernel, input_bias.as_ref(), None)?;
        let rmask = (training && o.recurrent_dropout > 0.0)
            .then(|| self.mask(o.recurrent_dropout, vec![b, u]));
        let spec = Recurrence {
            cell: self.cell,
            activation: elementwise(o.activation)?,
            recurrent: elementwise(o.recurrent_activation)?,
            backwards: o.go_backwards,
        };
        let hs = xw.recurrence(
            &self.recurrent_kernel,
            recurrent_bias.as_ref(),
            rmask.as_ref(),
            spec,
        )?;
        // Keras returns the steps in the order they ran (reversed for go_backwards).
        if o.return_sequences {
            hs.permute(&[1, 0, 2])
        } else {
            hs.index(&[Index::Int(t as isize - 1)])
        }
    }
    fn params(&self) -> Vec<Tensor> {
        let mut p = vec![self.kernel.clone(), self.recurrent_kernel.clone()];
        p.extend(self.bias.iter().cloned());
        p
    }
}
