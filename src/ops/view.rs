//! Shape ops: reshape, permute/transpose, expand_dims, squeeze, concatenate, stack, broadcast_to.
//! Each returns contiguous storage (a copy), so every kernel can assume row-major data.
use crate::autograd::{unbroadcast, Backward};
use crate::error::{fmt_shape, Error, Result};
use crate::kernels::reduce::expand;
use crate::shape::{broadcast, norm_axes, norm_axis, numel, resolve_reshape, strides};
use crate::tensor::Tensor;

/// Reshape-like ops move no values: the gradient is the output gradient, read with the input's shape.
struct SameData(&'static str);
impl Backward for SameData {
    fn name(&self) -> &'static str {
        self.0
    }
    fn backward(&self, grad: &[f32], _inputs: &[Tensor], _out: &Tensor) -> Vec<Option<Vec<f32>>> {
        vec![Some(grad.to_vec())]
    }
}

fn permute_data(data: &[f32], shape: &[usize], perm: &[usize]) -> Vec<f32> {
    let out_shape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
    let st = strides(shape);
    let src_st: Vec<usize> = perm.iter().map(|&p| st[p]).collect();
    let n = numel(shape);
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return out;
    }
    let nd = shape.len();
    let mut idx = vec![0usize; nd];
    let mut pos = 0usize;
    for _ in 0..n {
        out.push(data[pos]);
        let mut d = nd;
        while d > 0 {
            d -= 1;
            idx[d] += 1;
            pos += src_st[d];
            if idx[d] < out_shape[d] {
                break;
            }
            pos -= src_st[d] * idx[d];
            idx[d] = 0;
        }
    }
    out
}

/// d(permute)/dx: permute back with the inverse permutation.
struct PermuteBackward(Vec<usize>);
impl Backward for PermuteBackward {
    fn name(&self) -> &'static str {
        "permute"
    }
    fn backward(&self, grad: &[f32], inputs: &[Tensor], _out: &Tensor) -> Vec<Option<Vec<f32>>> {
        let out_shape: Vec<usize> = self.0.iter().map(|&p| inputs[0].shape()[p]).collect();
        let mut inv = vec![0; self.0.len()];
        for (i, &p) in self.0.iter().enumerate() {
            inv[p] = i;
        }
        vec![Some(permute_data(grad, &out_shape, &inv))]
    }
}

/// Concatenation's gradient: each input takes back its slab along the axis.
struct ConcatBackward {
    axis: usize,
    stacked: bool,
}
impl Backward for ConcatBackward {
    fn name(&self) -> &'static str {
        if self.stacked {
            "stack"
        } else {
            "concatenate"
        }
    }
    fn backward(&self, grad: &[f32], inputs: &[Tensor], _out: &Tensor) -> Vec<Option<Vec<f32>>> {
        let outer: usize = numel(&inputs[0].shape()[..self.axis]);
        let widths: Vec<usize> = inputs.iter().map(|t| t.numel() / outer.max(1)).collect();
        let total: usize = widths.iter().sum();
        let mut start = 0;
        let mut res = Vec::with_capacity(inputs.len());
        for (t, &w) in inputs.iter().zip(&widths) {
            res.push(t.requires_grad().then(|| {
                (0..outer)
                    .flat_map(|o| {
                        grad[o * total + start..o * total + start + w]
                            .iter()
                            .copied()
                    })
                    .collect()
            }));
            start += w;
        }
        res
    }
}

struct BroadcastBackward;
impl Backward for BroadcastBackward {
    fn name(&self) -> &'static str {
        "broadcast_to"
    }
    fn backward(&self, grad: &[f32], inputs: &[Tensor], out: &Tensor) -> Vec<Option<Vec<f32>>> {
        vec![Some(unbroadcast(grad, out.shape(), inputs[0].shape()))]
    }
}

impl Tensor {
    /// NumPy reshape; one axis may be -1.
    pub fn reshape(&self, shape: &[isize]) -> Result<Tensor> {
        let to = resolve_reshape("reshape", self.shape(), shape)?;
        Ok(Tensor::from_op(
            self.to_vec(),
            to,
            SameData("reshape"),
            &[self],
        ))
    }
    pub fn flatten(&self) -> Tensor {
        Tensor::from_op(
            self.to_vec(),
            vec![self.numel()],
            SameData("reshape"),
            &[self],
        )
    }
    pub fn expand_dims(&self, axis: isize) -> Result<Tensor> {
        let a = norm_axis("expand_dims", axis, self.ndim() + 1)?;
        let mut to = self.shape().to_vec();
        to.insert(a, 1);
        Ok(Tensor::from_op(
            self.to_vec(),
            to,
            SameData("expand_dims"),
            &[self],
        ))
    }
    /// Drop size-1 axes: the given ones (each must have size 1), or all of them.
    pub fn squeeze(&self, axes: Option<&[isize]>) -> Result<Tensor> {
        let drop = norm_axes("squeeze", axes, self.ndim())?;
        let drop: Vec<usize> = match axes {
            None => drop.into_iter().filter(|&a| self.shape()[a] == 1).collect(),
            Some(_) => drop,
        };
        if let Some(&a) = drop.iter().find(|&&a| self.shape()[a] != 1) {
            return Err(Error::shape("squeeze", format!("cannot select an axis to squeeze out which has size not equal to one (axis {a} of shape {})", fmt_shape(self.shape()))));
        }
        let to: Vec<usize> = (0..self.ndim())
            .filter(|a| !drop.contains(a))
            .map(|a| self.shape()[a])
            .collect();
        Ok(Tensor::from_op(
            self.to_vec(),
            to,
            SameData("squeeze"),
            &[self],
        ))
    }
    /// Reorder axes: output axis i is input axis perm[i].
    pub fn permute(&self, perm: &[isize]) -> Result<Tensor> {
        if perm.len() != self.ndim() {
            return Err(Error::shape(
                "permute",
                format!(
                    "axes {perm:?} don't match a tensor of shape {}",
                    fmt_shape(self.shape())
                ),
            ));
        }
        let p: Vec<usize> = perm
            .iter()
            .map(|&a| norm_axis("permute", a, self.ndim()))
            .collect::<Result<_>>()?;
        let mut seen = p.clone();
        seen.sort_unstable();
        seen.dedup();
        if seen.len() != p.len() {
            return Err(Error::shape(
                "permute",
                format!("repeated axis in {perm:?}"),
            ));
        }
        let shape: Vec<usize> = p.iter().map(|&i| self.shape()[i]).collect();
        let data = permute_data(&self.data(), self.shape(), &p);
        Ok(Tensor::from_op(data, shape, PermuteBackward(p), &[self]))
    }
    /// Swap two axes.
    pub fn transpose(&self, a: isize, b: isize) -> Result<Tensor> {
        let (a, b) = (
            norm_axis("transpose", a, self.ndim())?,
            norm_axis("transpose", b, self.ndim())?,
        );
        let mut p: Vec<isize> = (0..self.ndim() as isize).collect();
        p.swap(a, b);
        self.permute(&p)
    }
    /// All axes reversed (NumPy's `.T`).
    pub fn t(&self) -> Tensor {
        let p: Vec<usize> = (0..self.ndim()).rev().collect();
        let shape: Vec<usize> = p.iter().map(|&i| self.shape()[i]).collect();
        let data = permute_data(&self.data(), self.shape(), &p);
        Tensor::from_op(data, shape, PermuteBackward(p), &[self])
    }
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Tensor> {
        let b = broadcast("broadcast_to", self.shape(), shape)?;
        if b != shape {
            return Err(Error::shape_mismatch(
                "broadcast_to",
                self.shape(),
                shape,
                "cannot be broadcast: the target must be the broadcast shape",
            ));
        }
        crate::shape::check_alloc("broadcast_to", shape)?;
        let data = expand(&self.data(), self.shape(), shape);
        Ok(Tensor::from_op(
            data,
            shape.to_vec(),
            BroadcastBackward,
            &[self],
        ))
    }

    /// Join tensors along an existing axis.
    pub fn concatenate(ts: &[Tensor], axis: isize) -> Result<Tensor> {
        Self::join(ts, axis, false)
    }
    /// Join tensors along a new axis.
    pub fn stack(ts: &[Tensor], axis: isize) -> Result<Tensor> {
        Self::join(ts, axis, true)
    }
    fn join(ts: &[Tensor], axis: isize, stacked: bool) -> Result<Tensor> {
        let op = if stacked { "stack" } else { "concatenate" };
        let first = ts
            .first()
            .ok_or_else(|| Error::invalid(op, "need at least one tensor"))?;
        let parts: Vec<Tensor> = if stacked {
            let a = norm_axis(op, axis, first.ndim() + 1)?;
            ts.iter()
                .map(|t| t.expand_dims(a as isize))
                .collect::<Result<_>>()?
        } else {
            ts.to_vec()
        };
        let nd = parts[0].ndim();
        if nd == 0 {
            return Err(Error::shape(
                op,
                "zero-dimensional tensors cannot be concatenated",
            ));
        }
        let a = norm_axis(op, axis, nd)?;
        for t in &parts[1..] {
            let (s0, s) = (parts[0].shape(), t.shape());
            if s.len() != nd
                || s.iter()
                    .zip(s0)
                    .enumerate()
                    .any(|(i, (x, y))| i != a && x != y)
            {
                return Err(Error::shape_mismatch(
                    op,
                    s0,
                    s,
                    format!("must match on every axis except {a}"),
                ));
            }
        }
        let outer: usize = numel(&parts[0].shape()[..a]);
        let mut shape = parts[0].shape().to_vec();
        shape[a] = parts.iter().map(|t| t.shape()[a]).sum();
        let mut data = Vec::with_capacity(numel(&shape));
        let guards: Vec<_> = parts.iter().map(|t| t.data()).collect();
        for o in 0..outer {
            for (t, g) in parts.iter().zip(&guards) {
                let w = t.numel() / outer.max(1);
                data.extend_from_slice(&g[o * w..(o + 1) * w]);
            }
        }
        drop(guards);
        let refs: Vec<&Tensor> = parts.iter().collect();
        Ok(Tensor::from_op(
            data,
            shape,
            ConcatBackward { axis: a, stacked },
            &refs,
        ))
    }
}
