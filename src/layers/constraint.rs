//! Weight constraints (Keras' MaxNorm, NonNeg, UnitNorm, MinMaxNorm): projections applied in place
//! to a weight after each optimizer update, as Keras' optimizer applies `variable.constraint`.
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Keras' `backend.epsilon()`, added to the norm in the denominator.
const EPSILON: f64 = 1e-7;

/// `axes` are those the norm is taken over (Keras' `axis`): 0 for a Dense kernel (one norm per
/// unit), [0, 1, 2] for a Conv2D kernel (one per filter); negative axes count from the end.
#[derive(Clone, Debug, PartialEq)]
pub enum Constraint {
    /// w · clip(‖w‖, 0, max) / (ε + ‖w‖)
    MaxNorm { max_value: f32, axes: Vec<isize> },
    /// max(w, 0)
    NonNeg,
    /// w / (ε + ‖w‖)
    UnitNorm { axes: Vec<isize> },
    /// w · (rate · clip(‖w‖, min, max) + (1 − rate) · ‖w‖) / (ε + ‖w‖)
    MinMaxNorm {
        min_value: f32,
        max_value: f32,
        rate: f32,
        axes: Vec<isize>,
    },
}

pub const NAMES: [&str; 4] = ["max_norm", "non_neg", "unit_norm", "min_max_norm"];

fn finite(kind: &str, what: &str, v: f32) -> Result<f32> {
    if !v.is_finite() || v < 0.0 {
        return Err(Error::invalid(
            kind,
            format!("{what} must be a finite number >= 0, got {v}"),
        ));
    }
    Ok(v)
}

impl Constraint {
    /// A constraint by name with its numbers (max_norm: [max]; min_max_norm: [min, max, rate]).
    pub fn from_parts(name: &str, args: &[f32], axes: Vec<isize>) -> Result<Constraint> {
        let arg = |kind: &str, i: usize, what: &str| match args.get(i) {
            Some(&v) => finite(kind, what, v),
            None => Err(Error::invalid(kind, format!("needs {what}"))),
        };
        match name {
            "max_norm" => Ok(Constraint::MaxNorm {
                max_value: arg("MaxNorm", 0, "max_value")?,
                axes,
            }),
            "non_neg" => Ok(Constraint::NonNeg),
            "unit_norm" => Ok(Constraint::UnitNorm { axes }),
            "min_max_norm" => {
                let (lo, hi) = (
                    arg("MinMaxNorm", 0, "min_value")?,
                    arg("MinMaxNorm", 1, "max_value")?,
                );
                let rate = arg("MinMaxNorm", 2, "rate")?;
                if lo > hi || rate > 1.0 {
                    return Err(Error::invalid(
                        "MinMaxNorm",
                        format!("needs min_value <= max_value and rate in [0, 1], got {lo}, {hi}, {rate}"),
                    ));
                }
                Ok(Constraint::MinMaxNorm {
                    min_value: lo,
                    max_value: hi,
                    rate,
                    axes,
                })
            }
            _ => Err(Error::invalid(
                "constraint",
                format!("unknown constraint {name:?}; valid names: {NAMES:?}"),
            )),
        }
    }

    fn axes(&self) -> &[isize] {
        match self {
            Constraint::MaxNorm { axes, .. }
            | Constraint::UnitNorm { axes }
            | Constraint::MinMaxNorm { axes, .. } => axes,
            Constraint::NonNeg => &[],
        }
    }

    /// The factor a weight group of norm `n` is multiplied by.
    fn scale(&self, n: f64) -> f64 {
        match *self {
            Constraint::MaxNorm { max_value, .. } => n.clamp(0.0, max_value as f64) / (EPSILON + n),
            Constraint::UnitNorm { .. } => 1.0 / (EPSILON + n),
            Constraint::MinMaxNorm {
                min_value,
                max_value,
                rate,
                ..
            } => {
                let r = rate as f64;
                let want = r * n.clamp(min_value as f64, max_value as f64) + (1.0 - r) * n;
                want / (EPSILON + n)
            }
            Constraint::NonNeg => 1.0,
        }
    }

    /// The projected values of `w` (shape `shape`).
    pub fn project(&self, w: &[f32], shape: &[usize]) -> Result<Vec<f32>> {
        if *self == Constraint::NonNeg {
            return Ok(w.iter().map(|&v| v.max(0.0)).collect());
        }
        let group = groups(self.axes(), shape)?;
        let n = group.iter().copied().max().map_or(0, |g| g + 1);
        let mut sq = vec![0.0f64; n];
        for (&v, &g) in w.iter().zip(&group) {
            sq[g] += (v as f64) * (v as f64);
        }
        let scale: Vec<f64> = sq.iter().map(|s| self.scale(s.sqrt())).collect();
        Ok(w.iter()
            .zip(&group)
            .map(|(&v, &g)| (v as f64 * scale[g]) as f32)
            .collect())
    }

    /// Project `w` in place (outside any recorded graph).
    pub fn apply(&self, w: &Tensor) -> Result<()> {
        let out = self.project(&w.data(), w.shape())?;
        w.data_mut().copy_from_slice(&out);
        Ok(())
    }
}

/// For each element of a tensor of `shape`, the index of its norm group: its position with the
/// reduced `axes` left out.
fn groups(axes: &[isize], shape: &[usize]) -> Result<Vec<usize>> {
    let rank = shape.len() as isize;
    let mut reduced = vec![false; shape.len()];
    for &a in axes {
        let k = if a < 0 { a + rank } else { a };
        if !(0..rank).contains(&k) {
            return Err(Error::invalid(
                "constraint",
                format!("axis {a} is out of range for a weight of rank {rank} (shape {shape:?})"),
            ));
        }
        reduced[k as usize] = true;
    }
    let mut stride = vec![0usize; shape.len()];
    let mut s = 1;
    for d in (0..shape.len()).rev() {
        if !reduced[d] {
            stride[d] = s;
            s *= shape[d];
        }
    }
    let total: usize = shape.iter().product();
    let mut idx = vec![0usize; shape.len()];
    let mut out = Vec::with_capacity(total);
    for _ in 0..total {
        out.push(idx.iter().zip(&stride).map(|(i, s)| i * s).sum());
        for d in (0..shape.len()).rev() {
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_norm_clips_each_column_of_a_dense_kernel() {
        // (2, 2): column 0 has norm 5, column 1 norm 0.5.
        let w = [3.0, 0.3, 4.0, 0.4];
        let c = Constraint::from_parts("max_norm", &[2.0], vec![0]).unwrap();
        let y = c.project(&w, &[2, 2]).unwrap();
        let s = 2.0 / (5.0 + EPSILON);
        assert!((y[0] as f64 - 3.0 * s).abs() < 1e-6 && (y[2] as f64 - 4.0 * s).abs() < 1e-6);
        assert!((y[1] - 0.3).abs() < 1e-6 && (y[3] - 0.4).abs() < 1e-6);
    }

    #[test]
    fn unit_norm_over_several_axes_and_non_neg() {
        let w: Vec<f32> = (0..12).map(|v| v as f32 - 5.0).collect();
        let c = Constraint::UnitNorm { axes: vec![0, 1] };
        let y = c.project(&w, &[2, 3, 2]).unwrap();
        for f in 0..2 {
            let n: f32 = y.iter().skip(f).step_by(2).map(|v| v * v).sum();
            assert!((n - 1.0).abs() < 1e-5, "{n}");
        }
        let y = Constraint::NonNeg.project(&w, &[12]).unwrap();
        assert!(y.iter().all(|&v| v >= 0.0) && y[11] == 6.0);
    }

    #[test]
    fn min_max_norm_moves_by_rate_and_bad_arguments_are_named() {
        let c = Constraint::from_parts("min_max_norm", &[1.0, 2.0, 0.5], vec![-1]).unwrap();
        let y = c.project(&[0.0, 0.5], &[1, 2]).unwrap();
        // norm 0.5 → 0.5·1 + 0.5·0.5 = 0.75
        assert!((y[1] - 0.75).abs() < 1e-5);
        let e = Constraint::from_parts("max_norm", &[-1.0], vec![0]).unwrap_err();
        assert!(e.to_string().contains("MaxNorm") && e.to_string().contains("-1"));
        let e = Constraint::from_parts("nope", &[], vec![]).unwrap_err();
        assert!(e.to_string().contains("unit_norm"));
        assert!(Constraint::UnitNorm { axes: vec![3] }
            .project(&[1.0], &[1])
            .is_err());
    }
}
