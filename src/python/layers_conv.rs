//! `_core.Layer` constructors of the transposed and depthwise convolutions (Conv2DTranspose), and
//! the `Tensor.conv2d_transpose` op.
use super::convert::to_tensor;
use super::errors::IntoPy;
use super::model::PyLayer;
use super::tensor::PyTensor;
use super::tensor_ops::heavy;
use crate::layers::{Activation, Conv2DTranspose};
use crate::ops::conv::{Padding, Window};
use pyo3::prelude::*;
use std::sync::Arc;

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
        let pad = Padding::from_name("Conv2DTranspose", padding).py_err()?;
        let act = Activation::from_name(activation).py_err()?;
        Ok(PyLayer {
            inner: Arc::new(Conv2DTranspose::new(
                in_channels,
                filters,
                kernel_size,
                Window::new(strides, dilation, pad),
                output_padding,
                act,
                use_bias,
            )),
        })
    }
}

#[pymethods]
impl PyTensor {
    /// conv2d_transpose(self, kernel) + bias: NHWC input, (kh, kw, filters, in_channels) kernel.
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
        let win = Window::new(strides, dilation, Padding::from_name(op, padding).py_err()?);
        let work = self.t.numel() * k.numel();
        let y = heavy(py, work, || {
            self.t
                .conv2d_transpose(&k, b.as_ref(), &win, output_padding)
        });
        Ok(PyTensor::wrap(y.py_err()?))
    }
}
