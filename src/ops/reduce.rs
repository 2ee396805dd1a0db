//! Reductions over axes (sum, mean, max, min) with keepdims, and argmax/argmin (no gradient).
use crate::autograd::Backward;
use crate::error::{fmt_shape, Error, Result};
use crate::kernels::reduce::{arg_reduce, expand, sum_to};
use crate::shape::{norm_axes, numel};
use crate::tensor::Tensor;

/// Shapes for a reduction: (keep-dims shape, result shape).
fn reduced_shapes(shape: &[usize], axes: &[usize], keepdims: bool) -> (Vec<usize>, Vec<usize>) {
    let keep: Vec<usize> = shape
        .iter()
        .enumerate()
        .map(|(i, &d)| if axes.contains(&i) { 1 } else { d })
        .collect();
    let out = if keepdims {
        keep.clone()
    } else {
        shape
            .iter()
            .enumerate()
            .filter(|(i, _)| !axes.contains(i))
            .map(|(_, &d)| d)
            .collect()
    };
    (keep, out)
}

/// d(sum)/dx = 1 (scaled by 1/n for mean): the gradient is spread back over the reduced axes.
struct SumBackward {
    keep: Vec<usize>,
    scale: f32,
}
impl Backward for SumBackward {
    fn name(&self) -> &'static str {
        if self.scale == 1.0 {
            "sum"
        } else {
            "mean"
        }
    }
    fn backward(&self, grad: &[f32], inputs: &[Tensor], _out: &Tensor) -> Vec<Option<Vec<f32>>> {
        let mut g = expand(grad, &self.keep, inputs[0].shape());
        if self.scale != 1.0 {
            g.iter_mut().for_each(|v| *v *= self.scale);
        }
        vec![Some(g)]
    }
}

/// d(max)/dx is 1 at the one element that won (the first on ties), 0 elsewhere.
struct ArgBackward {
    name: &'static str,
    arg: Vec<usize>,
}
impl Backward for ArgBackward {
    fn name(&self) -> &'static str {
        self.name
    }
    fn backward(&self, grad: &[f32], inputs: &[Tensor], _out: &Tensor) -> Vec<Option<Vec<f32>>> {
        let mut g = vec![0.0f32; inputs[0].numel()];
        for (&i, &gv) in self.arg.iter().zip(grad) {
            g[i] += gv;
        }
        vec![Some(g)]
    }
}

impl Tensor {
    /// Sum over `axes` (all when `None`).
    pub fn sum_axes(&self, axes: Option<&[isize]>, keepdims: bool) -> Result<Tensor> {
        self.sum_scaled("sum", axes, keepdims, false)
    }
    pub fn mean_axes(&self, axes: Option<&[isize]>, keepdims: bool) -> Result<Tensor> {
        self.sum_scaled("mean", axes, keepdims, true)
    }
    pub fn sum(&self) -> Tensor {
        let s = sum_to(&self.data(), self.shape(), &[]);
        Tensor::from_op(
            s,
            vec![],
            SumBackward {
                keep: vec![1; self.ndim()],
                scale: 1.0,
            },
            &[self],
        )
    }
    pub fn mean(&self) -> Tensor {
        let n = self.numel();
        let s = sum_to(&self.data(), self.shape(), &[]);
        let scale = 1.0 / n as f32;
        Tensor::from_op(
            vec![s[0] * scale],
            vec![],
            SumBackward {
                keep: vec![1; self.ndim()],
                scale,
            },
            &[self],
        )
    }

    fn sum_scaled(
        &self,
        op: &str,
        axes: Option<&[isize]>,
        keepdims: bool,
        mean: bool,
    ) -> Result<Tensor> {
        let ax = norm_axes(op, axes, self.ndim())?;
        let (keep, out) = reduced_shapes(self.shape(), &ax, keepdims);
        let n: usize = ax.iter().map(|&a| self.shape()[a]).product();
        let scale = if mean { 1.0 / n as f32 } else { 1.0 };
        let mut data = sum_to(&self.data(), self.shape(), &keep);
        if mean {
            data.iter_mut().for_each(|v| *v *= scale);
        }
        Ok(Tensor::from_op(
            data,
            out,
            SumBackward { keep, scale },
            &[self],
        ))
    }

    fn extreme(
        &self,
        op: &'static str,
        axes: Option<&[isize]>,
        keepdims: bool,
        max: bool,
    ) -> Result<Tensor> {
        let ax = norm_axes(op, axes, self.ndim())?;
        if ax.iter().any(|&a| self.shape()[a] == 0) || (ax.is_empty() && self.numel() == 0) {
            return Err(Error::shape(op, format!("zero-size reduction axis in a tensor of shape {}; {op} of an empty axis has no identity", fmt_shape(self.shape()))));
        }
        let (keep, out) = reduced_shapes(self.shape(), &ax, keepdims);
        let (val, arg) = if max {
            arg_reduce(&self.data(), self.shape(), &keep, |a, b| a > b)
        } else {
            arg_reduce(&self.data(), self.shape(), &keep, |a, b| a < b)
        };
        Ok(Tensor::from_op(
            val,
            out,
            ArgBackward { name: op, arg },
            &[self],
        ))
    }
    pub fn max_axes(&self, axes: Option<&[isize]>, keepdims: bool) -> Result<Tensor> {
        self.extreme("max", axes, keepdims, true)
    }
    pub fn min_axes(&self, axes: Option<&[isize]>, keepdims: bool) -> Result<Tensor> {
        self.extreme("min", axes, keepdims, false)
    }

    /// Index of the largest value along `axis` (flattened when `None`), as f32; no gradient.
    pub fn argmax(&self, axis: Option<isize>, keepdims: bool) -> Result<Tensor> {
        self.arg_extreme("argmax", axis, keepdims, true)
    }
    pub fn argmin(&self, axis: Option<isize>, keepdims: bool) -> Result<Tensor> {
        self.arg_extreme("argmin", axis, keepdims, false)
    }
    fn arg_extreme(
        &self,
        op: &'static str,
        axis: Option<isize>,
        keepdims: bool,
        max: bool,
    ) -> Result<Tensor> {
        let flat;
        let (src, axes): (&Tensor, Vec<isize>) = match axis {
            Some(a) => (self, vec![a]),
            None => {
                flat = Tensor::from_parts(self.to_vec(), vec![self.numel()]);
                (&flat, vec![0])
            }
        };
        let ax = norm_axes(op, Some(&axes), src.ndim())?;
        let a = ax[0];
        if src.shape()[a] == 0 {
            return Err(Error::shape(
                op,
                format!(
                    "attempt to get {op} of an empty sequence (shape {})",
                    fmt_shape(self.shape())
                ),
            ));
        }
        let (keep, mut out) = reduced_shapes(src.shape(), &ax, keepdims && axis.is_some());
        if keepdims && axis.is_none() {
            // NumPy keeps every axis as size 1 when reducing the flattened tensor.
            out = vec![1; self.ndim()];
        }
        let better = move |x: f32, y: f32| if max { x > y } else { x < y };
        let (_, arg) = arg_reduce(&src.data(), src.shape(), &keep, better);
        let inner: usize = numel(&src.shape()[a + 1..]);
        let d = src.shape()[a];
        let idx = arg.iter().map(|&i| ((i / inner) % d) as f32).collect();
        Ok(Tensor::from_parts(idx, out))
    }
}
