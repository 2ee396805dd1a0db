//! The passes around a convolution's product: bias and ReLU on its output, and in the backward
//! ReLU's mask and the bias gradient. Each is one pass over a (rows × channels) output, memory
//! bound, so each runs at the run-time SIMD level (`simd_level`) rather than the baseline's four
//! lanes. Plain float code: every level computes the same bits.
use super::simd_level::{level, vectorize_at, Level};

/// `out = relu?(out + bias)` over rows of `bias.len()` channels (ReLU of NaN is 0, as `f32::max`).
pub fn bias_relu(out: &mut [f32], bias: Option<&[f32]>, relu: bool) {
    bias_relu_at(level(), out, bias, relu)
}

/// `bias_relu` at `lv`.
pub fn bias_relu_at(lv: Level, out: &mut [f32], bias: Option<&[f32]>, relu: bool) {
    vectorize_at(
        lv,
        #[inline(always)]
        || match bias {
            Some(b) if !b.is_empty() => {
                for row in out.chunks_exact_mut(b.len()) {
                    if relu {
                        for (v, b) in row.iter_mut().zip(b) {
                            *v = (*v + b).max(0.0);
                        }
                    } else {
                        for (v, b) in row.iter_mut().zip(b) {
                            *v += b;
                        }
                    }
                }
            }
            _ if relu => out.iter_mut().for_each(|v| *v = v.max(0.0)),
            _ => {}
        },
    )
}

/// `db += Σ_rows dz` over rows of `db.len()` channels.
pub fn add_bias_grad(dz: &[f32], db: &mut [f32]) {
    add_bias_grad_at(level(), dz, db)
}

/// `add_bias_grad` at `lv`.
pub fn add_bias_grad_at(lv: Level, dz: &[f32], db: &mut [f32]) {
    if db.is_empty() {
        return;
    }
    vectorize_at(
        lv,
        #[inline(always)]
        || {
            for row in dz.chunks_exact(db.len()) {
                for (a, b) in db.iter_mut().zip(row) {
                    *a += b;
                }
            }
        },
    )
}

/// `dz = grad ⊙ [y > 0]` with a bit mask, not `if`: a branch mispredicts on about half of a
/// ReLU's outputs.
pub fn relu_mask(grad: &[f32], y: &[f32], dz: &mut [f32]) {
    relu_mask_at(level(), grad, y, dz)
}

/// `relu_mask` at `lv`.
pub fn relu_mask_at(lv: Level, grad: &[f32], y: &[f32], dz: &mut [f32]) {
    vectorize_at(
        lv,
        #[inline(always)]
        || {
            for ((d, &gv), &yv) in dz.iter_mut().zip(grad).zip(y) {
                let keep = ((yv > 0.0) as u32).wrapping_neg();
                *d = f32::from_bits(gv.to_bits() & keep);
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::simd_level::testing::{
        every_level_matches_portable, same, values, LENGTHS,
    };

    #[test]
    fn every_level_matches_portable_and_the_definitions() {
        for &n in &LENGTHS {
            for c in [1, 3, 16, 17] {
                let rows = n.div_ceil(c);
                let (x, b) = (values(rows * c, 1, true), values(c, 2, true));
                for relu in [false, true] {
                    let run = |lv| {
                        let mut o = x.clone();
                        bias_relu_at(lv, &mut o, Some(&b), relu);
                        o
                    };
                    every_level_matches_portable("bias_relu", run);
                    let got = run(Level::Portable);
                    for (i, (g, v)) in got.iter().zip(&x).enumerate() {
                        let z = v + b[i % c];
                        let want = if relu { z.max(0.0) } else { z };
                        assert!(g.to_bits() == want.to_bits() || g.is_nan() && want.is_nan());
                    }
                }
                let run = |lv| {
                    let mut db = values(c, 3, false);
                    add_bias_grad_at(lv, &x, &mut db);
                    db
                };
                every_level_matches_portable("add_bias_grad", run);
                let db = run(Level::Portable);
                let mut want = values(c, 3, false);
                for (i, v) in x.iter().enumerate() {
                    want[i % c] += v;
                }
                assert!(same(&db, &want));
            }
            let (g, y) = (values(n, 4, true), values(n, 5, true));
            let run = |lv| {
                let mut dz = vec![f32::NAN; n];
                relu_mask_at(lv, &g, &y, &mut dz);
                dz
            };
            every_level_matches_portable("relu_mask", run);
            let dz = run(Level::Portable);
            for ((d, gv), yv) in dz.iter().zip(&g).zip(&y) {
                let want = if *yv > 0.0 { *gv } else { 0.0 };
                assert!(d.to_bits() == want.to_bits() || d.is_nan() && want.is_nan());
            }
        }
    }
}
