//! Constructors on `_core.Layer` for Embedding, LayerNormalization and the spatial layers
//! (UpSampling2D, ZeroPadding2D, Cropping2D, Conv1D, MaxPooling1D, AveragePooling1D).
use super::errors::IntoPy;
use super::model::PyLayer;
use crate::layers::{
    Activation, Conv1D, Cropping2D, Embedding, LayerNormalization, Pooling1D, UpSampling2D,
    ZeroPadding2D,
};
use crate::ops::conv::{Padding, Window};
use pyo3::prelude::*;
use std::sync::Arc;

fn layer(l: impl crate::layers::Layer + 'static) -> PyLayer {
    PyLayer { inner: Arc::new(l) }
}

fn window1d(op: &str, stride: usize, dilation: usize, padding: &str) -> PyResult<Window> {
    Ok(Window::new(
        [1, stride],
        [1, dilation],
        Padding::from_name(op, padding).py_err()?,
    ))
}

#[pymethods]
impl PyLayer {
    #[staticmethod]
    fn embedding(input_dim: usize, output_dim: usize) -> Self {
        layer(Embedding::new(input_dim, output_dim))
    }
    #[staticmethod]
    fn layer_normalization(
        param_shape: Vec<usize>,
        epsilon: f32,
        center: bool,
        scale: bool,
    ) -> PyResult<Self> {
        Ok(layer(
            LayerNormalization::new(&param_shape, epsilon, center, scale).py_err()?,
        ))
    }
    #[staticmethod]
    fn up_sampling2d(size: [usize; 2]) -> Self {
        layer(UpSampling2D { size })
    }
    #[staticmethod]
    fn zero_padding2d(padding: [[usize; 2]; 2]) -> Self {
        layer(ZeroPadding2D { padding })
    }
    #[staticmethod]
    fn cropping2d(cropping: [[usize; 2]; 2]) -> Self {
        layer(Cropping2D { cropping })
    }
    #[staticmethod]
    fn pooling1d(pool_size: usize, strides: usize, padding: &str, average: bool) -> PyResult<Self> {
        Ok(layer(Pooling1D {
            size: pool_size,
            window: window1d("Pooling1D", strides, 1, padding)?,
            average,
        }))
    }
    #[staticmethod]
    #[pyo3(signature = (in_channels, filters, kernel_size, strides, padding, dilation, activation = "linear", use_bias = true))]
    #[allow(clippy::too_many_arguments)]
    fn conv1d(
        in_channels: usize,
        filters: usize,
        kernel_size: usize,
        strides: usize,
        padding: &str,
        dilation: usize,
        activation: &str,
        use_bias: bool,
    ) -> PyResult<Self> {
        let win = window1d("Conv1D", strides, dilation, padding)?;
        let act = Activation::from_name(activation).py_err()?;
        Ok(layer(Conv1D::new(
            in_channels,
            filters,
            kernel_size,
            win,
            act,
            use_bias,
        )))
    }
}
