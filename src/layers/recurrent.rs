//! SimpleRNN, LSTM and GRU (Keras 3's cells and gate order) over (batch, time, features): the
//! input product of every step in one GEMM, then a loop over time composed of ops, so the
//! backward pass is autograd's walk through the steps (backpropagation through time).
use super::{Activation, Layer};
use crate::error::{fmt_shape, Error, Result};
use crate::init::{glorot_uniform, orthogonal, Rng};
use crate::ops::Index;
use crate::tensor::Tensor;
use parking_lot::Mutex;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell {
    /// h = act(x·W + h·U + b)
    Simple,
    /// Gates i, f, c, o (Keras' order); c = f*c + i*act(z_c); h = o*act(c).
    Lstm,
    /// Gates z, r, h (Keras' order); h = z*h + (1 − z)*act(x_h + r ⊙ (h·U_h)). With
    /// `reset_after` (Keras 3's default) r multiplies h·U_h + b_h, and the bias is (2, 3·units):
    /// the input's and the recurrent product's.
    Gru { reset_after: bool },
}

impl Cell {
    pub fn from_name(name: &str, reset_after: bool) -> Result<Cell> {
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
    fn gates(self) -> usize {
        match self {
            Cell::Simple => 1,
            Cell::Lstm => 4,
            Cell::Gru { .. } => 3,
        }
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

    /// Columns [k·units, (k + 1)·units) of a (batch, gates·units) tensor.
    fn gate(&self, z: &Tensor, k: usize) -> Result<Tensor> {
        let u = self.units as isize;
        let k = k as isize;
        z.index(&[
            Index::Slice(None, None, 1),
            Index::Slice(Some(k * u), Some((k + 1) * u), 1),
        ])
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

    /// One step: the new (h, c) from the step's input product `xw`, the carried state (h, c)
    /// and `hd`, h with the recurrent dropout mask applied (Keras masks only the products).
    fn step(
        &self,
        w: &StepWeights,
        xw: &Tensor,
        h: &Tensor,
        hd: &Tensor,
        c: &Tensor,
    ) -> Result<[Tensor; 2]> {
        let (act, rec) = (self.options.activation, self.options.recurrent_activation);
        match self.cell {
            Cell::Simple => Ok([act.apply(&xw.add(&hd.matmul(&w.recurrent)?)?)?, c.clone()]),
            Cell::Lstm => {
                let z = xw.add(&hd.matmul(&w.recurrent)?)?;
                let i = rec.apply(&self.gate(&z, 0)?)?;
                let f = rec.apply(&self.gate(&z, 1)?)?;
                let g = act.apply(&self.gate(&z, 2)?)?;
                let o = rec.apply(&self.gate(&z, 3)?)?;
                let c = f.mul(c)?.add(&i.mul(&g)?)?;
                Ok([o.mul(&act.apply(&c)?)?, c])
            }
            Cell::Gru { reset_after } => {
                let mut inner = hd.matmul(&w.recurrent)?;
                if let Some(rb) = &w.recurrent_bias {
                    inner = inner.add(rb)?;
                }
                let z = rec.apply(&self.gate(xw, 0)?.add(&self.gate(&inner, 0)?)?)?;
                let r = rec.apply(&self.gate(xw, 1)?.add(&self.gate(&inner, 1)?)?)?;
                let rh = match (&w.candidate, reset_after) {
                    (Some(uh), false) => r.mul(hd)?.matmul(uh)?,
                    _ => r.mul(&self.gate(&inner, 2)?)?,
                };
                let hh = act.apply(&self.gate(xw, 2)?.add(&rh)?)?;
                // z·h + (1 − z)·hh, written as hh + z·(h − hh)
                Ok([hh.add(&z.mul(&h.sub(&hh)?)?)?, c.clone()])
            }
        }
    }

    /// The weights a step reads, sliced once per call: a GRU without reset_after multiplies h by
    /// the z and r columns of U and r ⊙ h by the candidate's columns.
    fn step_weights(&self) -> Result<StepWeights> {
        let (_, recurrent_bias) = self.biases()?;
        let u = self.units as isize;
        let cols = |a: Option<isize>, b: Option<isize>| {
            self.recurrent_kernel
                .index(&[Index::Slice(None, None, 1), Index::Slice(a, b, 1)])
        };
        Ok(match self.cell {
            Cell::Gru { reset_after: false } => StepWeights {
                recurrent: cols(None, Some(2 * u))?,
                candidate: Some(cols(Some(2 * u), None)?),
                recurrent_bias,
            },
            _ => StepWeights {
                recurrent: self.recurrent_kernel.clone(),
                candidate: None,
                recurrent_bias,
            },
        })
    }
}

struct StepWeights {
    recurrent: Tensor,
    candidate: Option<Tensor>,
    recurrent_bias: Option<Tensor>,
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
        let (input_bias, _) = self.biases()?;
        // Every step's input product at once, time-major so each step reads contiguous rows.
        let xw = x
            .permute(&[1, 0, 2])?
            .linear(&self.kernel, input_bias.as_ref(), None)?;
        let w = self.step_weights()?;
        let rmask = (training && o.recurrent_dropout > 0.0)
            .then(|| self.mask(o.recurrent_dropout, vec![b, u]));
        let mut h = Tensor::zeros(&[b, u]);
        let mut c = Tensor::zeros(&[b, u]);
        let mut outs = Vec::with_capacity(if o.return_sequences { t } else { 0 });
        for s in 0..t {
            let at = if o.go_backwards { t - 1 - s } else { s };
            let xt = xw.index(&[Index::Int(at as isize)])?;
            let hd = match &rmask {
                Some(m) => h.mul(m)?,
                None => h.clone(),
            };
            [h, c] = self.step(&w, &xt, &h, &hd, &c)?;
            if o.return_sequences {
                outs.push(h.clone());
            }
        }
        // Keras returns the steps in the order they ran (reversed for go_backwards).
        if o.return_sequences {
            Tensor::stack(&outs, 1)
        } else {
            Ok(h)
        }
    }
    fn params(&self) -> Vec<Tensor> {
        let mut p = vec![self.kernel.clone(), self.recurrent_kernel.clone()];
        p.extend(self.bias.iter().cloned());
        p
    }
}
