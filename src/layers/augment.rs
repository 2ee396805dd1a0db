//! Keras' image augmentation layers that move pixels without resampling: RandomFlip and RandomCrop
//! (a window op: a crop, a flip, or both, whose backward puts each gradient back where its pixel
//! came from), plus what all the augmentation layers share: image dimensions and factor ranges.
//! RandomContrast is in augment_contrast.rs; translation, rotation, zoom in augment_affine.rs.
use super::augment_warp::{warp_tensor, Affine, FillMode, Interp, Warp};
use super::Layer;
use crate::autograd::Backward;
use crate::error::{fmt_shape, Error, Result};
use crate::init::Rng;
use crate::tensor::Tensor;
use parking_lot::Mutex;

/// A batch of channels-last images, or one image (Keras takes both).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageDims {
    pub n: usize,
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub batched: bool,
}

impl ImageDims {
    pub fn of(kind: &str, s: &[usize]) -> Result<ImageDims> {
        let (n, h, w, c, batched) = match *s {
            [n, h, w, c] => (n, h, w, c, true),
            [h, w, c] => (1, h, w, c, false),
            _ => {
                return Err(Error::shape(
                    kind,
                    format!(
                        "expects a 4-D input (batch, height, width, channels) or one 3-D image \
                         (height, width, channels), got shape {}",
                        fmt_shape(s)
                    ),
                ))
            }
        };
        if h == 0 || w == 0 {
            return Err(Error::shape(
                kind,
                format!("got images of shape {} with no pixels", fmt_shape(s)),
            ));
        }
        Ok(ImageDims {
            n,
            h,
            w,
            c,
            batched,
        })
    }
    /// The shape of these images resized to `h` × `w`, batched or not as the input was.
    pub fn shape(&self, h: usize, w: usize) -> Vec<usize> {
        if self.batched {
            vec![self.n, h, w, self.c]
        } else {
            vec![h, w, self.c]
        }
    }
    pub fn pixels(&self) -> usize {
        self.h * self.w * self.c
    }
}

/// A factor range [lo, hi] from which each image draws uniformly.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    pub lo: f32,
    pub hi: f32,
}

impl Bounds {
    /// Checked: finite, lo ≤ hi, and inside `allowed` when given (Keras' range for the factor).
    pub fn new(
        kind: &str,
        what: &str,
        lo: f32,
        hi: f32,
        allowed: Option<(f32, f32)>,
    ) -> Result<Bounds> {
        let inside = |v: f32| allowed.is_none_or(|(a, b)| (a..=b).contains(&v));
        if !(lo.is_finite() && hi.is_finite() && lo <= hi && inside(lo) && inside(hi)) {
            let range = allowed.map_or(String::new(), |(a, b)| format!(" inside [{a}, {b}]"));
            return Err(Error::invalid(
                kind,
                format!("{what} must be a range (lower, upper) with lower <= upper{range}, got ({lo}, {hi})"),
            ));
        }
        Ok(Bounds { lo, hi })
    }
    pub fn draw(&self, rng: &mut Rng) -> f64 {
        let (lo, hi) = (self.lo as f64, self.hi as f64);
        lo + (hi - lo) * rng.uniform() as f64
    }
}

/// Where one image's output window comes from: offset (y0, x0), read backwards along flipped axes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Window {
    y0: usize,
    x0: usize,
    flip_y: bool,
    flip_x: bool,
}

/// out[i, y, x] = in[i, y0 + (flip_y ? oh-1-y : y), x0 + (flip_x ? ow-1-x : x)], per image.
struct WindowOp {
    kind: &'static str,
    dims: ImageDims,
    oh: usize,
    ow: usize,
    wins: Vec<Window>,
}

impl WindowOp {
    /// Calls `f(output offset, input offset)` for each output pixel, image by image.
    fn each_pixel(&self, mut f: impl FnMut(usize, usize)) {
        let (d, c) = (&self.dims, self.dims.c);
        for (i, win) in self.wins.iter().enumerate() {
            for y in 0..self.oh {
                let sy = win.y0 + if win.flip_y { self.oh - 1 - y } else { y };
                for x in 0..self.ow {
                    let sx = win.x0 + if win.flip_x { self.ow - 1 - x } else { x };
                    let out = ((i * self.oh + y) * self.ow + x) * c;
                    f(out, i * d.pixels() + (sy * d.w + sx) * c);
                }
            }
        }
    }
    fn run(self, x: &Tensor) -> Tensor {
        let c = self.dims.c;
        let mut out = vec![0.0f32; self.dims.n * self.oh * self.ow * c];
        {
            let src = x.data();
            self.each_pixel(|o, s| out[o..o + c].copy_from_slice(&src[s..s + c]));
        }
        let shape = self.dims.shape(self.oh, self.ow);
        Tensor::from_op(out, shape, self, &[x])
    }
}

impl Backward for WindowOp {
    fn name(&self) -> &'static str {
        self.kind
    }
    // Each input pixel is read at most once, so the adjoint puts each gradient back in its place.
    fn backward(&self, grad: &[f32], inputs: &[Tensor], _out: &Tensor) -> Vec<Option<Vec<f32>>> {
        let c = self.dims.c;
        let mut g = vec![0.0f32; inputs[0].numel()];
        self.each_pixel(|o, s| g[s..s + c].copy_from_slice(&grad[o..o + c]));
        vec![Some(g)]
    }
}

/// Keras' RandomFlip modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlipMode {
    Horizontal,
    Vertical,
    HorizontalAndVertical,
}

pub const FLIP_MODES: [&str; 3] = ["horizontal", "vertical", "horizontal_and_vertical"];

/// RandomFlip: in training, each image is flipped with probability 1/2 (one draw per image; with
/// "horizontal_and_vertical" that draw flips both axes, as in Keras 3).
pub struct RandomFlip {
    pub mode: FlipMode,
    rng: Mutex<Rng>,
}

impl RandomFlip {
    pub fn new(mode: &str, seed: u64) -> Result<RandomFlip> {
        let mode = match mode {
            "horizontal" => FlipMode::Horizontal,
            "vertical" => FlipMode::Vertical,
            "horizontal_and_vertical" => FlipMode::HorizontalAndVertical,
            other => {
                return Err(Error::invalid(
                    "RandomFlip",
                    format!("unknown mode '{other}'; expected one of {FLIP_MODES:?}"),
                ))
            }
        };
        Ok(RandomFlip {
            mode,
            rng: Mutex::new(Rng::new(seed)),
        })
    }
}

impl Layer for RandomFlip {
    fn rng(&self) -> Option<&Mutex<Rng>> {
        Some(&self.rng)
    }
    fn kind(&self) -> &'static str {
        "RandomFlip"
    }
    fn forward(&self, x: &Tensor, training: bool) -> Result<Tensor> {
        let dims = ImageDims::of("RandomFlip", x.shape())?;
        if !training {
            return Ok(x.clone());
        }
        let (fx, fy) = match self.mode {
            FlipMode::Horizontal => (true, false),
            FlipMode::Vertical => (false, true),
            FlipMode::HorizontalAndVertical => (true, true),
        };
        let wins = {
            let mut rng = self.rng.lock();
            (0..dims.n)
                .map(|_| {
                    let flip = rng.uniform() <= 0.5;
                    Window {
                        y0: 0,
                        x0: 0,
                        flip_y: flip && fy,
                        flip_x: flip && fx,
                    }
                })
                .collect()
        };
        let op = WindowOp {
            kind: "RandomFlip",
            dims,
            oh: dims.h,
            ow: dims.w,
            wins,
        };
        Ok(op.run(x))
    }
}

/// RandomCrop to `height` × `width`. In training, when the images are at least that large, one
/// random window for the whole batch (as Keras documents). Otherwise (inference, or smaller
/// images) the largest centred window of the target aspect ratio, resized bilinearly if its size
/// differs: Keras' documented inference behaviour.
pub struct RandomCrop {
    pub height: usize,
    pub width: usize,
    rng: Mutex<Rng>,
}

impl RandomCrop {
    pub fn new(height: usize, width: usize, seed: u64) -> Result<RandomCrop> {
        if height == 0 || width == 0 {
            return Err(Error::invalid(
                "RandomCrop",
                format!("height and width must be positive, got {height} x {width}"),
            ));
        }
        Ok(RandomCrop {
            height,
            width,
            rng: Mutex::new(Rng::new(seed)),
        })
    }

    /// The centred window of the target aspect ratio (Keras' arithmetic): (y0, x0, rows, cols).
    fn centre(&self, h: usize, w: usize) -> (usize, usize, usize, usize) {
        let rows = (w * self.height / self.width).clamp(1, h);
        let cols = (h * self.width / self.height).clamp(1, w);
        ((h - rows) / 2, (w - cols) / 2, rows, cols)
    }
}

impl Layer for RandomCrop {
    fn rng(&self) -> Option<&Mutex<Rng>> {
        Some(&self.rng)
    }
    fn kind(&self) -> &'static str {
        "RandomCrop"
    }
    fn forward(&self, x: &Tensor, training: bool) -> Result<Tensor> {
        let dims = ImageDims::of("RandomCrop", x.shape())?;
        let (th, tw) = (self.height, self.width);
        let window = |y0, x0, oh, ow| WindowOp {
            kind: "RandomCrop",
            dims,
            oh,
            ow,
            wins: vec![
                Window {
                    y0,
                    x0,
                    flip_y: false,
                    flip_x: false
                };
                dims.n
            ],
        };
        if training && dims.h >= th && dims.w >= tw {
            let (y0, x0) = {
                let mut rng = self.rng.lock();
                let y0 = rng.below(dims.h - th + 1);
                (y0, rng.below(dims.w - tw + 1))
            };
            return Ok(window(y0, x0, th, tw).run(x));
        }
        let (y0, x0, rows, cols) = self.centre(dims.h, dims.w);
        let cropped = window(y0, x0, rows, cols).run(x);
        if (rows, cols) == (th, tw) {
            return Ok(cropped);
        }
        // Bilinear resize with half-pixel centres, edges clamped (what Keras' resize does).
        let (sy, sx) = (rows as f64 / th as f64, cols as f64 / tw as f64);
        let m: Affine = [sx, 0.0, 0.5 * sx - 0.5, 0.0, sy, 0.5 * sy - 0.5];
        let inner = ImageDims {
            h: rows,
            w: cols,
            ..dims
        };
        let warp = Warp {
            h: rows,
            w: cols,
            c: dims.c,
            oh: th,
            ow: tw,
            fill: FillMode::Nearest,
            interp: Interp::Bilinear,
            fill_value: 0.0,
        };
        Ok(warp_tensor(
            "RandomCrop",
            &cropped,
            inner,
            warp,
            vec![m; dims.n],
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(shape: &[usize]) -> Tensor {
        let n: usize = shape.iter().product();
        Tensor::new((0..n).map(|v| v as f32).collect(), shape.to_vec()).unwrap()
    }

    #[test]
    fn augment_flip_flips_some_images_and_is_identity_at_inference() {
        let x = ramp(&[16, 2, 3, 1]);
        let l = RandomFlip::new("horizontal", 4).unwrap();
        assert_eq!(l.forward(&x, false).unwrap().to_vec(), x.to_vec());
        let y = l.forward(&x, true).unwrap().to_vec();
        let xs = x.to_vec();
        let mut flipped = 0;
        for i in 0..16 {
            let (a, b) = (&xs[i * 6..i * 6 + 6], &y[i * 6..i * 6 + 6]);
            let mirror: Vec<f32> = [2, 1, 0, 5, 4, 3].iter().map(|&k| a[k]).collect();
            assert!(b == a || b == mirror.as_slice(), "image {i}: {b:?}");
            flipped += (b != a) as usize;
        }
        assert!((3..=13).contains(&flipped), "{flipped} of 16 flipped");
        assert!(RandomFlip::new("diagonal", 0)
            .err()
            .unwrap()
            .to_string()
            .contains("horizontal_and_vertical"));
    }

    #[test]
    fn augment_crop_windows_and_backward() {
        let x = ramp(&[2, 5, 6, 2]).with_grad();
        let l = RandomCrop::new(3, 4, 1).unwrap();
        let y = l.forward(&x, true).unwrap();
        assert_eq!(y.shape(), &[2, 3, 4, 2]);
        y.sum().backward(None, false).unwrap();
        let g = x.grad().unwrap().to_vec();
        assert_eq!(g.iter().sum::<f32>(), 48.0);
        // Inference: Keras' arithmetic gives a 4x6 window of the 5x6 image, then a resize.
        assert_eq!(l.centre(5, 6), (0, 0, 4, 6));
        let z = l.forward(&x.detach(), false).unwrap();
        assert_eq!(z.shape(), &[2, 3, 4, 2]);
        let e = l.forward(&ramp(&[4, 6]), true).unwrap_err().to_string();
        assert!(e.contains("RandomCrop") && e.contains("(4, 6)"), "{e}");
    }
}
