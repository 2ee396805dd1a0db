//! Which algorithm runs a convolution, and the measured choice between them that
//! `RUSTGRAD_CONV3X3=auto` (the default) makes for the 3×3 stride-1 ones Winograd's can compute.
//!
//! Neither algorithm wins everywhere: on a 2-vCPU AMD Zen 4 Winograd trained the CIFAR-shaped CNN
//! 12-50% faster and MNIST's CNN 12-15% faster, on an Intel Xeon the CIFAR CNN 1.5× faster, yet
//! on an AMD Zen 5 MNIST's CNN was 13% slower (docs/speed.md). So the choice is measured, not
//! guessed from the CPU: the first time a process meets a convolution of a given shape, both
//! algorithms run its forward (and the backward the call will need) on a few of its samples,
//! interleaved, and the faster is kept for every later call of that shape. Within a process the
//! same graph and inputs therefore give the same bits; between processes a close race may go
//! either way, and the two round differently (within 3e-5 of the scale), so a user who needs
//! bit-identical runs across processes names the algorithm.
use crate::kernels::conv_algorithm::{configured, Conv3x3};
use crate::kernels::im2col::Geom;
use crate::kernels::winograd;
use crate::ops::{conv, conv_winograd};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// One convolution's operands: `n` NHWC samples `x`, an HWIO kernel `w`, `cout` filters, an
/// optional bias and a fused ReLU.
pub(crate) struct Conv<'a> {
    pub x: &'a [f32],
    pub w: &'a [f32],
    pub bias: Option<&'a [f32]>,
    pub g: &'a Geom,
    pub n: usize,
    pub cout: usize,
    pub relu: bool,
}

/// The algorithms of a convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Engine {
    /// im2col and a GEMM: any window.
    Im2col,
    /// kernels::winograd: 3×3 stride 1 with channel counts it computes.
    Winograd,
}

/// The (dx, dW, db) a backward pass returns; dx is empty when not asked for.
pub(crate) type Grads = (Vec<f32>, Option<Vec<f32>>, Option<Vec<f32>>);

impl Engine {
    /// The algorithm for `c`, whose backward will be asked for the gradients `need` (dx, dW, db).
    pub(crate) fn of(c: &Conv, need: [bool; 3]) -> Engine {
        if !winograd::applies(c.g, c.cout) {
            return Engine::Im2col;
        }
        match configured() {
            Conv3x3::Im2col => Engine::Im2col,
            Conv3x3::Winograd => Engine::Winograd,
            Conv3x3::Auto => measured(c, need),
        }
    }

    /// relu?(conv2d(x, w) + bias) for all of `c`'s samples.
    pub(crate) fn forward(self, c: &Conv) -> Vec<f32> {
        match self {
            Engine::Im2col => conv::im2col_forward(c),
            Engine::Winograd => conv_winograd::forward(c.x, c.w, c.bias, c.g, c.n, c.cout, c.relu),
        }
    }

    /// The gradients `need` of `forward` for the output gradient `grad`; `y` is the output when
    /// ReLU was fused.
    pub(crate) fn backward(
        self,
        c: &Conv,
        grad: &[f32],
        y: Option<&[f32]>,
        need: [bool; 3],
    ) -> Grads {
        match self {
            Engine::Im2col => conv::im2col_backward(c, grad, y, need),
            Engine::Winograd => conv_winograd::backward(grad, c.x, c.w, y, c.g, c.n, c.cout, need),
        }
    }
}

/// What a measured choice depends on: the shape of one sample's convolution, what it computes, and
/// the samples measured (a small last batch of an epoch is measured on its own).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
struct Key {
    geom: [usize; 13],
    samples: usize,
    cout: usize,
    bias: bool,
    relu: bool,
    need: [bool; 3],
}

impl Key {
    fn of(c: &Conv, need: [bool; 3]) -> Key {
        let g = c.g;
        Key {
            geom: [
                g.h, g.w, g.c, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl, g.oh, g.ow,
            ],
            samples: c.n.min(MEASURED_SAMPLES),
            cout: c.cout,
            bias: c.bias.is_some(),
            relu: c.relu,
            need,
        }
    }
}

static CHOSEN: Mutex<Option<HashMap<Key, Engine>>> = Mutex::new(None);

/// Samples the measurement runs (fewer when the batch is smaller): a batch of Keras' CNN examples.
/// 16 samples of MNIST's second convolution put Winograd 5% ahead where a training run at batch 64
/// showed 12%; 64 samples measured 13-14% (Zen 4). At most ~0.2 s once per shape (CIFAR-sized).
const MEASURED_SAMPLES: usize = 64;
/// Timed runs of each algorithm, after one untimed run of each (first-touch of its scratch).
const RUNS: usize = 3;

fn chosen(key: &Key) -> Option<Engine> {
    let map = CHOSEN.lock().unwrap_or_else(|e| e.into_inner());
    map.as_ref().and_then(|m| m.get(key).copied())
}

/// The kept choice for `c`'s shape, measured now if it is the first of its shape. The lock is not
/// held while measuring: the measurement runs on the pool, whose threads may be running another
/// convolution that needs the lock. Two threads measuring the same shape at once keep the first
/// answer stored.
fn measured(c: &Conv, need: [bool; 3]) -> Engine {
    let key = Key::of(c, need);
    if let Some(e) = chosen(&key) {
        return e;
    }
    let e = pick(&time_both(c, need));
    let mut map = CHOSEN.lock().unwrap_or_else(|e| e.into_inner());
    *map.get_or_insert_with(HashMap::new).entry(key).or_insert(e)
}

/// Seconds of forward (+ backward) per run, `[im2col, winograd]`, the two interleaved so that a
/// change of the machine's load falls on both.
fn time_both(c: &Conv, need: [bool; 3]) -> [Vec<f64>; 2] {
    let n = c.n.min(MEASURED_SAMPLES);
    let part = Conv {
        x: &c.x[..n * c.g.in_len()],
        n,
        ..*c
    };
    let backward = need.iter().any(|&b| b);
    let mut times = [Vec::new(), Vec::new()];
    for run in 0..=RUNS {
        for (i, e) in [Engine::Im2col, Engine::Winograd].into_iter().enumerate() {
            let t = Instant::now();
            let y = e.forward(&part);
            if backward {
                // The output stands in for its gradient: only the time is kept.
                let mask = c.relu.then_some(&y[..]);
                std::hint::black_box(e.backward(&part, &y, mask, need));
            }
            std::hint::black_box(&y);
            if run > 0 {
                times[i].push(t.elapsed().as_secs_f64());
            }
        }
    }
    times
}

/// The faster algorithm by each one's fastest run (the least disturbed by other processes); a tie
/// keeps im2col.
fn pick([im2col, winograd]: &[Vec<f64>; 2]) -> Engine {
    let best = |t: &[f64]| t.iter().copied().fold(f64::INFINITY, f64::min);
    if best(winograd) < best(im2col) {
        Engine::Winograd
    } else {
        Engine::Im2col
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::window::{Padding, Window};
    use crate::tensor::Tensor;

    #[test]
    fn picks_the_faster_runs_fastest_time() {
        let t = |a: &[f64], b: &[f64]| pick(&[a.to_vec(), b.to_vec()]);
        assert_eq!(t(&[3.0, 1.0, 3.0], &[2.0, 2.0, 2.0]), Engine::Im2col);
        assert_eq!(t(&[3.0, 3.0, 3.0], &[9.0, 2.0, 9.0]), Engine::Winograd);
        assert_eq!(t(&[2.0], &[2.0]), Engine::Im2col);
    }

    #[test]
    fn a_measured_choice_is_kept_for_its_shape_and_gives_the_same_bits() {
        // 16 channels in and out: a shape Winograd's applies to; a size no other test uses, so
        // the first call here is the one that measures.
        let x = Tensor::new(
            (0..3 * 7 * 9 * 16)
                .map(|i| ((i * 7) % 13) as f32 - 6.0)
                .collect(),
            vec![3, 7, 9, 16],
        )
        .unwrap();
        let w = Tensor::new(
            (0..9 * 16 * 16)
                .map(|i| ((i * 5) % 7) as f32 * 0.1 - 0.3)
                .collect(),
            vec![3, 3, 16, 16],
        )
        .unwrap()
        .with_grad();
        let win = Window::new([1, 1], [1, 1], Padding::Same);
        let g = win.geom("t", x.shape(), [3, 3], 16).unwrap();
        let wd = w.data();
        let c = Conv {
            x: &[],
            w: &wd,
            bias: None,
            g: &g,
            n: 3,
            cout: 16,
            relu: true,
        };
        let key = Key::of(&c, [false, true, false]);
        drop(wd);
        let first = x.conv2d(&w, None, &win, true).unwrap();
        if configured() != Conv3x3::Auto {
            return; // the environment names an algorithm: nothing is measured
        }
        let kept = chosen(&key).expect("the first call stores its choice");
        for _ in 0..3 {
            let again = x.conv2d(&w, None, &win, true).unwrap();
            assert_eq!(again.to_vec(), first.to_vec());
            assert_eq!(chosen(&key), Some(kept));
        }
    }
}
