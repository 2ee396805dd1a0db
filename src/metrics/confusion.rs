//! Confusion counts for Keras' Precision, Recall, AUC (per threshold, after top_k and class_id)
//! and F1Score (per class): one batch's weighted true/false positives and negatives, which the
//! metric objects add up over batches.
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Weighted counts, one entry per threshold.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Confusion {
    pub tp: Vec<f64>,
    pub fp: Vec<f64>,
    pub tn: Vec<f64>,
    pub fn_: Vec<f64>,
}

/// One weight per element of y_pred: none (1), one per sample (row), or one per element.
fn element_weights(name: &str, w: Option<&Tensor>, n: usize, rows: usize) -> Result<Vec<f64>> {
    let Some(w) = w else {
        return Ok(vec![1.0; n]);
    };
    let d = w.data();
    let per = n / rows.max(1);
    if d.len() == n {
        Ok(d.iter().map(|&v| f64::from(v)).collect())
    } else if d.len() == rows {
        Ok(d.iter()
            .flat_map(|&v| std::iter::repeat_n(f64::from(v), per))
            .collect())
    } else {
        Err(Error::invalid(
            name,
            format!(
                "sample_weight has {} values; give one per sample ({rows}) or per prediction ({n})",
                d.len()
            ),
        ))
    }
}

/// Counts of (y_pred > t, y_true != 0) for each threshold t, as Keras'
/// `update_confusion_matrix_variables`: with `top_k` only each row's k largest predictions can be
/// positive, with `class_id` only that column is read. Predictions must lie in [0, 1].
pub fn confusion(
    name: &str,
    y_true: &Tensor,
    y_pred: &Tensor,
    thresholds: &[f32],
    top_k: Option<usize>,
    class_id: Option<usize>,
    sample_weight: Option<&Tensor>,
) -> Result<Confusion> {
    let (t, p) = (y_true.data(), y_pred.data());
    if t.len() != p.len() {
        let why = "differ: y_true and y_pred need one value each";
        return Err(Error::shape_mismatch(
            name,
            y_true.shape(),
            y_pred.shape(),
            why,
        ));
    }
    if let Some(v) = p.iter().find(|v| !(0.0..=1.0).contains(*v)) {
        return Err(Error::invalid(
            name,
            format!("predictions must be in [0, 1] (probabilities), got {v}"),
        ));
    }
    // top_k and class_id read the last axis (of a 1-D y_pred too, as Keras).
    let cols = y_pred.shape().last().copied().unwrap_or(1).max(1);
    let w = element_weights(
        name,
        sample_weight,
        p.len(),
        y_pred.shape().first().copied().unwrap_or(1),
    )?;
    let mut pred: Vec<f32> = p.to_vec();
    if let Some(k) = top_k {
        for row in pred.chunks_mut(cols.max(1)) {
            let mut sorted: Vec<f32> = row.to_vec();
            sorted.sort_by(|a, b| b.total_cmp(a));
            let kth = sorted[(k.min(row.len())).saturating_sub(1)];
            // Entries outside the top k can never be positive (Keras sets them to −inf).
            let mut kept = 0;
            for v in row.iter_mut() {
                if *v >= kth && kept < k {
                    kept += 1;
                } else {
                    *v = f32::NEG_INFINITY;
                }
            }
        }
    }
    let picked: Box<dyn Fn(usize) -> bool> = match class_id {
        Some(c) if c >= cols => {
            return Err(Error::invalid(
                name,
                format!("class_id {c} is out of range for predictions with {cols} classes"),
            ))
        }
        Some(c) => Box::new(move |i| i % cols == c),
        None => Box::new(|_| true),
    };
    let n = thresholds.len();
    let mut out = Confusion {
        tp: vec![0.0; n],
        fp: vec![0.0; n],
        tn: vec![0.0; n],
        fn_: vec![0.0; n],
    };
    for i in (0..p.len()).filter(|&i| picked(i)) {
        let label = t[i] != 0.0;
        for (j, &th) in thresholds.iter().enumerate() {
            let pos = pred[i] > th;
            let slot = match (label, pos) {
                (true, true) => &mut out.tp[j],
                (false, true) => &mut out.fp[j],
                (false, false) => &mut out.tn[j],
                (true, false) => &mut out.fn_[j],
            };
            *slot += w[i];
        }
    }
    Ok(out)
}

/// Per class [tp, fp, fn, support] of Keras' F1Score: predictions binarised by `threshold`
/// (y_pred > t), or without one each row's largest (ties too, zero rows none); (n, classes) only.
pub fn f1_counts(
    y_true: &Tensor,
    y_pred: &Tensor,
    threshold: Option<f32>,
    sample_weight: Option<&Tensor>,
) -> Result<Vec<[f64; 4]>> {
    let name = "F1Score";
    if y_pred.ndim() != 2 || y_true.shape() != y_pred.shape() {
        let why = "must both be (samples, classes)";
        return Err(Error::shape_mismatch(
            name,
            y_true.shape(),
            y_pred.shape(),
            why,
        ));
    }
    let (rows, cols) = (y_pred.shape()[0], y_pred.shape()[1]);
    let (t, p) = (y_true.data(), y_pred.data());
    let w = match sample_weight {
        None => vec![1.0; rows],
        Some(w) if w.numel() == rows => w.data().iter().map(|&v| f64::from(v)).collect(),
        Some(w) => {
            return Err(Error::invalid(
                name,
                format!(
                    "sample_weight needs one value per sample ({rows}), got {}",
                    w.numel()
                ),
            ))
        }
    };
    let mut out = vec![[0.0; 4]; cols];
    for r in 0..rows {
        let (tr, pr) = (&t[r * cols..(r + 1) * cols], &p[r * cols..(r + 1) * cols]);
        let max = pr.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        for c in 0..cols {
            let pos = match threshold {
                Some(th) => pr[c] > th,
                None => pr[c] >= max && pr[c].abs() > 1e-9,
            };
            let (y, q) = (f64::from(tr[c]), f64::from(pos as u8));
            let cell = &mut out[c];
            cell[0] += q * y * w[r];
            cell[1] += q * (1.0 - y) * w[r];
            cell[2] += (1.0 - q) * y * w[r];
            cell[3] += y * w[r];
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    fn t(v: &[f32], s: &[usize]) -> Tensor {
        Tensor::new(v.to_vec(), s.to_vec()).unwrap()
    }
    #[test]
    fn precision_and_recall_counts_as_keras_documents() {
        // keras.metrics.Precision docstring: [0, 1, 1, 1] vs [1, 0, 1, 1] → 2/3.
        let (y, p) = (t(&[0., 1., 1., 1.], &[4]), t(&[1., 0., 1., 1.], &[4]));
        let c = confusion("precision", &y, &p, &[0.5], None, None, None).unwrap();
        assert_eq!((c.tp[0], c.fp[0], c.fn_[0], c.tn[0]), (2.0, 1.0, 1.0, 0.0));
        // top_k=2: [0.2, 0.6, 0.7] keeps 0.6 and 0.7; class_id 2 reads the last column only.
        let (y, p) = (t(&[0., 0., 1., 1.], &[1, 4]), t(&[1., 1., 1., 1.], &[1, 4]));
        let c = confusion(
            "precision",
            &y,
            &p,
            &[f32::NEG_INFINITY],
            Some(2),
            None,
            None,
        )
        .unwrap();
        assert_eq!((c.tp[0], c.fp[0]), (0.0, 2.0));
        let (y, p) = (t(&[0., 1., 1.], &[1, 3]), t(&[0.2, 0.6, 0.7], &[1, 3]));
        let c = confusion("recall", &y, &p, &[0.5], None, Some(2), None).unwrap();
        assert_eq!((c.tp[0], c.fp[0], c.fn_[0]), (1.0, 0.0, 0.0));
        assert!(confusion(
            "auc",
            &y,
            &t(&[0., 2., 0.], &[1, 3]),
            &[0.5],
            None,
            None,
            None
        )
        .is_err());
    }
    #[test]
    fn f1_counts_per_class() {
        let y = t(&[1., 1., 0., 1., 0., 0., 0., 1., 0.], &[3, 3]);
        let p = t(&[0.2, 0.6, 0.7, 0.2, 0.6, 0.6, 0.6, 0.8, 0.0], &[3, 3]);
        let c = f1_counts(&y, &p, Some(0.5), None).unwrap();
        assert_eq!(c[1], [2.0, 1.0, 0.0, 2.0]);
        let c = f1_counts(&y, &p, None, None).unwrap();
        // Row 2 ties its two largest: both count.
        assert_eq!(c[2], [0.0, 2.0, 0.0, 0.0]);
    }
}
