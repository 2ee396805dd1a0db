//! Adam's per-element update over slices, with AVX-512 and AVX2 paths chosen at run time
//! (`simd_level`). Profiling the MNIST MLP showed this loop at a quarter of a training step, bound
//! not by memory but by the divider: an exact `m / (√v + ε)` costs a square root and a division per
//! element, both on the one divide unit. The SIMD paths replace both by hardware estimates refined
//! with one Newton step each, which run on the multiply-add ports instead: AVX-512's 14-bit
//! estimates (rcp14/rsqrt14) end at relative error ≈ 2⁻²⁷, AVX2's 12-bit ones (rcp/rsqrt) at
//! ≈ 2⁻²³, both within f32's rounding of the step. A vector with any lane that is not a positive
//! normal number (zeros from parameters without gradients, inf, NaN) takes the exact square root
//! and division instead, so those lanes keep IEEE results (a Newton step on inf or 0 gives NaN).
//! The portable path is the plain formula.
use super::simd_level::{chosen, vectorize_at, Level};

/// One step's constants: `m ← m + c1·(g − m)`, `v ← v + c2·(g² − v)`, `w ← w − alpha·m / (√v + eps)`.
#[derive(Clone, Copy, Debug)]
pub struct AdamStep {
    pub c1: f32,
    pub c2: f32,
    pub alpha: f32,
    pub eps: f32,
}

/// Update `w`, `m` and `v` in place from the gradient `g` (all of one length), at the run-time
/// SIMD level.
pub fn update(w: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], s: AdamStep) {
    update_at(super::simd_level::level(), w, g, m, v, s);
}

/// `update` on the widest path at or below `level` that this CPU runs (`simd_level::chosen`).
pub fn update_at(
    level: Level,
    w: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    s: AdamStep,
) {
    apply_at::<false>(level, w, g, m, v, s, 1.0);
}

/// `update` after scaling `w` by `k` (decoupled weight decay; 1 for none), returning the gradient
/// monitor's [Σ g², Σ w² before the step, Σ (w_after − w_before)²]: summed in registers while the
/// update has each vector loaded, so measuring costs a few multiply-adds, not passes over memory
/// (optimizers/measured.rs). Weights and moments come out bit for bit as from a decay pass
/// followed by `update`.
pub fn update_measured(
    w: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    s: AdamStep,
    k: f32,
) -> [f64; 3] {
    update_measured_at(super::simd_level::level(), w, g, m, v, s, k)
}

/// `update_measured` at the widest path at or below `level`.
pub fn update_measured_at(
    level: Level,
    w: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    s: AdamStep,
    k: f32,
) -> [f64; 3] {
    // f32 lanes within a block, f64 across blocks, so a layer of millions keeps its digits.
    const BLOCK: usize = 4096;
    let n = w.len().min(g.len()).min(m.len()).min(v.len());
    let mut out = [0.0f64; 3];
    for lo in (0..n).step_by(BLOCK) {
        let hi = (lo + BLOCK).min(n);
        let r = lo..hi;
        let part = apply_at::<true>(
            level,
            &mut w[r.clone()],
            &g[r.clone()],
            &mut m[r.clone()],
            &mut v[r],
            s,
            k,
        );
        out.iter_mut().zip(part).for_each(|(o, p)| *o += p);
    }
    out
}

/// The update, measuring (and decaying by `k`) when `MEASURE`.
#[inline(always)]
fn apply_at<const MEASURE: bool>(
    level: Level,
    w: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    s: AdamStep,
    k: f32,
) -> [f64; 3] {
    let n = w.len().min(g.len()).min(m.len()).min(v.len());
    let (w, g, m, v) = (&mut w[..n], &g[..n], &mut m[..n], &mut v[..n]);
    let level = chosen(level);
    vectorize_at(
        level,
        #[inline(always)]
        || {
            let mut acc = [[0.0f32; 16]; 3];
            let done = match level {
                // SAFETY: `chosen` returned these levels only because the CPU has their features
                // (AVX-512F for V4, AVX2 and FMA for V3), and every slice holds `n` values.
                #[cfg(target_arch = "x86_64")]
                Level::Avx512 => unsafe { avx512::update::<MEASURE>(w, g, m, v, s, k, &mut acc) },
                #[cfg(target_arch = "x86_64")]
                Level::Avx2 => unsafe { avx2::update::<MEASURE>(w, g, m, v, s, k, &mut acc) },
                _ => 0,
            };
            let mut out = acc.map(|lanes| lanes.iter().map(|&x| f64::from(x)).sum::<f64>());
            let tail = portable::<MEASURE>(
                &mut w[done..],
                &g[done..],
                &mut m[done..],
                &mut v[done..],
                s,
                k,
            );
            out.iter_mut().zip(tail).for_each(|(o, t)| *o += t);
            out
        },
    )
}

#[inline(always)]
fn portable<const MEASURE: bool>(
    w: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    s: AdamStep,
    k: f32,
) -> [f64; 3] {
    let mut out = [0.0f64; 3];
    for (((w, &g), m), v) in w.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
        let w0 = *w;
        if MEASURE {
            *w *= k;
        }
        *m += s.c1 * (g - *m);
        *v += s.c2 * (g * g - *v);
        *w -= s.alpha * *m / (v.sqrt() + s.eps);
        if MEASURE {
            out[0] += f64::from(g) * f64::from(g);
            out[1] += f64::from(w0) * f64::from(w0);
            out[2] += (f64::from(*w) - f64::from(w0)).powi(2);
        }
    }
    out
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::AdamStep;
    use std::arch::x86_64::*;

    /// Updates the first multiple-of-16 elements and returns how many that was.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn update<const MEASURE: bool>(
        w: &mut [f32],
        g: &[f32],
        m: &mut [f32],
        v: &mut [f32],
        s: AdamStep,
        k: f32,
        acc: &mut [[f32; 16]; 3],
    ) -> usize {
        let n = w.len() / 16 * 16;
        let kk = _mm512_set1_ps(k);
        let (mut ag, mut aw, mut ad) = (
            _mm512_setzero_ps(),
            _mm512_setzero_ps(),
            _mm512_setzero_ps(),
        );
        let (c1, c2) = (_mm512_set1_ps(s.c1), _mm512_set1_ps(s.c2));
        let (alpha, eps, two) = (
            _mm512_set1_ps(s.alpha),
            _mm512_set1_ps(s.eps),
            _mm512_set1_ps(2.0),
        );
        let (lo, hi) = (_mm512_set1_ps(f32::MIN_POSITIVE), _mm512_set1_ps(f32::MAX));
        let (half, three) = (_mm512_set1_ps(0.5), _mm512_set1_ps(3.0));
        let (wp, gp, mp, vp) = (w.as_mut_ptr(), g.as_ptr(), m.as_mut_ptr(), v.as_mut_ptr());
        let mut i = 0;
        while i < n {
            // SAFETY: i + 16 <= n <= every slice's length.
            unsafe {
                let gi = _mm512_loadu_ps(gp.add(i));
                let mi = _mm512_loadu_ps(mp.add(i));
                let vi = _mm512_loadu_ps(vp.add(i));
                let w0 = _mm512_loadu_ps(wp.add(i));
                let wi = if MEASURE { _mm512_mul_ps(w0, kk) } else { w0 };
                let mi = _mm512_fmadd_ps(c1, _mm512_sub_ps(gi, mi), mi);
                let vi = _mm512_fmadd_ps(c2, _mm512_fmsub_ps(gi, gi, vi), vi);
                let am = _mm512_mul_ps(alpha, mi);
                let normal = _mm512_cmp_ps_mask::<_CMP_GE_OQ>(vi, lo)
                    & _mm512_cmp_ps_mask::<_CMP_LE_OQ>(vi, hi);
                let wi = if normal == 0xFFFF {
                    // √v as v·q with q ≈ 1/√v refined by q ← q·(3 − v·q²)/2: v·q·(3 − v·q·q)/2.
                    let q = _mm512_rsqrt14_ps(vi);
                    let vq = _mm512_mul_ps(vi, q);
                    let root =
                        _mm512_mul_ps(_mm512_mul_ps(half, vq), _mm512_fnmadd_ps(vq, q, three));
                    let d = _mm512_add_ps(root, eps);
                    // r ≈ 1/d, then one Newton step r ← r·(2 − d·r).
                    let r = _mm512_rcp14_ps(d);
                    let r = _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, two));
                    _mm512_fnmadd_ps(am, r, wi)
                } else {
                    let d = _mm512_add_ps(_mm512_sqrt_ps(vi), eps);
                    _mm512_sub_ps(wi, _mm512_div_ps(am, d))
                };
                _mm512_storeu_ps(mp.add(i), mi);
                _mm512_storeu_ps(vp.add(i), vi);
                _mm512_storeu_ps(wp.add(i), wi);
                if MEASURE {
                    ag = _mm512_fmadd_ps(gi, gi, ag);
                    aw = _mm512_fmadd_ps(w0, w0, aw);
                    let d = _mm512_sub_ps(wi, w0);
                    ad = _mm512_fmadd_ps(d, d, ad);
                }
            }
            i += 16;
        }
        if MEASURE {
            for (a, r) in acc.iter_mut().zip([ag, aw, ad]) {
                // SAFETY: each row holds 16 floats, at least one vector's lanes.
                unsafe { _mm512_storeu_ps(a.as_mut_ptr(), r) };
            }
        }
        n
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::AdamStep;
    use std::arch::x86_64::*;

    /// Updates the first multiple-of-8 elements and returns how many that was.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn update<const MEASURE: bool>(
        w: &mut [f32],
        g: &[f32],
        m: &mut [f32],
        v: &mut [f32],
        s: AdamStep,
        k: f32,
        acc: &mut [[f32; 16]; 3],
    ) -> usize {
        let n = w.len() / 8 * 8;
        let kk = _mm256_set1_ps(k);
        let (mut ag, mut aw, mut ad) = (
            _mm256_setzero_ps(),
            _mm256_setzero_ps(),
            _mm256_setzero_ps(),
        );
        let (c1, c2) = (_mm256_set1_ps(s.c1), _mm256_set1_ps(s.c2));
        let (alpha, eps, two) = (
            _mm256_set1_ps(s.alpha),
            _mm256_set1_ps(s.eps),
            _mm256_set1_ps(2.0),
        );
        let (lo, hi) = (_mm256_set1_ps(f32::MIN_POSITIVE), _mm256_set1_ps(f32::MAX));
        let (half, three) = (_mm256_set1_ps(0.5), _mm256_set1_ps(3.0));
        let (wp, gp, mp, vp) = (w.as_mut_ptr(), g.as_ptr(), m.as_mut_ptr(), v.as_mut_ptr());
        let mut i = 0;
        while i < n {
            // SAFETY: i + 8 <= n <= every slice's length.
            unsafe {
                let gi = _mm256_loadu_ps(gp.add(i));
                let mi = _mm256_loadu_ps(mp.add(i));
                let vi = _mm256_loadu_ps(vp.add(i));
                let w0 = _mm256_loadu_ps(wp.add(i));
                let wi = if MEASURE { _mm256_mul_ps(w0, kk) } else { w0 };
                let mi = _mm256_fmadd_ps(c1, _mm256_sub_ps(gi, mi), mi);
                let vi = _mm256_fmadd_ps(c2, _mm256_fmsub_ps(gi, gi, vi), vi);
                let am = _mm256_mul_ps(alpha, mi);
                let normal = _mm256_and_ps(
                    _mm256_cmp_ps::<_CMP_GE_OQ>(vi, lo),
                    _mm256_cmp_ps::<_CMP_LE_OQ>(vi, hi),
                );
                let wi = if _mm256_movemask_ps(normal) == 0xFF {
                    // As in the AVX-512 path, from 12-bit estimates.
                    let q = _mm256_rsqrt_ps(vi);
                    let vq = _mm256_mul_ps(vi, q);
                    let root =
                        _mm256_mul_ps(_mm256_mul_ps(half, vq), _mm256_fnmadd_ps(vq, q, three));
                    let d = _mm256_add_ps(root, eps);
                    let r = _mm256_rcp_ps(d);
                    let r = _mm256_mul_ps(r, _mm256_fnmadd_ps(d, r, two));
                    _mm256_fnmadd_ps(am, r, wi)
                } else {
                    let d = _mm256_add_ps(_mm256_sqrt_ps(vi), eps);
                    _mm256_sub_ps(wi, _mm256_div_ps(am, d))
                };
                _mm256_storeu_ps(mp.add(i), mi);
                _mm256_storeu_ps(vp.add(i), vi);
                _mm256_storeu_ps(wp.add(i), wi);
                if MEASURE {
                    ag = _mm256_fmadd_ps(gi, gi, ag);
                    aw = _mm256_fmadd_ps(w0, w0, aw);
                    let d = _mm256_sub_ps(wi, w0);
                    ad = _mm256_fmadd_ps(d, d, ad);
                }
            }
            i += 8;
        }
        if MEASURE {
            for (a, r) in acc.iter_mut().zip([ag, aw, ad]) {
                // SAFETY: each row holds 16 floats, at least one vector's lanes.
                unsafe { _mm256_storeu_ps(a.as_mut_ptr(), r) };
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_level_matches_the_exact_formula_in_f64() {
        for level in crate::kernels::simd_level::available() {
            matches_the_exact_formula_at(level);
        }
    }

    fn matches_the_exact_formula_at(level: crate::kernels::simd_level::Level) {
        let n = 16 * 7 + 5; // a SIMD body (of 16- and 8-lane vectors) and a scalar tail
        let g: Vec<f32> = (0..n)
            .map(|i| ((i * 37 % 23) as f32 - 11.0) * 0.01)
            .collect();
        let mut m: Vec<f32> = (0..n)
            .map(|i| ((i * 13 % 7) as f32 - 3.0) * 0.001)
            .collect();
        let mut v: Vec<f32> = (0..n).map(|i| (i % 5) as f32 * 1e-5).collect();
        v[3] = 0.0; // a parameter that never had a gradient
        let w0: Vec<f32> = (0..n).map(|i| i as f32 * 0.1).collect();
        let mut w = w0.clone();
        let s = AdamStep {
            c1: 0.1,
            c2: 0.001,
            alpha: 1e-3,
            eps: 1e-7,
        };
        // The step each weight should take.
        let want: Vec<f64> = (0..n)
            .map(|i| {
                let (g, m, v) = (g[i] as f64, m[i] as f64, v[i] as f64);
                let m = m + 0.1 * (g - m);
                let v = v + 0.001 * (g * g - v);
                1e-3 * m / (v.sqrt() + 1e-7)
            })
            .collect();
        update_at(level, &mut w, &g, &mut m, &mut v, s);
        for i in 0..n {
            let got = w0[i] as f64 - w[i] as f64;
            // f32 rounding of the step itself, plus that of the weight it was subtracted from.
            let tol = 1e-6 * want[i].abs() + 2.0 * f32::EPSILON as f64 * (w0[i] as f64).abs();
            assert!(
                (got - want[i]).abs() <= tol,
                "{level:?} {i}: step {got} vs {}",
                want[i]
            );
        }
    }

    #[test]
    fn nan_inf_zero_and_overflow_propagate_as_in_the_portable_path_at_every_level() {
        use crate::kernels::simd_level::{available, testing::LENGTHS};
        let s = AdamStep {
            c1: 0.1,
            c2: 0.001,
            alpha: 1e-3,
            eps: 1e-7,
        };
        for n in LENGTHS {
            // g: NaN, ±inf, 0 (v stays 0), 1e20 (g² overflows to inf while m stays finite).
            let specials = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.0, 1e20, -1e20];
            let g: Vec<f32> = (0..n)
                .map(|i| match i % 11 {
                    k @ 0..=5 if i % 3 == 0 => specials[k],
                    _ => ((i * 37 % 23) as f32 - 11.0) * 0.01,
                })
                .collect();
            let m0: Vec<f32> = (0..n).map(|i| (i % 7) as f32 * 1e-3).collect();
            let v0: Vec<f32> = (0..n)
                .map(|i| if i % 4 == 0 { 0.0 } else { 1e-5 })
                .collect();
            let w0: Vec<f32> = (0..n).map(|i| i as f32 * 0.1).collect();
            let run = |level| {
                let (mut w, mut m, mut v) = (w0.clone(), m0.clone(), v0.clone());
                update_at(level, &mut w, &g, &mut m, &mut v, s);
                (w, m, v)
            };
            let want = run(Level::Portable);
            for level in available() {
                let got = run(level);
                for (name, a, b) in [
                    ("w", &got.0, &want.0),
                    ("m", &got.1, &want.1),
                    ("v", &got.2, &want.2),
                ] {
                    for i in 0..n {
                        let (x, y) = (a[i], b[i]);
                        let close = x == y
                            || (x.is_nan() && y.is_nan())
                            || (x.is_finite()
                                && y.is_finite()
                                && (x - y).abs() <= 1e-6 * y.abs().max(1.0));
                        assert!(
                            close,
                            "{level:?} n={n} {name}[{i}] (g={}): {x} vs {y}",
                            g[i]
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn measured_updates_equal_a_decay_pass_then_update_and_measure_it_at_every_level() {
        use crate::kernels::simd_level::{available, testing::LENGTHS};
        let s = AdamStep {
            c1: 0.1,
            c2: 0.001,
            alpha: 1e-3,
            eps: 1e-7,
        };
        for level in available() {
            for n in LENGTHS.into_iter().chain([4096 * 2 + 37]) {
                let f = |k: usize, i: usize| ((i * k % 101) as f32 - 50.0) * 0.013;
                let (g, w0): (Vec<f32>, Vec<f32>) = (
                    (0..n).map(|i| f(37, i)).collect(),
                    (0..n).map(|i| f(11, i)).collect(),
                );
                let (m0, v0): (Vec<f32>, Vec<f32>) = (
                    (0..n).map(|i| f(7, i) * 0.01).collect(),
                    (0..n).map(|i| (i % 5) as f32 * 1e-5).collect(),
                );
                for k in [1.0f32, 0.99] {
                    let (mut w1, mut m1, mut v1) = (w0.clone(), m0.clone(), v0.clone());
                    w1.iter_mut().for_each(|x| *x *= k);
                    update_at(level, &mut w1, &g, &mut m1, &mut v1, s);
                    let (mut w2, mut m2, mut v2) = (w0.clone(), m0.clone(), v0.clone());
                    let got = update_measured_at(level, &mut w2, &g, &mut m2, &mut v2, s, k);
                    assert_eq!((&w1, &m1, &v1), (&w2, &m2, &v2), "{level:?} n={n} k={k}");
                    let sq = |x: &mut dyn Iterator<Item = f64>| x.map(|v| v * v).sum::<f64>();
                    let want = [
                        sq(&mut g.iter().map(|&x| f64::from(x))),
                        sq(&mut w0.iter().map(|&x| f64::from(x))),
                        sq(&mut w0
                            .iter()
                            .zip(&w2)
                            .map(|(&a, &b)| f64::from(b) - f64::from(a))),
                    ];
                    for (got, want) in got.iter().zip(want) {
                        assert!(
                            (got - want).abs() <= 1e-5 * want,
                            "{level:?} n={n}: {got} vs {want}"
                        );
                    }
                }
            }
        }
    }
}
