//! Keras' `use_ema`: after every step a ← μ·a + (1−μ)·w (μ = 0 on the first step, so a starts at w);
//! every `overwrite_every` steps, and at the end of fit (`finalize`), the weights take the average.
use super::Slots;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

pub struct Ema {
    pub momentum: f32,
    pub overwrite_every: Option<u64>,
    pub(super) avg: Slots,
}

impl Ema {
    pub fn new(momentum: f32, overwrite_every: Option<f32>) -> Result<Ema> {
        if !(0.0..=1.0).contains(&momentum) {
            return Err(Error::invalid(
                "ema_momentum",
                format!("ema_momentum must be in [0, 1], got {momentum}"),
            ));
        }
        let overwrite_every = match overwrite_every {
            Some(f) if f.fract() != 0.0 || f < 1.0 => {
                return Err(Error::invalid(
                    "ema_overwrite_frequency",
                    format!("ema_overwrite_frequency must be an integer >= 1, got {f}"),
                ))
            }
            Some(f) => Some(f as u64),
            None => None,
        };
        Ok(Ema {
            momentum,
            overwrite_every,
            avg: Slots::default(),
        })
    }

    /// After step `t` (1-based) of `params`: fold each weight into its average, and overwrite the
    /// weights when `t` is a multiple of the frequency (Keras: (iterations + 1) % f == 0).
    pub fn after_step(&mut self, params: &[Tensor], t: u64) {
        let mu = if t == 1 { 0.0 } else { self.momentum };
        let overwrite = self.overwrite_every.is_some_and(|f| t.is_multiple_of(f));
        for (i, p) in params.iter().enumerate() {
            if p.numel() == 0 {
                continue; // a placeholder for a variable this apply_gradients call left out
            }
            let mut w = p.data_mut();
            let a = self.avg.get(i, w.len(), 0.0);
            for (a, w) in a.iter_mut().zip(w.iter()) {
                *a = mu * *a + (1.0 - mu) * w;
            }
            if overwrite {
                w.copy_from_slice(a);
            }
        }
    }

    /// Replace each weight by its average (Keras' `finalize_variable_values`); a parameter that
    /// never had a step keeps its value.
    pub fn finalize(&mut self, params: &[Tensor]) {
        for (i, p) in params.iter().enumerate() {
            let Some(a) = self.avg.peek(i) else { continue };
            let mut w = p.data_mut();
            if a.len() == w.len() && !a.is_empty() {
                w.copy_from_slice(a);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn average_starts_at_the_weight_and_finalize_copies_it() {
        let p = Tensor::new(vec![1.0, 2.0], vec![2]).unwrap();
        let mut e = Ema::new(0.5, Some(3.0)).unwrap();
        e.after_step(std::slice::from_ref(&p), 1);
        p.data_mut().copy_from_slice(&[3.0, 6.0]);
        e.after_step(std::slice::from_ref(&p), 2);
        assert_eq!(&*p.data(), &[3.0, 6.0]); // not a multiple of 3: w keeps its value
        e.finalize(std::slice::from_ref(&p));
        assert_eq!(&*p.data(), &[2.0, 4.0]);
        assert!(Ema::new(1.5, None).is_err() && Ema::new(0.9, Some(0.5)).is_err());
    }
}
