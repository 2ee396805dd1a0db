//! BatchNormalization over a channel axis (the last by default, Keras' -1): batch statistics while
//! training (and an update of the moving statistics, Keras' momentum rule), the moving statistics
//! at inference.
use super::Layer;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

pub struct BatchNormalization {
    pub gamma: Tensor,
    pub beta: Tensor,
    pub moving_mean: Tensor,
    pub moving_variance: Tensor,
    pub momentum: f32,
    pub epsilon: f32,
    /// The channel axis (negative counts from the end); -1 is the channels-last fast path.
    pub axis: isize,
}

impl BatchNormalization {
    pub fn new(channels: usize, momentum: f32, epsilon: f32) -> Result<BatchNormalization> {
        if !(0.0..=1.0).contains(&momentum) || epsilon.is_nan() || epsilon <= 0.0 {
            return Err(Error::invalid(
                "BatchNormalization",
                format!(
                    "momentum must be in [0, 1] and epsilon positive, got {momentum} and {epsilon}"
                ),
            ));
        }
        Ok(BatchNormalization {
            gamma: Tensor::ones(&[channels]).with_grad(),
            beta: Tensor::zeros(&[channels]).with_grad(),
            moving_mean: Tensor::zeros(&[channels]),
            moving_variance: Tensor::ones(&[channels]),
            momentum,
            epsilon,
            axis: -1,
        })
    }

    /// The same layer normalising over `axis` (e.g. 1 for (N, C, H, W) inputs).
    pub fn with_axis(mut self, axis: isize) -> BatchNormalization {
        self.axis = axis;
        self
    }
}

impl Layer for BatchNormalization {
    fn kind(&self) -> &'static str {
        "BatchNormalization"
    }
    fn frozen_runs_in_inference(&self) -> bool {
        true
    }
    fn forward(&self, x: &Tensor, training: bool) -> Result<Tensor> {
        if !training {
            let (mm, mv) = (self.moving_mean.data(), self.moving_variance.data());
            return x.batch_norm_infer_axis(
                &self.gamma,
                &self.beta,
                &mm,
                &mv,
                self.epsilon,
                self.axis,
            );
        }
        let (y, mean, var) =
            x.batch_norm_train_axis(&self.gamma, &self.beta, self.epsilon, self.axis)?;
        // moving = moving·momentum + batch·(1 − momentum), as Keras updates them.
        let m = self.momentum;
        for (t, batch) in [(&self.moving_mean, mean), (&self.moving_variance, var)] {
            let mut d = t.data_mut();
            d.iter_mut()
                .zip(&batch)
                .for_each(|(a, b)| *a = *a * m + b * (1.0 - m));
        }
        Ok(y)
    }
    fn params(&self) -> Vec<Tensor> {
        vec![self.gamma.clone(), self.beta.clone()]
    }
    fn state(&self) -> Vec<Tensor> {
        vec![self.moving_mean.clone(), self.moving_variance.clone()]
    }
}
