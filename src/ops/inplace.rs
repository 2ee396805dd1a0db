//! In-place updates (`+=`, `add_`, `fill_`, `copy_`, `clamp_`, `t[i] = v`): written into the
//! tensor's own storage with its version bumped, and recorded in the graph when gradients flow.
//!
//! Every in-place op is "compute `f(old)` out of place, write it back". When nothing records a
//! graph that is all: ops recorded earlier that read the tensor see its version change and
//! refuse to backward (autograd::check_graph). When something records, the tensor's history
//! moves to a copy of its old value (`old`), the update is recorded as an op of `old`, and the
//! tensor takes that op as its own and starts a new generation: ops recorded before the update
//! still send their gradient to `old` (autograd::resolve), as PyTorch's rebased graph does.
use crate::autograd::{self, unbroadcast, Backward};
use crate::error::{fmt_shape, Error, Result};
use crate::kernels::reduce::expand;
use crate::ops::index::plan;
use crate::ops::{Binary, Index};
use crate::shape::broadcast;
use crate::tensor::{GradFn, Tensor};
use std::sync::atomic::Ordering;

impl Tensor {
    /// Replace the values by `f(old)`, which must keep the shape. `others` are the tensors `f`
    /// reads besides the old value (they decide whether the update is recorded).
    pub fn update(
        &self,
        op: &str,
        others: &[&Tensor],
        f: impl FnOnce(&Tensor) -> Result<Tensor>,
    ) -> Result<()> {
        let tracked = autograd::is_grad_enabled()
            && (self.requires_grad() || others.iter().any(|o| o.requires_grad()));
        if !tracked {
            let r = {
                let _g = autograd::NoGradGuard::new();
                f(self)?
            };
            return self.write_back(op, &r);
        }
        if self.is_leaf() && self.requires_grad() {
            return Err(Error::Graph(format!(
                "{op}: a leaf tensor that requires grad is being used in an in-place operation; update weights inside `with rustgrad.no_grad():` (or assign a new tensor: w = w - lr * w.grad)"
            )));
        }
        // `old`: a copy of the current value that takes over this tensor's history.
        let old = Tensor::from_parts(self.to_vec(), self.shape().to_vec());
        move_history(self, &old);
        let r = match f(&old) {
            Ok(r) if r.shape() == self.shape() => r,
            res => {
                // Give the history back: the tensor is unchanged when the update is refused.
                move_history(&old, self);
                return self.shape_error(op, res.map(|r| r.shape().to_vec()));
            }
        };
        let before = self.version();
        self.write_back(op, &r)?;
        move_history(&r, self);
        // Ops recorded before the update keep sending their gradient to `old`.
        self.push_generation(&old, before);
        Ok(())
    }

    fn write_back(&self, op: &str, r: &Tensor) -> Result<()> {
        if r.shape() != self.shape() {
            return self.shape_error(op, Ok(r.shape().to_vec()));
        }
        if r.shares_storage(self) {
            // `f` returned the tensor itself (or an alias): the values are already in place.
            let v = r.to_vec();
            self.data_mut().copy_from_slice(&v);
        } else {
            let src = r.data();
            self.data_mut().copy_from_slice(&src);
        }
        Ok(())
    }

    fn shape_error(&self, op: &str, res: Result<Vec<usize>>) -> Result<()> {
        let shape = res?;
        Err(Error::shape_mismatch(
            op,
            &shape,
            self.shape(),
            "differ: an in-place result must keep the shape of the tensor it is written into",
        ))
    }

    /// `self op= other` (broadcasting `other` to self's shape).
    pub fn binary_(&self, other: &Tensor, op: Binary) -> Result<()> {
        let name = op.name();
        if !self.fast_binary_(other, op) {
            self.update(name, &[other], |old| {
                let o = if other.same(self) { old } else { other };
                crate::ops::binary::binary(old, o, op)
            })?;
        }
        Ok(())
    }

    /// The common untracked case (an SGD step under no_grad): one pass in the tensor's memory.
    fn fast_binary_(&self, other: &Tensor, op: Binary) -> bool {
        let tracked =
            autograd::is_grad_enabled() && (self.requires_grad() || other.requires_grad());
        // A one-element operand with more axes than self would broadcast self up: not in place.
        let fits =
            other.shape() == self.shape() || (other.numel() == 1 && other.ndim() <= self.ndim());
        if tracked || !fits || other.shares_storage(self) {
            return false;
        }
        let o = other.data();
        let mut d = self.data_mut();
        // One loop per op, so each vectorises (a match inside the loop would not).
        match op {
            Binary::Add => zip_in_place(&mut d, &o, |a, b| a + b),
            Binary::Sub => zip_in_place(&mut d, &o, |a, b| a - b),
            Binary::Mul => zip_in_place(&mut d, &o, |a, b| a * b),
            Binary::Div => zip_in_place(&mut d, &o, |a, b| a / b),
            _ => zip_in_place(&mut d, &o, |a, b| op.f(a, b)),
        }
        true
    }

    pub fn fill_(&self, v: f32) -> Result<()> {
        self.fill_named("fill_", v)
    }
    pub fn zero_(&self) -> Result<()> {
        self.fill_named("zero_", 0.0)
    }
    fn fill_named(&self, op: &str, v: f32) -> Result<()> {
        let tracked = autograd::is_grad_enabled() && self.requires_grad();
        if !tracked {
            // `grad.zero_()` every step: one pass, no temporary.
            self.data_mut().fill(v);
            return Ok(());
        }
        self.update(op, &[], |old| old.replaced_by(&Tensor::scalar(v)))
    }

    /// Copy `src` (broadcast to this shape) into this tensor.
    pub fn copy_(&self, src: &Tensor) -> Result<()> {
        self.update("copy_", &[src], |old| {
            let s = if src.same(self) { old } else { src };
            old.replaced_by(s)
        })
    }

    /// `src` broadcast to self's shape, as an op of self (whose gradient is zero) and of src; the
    /// old values are never read, so inf or NaN in them cannot leak in (as `old * 0 + src` would).
    fn replaced_by(&self, src: &Tensor) -> Result<Tensor> {
        let b = broadcast("copy_", src.shape(), self.shape())?;
        if b != self.shape() {
            return self
                .shape_error("copy_", Ok(src.shape().to_vec()))
                .map(|_| src.clone());
        }
        let data = expand(&src.data(), src.shape(), self.shape());
        Ok(Tensor::from_op(
            data,
            self.shape().to_vec(),
            ReplaceBackward,
            &[self, src],
        ))
    }

    pub fn clamp_(&self, lo: Option<f32>, hi: Option<f32>) -> Result<()> {
        let (lo, hi) = (lo.unwrap_or(f32::NEG_INFINITY), hi.unwrap_or(f32::INFINITY));
        self.update("clamp_", &[], |old| old.clip(lo, hi))
    }

    /// `self[idx] = value`, NumPy's assignment semantics (value broadcast to the indexed shape).
    pub fn index_put_(&self, idx: &[Index], value: &Tensor) -> Result<()> {
        self.update("setitem", &[value], |old| {
            let v = if value.same(self) { old } else { value };
            old.index_put(idx, v)
        })
    }

    /// Out-of-place form: a copy of self with `value` written at `idx`.
    pub fn index_put(&self, idx: &[Index], value: &Tensor) -> Result<Tensor> {
        let (shape, src) = plan(self.shape(), idx)?;
        let fits = broadcast("setitem", value.shape(), &shape).is_ok_and(|b| b == shape);
        if !fits {
            return Err(Error::shape(
                "setitem",
                format!(
                    "cannot assign a value of shape {} to an index selecting shape {}",
                    fmt_shape(value.shape()),
                    fmt_shape(&shape)
                ),
            ));
        }
        let mut data = self.to_vec();
        let vals = expand(&value.data(), value.shape(), &shape);
        for (&s, &v) in src.iter().zip(&vals) {
            data[s] = v;
        }
        let back = PutBackward { src, shape };
        Ok(Tensor::from_op(
            data,
            self.shape().to_vec(),
            back,
            &[self, value],
        ))
    }
}

/// `d[i] = f(d[i], o[i])`, or `f(d[i], o[0])` for a one-element `o`.
fn zip_in_place(d: &mut [f32], o: &[f32], f: impl Fn(f32, f32) -> f32) {
    if let [b] = o {
        d.iter_mut().for_each(|a| *a = f(*a, *b));
    } else {
        d.iter_mut().zip(o).for_each(|(a, &b)| *a = f(*a, b));
    }
}

/// Move `from`'s graph node (and requires_grad) to `to`, which now holds the value that node
/// computed. The node stays valid only if `from`'s value was current, i.e. not overwritten
/// since its op ran.
fn move_history(from: &Tensor, to: &Tensor) {
    let mut node = std::mem::replace(&mut *from.0.node.lock(), GradFn::Leaf);
    if let GradFn::Op { out_version, .. } = &mut node {
        *out_version = if *out_version == from.version() {
            to.version()
        } else {
            u64::MAX
        };
    }
    *to.0.node.lock() = node;
    to.0.requires_grad
        .store(from.requires_grad(), Ordering::Relaxed);
}

/// d(replace)/d(old) = 0; d/d(src) sums the gradient back to src's shape.
struct ReplaceBackward;
impl Backward for ReplaceBackward {
    fn name(&self) -> &'static str {
        "copy_"
    }
    fn backward(&self, grad: &[f32], inputs: &[Tensor], out: &Tensor) -> Vec<Option<Vec<f32>>> {
        let g_src = unbroadcast(grad, out.shape(), inputs[1].shape());
        vec![Some(vec![0.0; grad.len()]), Some(g_src)]
    }
}

/// d(put)/d(old) is the gradient with the written positions zeroed; d/d(value) gathers them.
struct PutBackward {
    src: Vec<usize>,
    shape: Vec<usize>,
}
impl Backward for PutBackward {
    fn name(&self) -> &'static str {
        "setitem"
    }
    fn backward(&self, grad: &[f32], inputs: &[Tensor], _out: &Tensor) -> Vec<Option<Vec<f32>>> {
        let mut g_old = grad.to_vec();
        self.src.iter().for_each(|&s| g_old[s] = 0.0);
        let picked: Vec<f32> = self.src.iter().map(|&s| grad[s]).collect();
        let g_val = unbroadcast(&picked, &self.shape, inputs[1].shape());
        vec![Some(g_old), Some(g_val)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[f32]) -> Tensor {
        Tensor::new(v.to_vec(), vec![v.len()]).unwrap()
    }

    #[test]
    fn untracked_update_keeps_the_handle_and_bumps_the_version() {
        let w = t(&[1.0, 2.0]).with_grad();
        let v0 = w.version();
        {
            let _g = autograd::NoGradGuard::new();
            w.binary_(&t(&[0.5, 0.5]), Binary::Sub).unwrap();
        }
        assert_eq!(w.to_vec(), vec![0.5, 1.5]);
        assert!(w.requires_grad() && w.is_leaf());
        assert!(w.version() > v0);
    }

    #[test]
    fn leaf_requiring_grad_is_refused_under_grad_mode() {
        let w = t(&[1.0]).with_grad();
        assert!(w.binary_(&Tensor::scalar(1.0), Binary::Add).is_err());
        assert_eq!(w.to_vec(), vec![1.0]);
    }

    #[test]
    fn rebased_update_backpropagates_through_the_old_history() {
        // y = 2x; y *= 3; y.sum() → dx = 6
        let x = t(&[1.0, 2.0]).with_grad();
        let y = x.mul_scalar(2.0);
        y.binary_(&Tensor::scalar(3.0), Binary::Mul).unwrap();
        assert_eq!(y.to_vec(), vec![6.0, 12.0]);
        y.sum().backward(None, false).unwrap();
        assert_eq!(x.grad().unwrap().to_vec(), vec![6.0, 6.0]);
    }

    #[test]
    fn a_saved_value_changed_in_place_refuses_backward() {
        let x = t(&[1.0, 2.0]).with_grad();
        let y = x.mul(&x).unwrap();
        {
            let _g = autograd::NoGradGuard::new();
            x.fill_(5.0).unwrap();
        }
        let err = y.sum().backward(None, false).unwrap_err().to_string();
        assert!(err.contains("modified by an in-place operation"), "{err}");
        assert!(x.grad().is_none());
    }

    #[test]
    fn setitem_gradient_splits_between_old_and_value() {
        let x = t(&[1.0, 2.0, 3.0]).with_grad();
        let v = Tensor::scalar(10.0).with_grad();
        let y = x.mul_scalar(1.0);
        y.index_put_(&[Index::Int(1)], &v).unwrap();
        assert_eq!(y.to_vec(), vec![1.0, 10.0, 3.0]);
        y.sum().backward(None, false).unwrap();
        assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 0.0, 1.0]);
        assert_eq!(v.grad().unwrap().to_vec(), vec![1.0]);
    }

    #[test]
    fn ops_recorded_before_an_update_send_their_gradient_to_the_old_value() {
        // y = 2x; z = y + 1; y *= 3; L = sum(z) + sum(y) → dL/dx = 2 + 6 = 8
        let x = t(&[1.0, 2.0]).with_grad();
        let y = x.mul_scalar(2.0);
        let z = y.add_scalar(1.0);
        y.binary_(&Tensor::scalar(3.0), Binary::Mul).unwrap();
        let loss = z.sum().add(&y.sum()).unwrap();
        loss.backward(None, false).unwrap();
        assert_eq!(x.grad().unwrap().to_vec(), vec![8.0, 8.0]);
    }

    #[test]
    fn item_update_of_a_non_leaf_backpropagates() {
        // y = x·1; y[0] += 5 (read y[0], add, write back) → dL/dx = 1 everywhere
        let x = t(&[1.0, 2.0]).with_grad();
        let y = x.mul_scalar(1.0);
        let part = y.index(&[Index::Int(0)]).unwrap().add_scalar(5.0);
        y.index_put_(&[Index::Int(0)], &part).unwrap();
        assert_eq!(y.to_vec(), vec![6.0, 2.0]);
        y.sum().backward(None, false).unwrap();
        assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 1.0]);
    }

    #[test]
    fn copy_and_zero_never_read_the_old_values() {
        let y = t(&[f32::INFINITY, f32::NAN]).with_grad().mul_scalar(1.0);
        y.zero_().unwrap();
        assert_eq!(y.to_vec(), vec![0.0, 0.0]);
        let a = t(&[f32::INFINITY]);
        a.copy_(&Tensor::scalar(2.0)).unwrap();
        assert_eq!(a.to_vec(), vec![2.0]);
        assert!(t(&[1.0, 2.0])
            .binary_(&Tensor::new(vec![1.0], vec![1, 1]).unwrap(), Binary::Add)
            .is_err());
    }

    #[test]
    fn grad_leaves_dot_grad_alone() {
        let x = t(&[3.0]).with_grad();
        let y = x.mul(&x).unwrap();
        let g = autograd::grad(&y, &[x.clone(), t(&[1.0])], None, false).unwrap();
        assert_eq!(g[0].as_ref().unwrap().to_vec(), vec![6.0]);
        assert!(g[1].is_none());
        assert!(x.grad().is_none());
    }
}
