//! Tensor handle: shared f32 storage with its version counter, shape, grad slot and graph node.
//! No math lives here (see ops/).
use crate::autograd::{self, Backward};
use crate::error::{fmt_shape, Error, Result};
use crate::shape::numel;
use parking_lot::{
    MappedRwLockReadGuard, MappedRwLockWriteGuard, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard,
};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// Memory owned by someone else (a NumPy array that `from_numpy` shares), exposed as f32 values.
/// The length never changes while the tensor lives.
pub trait ForeignBuffer: Send + Sync {
    fn values(&self) -> &[f32];
    fn values_mut(&mut self) -> &mut [f32];
}

enum Buffer {
    // A Vec that is never resized after creation, so pointers handed to NumPy stay valid.
    Owned(Vec<f32>),
    Foreign(Box<dyn ForeignBuffer>),
}

impl Buffer {
    fn values(&self) -> &[f32] {
        match self {
            Buffer::Owned(v) => v,
            Buffer::Foreign(f) => f.values(),
        }
    }
    fn values_mut(&mut self) -> &mut [f32] {
        match self {
            Buffer::Owned(v) => v,
            Buffer::Foreign(f) => f.values_mut(),
        }
    }
}

/// The values, shared by every handle that aliases them (`.data`, `from_numpy`). The version
/// counts writes, so backward can refuse a graph whose saved values were changed in place
/// (PyTorch's version counter) instead of returning a wrong gradient.
pub(crate) struct Storage {
    buf: RwLock<Buffer>,
    version: AtomicU64,
}

/// A cheap-to-clone handle; clones share storage, grad and graph node.
#[derive(Clone)]
pub struct Tensor(pub(crate) Arc<Inner>);

pub(crate) struct Inner {
    pub(crate) shape: Vec<usize>,
    pub(crate) storage: Arc<Storage>,
    pub(crate) requires_grad: AtomicBool,
    pub(crate) retains_grad: AtomicBool,
    pub(crate) grad: Mutex<Option<Tensor>>,
    pub(crate) node: Mutex<GradFn>,
    /// A 0/1 comparison result: indexing reads it as a boolean mask, not as positions 0 and 1.
    pub(crate) is_mask: bool,
    /// Bumped each time a recorded in-place op gives this tensor a new history; `past[g]` is the
    /// tensor that holds generation g's value and history, so ops recorded before the update
    /// still send their gradient there (weak: it lives as long as some graph needs it).
    pub(crate) generation: AtomicU64,
    pub(crate) past: Mutex<Vec<Past>>,
}

/// An earlier generation of a tensor: its value and history, and the version it was taken at.
pub(crate) struct Past {
    pub(crate) tensor: std::sync::Weak<Inner>,
    pub(crate) version: u64,
}

/// How a tensor came to be: a leaf, the output of a recorded op, or an op whose graph was freed.
pub(crate) enum GradFn {
    Leaf,
    Op {
        backward: Box<dyn Backward>,
        inputs: Vec<Tensor>,
        /// The inputs' versions and generations when the op ran, and the output's version: a
        /// version mismatch at backward time means a value the derivative reads was overwritten.
        versions: Vec<u64>,
        generations: Vec<u64>,
        out_version: u64,
    },
    Freed(&'static str),
}

impl Drop for Inner {
    // Dropping a long chain recursively would overflow the stack, so unlink it with an explicit stack.
    fn drop(&mut self) {
        let GradFn::Op { inputs, .. } = std::mem::replace(self.node.get_mut(), GradFn::Leaf) else {
            return;
        };
        let mut stack = inputs;
        while let Some(t) = stack.pop() {
            if let Some(mut inner) = Arc::into_inner(t.0) {
                if let GradFn::Op { inputs, .. } =
                    std::mem::replace(inner.node.get_mut(), GradFn::Leaf)
                {
                    stack.extend(inputs);
                }
            }
        }
    }
}

impl Tensor {
    /// Build from raw data and a shape; the lengths must agree.
    pub fn new(data: Vec<f32>, shape: Vec<usize>) -> Result<Tensor> {
        if data.len() != numel(&shape) {
            return Err(Error::shape(
                "tensor",
                format!(
                    "{} values cannot fill shape {}",
                    data.len(),
                    fmt_shape(&shape)
                ),
            ));
        }
        Ok(Tensor::from_parts(data, shape))
    }

    /// Internal constructor for ops that computed `data` for `shape` themselves.
    pub(crate) fn from_parts(data: Vec<f32>, shape: Vec<usize>) -> Tensor {
        Self::build(data, shape, false)
    }

    /// A 0/1 tensor that indexing treats as a boolean mask (what comparisons return).
    pub(crate) fn mask_from_parts(data: Vec<f32>, shape: Vec<usize>) -> Tensor {
        Self::build(data, shape, true)
    }

    fn build(data: Vec<f32>, shape: Vec<usize>, is_mask: bool) -> Tensor {
        debug_assert_eq!(data.len(), numel(&shape));
        Self::on_storage(
            Arc::new(Storage {
                buf: RwLock::new(Buffer::Owned(data)),
                version: AtomicU64::new(0),
            }),
            shape,
            is_mask,
        )
    }

    fn on_storage(storage: Arc<Storage>, shape: Vec<usize>, is_mask: bool) -> Tensor {
        Tensor(Arc::new(Inner {
            shape,
            storage,
            requires_grad: AtomicBool::new(false),
            retains_grad: AtomicBool::new(false),
            grad: Mutex::new(None),
            node: Mutex::new(GradFn::Leaf),
            is_mask,
            generation: AtomicU64::new(0),
            past: Mutex::new(Vec::new()),
        }))
    }

    /// Output of an op: records `backward` when grad mode is on and some input needs a gradient.
    pub(crate) fn from_op(
        data: Vec<f32>,
        shape: Vec<usize>,
        backward: impl Backward + 'static,
        inputs: &[&Tensor],
    ) -> Tensor {
        let t = Tensor::from_parts(data, shape);
        if autograd::is_grad_enabled() && inputs.iter().any(|x| x.requires_grad()) {
            t.0.requires_grad.store(true, Ordering::Relaxed);
            let versions = inputs.iter().map(|x| x.version()).collect();
            let generations = inputs.iter().map(|x| x.generation()).collect();
            let inputs = inputs.iter().map(|&x| x.clone()).collect();
            *t.0.node.lock() = GradFn::Op {
                backward: Box::new(backward),
                inputs,
                versions,
                generations,
                out_version: 0,
            };
        }
        t
    }

    pub fn scalar(v: f32) -> Tensor {
        Tensor::from_parts(vec![v], vec![])
    }
    pub fn full(shape: &[usize], v: f32) -> Tensor {
        Tensor::from_parts(vec![v; numel(shape)], shape.to_vec())
    }
    pub fn zeros(shape: &[usize]) -> Tensor {
        Tensor::full(shape, 0.0)
    }
    pub fn ones(shape: &[usize]) -> Tensor {
        Tensor::full(shape, 1.0)
    }

    pub fn shape(&self) -> &[usize] {
        &self.0.shape
    }
    pub fn ndim(&self) -> usize {
        self.0.shape.len()
    }
    pub fn numel(&self) -> usize {
        numel(&self.0.shape)
    }
    /// Is this a comparison result (0/1 values meant as a boolean mask)?
    pub fn is_mask(&self) -> bool {
        self.0.is_mask
    }
    /// Read access to the values (row-major).
    pub fn data(&self) -> MappedRwLockReadGuard<'_, [f32]> {
        RwLockReadGuard::map(self.0.storage.buf.read(), Buffer::values)
    }
    /// Write access for in-place updates; the length never changes. Counts as a new version.
    pub fn data_mut(&self) -> MappedRwLockWriteGuard<'_, [f32]> {
        let guard = self.0.storage.buf.write();
        self.0.storage.version.fetch_add(1, Ordering::Relaxed);
        RwLockWriteGuard::map(guard, Buffer::values_mut)
    }
    pub fn to_vec(&self) -> Vec<f32> {
        self.data().to_vec()
    }
    pub(crate) fn generation(&self) -> u64 {
        self.0.generation.load(Ordering::Relaxed)
    }
    /// Start a new generation: `old` now holds the current value and history (see `past`).
    /// `version` is this tensor's version just before the update: what earlier ops recorded.
    pub(crate) fn push_generation(&self, old: &Tensor, version: u64) {
        let mut past = self.0.past.lock();
        past.push(Past {
            tensor: Arc::downgrade(&old.0),
            version,
        });
        self.0
            .generation
            .store(past.len() as u64, Ordering::Relaxed);
    }
    /// The tensor that was `self` at generation `g`, if a graph still holds it.
    pub(crate) fn at_generation(&self, g: u64) -> Option<(Tensor, u64)> {
        let past = self.0.past.lock();
        let p = past.get(usize::try_from(g).ok()?)?;
        Some((Tensor(p.tensor.upgrade()?), p.version))
    }
    /// How many times the values were written in place (shared by every alias of the storage).
    pub fn version(&self) -> u64 {
        self.0.storage.version.load(Ordering::Relaxed)
    }
    /// Do the two handles read the same memory (one is `.data` or `from_numpy` of the other)?
    pub fn shares_storage(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.0.storage, &other.0.storage)
    }
    /// A new leaf over the same values, without grad tracking (PyTorch's `.data`).
    pub fn alias(&self) -> Tensor {
        Self::on_storage(
            self.0.storage.clone(),
            self.shape().to_vec(),
            self.is_mask(),
        )
    }
    /// A leaf tensor over memory it does not own; `buf` must hold numel(shape) values.
    pub fn from_foreign(buf: Box<dyn ForeignBuffer>, shape: Vec<usize>) -> Result<Tensor> {
        let n = buf.values().len();
        if n != numel(&shape) {
            return Err(Error::shape(
                "from_numpy",
                format!("{n} values cannot fill shape {}", fmt_shape(&shape)),
            ));
        }
        let storage = Arc::new(Storage {
            buf: RwLock::new(Buffer::Foreign(buf)),
            version: AtomicU64::new(0),
        });
        Ok(Self::on_storage(storage, shape, false))
    }
    /// The single value of a one-element tensor.
    pub fn item(&self) -> Result<f32> {
        let d = self.data();
        if d.len() != 1 {
            return Err(Error::shape(
                "item",
                format!(
                    "only one-element tensors can be converted to a scalar, got shape {}",
                    fmt_shape(self.shape())
                ),
            ));
        }
        Ok(d[0])
    }
    /// Same handle? (identity, not equality of values)
    pub fn same(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
    pub(crate) fn ptr(&self) -> *const Inner {
        Arc::as_ptr(&self.0)
    }

    pub fn requires_grad(&self) -> bool {
        self.0.requires_grad.load(Ordering::Relaxed)
    }
    /// Only leaves may change their flag: a non-leaf's flag follows from its inputs.
    pub fn set_requires_grad(&self, flag: bool) -> Result<()> {
        if !self.is_leaf() && !flag {
            return Err(Error::Graph("you can only change requires_grad flags of leaf tensors; use detach() to cut a tensor from the graph".into()));
        }
        self.0.requires_grad.store(flag, Ordering::Relaxed);
        Ok(())
    }
    /// Builder form for leaves: `Tensor::new(..)?.with_grad()`.
    pub fn with_grad(self) -> Tensor {
        self.0.requires_grad.store(true, Ordering::Relaxed);
        self
    }
    pub fn is_leaf(&self) -> bool {
        matches!(*self.0.node.lock(), GradFn::Leaf) || !self.requires_grad()
    }
    /// Name of the op that produced this tensor, if it was recorded.
    pub fn grad_fn_name(&self) -> Option<&'static str> {
        match &*self.0.node.lock() {
            GradFn::Op { backward, .. } => Some(backward.name()),
            GradFn::Freed(name) => Some(name),
            GradFn::Leaf => None,
        }
    }
    /// The inputs of the op that made this tensor (empty for a leaf), None once backward freed
    /// the graph: what a graph drawing walks (PyTorch's `grad_fn.next_functions`).
    pub fn graph_inputs(&self) -> Option<Vec<Tensor>> {
        match &*self.0.node.lock() {
            GradFn::Op { inputs, .. } => Some(inputs.clone()),
            GradFn::Freed(_) => None,
            GradFn::Leaf => Some(Vec::new()),
        }
    }
    pub fn retain_grad(&self) {
        self.0.retains_grad.store(true, Ordering::Relaxed);
    }
    pub(crate) fn retains_grad(&self) -> bool {
        self.0.retains_grad.load(Ordering::Relaxed)
    }

    pub fn grad(&self) -> Option<Tensor> {
        self.0.grad.lock().clone()
    }
    pub fn set_grad(&self, g: Option<Tensor>) -> Result<()> {
        if let Some(g) = &g {
            if g.shape() != self.shape() {
                return Err(Error::shape_mismatch(
                    "set grad",
                    g.shape(),
                    self.shape(),
                    "differ: a gradient must have the shape of its tensor",
                ));
            }
        }
        *self.0.grad.lock() = g;
        Ok(())
    }
    /// Forget the accumulated gradient (like PyTorch's `zero_grad(set_to_none=True)`).
    pub fn zero_grad(&self) {
        *self.0.grad.lock() = None;
    }
    /// Add `g` into `.grad`, in place when a grad already exists so handles held by users see it.
    pub(crate) fn accumulate_grad(&self, g: Vec<f32>) {
        let mut slot = self.0.grad.lock();
        match &*slot {
            Some(existing) => {
                let mut d = existing.data_mut();
                d.iter_mut().zip(&g).for_each(|(a, b)| *a += b);
            }
            None => *slot = Some(Tensor::from_parts(g, self.shape().to_vec())),
        }
    }

    /// A new leaf with the same values and no history.
    pub fn detach(&self) -> Tensor {
        Tensor::from_parts(self.to_vec(), self.shape().to_vec())
    }

    /// Reverse-mode differentiation from this tensor; see autograd.rs.
    pub fn backward(&self, grad: Option<Vec<f32>>, retain_graph: bool) -> Result<()> {
        autograd::backward(self, grad, retain_graph)
    }
}

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Tensor(shape={}, requires_grad={})",
            fmt_shape(self.shape()),
            self.requires_grad()
        )
    }
}
