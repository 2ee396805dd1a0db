//! Convolution geometry (Keras/TF 'valid' and 'same' padding) and the im2col / col2im loops over
//! NHWC samples. A column row is one output pixel; its entries run (ki, kj, channel), the order of an
//! HWIO kernel's rows, so `col · kernel` is the NHWC output with no transposes. The loops run
//! compiled for the run-time SIMD level (`simd_level::vectorize`); the helpers are inlined into it.
use super::simd_level::{level, vectorize_at, Level};

/// Output size and padding before the first element along one spatial axis.
/// 'same' follows TF: out = ceil(in / s), pad_total = max((out − 1)·s + (k − 1)·d + 1 − in, 0),
/// the odd pixel of padding going at the end.
pub fn out_and_pad(input: usize, k: usize, s: usize, d: usize, same: bool) -> (usize, usize) {
    let eff = (k - 1) * d + 1;
    if same {
        let out = input.div_ceil(s);
        let total = ((out.saturating_sub(1)) * s + eff).saturating_sub(input);
        (out, total / 2)
    } else if input >= eff {
        ((input - eff) / s + 1, 0)
    } else {
        (0, 0)
    }
}

/// One sample's window geometry: input (h, w, c), kernel (kh, kw), strides, dilation, padding
/// before the first row/column, output (oh, ow).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Geom {
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub kh: usize,
    pub kw: usize,
    pub sh: usize,
    pub sw: usize,
    pub dh: usize,
    pub dw: usize,
    pub pt: usize,
    pub pl: usize,
    pub oh: usize,
    pub ow: usize,
}

impl Geom {
    pub fn new(hwc: [usize; 3], k: [usize; 2], s: [usize; 2], d: [usize; 2], same: bool) -> Geom {
        let (oh, pt) = out_and_pad(hwc[0], k[0], s[0], d[0], same);
        let (ow, pl) = out_and_pad(hwc[1], k[1], s[1], d[1], same);
        Geom {
            h: hwc[0],
            w: hwc[1],
            c: hwc[2],
            kh: k[0],
            kw: k[1],
            sh: s[0],
            sw: s[1],
            dh: d[0],
            dw: d[1],
            pt,
            pl,
            oh,
            ow,
        }
    }
    /// Values in one input sample.
    pub fn in_len(&self) -> usize {
        self.h * self.w * self.c
    }
    /// Output pixels of one sample (rows of its column matrix).
    pub fn pixels(&self) -> usize {
        self.oh * self.ow
    }
    /// Length of one column row: kh · kw · c.
    pub fn k(&self) -> usize {
        self.kh * self.kw * self.c
    }
    /// A 1×1 window with unit strides and no padding: the input already is the column matrix.
    pub fn is_pointwise(&self) -> bool {
        self.kh == 1 && self.kw == 1 && self.sh == 1 && self.sw == 1
    }
    /// Input row of kernel row `ki` at output row `oy`, or None when it falls in the padding.
    #[inline]
    pub fn iy(&self, oy: usize, ki: usize) -> Option<usize> {
        (oy * self.sh + ki * self.dh)
            .checked_sub(self.pt)
            .filter(|&y| y < self.h)
    }
    #[inline]
    pub fn ix(&self, ox: usize, kj: usize) -> Option<usize> {
        (ox * self.sw + kj * self.dw)
            .checked_sub(self.pl)
            .filter(|&x| x < self.w)
    }
    /// First input column of output column `ox` when the whole kernel row lies inside the image
    /// and is contiguous (no dilation), so it can be moved as one slice of kw·c values.
    #[inline]
    fn run_start(&self, ox: usize) -> Option<usize> {
        let x0 = (ox * self.sw).checked_sub(self.pl)?;
        (self.dw == 1 && x0 + self.kw <= self.w).then_some(x0)
    }
}

/// Column rows for every output pixel of the samples in `x` (whole samples, NHWC) into `col`.
pub fn im2col(x: &[f32], g: &Geom, col: &mut [f32]) {
    // A few channels move one value at a time with strided stores, which the AVX2 and AVX-512
    // builds did not speed up (the first MNIST conv layer's im2col timed up to 1.5x slower at
    // AVX-512 on a loaded 2-vCPU machine): baseline code, after clearing the upper halves.
    let l = if g.c < SMALL_C {
        Level::Portable
    } else {
        level()
    };
    vectorize_at(
        l,
        #[inline(always)]
        || im2col_body(x, g, col),
    )
}

#[inline(always)]
fn im2col_body(x: &[f32], g: &Geom, col: &mut [f32]) {
    let (c, k, krow) = (g.c, g.k(), g.kw * g.c);
    for (s, xs) in x.chunks_exact(g.in_len().max(1)).enumerate() {
        if c < SMALL_C {
            let col = &mut col[s * g.pixels() * k..(s + 1) * g.pixels() * k];
            // 3×3, 5×5 and 7×7 windows over 1 or 3 channels (a first layer's usual shapes).
            match g.kw * c {
                3 => im2col_short_rows::<3>(xs, g, col),
                5 => im2col_short_rows::<5>(xs, g, col),
                7 => im2col_short_rows::<7>(xs, g, col),
                9 => im2col_short_rows::<9>(xs, g, col),
                15 => im2col_short_rows::<15>(xs, g, col),
                21 => im2col_short_rows::<21>(xs, g, col),
                _ => im2col_few_channels(xs, g, col),
            }
            continue;
        }
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                let row = &mut col[((s * g.oh + oy) * g.ow + ox) * k..][..k];
                for (ki, dst) in row.chunks_exact_mut(krow).enumerate() {
                    let Some(iy) = g.iy(oy, ki) else {
                        dst.fill(0.0);
                        continue;
                    };
                    let line = &xs[iy * g.w * c..(iy + 1) * g.w * c];
                    if let Some(x0) = g.run_start(ox) {
                        copy(dst, &line[x0 * c..(x0 + g.kw) * c]);
                        continue;
                    }
                    tap_by_tap(dst, line, g, ox);
                }
            }
        }
    }
}

/// Below this many channels (a network's first layer: 1 or 3) a kernel row is a few values: moved
/// as one fixed-size copy when its length is a common one (`im2col_short_rows`), else one by one,
/// tap by tap (`im2col_few_channels`).
const SMALL_C: usize = 8;

/// A first layer's few channels, when a kernel row holds `N` = kw·c values: for each output row and
/// kernel row, the kernel row of every output pixel whose window lies inside the image is one
/// fixed-size move (the compiler inlines it); pixels at a padded border go tap by tap.
#[inline(always)]
fn im2col_short_rows<const N: usize>(xs: &[f32], g: &Geom, col: &mut [f32]) {
    let (c, k) = (g.c, g.k());
    for oy in 0..g.oh {
        let rows = &mut col[oy * g.ow * k..(oy + 1) * g.ow * k];
        for ki in 0..g.kh {
            let at = ki * N;
            let Some(iy) = g.iy(oy, ki) else {
                rows.chunks_exact_mut(k)
                    .for_each(|r| r[at..at + N].fill(0.0));
                continue;
            };
            let line = &xs[iy * g.w * c..(iy + 1) * g.w * c];
            for (ox, r) in rows.chunks_exact_mut(k).enumerate() {
                let dst = &mut r[at..at + N];
                if let Some(x0) = g.run_start(ox) {
                    let src = &line[x0 * c..x0 * c + N];
                    // Always Ok: both slices hold exactly N values.
                    if let (Ok(d), Ok(s)) =
                        (<&mut [f32; N]>::try_from(dst), <&[f32; N]>::try_from(src))
                    {
                        *d = *s;
                    }
                    continue;
                }
                tap_by_tap(dst, line, g, ox);
            }
        }
    }
}

#[inline(always)]
fn im2col_few_channels(xs: &[f32], g: &Geom, col: &mut [f32]) {
    let (c, k) = (g.c, g.k());
    for oy in 0..g.oh {
        let rows = &mut col[oy * g.ow * k..(oy + 1) * g.ow * k];
        for ki in 0..g.kh {
            let iy = g.iy(oy, ki);
            for kj in 0..g.kw {
                let tap = (ki * g.kw + kj) * c;
                // Channel outermost: the inner loop writes with stride k, so it stays a plain loop
                // instead of becoming a memcpy call per value.
                // Output columns whose tap falls inside the image: one contiguous range.
                let lo = (0..g.ow).find(|&ox| g.ix(ox, kj).is_some()).unwrap_or(g.ow);
                let hi = (lo..g.ow)
                    .find(|&ox| g.ix(ox, kj).is_none())
                    .unwrap_or(g.ow);
                let (lo, hi) = if iy.is_some() { (lo, hi) } else { (g.ow, g.ow) };
                for ch in 0..c {
                    for ox in (0..lo).chain(hi..g.ow) {
                        rows[ox * k + tap + ch] = 0.0;
                    }
                    let Some(iy) = iy.filter(|_| lo < hi) else {
                        continue;
                    };
                    // ix = ox·sw + kj·dw − pl, which is ≥ 0 from lo on.
                    let start = (iy * g.w + lo * g.sw + kj * g.dw - g.pl) * c + ch;
                    let src = xs[start..].iter().step_by(g.sw * c);
                    for (ox, &v) in (lo..hi).zip(src) {
                        rows[ox * k + tap + ch] = v;
                    }
                }
            }
        }
    }
}

/// The adjoint of `im2col`: add every column entry back onto the input value it was copied from.
/// `dx` holds whole samples and is added to, not overwritten.
pub fn col2im_add(col: &[f32], g: &Geom, dx: &mut [f32]) {
    vectorize_at(
        level(),
        #[inline(always)]
        || col2im_add_body(col, g, dx),
    )
}

#[inline(always)]
fn col2im_add_body(col: &[f32], g: &Geom, dx: &mut [f32]) {
    let (c, k, krow) = (g.c, g.k(), g.kw * g.c);
    for (s, xs) in dx.chunks_exact_mut(g.in_len().max(1)).enumerate() {
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                let row = &col[((s * g.oh + oy) * g.ow + ox) * k..][..k];
                for (ki, src) in row.chunks_exact(krow).enumerate() {
                    let Some(iy) = g.iy(oy, ki) else { continue };
                    let line = &mut xs[iy * g.w * c..(iy + 1) * g.w * c];
                    if let Some(x0) = g.run_start(ox) {
                        add(&mut line[x0 * c..(x0 + g.kw) * c], src);
                        continue;
                    }
                    for (kj, v) in src.chunks_exact(c).enumerate() {
                        if let Some(ix) = g.ix(ox, kj) {
                            add(&mut line[ix * c..(ix + 1) * c], v);
                        }
                    }
                }
            }
        }
    }
}

/// A short copy in fixed 16-value blocks: the compiler moves those with vector registers inline,
/// where `copy_from_slice` would call memcpy for every few hundred bytes.
#[inline(always)]
fn copy(dst: &mut [f32], src: &[f32]) {
    let mut d = dst.chunks_exact_mut(16);
    let mut s = src.chunks_exact(16);
    for (d, s) in (&mut d).zip(&mut s) {
        // Always Ok: chunks_exact yields slices of exactly 16.
        if let (Ok(d), Ok(s)) = (<&mut [f32; 16]>::try_from(d), <&[f32; 16]>::try_from(s)) {
            *d = *s;
        }
    }
    for (d, s) in d.into_remainder().iter_mut().zip(s.remainder()) {
        *d = *s;
    }
}

/// One kernel row of output pixel `ox` from the input row `line`, tap by tap: zeros where a tap
/// falls in the padding (or a dilated row is not contiguous).
#[inline(always)]
fn tap_by_tap(dst: &mut [f32], line: &[f32], g: &Geom, ox: usize) {
    let c = g.c;
    for (kj, d) in dst.chunks_exact_mut(c).enumerate() {
        match g.ix(ox, kj) {
            Some(ix) => copy(d, &line[ix * c..(ix + 1) * c]),
            None => d.fill(0.0),
        }
    }
}

#[inline(always)]
fn add(dst: &mut [f32], src: &[f32]) {
    dst.iter_mut().zip(src).for_each(|(a, b)| *a += b);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The short-row path (64 images, best of 10 on a loaded Xeon: 32×32×3 'same' 2.05-2.08 ->
    /// 0.94 ms, 28×28×1 'valid' 0.72-1.11 -> 0.42-0.81 ms) moves the same values as the tap-by-tap
    /// one it replaced for those shapes, at every padding, stride and dilation.
    #[test]
    fn short_rows_move_the_values_tap_by_tap_moves() {
        for c in [1, 3] {
            for kw in [3, 5, 7] {
                for (same, s, d) in [
                    (false, 1, 1),
                    (true, 1, 1),
                    (true, 2, 1),
                    (false, 2, 2),
                    (true, 1, 3),
                ] {
                    let g = Geom::new([9, 11, c], [kw, kw], [s, s], [d, d], same);
                    let x: Vec<f32> = (0..g.in_len()).map(|i| i as f32 + 0.5).collect();
                    let mut want = vec![f32::NAN; g.pixels() * g.k()];
                    im2col_few_channels(&x, &g, &mut want);
                    let mut got = vec![f32::NAN; want.len()];
                    im2col(&x, &g, &mut got);
                    let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                    assert_eq!(
                        bits(&got),
                        bits(&want),
                        "c={c} kw={kw} same={same} s={s} d={d}"
                    );
                }
            }
        }
    }

    #[test]
    fn same_padding_matches_tensorflow() {
        // TF: in 5, k 3, s 2 → out 3, pad_total 2 (1 before); in 6, k 3, s 2 → out 3, pad 1 (0 before).
        assert_eq!(out_and_pad(5, 3, 2, 1, true), (3, 1));
        assert_eq!(out_and_pad(6, 3, 2, 1, true), (3, 0));
        assert_eq!(out_and_pad(7, 3, 1, 2, true), (7, 2));
        assert_eq!(out_and_pad(7, 3, 1, 2, false), (3, 0));
        assert_eq!(out_and_pad(2, 3, 1, 1, false), (0, 0));
    }

    #[test]
    fn col2im_is_the_adjoint_of_im2col() {
        // <im2col(x), y> == <x, col2im(y)> for every geometry, including padding and dilation.
        let cases = [(false, 1, 1), (true, 2, 1), (true, 1, 2), (false, 2, 2)];
        for (&(same, s, d), c) in cases.iter().flat_map(|g| [(g, 3), (g, 9)]) {
            let g = Geom::new([5, 6, c], [3, 2], [s, s], [d, d], same);
            let x: Vec<f32> = (0..2 * g.in_len()).map(|i| (i % 7) as f32 - 3.0).collect();
            let rows = 2 * g.pixels();
            let y: Vec<f32> = (0..rows * g.k()).map(|i| (i % 5) as f32 - 2.0).collect();
            let mut col = vec![0.0; rows * g.k()];
            im2col(&x, &g, &mut col);
            let mut back = vec![0.0; x.len()];
            col2im_add(&y, &g, &mut back);
            let lhs: f32 = col.iter().zip(&y).map(|(a, b)| a * b).sum();
            let rhs: f32 = x.iter().zip(&back).map(|(a, b)| a * b).sum();
            assert_eq!(lhs, rhs);
        }
    }

    #[test]
    fn every_level_moves_columns_as_the_portable_path() {
        use crate::kernels::simd_level::testing::{every_level_matches_portable, values};
        use crate::kernels::simd_level::vectorize_at;
        for c in [1, 3, 7, 8, 15, 17, 33] {
            for (same, s, d) in [(false, 1, 1), (true, 2, 1), (true, 1, 2)] {
                let g = Geom::new([6, 5, c], [3, 3], [s, s], [d, d], same);
                let x = values(2 * g.in_len(), c as u64, true);
                let rows = 2 * g.pixels();
                let y = values(rows * g.k(), 3, true);
                every_level_matches_portable(&format!("im2col c={c}"), |l| {
                    let mut col = vec![f32::NAN; rows * g.k()];
                    vectorize_at(
                        l,
                        #[inline(always)]
                        || im2col_body(&x, &g, &mut col),
                    );
                    let mut back = vec![0.25; x.len()];
                    vectorize_at(
                        l,
                        #[inline(always)]
                        || col2im_add_body(&y, &g, &mut back),
                    );
                    col.extend(back);
                    col
                });
            }
        }
    }
}
