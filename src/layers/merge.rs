//! Merge layers (Keras' Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate): one
//! output from several inputs of one shape (Concatenate: equal except along its axis).
use super::Layer;
use crate::error::{fmt_shape, Error, Result};
use crate::tensor::Tensor;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MergeKind {
    Add,
    Subtract,
    Multiply,
    Average,
    Maximum,
    Minimum,
    Concatenate { axis: isize },
}

pub struct Merge(pub MergeKind);

pub const NAMES: &[&str] = &[
    "add",
    "subtract",
    "multiply",
    "average",
    "maximum",
    "minimum",
    "concatenate",
];

impl MergeKind {
    pub fn from_name(name: &str, axis: isize) -> Result<MergeKind> {
        Ok(match name {
            "add" => MergeKind::Add,
            "subtract" => MergeKind::Subtract,
            "multiply" => MergeKind::Multiply,
            "average" => MergeKind::Average,
            "maximum" => MergeKind::Maximum,
            "minimum" => MergeKind::Minimum,
            "concatenate" => MergeKind::Concatenate { axis },
            other => {
                return Err(Error::invalid(
                    "merge",
                    format!("unknown merge '{other}'; valid names: {}", NAMES.join(", ")),
                ))
            }
        })
    }
}

impl Merge {
    fn check(&self, xs: &[Tensor]) -> Result<()> {
        let (ok, need) = match self.0 {
            MergeKind::Subtract => (xs.len() == 2, "exactly 2"),
            _ => (xs.len() >= 2, "at least 2"),
        };
        if !ok {
            return Err(Error::invalid(
                self.kind(),
                format!("needs {need} inputs, got {}", xs.len()),
            ));
        }
        if matches!(self.0, MergeKind::Concatenate { .. }) {
            return Ok(()); // concatenate checks its own shapes, naming the axis
        }
        let first = xs[0].shape();
        if let Some(x) = xs.iter().find(|x| x.shape() != first) {
            return Err(Error::shape(
                self.kind(),
                format!(
                    "inputs must have the same shape, got {} and {}",
                    fmt_shape(first),
                    fmt_shape(x.shape())
                ),
            ));
        }
        Ok(())
    }
}

impl Layer for Merge {
    fn kind(&self) -> &'static str {
        match self.0 {
            MergeKind::Add => "Add",
            MergeKind::Subtract => "Subtract",
            MergeKind::Multiply => "Multiply",
            MergeKind::Average => "Average",
            MergeKind::Maximum => "Maximum",
            MergeKind::Minimum => "Minimum",
            MergeKind::Concatenate { .. } => "Concatenate",
        }
    }
    fn forward(&self, x: &Tensor, training: bool) -> Result<Tensor> {
        self.forward_many(std::slice::from_ref(x), training)
    }
    fn forward_many(&self, xs: &[Tensor], _training: bool) -> Result<Tensor> {
        self.check(xs)?;
        let fold = |f: fn(&Tensor, &Tensor) -> Result<Tensor>| -> Result<Tensor> {
            let mut acc = xs[0].clone();
            for x in &xs[1..] {
                acc = f(&acc, x)?;
            }
            Ok(acc)
        };
        match self.0 {
            MergeKind::Add => fold(Tensor::add),
            MergeKind::Subtract => xs[0].sub(&xs[1]),
            MergeKind::Multiply => fold(Tensor::mul),
            MergeKind::Average => fold(Tensor::add)?.mul(&Tensor::scalar(1.0 / xs.len() as f32)),
            MergeKind::Maximum => fold(Tensor::maximum),
            MergeKind::Minimum => fold(Tensor::minimum),
            MergeKind::Concatenate { axis } => Tensor::concatenate(xs, axis),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[f32]) -> Tensor {
        Tensor::new(v.to_vec(), vec![1, v.len()]).unwrap()
    }

    #[test]
    fn each_merge_matches_its_formula_and_checks_shapes() {
        let (a, b) = (t(&[1.0, 5.0]), t(&[3.0, 2.0]));
        let run = |k| {
            Merge(k)
                .forward_many(&[a.clone(), b.clone()], false)
                .unwrap()
                .to_vec()
        };
        assert_eq!(run(MergeKind::Add), [4.0, 7.0]);
        assert_eq!(run(MergeKind::Subtract), [-2.0, 3.0]);
        assert_eq!(run(MergeKind::Multiply), [3.0, 10.0]);
        assert_eq!(run(MergeKind::Average), [2.0, 3.5]);
        assert_eq!(run(MergeKind::Maximum), [3.0, 5.0]);
        assert_eq!(run(MergeKind::Minimum), [1.0, 2.0]);
        assert_eq!(
            run(MergeKind::Concatenate { axis: -1 }),
            [1.0, 5.0, 3.0, 2.0]
        );
        let err = Merge(MergeKind::Add)
            .forward_many(&[a.clone(), t(&[1.0, 2.0, 3.0])], false)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("Add") && err.contains("(1, 2)") && err.contains("(1, 3)"),
            "{err}"
        );
        assert!(Merge(MergeKind::Subtract)
            .forward_many(&[a.clone(), b.clone(), a], false)
            .is_err());
    }
}
