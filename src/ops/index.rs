//! Indexing (ints, slices, integer arrays, new axes, ellipsis) as a gather with a scatter-add
//! gradient, and one_hot.
use crate::autograd::Backward;
use crate::error::{fmt_shape, Error, Result};
use crate::shape::{broadcast, broadcast_strides, numel, strides};
use crate::tensor::Tensor;

/// One entry of an index expression, as Python's `t[...]` gives it.
#[derive(Clone, Debug)]
pub enum Index {
    Int(isize),
    /// start, stop, step (Python slice semantics).
    Slice(Option<isize>, Option<isize>, isize),
    /// Integer array with its shape.
    Array(Vec<isize>, Vec<usize>),
    NewAxis,
    Ellipsis,
    /// A Python bool: a new axis of length 1 (True) or 0 (False), as NumPy reads a 0-d mask.
    Bool(bool),
    /// A boolean mask (row-major values and shape) over as many axes as it has dimensions.
    Mask(Vec<bool>, Vec<usize>),
}

/// Axes an index entry consumes from the tensor.
fn consumes(i: &Index) -> usize {
    match i {
        Index::NewAxis | Index::Ellipsis | Index::Bool(_) => 0,
        Index::Mask(_, s) => s.len(),
        _ => 1,
    }
}

/// Replace each mask by one integer array per axis it covers (its true positions, like NumPy's
/// nonzero), after checking that it has the shape of the axes it covers.
fn expand_masks(shape: &[usize], idx: &[Index]) -> Result<Vec<Index>> {
    if !idx.iter().any(|i| matches!(i, Index::Mask(..))) {
        return Ok(idx.to_vec());
    }
    let consumed: usize = idx.iter().map(consumes).sum();
    let mut out = Vec::with_capacity(idx.len());
    let mut axis = 0;
    for ix in idx {
        match ix {
            Index::Ellipsis => axis += shape.len().saturating_sub(consumed),
            Index::Mask(vals, ms) => {
                let k = ms.len();
                if axis + k > shape.len() || shape[axis..axis + k] != ms[..] {
                    return Err(Error::index(
                        "getitem",
                        format!(
                            "boolean index of shape {} does not match the tensor of shape {} at axis {axis}",
                            fmt_shape(ms),
                            fmt_shape(shape)
                        ),
                    ));
                }
                let st = strides(ms);
                let hits: Vec<usize> = (0..vals.len()).filter(|&p| vals[p]).collect();
                for d in 0..k {
                    let coord = hits.iter().map(|&p| ((p / st[d]) % ms[d]) as isize);
                    out.push(Index::Array(coord.collect(), vec![hits.len()]));
                }
                axis += k;
                continue;
            }
            other => axis += consumes(other),
        }
        out.push(ix.clone());
    }
    Ok(out)
}

fn wrap(op: &str, i: isize, len: usize, axis: usize) -> Result<usize> {
    let j = if i < 0 { i + len as isize } else { i };
    if j < 0 || j >= len as isize {
        return Err(Error::index(
            op,
            format!("index {i} is out of bounds for axis {axis} with size {len}"),
        ));
    }
    Ok(j as usize)
}

/// Python's slice.indices followed by the positions it selects.
fn slice_positions(
    start: Option<isize>,
    stop: Option<isize>,
    step: isize,
    len: usize,
) -> Result<Vec<usize>> {
    if step == 0 {
        return Err(Error::index("getitem", "slice step cannot be zero"));
    }
    let n = len as isize;
    let clamp = |v: isize, lo: isize, hi: isize| if v < 0 { (v + n).max(lo) } else { v.min(hi) };
    let (lo, hi) = if step > 0 { (0, n) } else { (-1, n - 1) };
    let s = start.map_or(if step > 0 { 0 } else { n - 1 }, |v| clamp(v, lo, hi));
    let e = stop.map_or(if step > 0 { n } else { -1 }, |v| clamp(v, lo, hi));
    let mut out = Vec::new();
    let mut i = s;
    while (step > 0 && i < e) || (step < 0 && i > e) {
        out.push(i as usize);
        i += step;
    }
    Ok(out)
}

/// The gather plan: output shape and, for each output element, its flat source index.
pub(crate) fn plan(shape: &[usize], idx: &[Index]) -> Result<(Vec<usize>, Vec<usize>)> {
    let idx = &expand_masks(shape, idx)?[..];
    let consumed: usize = idx.iter().map(consumes).sum();
    if consumed > shape.len() {
        return Err(Error::index(
            "getitem",
            format!(
                "too many indices for a tensor of shape {}: {consumed} were given",
                fmt_shape(shape)
            ),
        ));
    }
    if idx.iter().filter(|i| matches!(i, Index::Ellipsis)).count() > 1 {
        return Err(Error::index(
            "getitem",
            "an index can only have a single ellipsis ('...')",
        ));
    }
    let st = strides(shape);
    let has_array = idx.iter().any(|i| matches!(i, Index::Array(..)));
    // Each output "dim": (sizes it contributes to the output shape, offsets per position).
    let mut dims: Vec<(Vec<usize>, Vec<usize>)> = Vec::new();
    let mut adv: Vec<(Vec<usize>, Vec<usize>, usize)> = Vec::new(); // (positions, shape, stride)
    let mut adv_at: Option<usize> = None;
    let mut adv_contiguous = true;
    let mut last_adv_entry: Option<usize> = None;
    let mut base = 0usize;
    let mut axis = 0usize;
    for (e, ix) in idx.iter().enumerate() {
        match ix {
            Index::Ellipsis => {
                for _ in 0..shape.len() - consumed {
                    dims.push((
                        vec![shape[axis]],
                        (0..shape[axis]).map(|p| p * st[axis]).collect(),
                    ));
                    axis += 1;
                }
            }
            Index::NewAxis => dims.push((vec![1], vec![0])),
            Index::Bool(keep) => dims.push((vec![*keep as usize], vec![0; *keep as usize])),
            Index::Slice(a, b, s) => {
                let pos = slice_positions(*a, *b, *s, shape[axis])?;
                dims.push((vec![pos.len()], pos.iter().map(|p| p * st[axis]).collect()));
                axis += 1;
            }
            Index::Int(i) if !has_array => {
                base += wrap("getitem", *i, shape[axis], axis)? * st[axis];
                axis += 1;
            }
            Index::Mask(..) => unreachable_mask()?,
            Index::Int(_) | Index::Array(..) => {
                let (vals, ashape) = match ix {
                    Index::Int(i) => (vec![*i], vec![]),
                    Index::Array(v, s) => (v.clone(), s.clone()),
                    _ => (vec![], vec![]),
                };
                let pos = vals
                    .iter()
                    .map(|&v| wrap("getitem", v, shape[axis], axis))
                    .collect::<Result<Vec<_>>>()?;
                if let Some(prev) = last_adv_entry {
                    if prev + 1 != e {
                        adv_contiguous = false;
                    }
                }
                last_adv_entry = Some(e);
                adv_at.get_or_insert(dims.len());
                adv.push((pos, ashape, st[axis]));
                axis += 1;
            }
        }
    }
    for a in axis..shape.len() {
        dims.push((vec![shape[a]], (0..shape[a]).map(|p| p * st[a]).collect()));
    }
    if let Some(at) = adv_at {
        let mut bshape: Vec<usize> = vec![];
        for (_, s, _) in &adv {
            bshape = broadcast("getitem", &bshape, s).map_err(|_| {
                Error::index(
                    "getitem",
                    "shape mismatch: indexing arrays could not be broadcast together",
                )
            })?;
        }
        let n = crate::shape::check_alloc("getitem", &bshape)?;
        let mut offs = vec![0usize; n];
        for (pos, s, stride) in &adv {
            let bs = broadcast_strides(s, &bshape);
            let os = strides(&bshape);
            for (j, o) in offs.iter_mut().enumerate() {
                let (mut rem, mut p) = (j, 0);
                for d in 0..bshape.len() {
                    p += (rem / os[d]) * bs[d];
                    rem %= os[d];
                }
                *o += pos[p] * stride;
            }
        }
        let at = if adv_contiguous { at } else { 0 };
        dims.insert(at, (bshape, offs));
    }
    let out_shape: Vec<usize> = dims.iter().flat_map(|(s, _)| s.iter().copied()).collect();
    crate::shape::check_alloc("getitem", &out_shape)?;
    let mut src = vec![base; numel(&out_shape)];
    // Row-major walk over the virtual dims (an advanced block counts as one).
    let mut rep = src.len();
    for (_, offs) in &dims {
        let len = offs.len();
        if len == 0 {
            return Ok((out_shape, vec![]));
        }
        rep /= len;
        for (j, s) in src.iter_mut().enumerate() {
            *s += offs[(j / rep) % len];
        }
    }
    Ok((out_shape, src))
}

/// Masks were expanded to integer arrays before planning.
fn unreachable_mask() -> Result<()> {
    Err(Error::index("getitem", "internal: unexpanded boolean mask"))
}

/// d(gather)/dx: scatter-add the output gradient back to the positions read.
struct GatherBackward(Vec<usize>);
impl Backward for GatherBackward {
    fn name(&self) -> &'static str {
        "getitem"
    }
    fn backward(&self, grad: &[f32], inputs: &[Tensor], _out: &Tensor) -> Vec<Option<Vec<f32>>> {
        let mut g = vec![0.0f32; inputs[0].numel()];
        for (&s, &v) in self.0.iter().zip(grad) {
            g[s] += v;
        }
        vec![Some(g)]
    }
}

impl Tensor {
    /// `self[idx]` with NumPy semantics for basic and integer-array indexing.
    pub fn index(&self, idx: &[Index]) -> Result<Tensor> {
        let (shape, src) = plan(self.shape(), idx)?;
        let data = {
            let d = self.data();
            src.iter().map(|&s| d[s]).collect()
        };
        Ok(Tensor::from_op(data, shape, GatherBackward(src), &[self]))
    }

    /// One-hot rows for integer class labels; any other value is refused by name.
    pub fn one_hot(labels: &Tensor, num_classes: usize) -> Result<Tensor> {
        let mut shape = labels.shape().to_vec();
        shape.push(num_classes);
        crate::shape::check_alloc("one_hot", &shape)?;
        let l = labels.data();
        let mut out = vec![0.0f32; l.len() * num_classes];
        for (i, &v) in l.iter().enumerate() {
            if v.fract() != 0.0 || v < 0.0 || v >= num_classes as f32 || !v.is_finite() {
                return Err(Error::invalid(
                    "one_hot",
                    format!(
                        "label {v} (at position {i}) is not an integer class in [0, {num_classes})"
                    ),
                ));
            }
            out[i * num_classes + v as usize] = 1.0;
        }
        Ok(Tensor::from_parts(out, shape))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn picks_like_numpy() {
        let t = Tensor::new((0..12).map(|x| x as f32).collect(), vec![3, 4]).unwrap();
        let r = t
            .index(&[
                Index::Array(vec![0, 2], vec![2]),
                Index::Array(vec![1, 3], vec![2]),
            ])
            .unwrap();
        assert_eq!(r.to_vec(), vec![1.0, 11.0]);
        let r = t
            .index(&[Index::Slice(None, None, -1), Index::Int(1)])
            .unwrap();
        assert_eq!(r.to_vec(), vec![9.0, 5.0, 1.0]);
        let r = t
            .index(&[Index::Ellipsis, Index::Slice(Some(1), Some(3), 1)])
            .unwrap();
        assert_eq!(r.shape(), &[3, 2]);
        assert!(t.index(&[Index::Int(3)]).is_err());
        assert_eq!(t.index(&[Index::Bool(true)]).unwrap().shape(), &[1, 3, 4]);
        assert_eq!(t.index(&[Index::Bool(false)]).unwrap().shape(), &[0, 3, 4]);
        let mask = Index::Mask(vec![true, false, true], vec![3]);
        let r = t
            .index(&[Index::Slice(None, None, 1), Index::Int(0)])
            .unwrap();
        assert_eq!(r.to_vec(), vec![0.0, 4.0, 8.0]);
        assert_eq!(t.index(&[mask]).unwrap().shape(), &[2, 4]);
        let short = Index::Mask(vec![true], vec![1]);
        assert!(t.index(&[short]).is_err());
    }
}
