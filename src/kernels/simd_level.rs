//! The one run-time SIMD level every hand-dispatched kernel consults: `RUSTGRAD_SIMD` or the CPU's best.
//! The wheel is compiled for the x86-64 baseline (SSE2) and must run on any x86-64 CPU, so no kernel
//! may assume a feature the build did not enable: each asks `level()` and takes the widest path at or
//! below it. `RUSTGRAD_SIMD=portable|avx2|avx512` lowers the level (to test the portable path on a
//! machine with AVX-512, or to compare paths); an unknown value, or a level this CPU lacks, is an
//! error, and the Python extension refuses to import with it (`check`) rather than quietly running
//! another path than the one asked for. faer's GEMM detects the CPU by itself and is not affected.
//!
//! `vectorize` is the one dispatch point: a kernel passes its loop as a closure and gets it compiled
//! three times, for AVX-512, for AVX2+FMA (through `pulp`'s `V4`/`V3` tokens, which check the CPU)
//! and for the baseline, and the widest at or below `level()` runs. The features reach only code
//! inlined into pulp's target-feature function, so the closure is written `#[inline(always)] || ..`
//! and so are the helpers and inner closures of the loop (without that attribute the closure was
//! compiled on its own, for the baseline, and the AVX copies only called it). Plain
//! Rust float code is not reassociated or contracted into FMAs at any level, so every level
//! computes the same values; only the instructions differ (explicit intrinsics, as in Adam's
//! estimates, are the exception and are tested against the exact formula).
use crate::error::{Error, Result};
use std::sync::OnceLock;

/// The environment variable that sets the level.
pub const ENV: &str = "RUSTGRAD_SIMD";

/// A SIMD level, ordered from narrowest to widest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Plain Rust loops, compiled for the target's baseline (SSE2 on x86-64).
    Portable,
    /// AVX2 and FMA (Haswell, Zen 1 and later).
    Avx2,
    /// AVX-512F (Skylake-X, Ice Lake, Zen 4 and later).
    Avx512,
}

impl Level {
    /// Every level, narrowest first.
    pub const ALL: [Level; 3] = [Level::Portable, Level::Avx2, Level::Avx512];

    /// The name `RUSTGRAD_SIMD` takes for this level.
    pub fn name(self) -> &'static str {
        match self {
            Level::Portable => "portable",
            Level::Avx2 => "avx2",
            Level::Avx512 => "avx512",
        }
    }
}

/// The widest level this CPU runs.
pub fn detected() -> Level {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return Level::Avx512;
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return Level::Avx2;
        }
    }
    Level::Portable
}

/// The levels this CPU runs, narrowest first (always at least `Portable`).
pub fn available() -> Vec<Level> {
    let best = detected();
    Level::ALL.into_iter().filter(|l| *l <= best).collect()
}

/// The level a `RUSTGRAD_SIMD` value asks for on a CPU whose widest level is `best`; unset or empty
/// means `best`.
pub fn parse(value: Option<&str>, best: Level) -> Result<Level> {
    let Some(raw) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(best);
    };
    let asked = Level::ALL
        .into_iter()
        .find(|l| l.name() == raw.to_ascii_lowercase())
        .ok_or_else(|| {
            Error::invalid(
                ENV,
                format!("unknown SIMD level {raw:?}; valid levels: portable, avx2, avx512"),
            )
        })?;
    if asked > best {
        return Err(Error::invalid(
            ENV,
            format!(
                "this CPU lacks {}: its widest level is {} (set {ENV} to one of {})",
                asked.name(),
                best.name(),
                names(&Level::ALL[..=best as usize])
            ),
        ));
    }
    Ok(asked)
}

fn names(levels: &[Level]) -> String {
    levels
        .iter()
        .map(|l| l.name())
        .collect::<Vec<_>>()
        .join(", ")
}

static CONFIGURED: OnceLock<Result<Level>> = OnceLock::new();

/// The level from `RUSTGRAD_SIMD` (read once per process), or the error its value gives.
pub fn check() -> Result<Level> {
    CONFIGURED
        .get_or_init(|| parse(std::env::var(ENV).ok().as_deref(), detected()))
        .clone()
}

/// The level kernels run at. A bad `RUSTGRAD_SIMD` never reaches Python (the extension's import
/// calls `check` and raises); a pure-Rust caller that skipped `check` gets the portable path,
/// which every CPU runs.
pub fn level() -> Level {
    check().unwrap_or(Level::Portable)
}

/// Whether the CPU has AVX (so `vzeroupper` exists). Asked of the CPU, not of `level()`: faer's
/// kernels use AVX-512 whatever the level, and their dirty upper halves must be cleared anyway.
pub fn cpu_has_avx() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The level `vectorize_at(level, ..)` runs at on this CPU: `level`, or the widest below it that the
/// CPU runs. Kernels with explicit intrinsics pick their code by it and run it inside
/// `vectorize_at`.
pub fn chosen(level: Level) -> Level {
    #[cfg(target_arch = "x86_64")]
    {
        if level >= Level::Avx512 && pulp::x86::V4::is_available() {
            return Level::Avx512;
        }
        if level >= Level::Avx2 && pulp::x86::V3::is_available() {
            return Level::Avx2;
        }
    }
    Level::Portable
}

/// Run `f` compiled for the widest level at or below `level()` (`f` marked `#[inline(always)]`).
#[inline(always)]
pub fn vectorize<R>(f: impl FnOnce() -> R) -> R {
    vectorize_at(level(), f)
}

/// Run `f` compiled for the widest level at or below `level` that this CPU runs (so a test can
/// force each of `available()`). The portable path first clears the upper register halves that
/// faer's AVX-512 kernels leave dirty: SSE-encoded code after them runs ~15x slower
/// (`parallel::clear_upper_simd`). The AVX paths are VEX/EVEX-encoded and pay no such penalty, and
/// the compiler ends each with `vzeroupper`.
#[inline(always)]
pub fn vectorize_at<R>(level: Level, f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        if level >= Level::Avx512 {
            if let Some(simd) = pulp::x86::V4::try_new() {
                return simd.vectorize(f);
            }
        }
        if level >= Level::Avx2 {
            if let Some(simd) = pulp::x86::V3::try_new() {
                return simd.vectorize(f);
            }
        }
    }
    super::parallel::clear_upper_simd();
    f()
}

/// Test helpers: run a kernel at every available level and compare with the portable path.
#[cfg(test)]
pub mod testing {
    /// Lengths around the vector widths (4, 8, 16 lanes) and a long one with a tail.
    pub const LENGTHS: [usize; 9] = [0, 1, 7, 15, 16, 17, 33, 64, 1003];

    /// Deterministic pseudo-random values in [-2, 2), with NaN, ±inf, ±0 and ties planted when
    /// `specials` (and the slice is long enough).
    pub fn values(n: usize, seed: u64, specials: bool) -> Vec<f32> {
        let mut s = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut v: Vec<f32> = (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 40) as f32 / (1u64 << 24) as f32) * 4.0 - 2.0
            })
            .collect();
        if specials {
            let planted = [
                f32::NAN,
                f32::INFINITY,
                f32::NEG_INFINITY,
                0.0,
                -0.0,
                1.0,
                1.0,
            ];
            for (k, &p) in planted.iter().enumerate() {
                let i = (k * 5 + 3) % n.max(1);
                if i < n {
                    v[i] = p;
                }
            }
        }
        v
    }

    /// Bitwise equality, except that any NaN equals any NaN (payloads are not specified).
    pub fn same(a: &[f32], b: &[f32]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
    }

    /// Assert that `f(level)` at every available level equals `f(Portable)`.
    pub fn every_level_matches_portable(what: &str, f: impl Fn(super::Level) -> Vec<f32>) {
        let want = f(super::Level::Portable);
        for level in super::available() {
            let got = f(level);
            assert!(
                same(&got, &want),
                "{what} at {level:?} differs from portable:\n{got:?}\n{want:?}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectorize_runs_the_closure_once_at_every_level() {
        for level in Level::ALL {
            let mut calls = 0;
            let x: Vec<f32> = (0..37).map(|i| i as f32 * 0.5).collect();
            let sum = vectorize_at(
                level,
                #[inline(always)]
                || {
                    calls += 1;
                    x.iter().map(|v| v * v).sum::<f32>()
                },
            );
            assert_eq!(calls, 1);
            assert_eq!(sum, x.iter().map(|v| v * v).sum::<f32>());
        }
    }

    #[test]
    fn unset_or_empty_means_the_best_level() {
        assert_eq!(parse(None, Level::Avx2).unwrap(), Level::Avx2);
        assert_eq!(parse(Some("  "), Level::Avx512).unwrap(), Level::Avx512);
    }

    #[test]
    fn a_named_level_at_or_below_the_cpu_is_taken() {
        assert_eq!(
            parse(Some("portable"), Level::Avx512).unwrap(),
            Level::Portable
        );
        assert_eq!(parse(Some("AVX2"), Level::Avx512).unwrap(), Level::Avx2);
        assert_eq!(parse(Some("avx2"), Level::Avx2).unwrap(), Level::Avx2);
    }

    #[test]
    fn an_unknown_value_lists_the_valid_ones() {
        let e = parse(Some("sse9"), Level::Avx512).unwrap_err().to_string();
        assert!(e.contains("RUSTGRAD_SIMD") && e.contains("\"sse9\""), "{e}");
        assert!(e.contains("portable, avx2, avx512"), "{e}");
    }

    #[test]
    fn a_level_the_cpu_lacks_is_refused_naming_what_it_has() {
        let e = parse(Some("avx512"), Level::Avx2).unwrap_err().to_string();
        assert!(
            e.contains("lacks avx512") && e.contains("portable, avx2"),
            "{e}"
        );
        assert!(parse(Some("avx2"), Level::Portable).is_err());
    }

    #[test]
    fn the_detected_level_is_available() {
        let all = available();
        assert_eq!(all[0], Level::Portable);
        assert_eq!(*all.last().unwrap(), detected());
    }
}
