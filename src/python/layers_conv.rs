//! `_core.Layer` constructors of the transposed and depthwise convolutions (Conv2DTranspose,
//! DepthwiseConv2D, SeparableConv2D), and the `Tensor.conv2d_transpose` and
//! `Tensor.depthwise_conv2d` ops.
use super::convert::to_tensor;
use super::errors::IntoPy;
use super::model::PyLayer;
use super::tensor::PyTensor;
use super::tensor_ops::heavy;
use crate::layers::{Activation, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D};
use crate::ops::conv::{Padding, Window};
use pyo3::prelude::*;
use std::sync::Arc;

fn window(op: &str, strides: [usize; 2], dilation: [usize; 2], padding: &str) -> PyResult<Window> {
    let pad = Padding::from_name(op, padding).py_err()?;
    Ok(Window::new(strides, dilation, pad))
}

fn layer(l: impl crate::layers::Layer + 'static) -> PyLayer {
    PyLayer { inner: Arc::new(l) }
}

#[pymethods]
impl PyLayer {
    /// Conv2DTranspose with a (kh, kw, filters, in_channels) kernel; `output_padding` None for
    /// Keras' default lengths.
    #[staticmethod]
    #[pyo3(signature = (in_channels, filters, kernel_size, strides, padding, output_padding, dilation, activation = "linear", use_bias = true))]
    #[allow(clippy::too_many_arguments)]
    fn conv2d_transpose(
        in_channels: usize,
        filters: usize,
        kernel_size: [usize; 2],
        strides: [usize; 2],
        padding: &str,
        output_padding: Option<[usize; 2]>,
        dilation: [usize; 2],
        activation: &str,
        use_bias: bool,
    ) -> PyResult<Self> {
        let win = window("Conv2DTranspose", strides, dilation, padding)?;
        let act = Activation::from_name(activation).py_err()?;
        Ok(layer(Conv2DTranspose::new(
            in_channels,
            filters,
            kernel_size,
            win,
            output_padding,
            act,
            use_bias,
        )))
    }
    /// DepthwiseConv2D with a (kh, kw, in_channels, depth_multiplier) kernel.
    #[staticmethod]
    #[pyo3(signature = (in_channels, depth_multiplier, kernel_size, strides, padding, dilation, activation = "linear", use_bias = true))]
    #[allow(clippy::too_many_arguments)]
    fn depthwise_conv2d(
        in_channels: usize,
        depth_multiplier: usize,
        kernel_size: [usize; 2],
        strides: [usize; 2],
        padding: &str,
        dilation: [usize; 2],
        activation: &str,
        use_bias: bool,
    ) -> PyResult<Self> {
        let win = window("DepthwiseConv2D", strides, dilation, padding)?;
        let act = Activation::from_name(activation).py_err()?;
        Ok(layer(DepthwiseConv2D::new(
            in_channels,
            depth_multiplier,
            kernel_size,
            win,
            act,
            use_bias,
        )))
    }
    /// SeparableConv2D: depthwise (kh, kw, in, dm) kernel, then pointwise (1, 1, in·dm, filters).
    #[staticmethod]
    #[pyo3(signature = (in_channels, filters, depth_multiplier, kernel_size, strides, padding, dilation, activation = "linear", use_bias = true))]
    #[allow(clippy::too_many_arguments)]
    fn separable_conv2d(
        in_channels: usize,
        filters: usize,
        depth_multiplier: usize,
        kernel_size: [usize; 2],
        strides: [usize; 2],
        padding: &str,
        dilation: [usize; 2],
        activation: &str,
        use_bias: bool,
    ) -> PyResult<Self> {
        let win = window("SeparableConv2D", strides, dilation, padding)?;
        let act = Activation::from_name(activation).py_err()?;
        Ok(layer(SeparableConv2D::new(
            in_channels,
            filters,
            depth_multiplier,
            kernel_size,
            win,
            act,
            use_bias,
        )))
    }
}

#[pymethods]
impl PyTensor {
    /// conv2d_transpose(self, kernel) + bias: NHWC input, (kh, kw, filters, in_channels) kernel.
    ///
    /// As keras.layers.Conv2DTranspose computes.
    ///
    /// Args:
    ///     kernel: a (kh, kw, filters, in_channels) Tensor or array.
    ///     bias: None, or a (filters,) Tensor or array.
    ///     strides: the step (height, width).
    ///     padding: "valid" or "same".
    ///     dilation: the kernel's dilation (height, width).
    ///     output_padding: None (Keras' default lengths), or extra rows and columns below the strides.
    ///
    /// Returns:
    ///     Tensor: the (batch, out_h, out_w, filters) result, recorded for autograd.
    ///
    /// Raises:
    ///     ShapeError: when the input is not 4-d or the kernel's channels do not match.
    ///     InvalidArgumentError: for an unknown padding or a zero stride or dilation.
    #[pyo3(signature = (kernel, bias = None, strides = [1, 1], padding = "valid", output_padding = None, dilation = [1, 1]))]
    #[allow(clippy::too_many_arguments)]
    fn conv2d_transpose(
        &self,
        py: Python<'_>,
        kernel: &Bound<'_, PyAny>,
        bias: Option<&Bound<'_, PyAny>>,
        strides: [usize; 2],
        padding: &str,
        output_padding: Option<[usize; 2]>,
        dilation: [usize; 2],
    ) -> PyResult<PyTensor> {
        let op = "conv2d_transpose";
        let k = to_tensor(kernel, op)?;
        let b = bias.map(|b| to_tensor(b, op)).transpose()?;
        let win = window(op, strides, dilation, padding)?;
        let work = self.t.numel() * k.numel();
        let y = heavy(py, work, || {
            self.t
                .conv2d_transpose(&k, b.as_ref(), &win, output_padding)
        });
        Ok(PyTensor::wrap(y.py_err()?))
    }
    /// depthwise_conv2d(self, kernel) + bias: NHWC input, (kh, kw, in_channels, dm) kernel.
    ///
    /// As keras.layers.DepthwiseConv2D computes; output channel c * dm + m.
    ///
    /// Args:
    ///     kernel: a (kh, kw, in_channels, depth_multiplier) Tensor or array.
    ///     bias: None, or an (in_channels * depth_multiplier,) Tensor or array.
    ///     strides: the step (height, width).
    ///     padding: "valid" or "same".
    ///     dilation: the kernel's dilation (height, width).
    ///
    /// Returns:
    ///     Tensor: the (batch, out_h, out_w, in_channels * depth_multiplier) result.
    ///
    /// Raises:
    ///     ShapeError: when the input is not 4-d or the kernel's channels do not match.
    ///     InvalidArgumentError: for an unknown padding or a zero stride or dilation.
    #[pyo3(signature = (kernel, bias = None, strides = [1, 1], padding = "valid", dilation = [1, 1]))]
    fn depthwise_conv2d(
        &self,
        py: Python<'_>,
        kernel: &Bound<'_, PyAny>,
        bias: Option<&Bound<'_, PyAny>>,
        strides: [usize; 2],
        padding: &str,
        dilation: [usize; 2],
    ) -> PyResult<PyTensor> {
        let op = "depthwise_conv2d";
        let k = to_tensor(kernel, op)?;
        let b = bias.map(|b| to_tensor(b, op)).transpose()?;
        let win = window(op, strides, dilation, padding)?;
        let work = self.t.numel() * k.numel();
        let y = heavy(py, work, || self.t.depthwise_conv2d(&k, b.as_ref(), &win));
        Ok(PyTensor::wrap(y.py_err()?))
    }
}
