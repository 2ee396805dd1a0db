//! Reverse-mode autograd: the Backward trait, an iterative topological walk, grad accumulation,
//! un-broadcasting and grad mode. It knows no op by name: each op's derivative lives beside the op.
use crate::error::{fmt_shape, Error, Result};
use crate::tensor::{GradFn, Tensor};
use rustc_hash::{FxHashMap, FxHashSet};
use std::cell::Cell;

/// The derivative of one op. `grad` is d(loss)/d(out) with `out`'s shape; the result holds
/// d(loss)/d(input) for each input, `None` where the input does not require a gradient.
/// Implementations must not keep `Tensor`s of the graph (they get `inputs` and `out` here instead),
/// so the graph never holds a cycle.
pub trait Backward: Send + Sync {
    fn name(&self) -> &'static str;
    fn backward(&self, grad: &[f32], inputs: &[Tensor], out: &Tensor) -> Vec<Option<Vec<f32>>>;
}

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
}

pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(|g| g.get())
}

/// Set grad mode for this thread; returns the previous mode.
pub fn set_grad_enabled(on: bool) -> bool {
    GRAD_ENABLED.with(|g| g.replace(on))
}

/// RAII guard: no graph is recorded while it lives (on this thread).
pub struct NoGradGuard(bool);
impl NoGradGuard {
    pub fn new() -> Self {
        NoGradGuard(set_grad_enabled(false))
    }
}
impl Default for NoGradGuard {
    fn default() -> Self {
        Self::new()
    }
}
impl Drop for NoGradGuard {
    fn drop(&mut self) {
        set_grad_enabled(self.0);
    }
}

/// Post-order of the graph below `root` (inputs before outputs), over tensors that require grad.
fn topo_order(root: &Tensor) -> Vec<Tensor> {
    let mut order = Vec::new();
    let mut seen: FxHashSet<*const crate::tensor::Inner> = FxHashSet::default();
    let mut stack = vec![(root.clone(), false)];
    while let Some((t, expanded)) = stack.pop() {
        if expanded {
            order.push(t);
            continue;
        }
        if !seen.insert(t.ptr()) {
            continue;
        }
        let node = t.0.node.lock();
        let inputs: Vec<Tensor> = match &*node {
            GradFn::Op { inputs, .. } => inputs
                .iter()
                .filter(|x| x.requires_grad() && !seen.contains(&x.ptr()))
                .cloned()
                .collect(),
            _ => Vec::new(),
        };
        drop(node);
        stack.push((t, true));
        stack.extend(inputs.into_iter().map(|x| (x, false)));
    }
    order
}

/// Run backward from `root`. `grad` defaults to 1 for a one-element root.
pub fn backward(root: &Tensor, grad: Option<Vec<f32>>, retain_graph: bool) -> Result<()> {
    if !root.requires_grad() {
        return Err(Error::Graph("backward: this tensor does not require grad and has no grad_fn (was it computed under no_grad, or from tensors without requires_grad=True?)".into()));
    }
    let seed = match grad {
        Some(g) if g.len() == root.numel() => g,
        Some(g) => return Err(Error::shape("backward", format!("gradient has {} values but the tensor has shape {}", g.len(), fmt_shape(root.shape())))),
        None if root.numel() == 1 => vec![1.0],
        None => return Err(Error::Graph(format!("backward: grad can be implicitly created only for scalar outputs; this tensor has shape {}, pass a gradient of that shape", fmt_shape(root.shape())))),
    };
    let order = topo_order(root);
    let mut pending: FxHashMap<*const crate::tensor::Inner, Vec<f32>> = FxHashMap::default();
    pending.insert(root.ptr(), seed);
    for t in order.iter().rev() {
        let Some(g) = pending.remove(&t.ptr()) else {
            continue;
        };
        let mut node = t.0.node.lock();
        let grads = match &*node {
            GradFn::Op { backward, inputs } => {
                let gs = backward.backward(&g, inputs, t);
                inputs.iter().cloned().zip(gs).collect::<Vec<_>>()
            }
            GradFn::Freed(name) => {
                return Err(Error::Graph(format!(
                    "backward: trying to backward through the graph a second time (through {name}); its buffers were freed by the first backward. Pass retain_graph=True to the first backward call if you need to backward twice"
                )))
            }
            GradFn::Leaf => Vec::new(),
        };
        if !retain_graph {
            if let GradFn::Op { backward, .. } = &*node {
                let name = backward.name();
                *node = GradFn::Freed(name);
            }
        }
        drop(node);
        for (input, gi) in grads {
            let Some(gi) = gi else { continue };
            if !input.requires_grad() {
                continue;
            }
            match pending.get_mut(&input.ptr()) {
                Some(acc) => acc.iter_mut().zip(&gi).for_each(|(a, b)| *a += b),
                None => {
                    pending.insert(input.ptr(), gi);
                }
            }
        }
        if t.is_leaf() || t.retains_grad() {
            t.accumulate_grad(g);
        }
    }
    Ok(())
}

/// Sum a gradient of shape `from` down to `to` (the inverse of broadcasting `to` up to `from`).
pub fn unbroadcast(grad: &[f32], from: &[usize], to: &[usize]) -> Vec<f32> {
    if from == to {
        return grad.to_vec();
    }
    crate::kernels::reduce::sum_to(grad, from, to)
}
