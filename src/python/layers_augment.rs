//! `_core.Layer` constructors of the image augmentation layers (RandomFlip, RandomCrop,
//! RandomContrast, RandomTranslation, RandomRotation, RandomZoom). Factor ranges arrive as
//! (lower, upper) pairs already read the way Keras reads its arguments (augment.py).
use super::errors::IntoPy;
use super::model::PyLayer;
use crate::layers::{AffineKind, Bounds, RandomAffine, RandomContrast, RandomCrop, RandomFlip};
use pyo3::prelude::*;
use std::sync::Arc;

fn layer(l: impl crate::layers::Layer + 'static) -> PyLayer {
    PyLayer { inner: Arc::new(l) }
}

fn bounds((lo, hi): (f32, f32)) -> Bounds {
    Bounds { lo, hi }
}

#[pymethods]
impl PyLayer {
    #[staticmethod]
    fn random_flip(mode: &str, seed: u64) -> PyResult<Self> {
        Ok(layer(RandomFlip::new(mode, seed).py_err()?))
    }
    #[staticmethod]
    fn random_crop(height: usize, width: usize, seed: u64) -> PyResult<Self> {
        Ok(layer(RandomCrop::new(height, width, seed).py_err()?))
    }
    /// The contrast factor is drawn from [1 - lower, 1 + upper].
    #[staticmethod]
    fn random_contrast(
        lower: f32,
        upper: f32,
        value_range: (f32, f32),
        seed: u64,
    ) -> PyResult<Self> {
        Ok(layer(
            RandomContrast::new(lower, upper, value_range, seed).py_err()?,
        ))
    }
    #[staticmethod]
    fn random_translation(
        height: (f32, f32),
        width: (f32, f32),
        fill_mode: &str,
        interpolation: &str,
        fill_value: f32,
        seed: u64,
    ) -> PyResult<Self> {
        let kind = AffineKind::Translation {
            height: bounds(height),
            width: bounds(width),
        };
        affine(kind, fill_mode, interpolation, fill_value, seed)
    }
    /// `factor` is a fraction of a full turn; positive turns counter-clockwise.
    #[staticmethod]
    fn random_rotation(
        factor: (f32, f32),
        fill_mode: &str,
        interpolation: &str,
        fill_value: f32,
        seed: u64,
    ) -> PyResult<Self> {
        let kind = AffineKind::Rotation(bounds(factor));
        affine(kind, fill_mode, interpolation, fill_value, seed)
    }
    /// Each axis scales by 1 + factor (negative zooms in); `width=None` keeps the aspect ratio.
    #[staticmethod]
    #[pyo3(signature = (height, width, fill_mode, interpolation, fill_value, seed))]
    fn random_zoom(
        height: (f32, f32),
        width: Option<(f32, f32)>,
        fill_mode: &str,
        interpolation: &str,
        fill_value: f32,
        seed: u64,
    ) -> PyResult<Self> {
        let kind = AffineKind::Zoom {
            height: bounds(height),
            width: width.map(bounds),
        };
        affine(kind, fill_mode, interpolation, fill_value, seed)
    }
}

fn affine(
    kind: AffineKind,
    fill_mode: &str,
    interpolation: &str,
    fill_value: f32,
    seed: u64,
) -> PyResult<PyLayer> {
    Ok(layer(
        RandomAffine::new(kind, fill_mode, interpolation, fill_value, seed).py_err()?,
    ))
}
