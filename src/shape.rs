//! Shapes: sizes, strides, NumPy broadcasting and axis normalisation, with errors naming the calling op.
use crate::error::{fmt_shape, Error, Result};

pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Above this many elements a new buffer is first reserved fallibly, so an impossible size is an
/// error instead of an allocation abort.
const PROBE_ELEMS: usize = 1 << 26;

/// The element count of a tensor `op` is about to allocate, checked: a product that overflows, or a
/// buffer the allocator refuses, is an error naming the op and the shape (never an abort).
pub fn check_alloc(op: &str, shape: &[usize]) -> Result<usize> {
    let n = shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&n| n <= isize::MAX as usize / std::mem::size_of::<f32>())
        .ok_or_else(|| {
            Error::shape(
                op,
                format!(
                    "shape {} has too many elements to allocate",
                    fmt_shape(shape)
                ),
            )
        })?;
    if n > PROBE_ELEMS {
        let bytes = n * std::mem::size_of::<f32>();
        let oom = || Error::OutOfMemory {
            op: op.into(),
            msg: format!(
                "cannot allocate {bytes} bytes for a tensor of shape {}",
                fmt_shape(shape)
            ),
        };
        // Lazily committed pages let the allocator hand out more than the machine has, and the
        // process would be killed on first touch; refuse what cannot fit in RAM plus swap instead.
        if memory_limit().is_some_and(|limit| bytes as u64 > limit) {
            return Err(oom());
        }
        let mut probe: Vec<f32> = Vec::new();
        probe.try_reserve_exact(n).map_err(|_| oom())?;
    }
    Ok(n)
}

/// Total RAM plus swap in bytes (Linux), read once.
fn memory_limit() -> Option<u64> {
    static LIMIT: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| {
        let info = std::fs::read_to_string("/proc/meminfo").ok()?;
        let kb = |key: &str| -> Option<u64> {
            let line = info.lines().find(|l| l.starts_with(key))?;
            line.split_whitespace().nth(1)?.parse().ok()
        };
        Some((kb("MemTotal:")? + kb("SwapTotal:").unwrap_or(0)) * 1024)
    })
}

/// Row-major (C order) strides in elements.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// NumPy broadcasting of two shapes.
pub fn broadcast(op: &str, a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let db = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(Error::shape_mismatch(
                op,
                a,
                b,
                "cannot be broadcast together",
            ));
        };
    }
    Ok(out)
}

/// Strides that read `shape` as if broadcast to `out` (0 on broadcast axes).
pub fn broadcast_strides(shape: &[usize], out: &[usize]) -> Vec<usize> {
    let st = strides(shape);
    let off = out.len() - shape.len();
    (0..out.len())
        .map(|i| {
            if i < off || shape[i - off] == 1 {
                0
            } else {
                st[i - off]
            }
        })
        .collect()
}

/// Resolve a possibly negative axis against `ndim`.
pub fn norm_axis(op: &str, axis: isize, ndim: usize) -> Result<usize> {
    let n = ndim as isize;
    let a = if axis < 0 { axis + n } else { axis };
    if a < 0 || a >= n {
        return Err(Error::shape(
            op,
            format!("axis {axis} is out of bounds for a tensor of {ndim} dimension(s)"),
        ));
    }
    Ok(a as usize)
}

/// Sorted, de-duplicated axes; `None` means all axes.
pub fn norm_axes(op: &str, axes: Option<&[isize]>, ndim: usize) -> Result<Vec<usize>> {
    let mut v = match axes {
        None => (0..ndim).collect::<Vec<_>>(),
        Some(ax) => ax
            .iter()
            .map(|&a| norm_axis(op, a, ndim))
            .collect::<Result<Vec<_>>>()?,
    };
    v.sort_unstable();
    let len = v.len();
    v.dedup();
    if v.len() != len {
        return Err(Error::shape(op, "repeated axis"));
    }
    Ok(v)
}

/// Resolve a reshape target with at most one -1.
pub fn resolve_reshape(op: &str, from: &[usize], to: &[isize]) -> Result<Vec<usize>> {
    let total = numel(from);
    let mut unknown = None;
    let mut known = 1usize;
    for (i, &d) in to.iter().enumerate() {
        if d == -1 {
            if unknown.is_some() {
                return Err(Error::shape(
                    op,
                    "can only specify one unknown dimension (-1)",
                ));
            }
            unknown = Some(i);
        } else if d < 0 {
            return Err(Error::shape(
                op,
                format!("negative dimension {d} in target shape"),
            ));
        } else {
            known *= d as usize;
        }
    }
    let mut out: Vec<usize> = to.iter().map(|&d| d.max(0) as usize).collect();
    if let Some(i) = unknown {
        if known == 0 || !total.is_multiple_of(known) {
            return Err(Error::shape(
                op,
                format!(
                    "cannot reshape tensor of shape {} into {:?}",
                    fmt_shape(from),
                    to
                ),
            ));
        }
        out[i] = total / known;
    } else if known != total {
        return Err(Error::shape(
            op,
            format!(
                "cannot reshape tensor of shape {} (size {total}) into shape {}",
                fmt_shape(from),
                fmt_shape(&out)
            ),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn broadcasting_follows_numpy() {
        assert_eq!(
            broadcast("add", &[2, 1, 3], &[4, 1]).unwrap(),
            vec![2, 4, 3]
        );
        assert!(broadcast("add", &[2, 3], &[4]).is_err());
        assert_eq!(broadcast_strides(&[4, 1], &[2, 4, 3]), vec![0, 1, 0]);
    }
    #[test]
    fn reshape_resolves_minus_one() {
        assert_eq!(
            resolve_reshape("reshape", &[2, 6], &[3, -1]).unwrap(),
            vec![3, 4]
        );
        assert!(resolve_reshape("reshape", &[2, 6], &[5, -1]).is_err());
        assert!(resolve_reshape("reshape", &[2, 6], &[5]).is_err());
    }
    #[test]
    fn huge_shapes_are_errors_not_aborts() {
        assert_eq!(check_alloc("zeros", &[2, 3]).unwrap(), 6);
        let overflow = check_alloc("zeros", &[usize::MAX / 2, 3]).unwrap_err();
        assert!(overflow.to_string().contains("zeros"), "{overflow}");
        assert!(check_alloc("zeros", &[1 << 40, 1 << 30]).is_err());
    }
}
