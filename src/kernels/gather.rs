//! Rows of a C-ordered array picked by index: the batch that a train step reads from the data set.
//! A batch of 128 MNIST rows is 400 KB read from all over a 188 MB array, so the copy waits on memory
//! (~50 µs on one core, an eighth of a batch-128 MLP step); two threads have twice the reads in flight.
use super::parallel;
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// Copies below this many values stay on one thread.
const MIN_SPLIT: usize = 1 << 14;

/// Rows `idx` of `data` (rows of `width` values) in a new vector; every index must be in range.
pub fn rows(data: &[f32], width: usize, idx: &[usize]) -> Vec<f32> {
    let len = idx.len() * width;
    let mut out = Vec::with_capacity(len);
    // Written straight into the new buffer: zero-filling it first cost as much as a tenth of the copy.
    fill(data, width, idx, &mut out.spare_capacity_mut()[..len]);
    // SAFETY: `fill` wrote each of the first `len` values.
    unsafe { out.set_len(len) };
    out
}

/// `out[i] = data[idx[i]]` for every row `i`.
fn fill(data: &[f32], width: usize, idx: &[usize], out: &mut [MaybeUninit<f32>]) {
    let copy = |ids: &[usize], out: &mut [MaybeUninit<f32>]| {
        for (&i, o) in ids.iter().zip(out.chunks_exact_mut(width)) {
            let row = &data[i * width..(i + 1) * width];
            // SAFETY: `o` and `row` both hold `width` values and cannot overlap (`o` is fresh).
            unsafe { std::ptr::copy_nonoverlapping(row.as_ptr(), o.as_mut_ptr().cast(), width) };
        }
    };
    let threads = parallel::num_threads();
    // Only from a pool thread, whose partners are awake: waking them from outside costs more.
    if width == 0 || out.len() < MIN_SPLIT || threads < 2 || !parallel::on_pool() {
        return copy(idx, out);
    }
    let per = idx.len().div_ceil(threads);
    idx.par_chunks(per)
        .zip(out.par_chunks_mut(per * width))
        .for_each(|(ids, o)| copy(ids, o));
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn picks_rows_in_order_with_repeats_on_and_off_the_pool() {
        let width = 300;
        let data: Vec<f32> = (0..100 * width).map(|v| v as f32).collect();
        let idx: Vec<usize> = (0..90).map(|i| (i * 37) % 100).chain([5, 5]).collect();
        let want: Vec<f32> = idx
            .iter()
            .flat_map(|&i| data[i * width..(i + 1) * width].to_vec())
            .collect();
        assert_eq!(rows(&data, width, &idx), want);
        assert_eq!(parallel::within_pool(|| rows(&data, width, &idx)), want);
    }
}
