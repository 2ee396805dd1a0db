//! The one run-time SIMD level every hand-dispatched kernel consults: `RUSTGRAD_SIMD` or the CPU's best.
//! The wheel is compiled for the x86-64 baseline (SSE2) and must run on any x86-64 CPU, so no kernel
//! may assume a feature the build did not enable: each asks `level()` and takes the widest path at or
//! below it. `RUSTGRAD_SIMD=portable|avx2|avx512` lowers the level (to test the portable path on a
//! machine with AVX-512, or to compare paths); an unknown value, or a level this CPU lacks, is an
//! error, and the Python extension refuses to import with it (`check`) rather than quietly running
//! another path than the one asked for. faer's GEMM detects the CPU by itself and is not affected.
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

#[cfg(test)]
mod tests {
    use super::*;

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
