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

/// The input `x` as the op saw it: itself, or, when a recorded in-place op has since given `x` a
/// new history, its earlier generation; with the version to compare the recorded one against.
/// None when that generation is gone (no graph held it any more).
fn resolve(x: &Tensor, generation: u64) -> Option<(Tensor, u64)> {
    if generation == x.generation() {
        Some((x.clone(), x.version()))
    } else {
        x.at_generation(generation)
    }
}

/// A node's inputs resolved to the generations it recorded (see `resolve`).
fn node_inputs(inputs: &[Tensor], generations: &[u64]) -> Vec<Tensor> {
    inputs
        .iter()
        .zip(generations)
        .map(|(x, &g)| resolve(x, g).map_or_else(|| x.clone(), |(t, _)| t))
        .collect()
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
            GradFn::Op {
                inputs,
                generations,
                ..
            } => node_inputs(inputs, generations)
                .into_iter()
                .filter(|x| x.requires_grad() && !seen.contains(&x.ptr()))
                .collect(),
            _ => Vec::new(),
        };
        drop(node);
        stack.push((t, true));
        stack.extend(inputs.into_iter().map(|x| (x, false)));
    }
    order
}

/// The seed gradient: `grad` checked against the root's shape, or 1 for a one-element root.
fn seed(root: &Tensor, grad: Option<Vec<f32>>, op: &str) -> Result<Vec<f32>> {
    if !root.requires_grad() {
        return Err(Error::Graph(format!("{op}: this tensor does not require grad and has no grad_fn (was it computed under no_grad, or from tensors without requires_grad=True?)")));
    }
    match grad {
        Some(g) if g.len() == root.numel() => Ok(g),
        Some(g) => Err(Error::shape(op, format!("gradient has {} values but the tensor has shape {}", g.len(), fmt_shape(root.shape())))),
        None if root.numel() == 1 => Ok(vec![1.0]),
        None => Err(Error::Graph(format!("{op}: grad can be implicitly created only for scalar outputs; this tensor has shape {}, pass a gradient of that shape", fmt_shape(root.shape())))),
    }
}

/// Refuse the walk before any gradient moves if a value some derivative reads was overwritten in
/// place after its op ran, or the graph was freed by an earlier backward.
fn check_graph(order: &[Tensor], op: &str) -> Result<()> {
    for t in order {
        let node = t.0.node.lock();
        match &*node {
            GradFn::Op {
                backward,
                inputs,
                versions,
                generations,
                out_version,
            } => {
                let name = backward.name();
                if t.version() != *out_version {
                    return Err(stale_error(op, "output", t, name, t.version(), *out_version));
                }
                for ((x, &v), &g) in inputs.iter().zip(versions).zip(generations) {
                    match resolve(x, g) {
                        Some((_, now)) if now == v => {}
                        Some((_, now)) => return Err(stale_error(op, "input", x, name, now, v)),
                        None => return Err(Error::Graph(format!("{op}: an input of {name} was changed by an in-place operation whose graph was already freed"))),
                    }
                }
            }
            GradFn::Freed(name) => {
                return Err(Error::Graph(format!(
                    "{op}: trying to backward through the graph a second time (through {name}); its buffers were freed by the first backward. Pass retain_graph=True to the first backward call if you need to backward twice"
                )))
            }
            GradFn::Leaf => {}
        }
    }
    Ok(())
}

fn stale_error(op: &str, role: &str, x: &Tensor, name: &str, now: u64, want: u64) -> Error {
    Error::Graph(format!(
        "{op}: one of the tensors needed for gradient computation has been modified by an in-place operation: the {role} of shape {} of {name} is at version {now}; expected version {want}. Change it out of place (x = x + 1, not x += 1), or clone it before the in-place change",
        fmt_shape(x.shape())
    ))
}

/// The reverse walk shared by `backward` and `grad`: every tensor of the graph in reverse
/// topological order receives its whole gradient in `reached` before its op passes it on.
fn walk(
    root: &Tensor,
    seed: Vec<f32>,
    retain_graph: bool,
    op: &str,
    mut reached: impl FnMut(&Tensor, Vec<f32>),
) -> Result<()> {
    let order = topo_order(root);
    check_graph(&order, op)?;
    let mut pending: FxHashMap<*const crate::tensor::Inner, Vec<f32>> = FxHashMap::default();
    pending.insert(root.ptr(), seed);
    for t in order.iter().rev() {
        let Some(g) = pending.remove(&t.ptr()) else {
            continue;
        };
        let mut node = t.0.node.lock();
        let grads = match &*node {
            GradFn::Op {
                backward,
                inputs,
                generations,
                ..
            } => {
                let inputs = node_inputs(inputs, generations);
                let gs = backward.backward(&g, &inputs, t);
                inputs.into_iter().zip(gs).collect::<Vec<_>>()
            }
            _ => Vec::new(),
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
        // The walk is done with `g`: it moves on (a leaf's becomes its `.grad`), not copied.
        reached(t, g);
    }
    Ok(())
}

/// Run backward from `root`, accumulating into `.grad` of leaves (and of tensors that retain
/// grad). `grad` defaults to 1 for a one-element root.
pub fn backward(root: &Tensor, grad: Option<Vec<f32>>, retain_graph: bool) -> Result<()> {
    let seed = seed(root, grad, "backward")?;
    walk(root, seed, retain_graph, "backward", |t, g| {
        if t.is_leaf() || t.retains_grad() {
            t.accumulate_grad(g);
        }
    })
}

/// d(root)/d(input) for each input as new tensors, `None` where root does not depend on it;
/// no `.grad` is touched (what `GradientTape.gradient` and `torch.autograd.grad` return).
pub fn grad(
    root: &Tensor,
    inputs: &[Tensor],
    grad: Option<Vec<f32>>,
    retain_graph: bool,
) -> Result<Vec<Option<Tensor>>> {
    let seed = seed(root, grad, "grad")?;
    let mut out: Vec<Option<Tensor>> = vec![None; inputs.len()];
    walk(root, seed, retain_graph, "grad", |t, g| {
        let hits: Vec<usize> = (0..inputs.len()).filter(|&i| inputs[i].same(t)).collect();
        if let Some((&last, rest)) = hits.split_last() {
            for &i in rest {
                out[i] = Some(Tensor::from_parts(g.clone(), t.shape().to_vec()));
            }
            out[last] = Some(Tensor::from_parts(g, t.shape().to_vec()));
        }
    })?;
    Ok(out)
}

/// Sum a gradient of shape `from` down to `to` (the inverse of broadcasting `to` up to `from`).
pub fn unbroadcast(grad: &[f32], from: &[usize], to: &[usize]) -> Vec<f32> {
    if from == to {
        return grad.to_vec();
    }
    crate::kernels::reduce::sum_to(grad, from, to)
}
