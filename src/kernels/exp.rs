//! e^x for f32 in plain arithmetic (no libm call), and the sigmoid and tanh built on it, so the
//! loops that take them (softmax, the cross-entropy of logits, activations, recurrent gates)
//! compile inline at the run-time SIMD level. libm's `expf` is a call per
//! value: on a batch-128 MNIST step the loss (1 280 exponentials) took 10-12 µs and the softmax
//! for the metrics 5-6.5 µs.
//!
//! Cody-Waite reduction x = n·ln 2 + r with |r| ≤ ln 2 / 2, Cephes' degree-7 polynomial for e^r,
//! then 2^n applied in two halves so that results down in the subnormal range (x < -87.3) round
//! once, like libm's. Only `+ - *` and bit operations, with no fused multiply-add: every SIMD
//! level computes the same bits. Within 1 ulp of the exact value (worst 0.96 ulp over the 22 million
//! values from -110 to 90 that the test compares with f64); exp(NaN) = NaN, exp(inf) = inf,
//! exp(-inf) = 0.

/// 1.5 · 2^23: adding it rounds a float of magnitude below 2^22 to an integer (ties to even) and
/// leaves that integer in the low bits of the sum.
const ROUND: f32 = 12_582_912.0;
const LOG2E: f32 = std::f32::consts::LOG2_E;
// ln 2 split so that n · LN2_HI is exact for the |n| ≤ 151 used here.
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
// Below this e^x is under half the smallest subnormal; above, over f32::MAX. Clamping there keeps n
// within the two-halves scaling without changing any result.
const LO: f32 = -104.0;
const HI: f32 = 89.0;

/// e^x (see the module comment for accuracy and special values).
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    // f32::clamp keeps a NaN (where `max`/`min` would turn it into a bound).
    let c = x.clamp(LO, HI);
    let t = c * LOG2E + ROUND;
    let n = t - ROUND;
    let ni = (t.to_bits() as i32).wrapping_sub(ROUND.to_bits() as i32);
    let r = (c - n * LN2_HI) - n * LN2_LO;
    let r2 = r * r;
    let p = ((((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2)
        * r
        + 1.666_666_5e-1)
        * r
        + 0.5)
        * r2
        + r)
        + 1.0;
    // 2^n as 2^a · 2^b with a, b ≥ -76: each factor is a normal float.
    let a = ni >> 1;
    let b = ni - a;
    let pow2 = |k: i32| f32::from_bits((k.wrapping_add(127) as u32) << 23);
    p * pow2(a) * pow2(b)
}

/// The logistic function 1 / (1 + e^-x): 0 for x below -88.7, 1 above 16.6, NaN for NaN.
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// tanh x: for |x| ≥ 0.625 as 1 − 2/(e^(2|x|) + 1) with the sign put back, below as Cephes' odd
/// polynomial x + x³·P(x²), both computed and one selected so that a loop over it vectorises.
/// Within 3 ulp of the exact value (the test's sweep); tanh(±inf) = ±1, tanh(NaN) = NaN.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    let a = x.abs();
    let big = 1.0 - 2.0 / (exp(2.0 * a) + 1.0);
    let z = x * x;
    let small =
        (((((-5.704_988_7e-3 * z + 2.063_909e-2) * z - 5.373_971_6e-2) * z + 1.333_144_2e-1) * z
            - 3.333_328e-1)
            * z)
            * x
            + x;
    // The sign put back on both (x + x³·P gives +0 for -0).
    (if a >= 0.625 { big } else { small }).copysign(x)
}

/// `v[i] = e^(v[i])` for every value, compiled at the run-time SIMD level.
pub fn exp_in_place(v: &mut [f32]) {
    super::simd_level::vectorize(
        #[inline(always)]
        || v.iter_mut().for_each(|x| *x = exp(*x)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::simd_level::{available, vectorize_at};

    /// Distance in units in the last place between `got` and the exact `want`, at `got`'s scale.
    fn ulps(got: f32, want: f64) -> f64 {
        let g = got as f64;
        let spacing = if got == 0.0 || !got.is_normal() {
            f64::from(f32::from_bits(1)) // subnormals are evenly spaced
        } else {
            let next = f32::from_bits(got.abs().to_bits() + 1) as f64;
            next - g.abs()
        };
        (g - want).abs() / spacing
    }

    #[test]
    fn within_one_ulp_of_the_exact_value_over_the_whole_range() {
        // Every 97th float bit pattern from -110 to 90, both signs: about 22 million values.
        let mut worst = (0.0f64, 0.0f32);
        let check = |x: f32, worst: &mut (f64, f32)| {
            let want = (x as f64).exp();
            let got = exp(x);
            let e = if want > f32::MAX as f64 {
                assert_eq!(got, f32::INFINITY, "exp({x})");
                0.0
            } else {
                ulps(got, want)
            };
            if e > worst.0 {
                *worst = (e, x);
            }
        };
        for sign in [0u32, 1 << 31] {
            let top = if sign == 0 { 90.0f32 } else { 110.0 };
            let mut bits = 0u32;
            while f32::from_bits(bits) <= top {
                check(f32::from_bits(bits | sign), &mut worst);
                bits += 97;
            }
        }
        assert!(worst.0 <= 1.0, "{} ulp at x = {}", worst.0, worst.1);
    }

    #[test]
    fn special_values_and_the_edges_of_the_range() {
        assert!(exp(f32::NAN).is_nan());
        assert_eq!(exp(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-0.0), 1.0);
        assert_eq!(exp(88.8), f32::INFINITY);
        assert_eq!(exp(1000.0), f32::INFINITY);
        assert_eq!(exp(-1000.0), 0.0);
        assert!(exp(88.7) > 3.3e38 && exp(88.7).is_finite());
        // The smallest subnormal, 2^-149, is e^-103.28.
        assert_eq!(exp(-103.28), f32::from_bits(1));
        assert!(exp(-90.0) > 0.0 && !exp(-90.0).is_normal());
    }

    #[test]
    fn sigmoid_and_tanh_match_f64_and_keep_the_special_values() {
        for i in -4000..=4000 {
            let x = i as f32 * 0.025;
            let xd = x as f64;
            let s = 1.0 / (1.0 + (-xd).exp());
            assert!(
                (sigmoid(x) as f64 - s).abs() <= 2e-7 * s.max(1e-30) + 1e-38,
                "sigmoid({x})"
            );
        }
        // tanh relative to its own size, down to tiny x (where 1 − e^(−2x) would lose it all).
        let mut worst = (0.0f64, 0.0f32);
        let mut bits = 0x3000_0000u32; // 4.7e-10
        while f32::from_bits(bits) < 12.0 {
            for x in [f32::from_bits(bits), -f32::from_bits(bits)] {
                let e = ulps(tanh(x), (x as f64).tanh());
                if e > worst.0 {
                    worst = (e, x);
                }
            }
            bits += 61;
        }
        assert!(worst.0 <= 3.0, "tanh: {} ulp at {}", worst.0, worst.1);
        assert_eq!(tanh(1e-30), 1e-30);
        assert_eq!((sigmoid(-100.0), sigmoid(100.0)), (0.0, 1.0));
        assert_eq!((tanh(-100.0), tanh(100.0)), (-1.0, 1.0));
        assert_eq!(
            (sigmoid(f32::NEG_INFINITY), sigmoid(f32::INFINITY)),
            (0.0, 1.0)
        );
        assert_eq!((tanh(f32::NEG_INFINITY), tanh(f32::INFINITY)), (-1.0, 1.0));
        assert!(sigmoid(f32::NAN).is_nan() && tanh(f32::NAN).is_nan());
        assert_eq!(tanh(-0.0).to_bits(), (-0.0f32).to_bits());
    }

    #[test]
    fn every_simd_level_computes_the_same_bits() {
        let mut xs: Vec<f32> = (0..5003).map(|i| (i as f32 - 2500.0) * 0.0437).collect();
        xs.extend([
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            -0.0,
            88.72,
            -103.9,
            -87.5,
        ]);
        let portable: Vec<u32> = xs.iter().map(|&x| exp(x).to_bits()).collect();
        for l in available() {
            let mut v = xs.clone();
            vectorize_at(l, || v.iter_mut().for_each(|x| *x = exp(*x)));
            let bits: Vec<u32> = v.iter().map(|x| x.to_bits()).collect();
            // NaN payloads may differ between paths; every other value must match bit for bit.
            for ((x, a), b) in xs.iter().zip(&portable).zip(&bits) {
                if !x.is_nan() {
                    assert_eq!(a, b, "exp({x}) at {l:?}");
                }
            }
        }
        let mut v = xs.clone();
        exp_in_place(&mut v);
        assert!(v[..5003]
            .iter()
            .zip(&portable)
            .all(|(a, b)| a.to_bits() == *b));
    }
}
