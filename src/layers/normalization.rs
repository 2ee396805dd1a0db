//! Keras' Normalization preprocessing layer: (x − mean) / max(√variance, ε), or its inverse. The
//! statistics are computed by `adapt` (in Python, over the user's data) or given to the
//! constructor; this half applies them.
use super::Layer;
use crate::error::Result;
use crate::tensor::Tensor;

/// Keras' `backend.epsilon()`: the smallest standard deviation divided by.
const EPSILON: f32 = 1e-7;

pub struct Normalization {
    /// The statistics, in the shape of the kept axes (Keras' `mean` and `variance` weights).
    pub mean: Tensor,
    pub variance: Tensor,
    /// Keras' `count` weight (kept for its files; adapt does not update it). Present exactly when
    /// the statistics are weights: a layer given `mean` and `variance` has none, as in Keras.
    pub count: Option<Tensor>,
    /// The input's rank with the reduced axes as 1, e.g. [1, 9] for (batch, 9) and axis -1.
    pub broadcast: Vec<isize>,
    /// Turn normalized values back into the data's scale: mean + x · max(√variance, ε).
    pub invert: bool,
}

impl Normalization {
    /// Mean and standard deviation in the broadcast shape. They are recomputed at each call (a
    /// few values) so an `adapt` or `set_weights` after the model was built is used at once.
    fn statistics(&self) -> Result<(Tensor, Tensor)> {
        let mean = self.mean.detach().reshape(&self.broadcast)?;
        let sd = self
            .variance
            .detach()
            .reshape(&self.broadcast)?
            .sqrt()
            .maximum(&Tensor::scalar(EPSILON))?;
        Ok((mean, sd))
    }
}

impl Layer for Normalization {
    fn kind(&self) -> &'static str {
        "Normalization"
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Result<Tensor> {
        let (mean, sd) = self.statistics()?;
        if self.invert {
            mean.add(&x.mul(&sd)?)
        } else {
            x.sub(&mean)?.div(&sd)
        }
    }
    fn state(&self) -> Vec<Tensor> {
        match &self.count {
            Some(count) => vec![self.mean.clone(), self.variance.clone(), count.clone()],
            None => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(mean: &[f32], var: &[f32], invert: bool) -> Normalization {
        let n = mean.len();
        Normalization {
            mean: Tensor::new(mean.to_vec(), vec![n]).unwrap(),
            variance: Tensor::new(var.to_vec(), vec![n]).unwrap(),
            count: Some(Tensor::scalar(0.0)),
            broadcast: vec![1, n as isize],
            invert,
        }
    }

    #[test]
    fn normalizes_per_feature_and_inverts() {
        let x = Tensor::new(vec![1.0, 7.0, 4.0, 3.0, 9.0, 6.0], vec![2, 3]).unwrap();
        let l = layer(&[1.0, 8.0, 5.0], &[4.0, 1.0, 0.0], false);
        let y = l.forward(&x, false).unwrap().to_vec();
        // The zero variance divides by ε, as Keras does.
        assert_eq!(y[..2], [0.0, -1.0]);
        assert_eq!(y[3..5], [1.0, 1.0]);
        assert!((y[2] + 1e7).abs() < 1.0 && (y[5] - 1e7).abs() < 1.0);
        let back = layer(&[1.0, 8.0, 5.0], &[4.0, 1.0, 0.0], true);
        let z = back
            .forward(&Tensor::new(y, vec![2, 3]).unwrap(), false)
            .unwrap();
        let want = x.to_vec();
        for (a, b) in z.to_vec().iter().zip(&want) {
            assert!((a - b).abs() < 1e-3, "{a} vs {b}");
        }
    }

    #[test]
    fn state_only_when_the_statistics_are_weights() {
        let mut l = layer(&[0.0], &[1.0], false);
        assert_eq!(l.state().len(), 3);
        l.count = None;
        assert!(l.state().is_empty());
    }

    #[test]
    fn the_input_gets_its_gradient() {
        let x = Tensor::new(vec![1.0, 2.0], vec![1, 2]).unwrap().with_grad();
        let l = layer(&[0.0, 1.0], &[4.0, 16.0], false);
        l.forward(&x, true)
            .unwrap()
            .sum()
            .backward(None, false)
            .unwrap();
        assert_eq!(x.grad().unwrap().to_vec(), vec![0.5, 0.25]);
    }
}
