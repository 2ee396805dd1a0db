//! Embedding and LayerNormalization: a row lookup whose gather backward scatter-adds into the
//! picked rows only, and per-sample normalisation over trailing axes, both composed of ops.
use super::Layer;
use crate::error::{Error, Result};
use crate::init::rand;
use crate::ops::Index;
use crate::tensor::Tensor;

/// Rows of an (input_dim, output_dim) table picked by integer ids: (…) → (…, output_dim).
pub struct Embedding {
    pub embeddings: Tensor,
}

impl Embedding {
    /// Keras' default initialiser: uniform on [-0.05, 0.05].
    pub fn new(input_dim: usize, output_dim: usize) -> Embedding {
        let t = rand(&[input_dim, output_dim]).to_vec();
        let data = t.into_iter().map(|u| u * 0.1 - 0.05).collect();
        Embedding {
            embeddings: Tensor::from_parts(data, vec![input_dim, output_dim]).with_grad(),
        }
    }
}

/// Checked integer ids in [0, n) from a float tensor, naming `op` and the bad value.
pub fn ids(op: &str, x: &Tensor, n: usize) -> Result<Vec<isize>> {
    x.data()
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            if v.fract() != 0.0 || v < 0.0 || v >= n as f32 || !v.is_finite() {
                Err(Error::invalid(
                    op,
                    format!(
                        "id {v} (at position {i}) is not an integer in [0, {n}) (input_dim {n})"
                    ),
                ))
            } else {
                Ok(v as isize)
            }
        })
        .collect()
}

impl Layer for Embedding {
    fn kind(&self) -> &'static str {
        "Embedding"
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Result<Tensor> {
        let n = self.embeddings.shape()[0];
        let idx = ids("Embedding", x, n)?;
        // d/dtable: the gather's backward adds each output row's gradient into the row it read.
        self.embeddings
            .index(&[Index::Array(idx, x.shape().to_vec())])
    }
    fn params(&self) -> Vec<Tensor> {
        vec![self.embeddings.clone()]
    }
}

/// (x - mean) / sqrt(var + epsilon) * gamma + beta over the last `axes` axes of each sample.
pub struct LayerNormalization {
    pub gamma: Option<Tensor>,
    pub beta: Option<Tensor>,
    pub axes: usize,
    pub epsilon: f32,
}

impl LayerNormalization {
    /// `param_shape`: the sizes of the normalised (trailing) axes.
    pub fn new(param_shape: &[usize], epsilon: f32, center: bool, scale: bool) -> Result<Self> {
        if param_shape.is_empty() || epsilon.is_nan() || epsilon <= 0.0 {
            return Err(Error::invalid(
                "LayerNormalization",
                format!("needs at least one axis and epsilon > 0, got {param_shape:?}, {epsilon}"),
            ));
        }
        let p = |v: f32| {
            let n = param_shape.iter().product();
            Tensor::from_parts(vec![v; n], param_shape.to_vec()).with_grad()
        };
        Ok(LayerNormalization {
            gamma: scale.then(|| p(1.0)),
            beta: center.then(|| p(0.0)),
            axes: param_shape.len(),
            epsilon,
        })
    }
}

impl Layer for LayerNormalization {
    fn kind(&self) -> &'static str {
        "LayerNormalization"
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Result<Tensor> {
        if x.shape().len() <= self.axes {
            return Err(Error::invalid(
                "LayerNormalization",
                format!("input shape {:?} has too few axes", x.shape()),
            ));
        }
        let axes: Vec<isize> = (1..=self.axes as isize).map(|a| -a).collect();
        let mean = x.mean_axes(Some(&axes), true)?;
        let d = x.sub(&mean)?;
        let var = d.mul(&d)?.mean_axes(Some(&axes), true)?;
        let mut y = d.div(&var.add_scalar(self.epsilon).sqrt())?;
        if let Some(g) = &self.gamma {
            y = y.mul(g)?;
        }
        if let Some(b) = &self.beta {
            y = y.add(b)?;
        }
        Ok(y)
    }
    fn params(&self) -> Vec<Tensor> {
        self.gamma.iter().chain(self.beta.iter()).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn embedding_picks_rows_and_scatters_grad() {
        let e = Embedding::new(4, 2);
        let x = Tensor::new(vec![1.0, 1.0, 3.0], vec![3]).unwrap();
        let y = e.forward(&x, true).unwrap();
        assert_eq!(y.shape(), &[3, 2]);
        let t = e.embeddings.to_vec();
        assert_eq!(y.to_vec()[..2], t[2..4]);
        assert!(e
            .forward(&Tensor::new(vec![4.0], vec![1]).unwrap(), true)
            .is_err());
        assert!(e
            .forward(&Tensor::new(vec![0.5], vec![1]).unwrap(), true)
            .is_err());
    }
    #[test]
    fn layer_norm_zero_mean_unit_var() {
        let ln = LayerNormalization::new(&[4], 1e-3, true, true).unwrap();
        let x = Tensor::new(vec![1.0, 2.0, 3.0, 6.0], vec![1, 4]).unwrap();
        let y = ln.forward(&x, true).unwrap().to_vec();
        let m: f32 = y.iter().sum::<f32>() / 4.0;
        let v: f32 = y.iter().map(|a| (a - m) * (a - m)).sum::<f32>() / 4.0;
        assert!(m.abs() < 1e-5 && (v - 1.0).abs() < 1e-3);
    }
}
