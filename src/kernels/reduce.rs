//! Reductions between a shape and its keep-dims reduced shape, and the inverse expansion.
//! `to` always has `from`'s rank with 1 on every reduced axis; sums of broadcast gradients use these too.
//! `sum_to` and `expand` run compiled for the run-time SIMD level (`simd_level::vectorize`).
use super::simd_level::{level, vectorize_at, Level};
use crate::shape::{broadcast_strides, numel};

/// Maps each flat index of `from` to its flat index in `to` (odometer walk, no division per element).
#[inline(always)]
fn for_each_target(from: &[usize], to: &[usize], mut f: impl FnMut(usize, usize)) {
    let n = numel(from);
    if n == 0 {
        return;
    }
    let nd = from.len();
    let ts = broadcast_strides(to, from);
    let mut idx = vec![0usize; nd];
    let mut pos = 0usize;
    for i in 0..n {
        f(i, pos);
        // Advance the odometer.
        let mut d = nd;
        while d > 0 {
            d -= 1;
            idx[d] += 1;
            pos += ts[d];
            if idx[d] < from[d] {
                break;
            }
            pos -= ts[d] * idx[d];
            idx[d] = 0;
        }
    }
}

/// Sum `data` (shape `from`) down to `to`; `to` may also have fewer leading axes (un-broadcasting).
pub fn sum_to(data: &[f32], from: &[usize], to: &[usize]) -> Vec<f32> {
    sum_to_at(level(), data, from, to)
}

fn sum_to_at(l: Level, data: &[f32], from: &[usize], to: &[usize]) -> Vec<f32> {
    vectorize_at(
        l,
        #[inline(always)]
        || sum_to_body(data, from, to),
    )
}

#[inline(always)]
fn sum_to_body(data: &[f32], from: &[usize], to: &[usize]) -> Vec<f32> {
    let m = numel(to);
    if m == 0 {
        return Vec::new();
    }
    if m == 1 {
        // Pairwise-ish: f64 accumulation keeps large sums accurate.
        return vec![data.iter().map(|&x| x as f64).sum::<f64>() as f32];
    }
    let to_full: Vec<usize> = std::iter::repeat_n(1, from.len() - to.len())
        .chain(to.iter().copied())
        .collect();
    let mut out = vec![0.0f32; m];
    // Common case (bias gradients): reduce leading axes only, rows add into one row.
    let lead = to_full.iter().take_while(|&&d| d == 1).count();
    if to_full[lead..] == from[lead..] {
        for row in data.chunks_exact(m) {
            out.iter_mut().zip(row).for_each(|(o, x)| *o += x);
        }
        return out;
    }
    for_each_target(
        from,
        &to_full,
        #[inline(always)]
        |i, p| out[p] += data[i],
    );
    out
}

/// Fold with `better(candidate, current)` along reduced axes; returns values and winning flat indices.
/// The first winner is kept on ties, so a gradient goes to exactly one element.
pub fn arg_reduce(
    data: &[f32],
    from: &[usize],
    to: &[usize],
    better: impl Fn(f32, f32) -> bool,
) -> (Vec<f32>, Vec<usize>) {
    let m = numel(to);
    let mut val = vec![f32::NAN; m];
    let mut arg = vec![usize::MAX; m];
    for_each_target(from, to, |i, p| {
        let x = data[i];
        // NaN wins and stays, as in NumPy's max.
        if arg[p] == usize::MAX || (!val[p].is_nan() && (x.is_nan() || better(x, val[p]))) {
            val[p] = x;
            arg[p] = i;
        }
    });
    (val, arg)
}

/// Repeat `data` (shape `from`, same rank as `to` or fewer leading axes) up to shape `to`.
pub fn expand(data: &[f32], from: &[usize], to: &[usize]) -> Vec<f32> {
    expand_at(level(), data, from, to)
}

fn expand_at(l: Level, data: &[f32], from: &[usize], to: &[usize]) -> Vec<f32> {
    vectorize_at(
        l,
        #[inline(always)]
        || expand_body(data, from, to),
    )
}

#[inline(always)]
fn expand_body(data: &[f32], from: &[usize], to: &[usize]) -> Vec<f32> {
    let n = numel(to);
    if data.len() == 1 {
        return vec![data[0]; n];
    }
    let mut out = vec![0.0f32; n];
    for_each_target(
        to,
        from,
        #[inline(always)]
        |i, p| out[i] = data[p],
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::simd_level::testing::{every_level_matches_portable, values};

    #[test]
    fn every_level_sums_and_expands_as_the_portable_path() {
        for (from, to) in [
            (vec![33, 17], vec![17]),
            (vec![7, 15], vec![1, 15]),
            (vec![5, 7, 3], vec![5, 1, 3]),
            (vec![1003], vec![1]),
            (vec![16, 1], vec![1, 1]),
        ] {
            let n: usize = from.iter().product();
            let x = values(n, 11, true);
            every_level_matches_portable(&format!("sum_to {from:?}->{to:?}"), |l| {
                let s = sum_to_at(l, &x, &from, &to);
                let mut all = expand_at(l, &s, &to, &from);
                all.extend(s);
                all
            });
        }
    }
}
