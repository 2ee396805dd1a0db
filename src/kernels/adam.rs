//! Adam's per-element update over slices, with an AVX-512 path chosen at run time (`simd_level`).
//! Profiling the MNIST MLP showed this loop at a quarter of a training step, bound not by memory but
//! by the divider: an exact `m / (√v + ε)` costs a square root and a division per element, both on
//! the one divide unit. The AVX-512 path replaces both by hardware estimates refined with one Newton
//! step each (relative error ≈ 2⁻²⁷, at f32's rounding), which run on the multiply-add ports
//! instead. The portable path is the plain formula.

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

/// `update` on the widest path at or below `level`; `level` must be one this CPU runs
/// (`simd_level::available`), else the portable path runs.
pub fn update_at(
    level: super::simd_level::Level,
    w: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    s: AdamStep,
) {
    let n = w.len().min(g.len()).min(m.len()).min(v.len());
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if level >= super::simd_level::Level::Avx512 && super::simd_level::detected() >= level {
        // SAFETY: the CPU has AVX-512F (detected above) and every slice holds at least `n` values.
        done = unsafe { avx512::update(&mut w[..n], &g[..n], &mut m[..n], &mut v[..n], s) };
        super::parallel::clear_upper_simd();
    }
    portable(
        &mut w[done..n],
        &g[done..n],
        &mut m[done..n],
        &mut v[done..n],
        s,
    );
}

fn portable(w: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], s: AdamStep) {
    for (((w, &g), m), v) in w.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
        *m += s.c1 * (g - *m);
        *v += s.c2 * (g * g - *v);
        *w -= s.alpha * *m / (v.sqrt() + s.eps);
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::AdamStep;
    use std::arch::x86_64::*;

    /// Updates the first multiple-of-16 elements and returns how many that was.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn update(
        w: &mut [f32],
        g: &[f32],
        m: &mut [f32],
        v: &mut [f32],
        s: AdamStep,
    ) -> usize {
        let n = w.len() / 16 * 16;
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
                let mi = _mm512_fmadd_ps(c1, _mm512_sub_ps(gi, mi), mi);
                let vi = _mm512_fmadd_ps(c2, _mm512_fmsub_ps(gi, gi, vi), vi);
                let d = _mm512_add_ps(sqrt(vi, lo, hi, half, three), eps);
                // r ≈ 1/d, then one Newton step r ← r·(2 − d·r).
                let r = _mm512_rcp14_ps(d);
                let r = _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, two));
                let wi = _mm512_fnmadd_ps(_mm512_mul_ps(alpha, mi), r, _mm512_loadu_ps(wp.add(i)));
                _mm512_storeu_ps(mp.add(i), mi);
                _mm512_storeu_ps(vp.add(i), vi);
                _mm512_storeu_ps(wp.add(i), wi);
            }
            i += 16;
        }
        n
    }

    /// √v as v·r with r ≈ 1/√v from the estimate and one Newton step r ← r·(3 − v·r²)/2, when every
    /// lane is a positive normal number; otherwise (zeros from parameters without gradients, inf,
    /// NaN) the exact square root, so those lanes keep IEEE results.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn sqrt(v: __m512, lo: __m512, hi: __m512, half: __m512, three: __m512) -> __m512 {
        let normal =
            _mm512_cmp_ps_mask::<_CMP_GE_OQ>(v, lo) & _mm512_cmp_ps_mask::<_CMP_LE_OQ>(v, hi);
        if normal != 0xFFFF {
            return _mm512_sqrt_ps(v);
        }
        let r = _mm512_rsqrt14_ps(v);
        let vr = _mm512_mul_ps(v, r);
        // v·r·(3 − v·r·r)/2
        _mm512_mul_ps(_mm512_mul_ps(half, vr), _mm512_fnmadd_ps(vr, r, three))
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
        let n = 16 * 7 + 5; // a SIMD body and a scalar tail
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
}
