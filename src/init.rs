//! Seeded random numbers (xoshiro256++ seeded by splitmix64) and the Keras weight initialisers.
use crate::tensor::Tensor;
use parking_lot::Mutex;

/// A small, fast, reproducible generator; one global instance backs `manual_seed`.
#[derive(Clone)]
pub struct Rng([u64; 4]);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut z = seed;
        let mut next = || {
            z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut x = z;
            x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            x ^ (x >> 31)
        };
        Rng([next(), next(), next(), next()])
    }
    /// The generator's whole state, to save and later continue the same stream.
    pub fn state(&self) -> [u64; 4] {
        self.0
    }
    /// A generator continuing from a saved `state` (all zeros would be stuck at zero: refused).
    pub fn from_state(state: [u64; 4]) -> Option<Rng> {
        (state != [0; 4]).then_some(Rng(state))
    }
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.0;
        let r = (s[0].wrapping_add(s[3])).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        r
    }
    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 * (1.0 / (1u64 << 24) as f32)
    }
    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f32 {
        let u1 = ((self.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64);
        let u2 = (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
        ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
    }
    /// Uniform integer in [0, n).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64) * n as f64) as usize
            % n.max(1)
    }
}

static GLOBAL: Mutex<Option<Rng>> = Mutex::new(None);

/// Reseed the global generator (Python: `rustgrad.manual_seed`).
pub fn manual_seed(seed: u64) {
    *GLOBAL.lock() = Some(Rng::new(seed));
}

/// Run `f` with the global generator (seeded from the clock if never seeded).
pub fn with_rng<R>(f: impl FnOnce(&mut Rng) -> R) -> R {
    let mut g = GLOBAL.lock();
    let rng = g.get_or_insert_with(|| {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        Rng::new(t)
    });
    f(rng)
}

pub fn rand(shape: &[usize]) -> Tensor {
    let n = shape.iter().product();
    with_rng(|r| Tensor::from_parts((0..n).map(|_| r.uniform()).collect(), shape.to_vec()))
}

pub fn randn(shape: &[usize]) -> Tensor {
    let n = shape.iter().product();
    with_rng(|r| Tensor::from_parts((0..n).map(|_| r.normal()).collect(), shape.to_vec()))
}

/// Fan-in and fan-out as Keras computes them (kernels: receptive field × channels).
pub fn fans(shape: &[usize]) -> (f32, f32) {
    match shape.len() {
        0 => (1.0, 1.0),
        1 => (shape[0] as f32, shape[0] as f32),
        2 => (shape[0] as f32, shape[1] as f32),
        n => {
            let rf: usize = shape[..n - 2].iter().product();
            ((rf * shape[n - 2]) as f32, (rf * shape[n - 1]) as f32)
        }
    }
}

/// Keras' glorot_uniform: U(-l, l) with l = sqrt(6 / (fan_in + fan_out)).
pub fn glorot_uniform(shape: &[usize]) -> Tensor {
    let (fi, fo) = fans(shape);
    let limit = (6.0 / (fi + fo)).sqrt();
    let n = shape.iter().product();
    with_rng(|r| {
        Tensor::from_parts(
            (0..n).map(|_| (2.0 * r.uniform() - 1.0) * limit).collect(),
            shape.to_vec(),
        )
    })
}

/// Keras' he_normal: truncated normal (|z| < 2) with stddev sqrt(2 / fan_in) / .87962566.
pub fn he_normal(shape: &[usize]) -> Tensor {
    let (fi, _) = fans(shape);
    let std = (2.0 / fi).sqrt() / 0.879_625_7;
    let n = shape.iter().product();
    with_rng(|r| {
        let v = (0..n)
            .map(|_| loop {
                let z = r.normal();
                if z.abs() < 2.0 {
                    break z * std;
                }
            })
            .collect();
        Tensor::from_parts(v, shape.to_vec())
    })
}

/// Keras' Orthogonal (gain 1): a normal matrix made orthonormal, rows when the 2-D view of
/// `shape` (all leading axes × the last) is wide, columns when it is tall. Gram–Schmidt gives
/// R a positive diagonal, the sign convention Keras applies after its QR.
pub fn orthogonal(shape: &[usize]) -> Tensor {
    let cols = shape.last().copied().unwrap_or(1);
    let rows = shape.iter().product::<usize>() / cols.max(1);
    let (n, len) = (rows.min(cols), rows.max(cols));
    let mut vs: Vec<Vec<f64>> = with_rng(|r| {
        (0..n)
            .map(|_| (0..len).map(|_| r.normal() as f64).collect())
            .collect()
    });
    for i in 0..n {
        let (done, rest) = vs.split_at_mut(i);
        let v = &mut rest[0];
        for _ in 0..2 {
            // twice, for orthogonality to f32 precision (classical Gram–Schmidt re-applied)
            for u in done.iter() {
                let d: f64 = u.iter().zip(v.iter()).map(|(a, b)| a * b).sum();
                v.iter_mut().zip(u).for_each(|(x, a)| *x -= d * a);
            }
        }
        let norm = v
            .iter()
            .map(|x| x * x)
            .sum::<f64>()
            .sqrt()
            .max(f64::MIN_POSITIVE);
        v.iter_mut().for_each(|x| *x /= norm);
    }
    let mut data = vec![0.0f32; rows * cols];
    for (k, v) in vs.iter().enumerate() {
        for (j, &x) in v.iter().enumerate() {
            let at = if rows < cols {
                k * cols + j
            } else {
                j * cols + k
            };
            data[at] = x as f32;
        }
    }
    Tensor::from_parts(data, shape.to_vec())
}
