//! Keras' rules for `sample_weight` against a batch of loss or metric values: ranks matched first
//! (one trailing axis of 1 dropped or added, as `squeeze_or_expand_to_same_rank`), then NumPy
//! broadcasting, so a per-sample weight (8,) or (8, 1) covers every value of its sample.
use crate::error::{fmt_shape, Error, Result};
use crate::shape::{broadcast, broadcast_strides, numel};

/// Keras' squeeze_or_expand_to_same_rank: when the ranks differ by one and the longer shape ends
/// in 1, that axis is dropped, except that a 1-D shorter side gains a trailing 1 instead.
pub fn match_ranks(a: &[usize], b: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    if a.len() == b.len() + 1 && a.last() == Some(&1) {
        if b.len() == 1 {
            b.push(1);
        } else {
            a.pop();
        }
    } else if b.len() == a.len() + 1 && b.last() == Some(&1) {
        if a.len() == 1 {
            a.push(1);
        } else {
            b.pop();
        }
    }
    (a, b)
}

fn refuse(op: &str, values: &[usize], w: &[usize]) -> Error {
    // Keras broadcasts from the right, so a per-sample weight needs its trailing axes of 1.
    let hint = match (values, w) {
        ([n, rest @ ..], [m]) if n == m && !rest.is_empty() => {
            let mut s = vec![*n];
            s.extend(rest.iter().map(|_| 1));
            format!("; to weight each sample, give it shape {}", fmt_shape(&s))
        }
        _ => String::new(),
    };
    Error::shape(
        op,
        format!(
            "sample_weight of shape {} does not broadcast against the values of shape {} \
             (Keras' rules: ranks matched by a trailing 1, then NumPy broadcasting){hint}",
            fmt_shape(w),
            fmt_shape(values)
        ),
    )
}

/// Calls `f(value index, weight index)` for every element of `values ⊙ w` broadcast together.
fn each_pair(vs: &[usize], ws: &[usize], out: &[usize], mut f: impl FnMut(usize, usize)) {
    let (sv, sw) = (broadcast_strides(vs, out), broadcast_strides(ws, out));
    let mut idx = vec![0usize; out.len()];
    let (mut iv, mut iw) = (0usize, 0usize);
    for _ in 0..numel(out) {
        f(iv, iw);
        // Odometer step over the broadcast shape, keeping both offsets in step.
        for ax in (0..out.len()).rev() {
            idx[ax] += 1;
            iv += sv[ax];
            iw += sw[ax];
            if idx[ax] < out[ax] {
                break;
            }
            iv -= sv[ax] * out[ax];
            iw -= sw[ax] * out[ax];
            idx[ax] = 0;
        }
    }
}

/// For Keras' loss reduction (sum_over_batch_size of `values · w`): the total weight each value
/// carries (a value the broadcast repeats carries the sum of its copies' weights) and the divisor,
/// the element count of the broadcast product.
pub fn for_loss(
    op: &str,
    vshape: &[usize],
    w: &[f32],
    wshape: &[usize],
) -> Result<(Vec<f32>, f32)> {
    if w.len() != numel(wshape) {
        return Err(Error::shape(
            op,
            "sample_weight's values do not fill its shape",
        ));
    }
    let (vs, ws) = match_ranks(vshape, wshape);
    let out = broadcast(op, &vs, &ws).map_err(|_| refuse(op, vshape, wshape))?;
    let mut per_value = vec![0.0f32; numel(&vs)];
    each_pair(&vs, &ws, &out, |iv, iw| per_value[iv] += w[iw]);
    Ok((per_value, numel(&out).max(1) as f32))
}

/// Means of consecutive blocks of `block` values.
fn block_means(v: &[f64], block: usize) -> Vec<f64> {
    let b = block.max(1);
    v.chunks(b)
        .map(|c| c.iter().sum::<f64>() / b as f64)
        .collect()
}

/// (Σ per-sample values, Σ per-sample weights) as Keras' Mean metrics accumulate one batch
/// (`reduce_to_samplewise_values`): values are averaged over the axes past the weight's rank, the
/// weight is broadcast to what is left, and each sample's value and weight are the means over its
/// remaining axes. Without weights every sample counts once.
pub fn for_metric(
    op: &str,
    values: &[f64],
    vshape: &[usize],
    w: Option<(&[f32], &[usize])>,
) -> Result<(f64, f64)> {
    let Some((w, wshape)) = w else {
        let Some(&n) = vshape.first() else {
            return Ok((values.iter().sum(), 1.0));
        };
        let per_sample = block_means(values, numel(&vshape[1..]));
        return Ok((per_sample.iter().sum(), n as f64));
    };
    if w.len() != numel(wshape) {
        return Err(Error::shape(
            op,
            "sample_weight's values do not fill its shape",
        ));
    }
    let (vs, ws) = match_ranks(vshape, wshape);
    let rank = ws.len().min(vs.len());
    if ws.len() > vs.len() {
        return Err(refuse(op, vshape, wshape));
    }
    let kept = &vs[..rank];
    let v = block_means(values, numel(&vs[rank..]));
    // The weight must broadcast *to* the reduced values, never enlarge them.
    match broadcast(op, kept, &ws) {
        Ok(out) if out == kept => {}
        _ => return Err(refuse(op, vshape, wshape)),
    }
    let mut wb = vec![0.0f64; v.len()];
    each_pair(kept, &ws, kept, |iv, iw| wb[iv] = w[iw] as f64);
    let weighted: Vec<f64> = v.iter().zip(&wb).map(|(v, w)| v * w).collect();
    let block = if rank > 1 { numel(&kept[1..]) } else { 1 };
    let total = block_means(&weighted, block).iter().sum();
    let count = block_means(&wb, block).iter().sum();
    Ok((total, count))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn ranks_match_as_keras_squeezes_and_expands() {
        assert_eq!(match_ranks(&[8, 3], &[8, 3, 1]), (vec![8, 3], vec![8, 3]));
        assert_eq!(match_ranks(&[8, 1], &[8]), (vec![8, 1], vec![8, 1]));
        assert_eq!(match_ranks(&[8], &[8, 1]), (vec![8, 1], vec![8, 1]));
        assert_eq!(match_ranks(&[8, 3], &[8]), (vec![8, 3], vec![8]));
    }
    #[test]
    fn a_per_sample_weight_covers_every_value_of_its_sample() {
        let (pv, div) = for_loss("mse", &[2, 3], &[1.5, 2.0], &[2, 1]).unwrap();
        assert_eq!(pv, vec![1.5, 1.5, 1.5, 2.0, 2.0, 2.0]);
        assert_eq!(div, 6.0);
        // A weight that enlarges the values: each value carries its copies' weights.
        let (pv, div) = for_loss("mse", &[], &[1.0, 2.0, 3.0], &[3]).unwrap();
        assert_eq!((pv, div), (vec![6.0], 3.0));
        let e = for_loss("mse", &[8, 3], &[1.0; 8], &[8]).unwrap_err();
        assert!(
            e.to_string().contains("(8,)") && e.to_string().contains("(8, 1)"),
            "{e}"
        );
    }
    #[test]
    fn metric_weights_follow_keras_mean() {
        // Values (2, 3) with weights (2,): per-sample means weighted.
        let v = [1.0, 0.0, 0.0, 1.0, 1.0, 1.0];
        let (t, c) = for_metric("m", &v, &[2, 3], Some((&[0.5, 2.0], &[2]))).unwrap();
        assert!((t - (0.5 / 3.0 + 2.0)).abs() < 1e-12 && (c - 2.5).abs() < 1e-12);
        let (t, c) = for_metric("m", &v, &[2, 3], None).unwrap();
        assert!((t - 4.0 / 3.0).abs() < 1e-12 && c == 2.0);
        // A scalar weight counts the batch as one sample of that weight, as Keras does.
        let (t, c) = for_metric("m", &v, &[2, 3], Some((&[3.0], &[]))).unwrap();
        assert!((t - 2.0).abs() < 1e-12 && c == 3.0);
        assert!(for_metric("m", &v, &[2, 3], Some((&[1.0; 4], &[4]))).is_err());
    }
}
