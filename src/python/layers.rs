//! The convolutional layers' constructors on `_core.Layer`, their non-trainable state, and the
//! window ops (conv2d, pooling, batch_norm) as `Tensor` methods.
use super::convert::to_tensor;
use super::errors::IntoPy;
use super::model::PyLayer;
use super::tensor::PyTensor;
use super::tensor_ops::heavy;
use crate::layers::{
    Activation, BatchNormalization, Conv2D, GlobalAveragePooling2D, Pooling2D, Reshape,
};
use crate::ops::conv::{Padding, Window};
use crate::tensor::Tensor;
use pyo3::prelude::*;
use std::sync::Arc;

fn window(op: &str, strides: [usize; 2], dilation: [usize; 2], padding: &str) -> PyResult<Window> {
    Ok(Window::new(
        strides,
        dilation,
        Padding::from_name(op, padding).py_err()?,
    ))
}

/// The pooling ops' binding: strides default to the pool size, as in Keras.
fn pool(
    py: Python<'_>,
    x: &Tensor,
    op: &str,
    pool_size: [usize; 2],
    strides: Option<[usize; 2]>,
    padding: &str,
    f: fn(&Tensor, [usize; 2], &Window) -> crate::error::Result<Tensor>,
) -> PyResult<PyTensor> {
    let win = window(op, strides.unwrap_or(pool_size), [1, 1], padding)?;
    let y = heavy(py, x.numel(), || f(x, pool_size, &win));
    Ok(PyTensor::wrap(y.py_err()?))
}

fn layer(l: impl crate::layers::Layer + 'static) -> PyLayer {
    PyLayer { inner: Arc::new(l) }
}

#[pymethods]
impl PyLayer {
    #[staticmethod]
    #[pyo3(signature = (in_channels, filters, kernel_size, strides, padding, dilation, activation = "linear", use_bias = true))]
    #[allow(clippy::too_many_arguments)]
    fn conv2d(
        in_channels: usize,
        filters: usize,
        kernel_size: [usize; 2],
        strides: [usize; 2],
        padding: &str,
        dilation: [usize; 2],
        activation: &str,
        use_bias: bool,
    ) -> PyResult<Self> {
        let win = window("Conv2D", strides, dilation, padding)?;
        let act = Activation::from_name(activation).py_err()?;
        Ok(layer(Conv2D::new(
            in_channels,
            filters,
            kernel_size,
            win,
            act,
            use_bias,
        )))
    }
    #[staticmethod]
    fn pooling2d(
        pool_size: [usize; 2],
        strides: [usize; 2],
        padding: &str,
        average: bool,
    ) -> PyResult<Self> {
        let win = window("Pooling2D", strides, [1, 1], padding)?;
        Ok(layer(Pooling2D {
            size: pool_size,
            window: win,
            average,
        }))
    }
    #[staticmethod]
    fn global_average_pooling2d() -> Self {
        layer(GlobalAveragePooling2D)
    }
    #[staticmethod]
    #[pyo3(signature = (channels, momentum, epsilon, axis = -1))]
    fn batch_normalization(
        channels: usize,
        momentum: f32,
        epsilon: f32,
        axis: isize,
    ) -> PyResult<Self> {
        Ok(layer(
            BatchNormalization::new(channels, momentum, epsilon)
                .py_err()?
                .with_axis(axis),
        ))
    }
    #[staticmethod]
    fn reshape(target: Vec<isize>) -> Self {
        layer(Reshape { target })
    }
    /// Non-trainable weights (BatchNormalization's moving mean and variance).
    fn state(&self) -> Vec<PyTensor> {
        self.inner.state().into_iter().map(PyTensor::wrap).collect()
    }
}

#[pymethods]
impl PyTensor {
    /// relu?(conv2d(self, kernel) + bias): NHWC input, HWIO kernel (as keras.layers.Conv2D computes).
    ///
    /// Args:
    ///     kernel: a (kh, kw, in_channels, filters) Tensor or array.
    ///     bias: None, or a (filters,) Tensor or array.
    ///     strides: the step (height, width).
    ///     padding: "valid" or "same".
    ///     dilation: the kernel's dilation (height, width).
    ///     relu: apply relu to the result, fused into the same op.
    ///
    /// Returns:
    ///     Tensor: the (batch, out_h, out_w, filters) result, recorded for autograd.
    ///
    /// Raises:
    ///     ShapeError: when the input is not 4-d or the kernel's channels do not match.
    ///     InvalidArgumentError: for an unknown padding or a zero stride or dilation.
    #[pyo3(signature = (kernel, bias = None, strides = [1, 1], padding = "valid", dilation = [1, 1], relu = false))]
    #[allow(clippy::too_many_arguments)]
    fn conv2d(
        &self,
        py: Python<'_>,
        kernel: &Bound<'_, PyAny>,
        bias: Option<&Bound<'_, PyAny>>,
        strides: [usize; 2],
        padding: &str,
        dilation: [usize; 2],
        relu: bool,
    ) -> PyResult<PyTensor> {
        let k = to_tensor(kernel, "conv2d")?;
        let b = bias.map(|b| to_tensor(b, "conv2d")).transpose()?;
        let win = window("conv2d", strides, dilation, padding)?;
        let work = self.t.numel() * k.numel();
        let y = heavy(py, work, || self.t.conv2d(&k, b.as_ref(), &win, relu));
        Ok(PyTensor::wrap(y.py_err()?))
    }
    /// Max pooling of an NHWC tensor over `pool_size` windows, as keras.layers.MaxPooling2D.
    ///
    /// Args:
    ///     pool_size: the window (height, width).
    ///     strides: the step (height, width); None means `pool_size`.
    ///     padding: "valid" or "same".
    ///
    /// Returns:
    ///     Tensor: the pooled (batch, out_h, out_w, channels) tensor.
    ///
    /// Raises:
    ///     ShapeError: when the tensor is not 4-d or the window does not fit.
    ///     InvalidArgumentError: when `padding` is neither "valid" nor "same".
    #[pyo3(signature = (pool_size = [2, 2], strides = None, padding = "valid"))]
    fn max_pool2d(
        &self,
        py: Python<'_>,
        pool_size: [usize; 2],
        strides: Option<[usize; 2]>,
        padding: &str,
    ) -> PyResult<PyTensor> {
        pool(
            py,
            &self.t,
            "max_pool2d",
            pool_size,
            strides,
            padding,
            Tensor::max_pool2d,
        )
    }
    /// Average pooling of an NHWC tensor over `pool_size` windows, as keras.layers.AveragePooling2D.
    ///
    /// Args:
    ///     pool_size: the window (height, width).
    ///     strides: the step (height, width); None means `pool_size`.
    ///     padding: "valid" or "same".
    ///
    /// Returns:
    ///     Tensor: the pooled (batch, out_h, out_w, channels) tensor.
    ///
    /// Raises:
    ///     ShapeError: when the tensor is not 4-d or the window does not fit.
    ///     InvalidArgumentError: when `padding` is neither "valid" nor "same".
    #[pyo3(signature = (pool_size = [2, 2], strides = None, padding = "valid"))]
    fn avg_pool2d(
        &self,
        py: Python<'_>,
        pool_size: [usize; 2],
        strides: Option<[usize; 2]>,
        padding: &str,
    ) -> PyResult<PyTensor> {
        pool(
            py,
            &self.t,
            "avg_pool2d",
            pool_size,
            strides,
            padding,
            Tensor::avg_pool2d,
        )
    }
    /// The mean over height and width of an NHWC tensor (keras.layers.GlobalAveragePooling2D).
    ///
    /// Returns:
    ///     Tensor: a (batch, channels) tensor.
    ///
    /// Raises:
    ///     ShapeError: when the tensor is not 4-d.
    fn global_avg_pool2d(&self) -> PyResult<PyTensor> {
        Ok(PyTensor::wrap(self.t.global_avg_pool2d().py_err()?))
    }
    /// Batch normalisation over the channel `axis` (the last by default): batch statistics when
    /// `moving_mean` and `moving_variance` are None, else those fixed statistics.
    ///
    /// Args:
    ///     gamma: the per-channel scale.
    ///     beta: the per-channel offset.
    ///     moving_mean: None, or the per-channel means to use (inference).
    ///     moving_variance: None, or the per-channel variances to use (inference).
    ///     epsilon: added to the variance.
    ///     axis: the channel axis.
    ///
    /// Returns:
    ///     Tensor: the normalised tensor, recorded for autograd.
    ///
    /// Raises:
    ///     ShapeError: when gamma, beta or the statistics do not match the channel axis.
    #[pyo3(signature = (gamma, beta, moving_mean = None, moving_variance = None, epsilon = 1e-3, axis = -1))]
    #[allow(clippy::too_many_arguments)]
    fn batch_norm(
        &self,
        gamma: &Bound<'_, PyAny>,
        beta: &Bound<'_, PyAny>,
        moving_mean: Option<Vec<f32>>,
        moving_variance: Option<Vec<f32>>,
        epsilon: f32,
        axis: isize,
    ) -> PyResult<PyTensor> {
        let g = to_tensor(gamma, "batch_norm")?;
        let b = to_tensor(beta, "batch_norm")?;
        let y = match (moving_mean, moving_variance) {
            (Some(m), Some(v)) => self.t.batch_norm_infer_axis(&g, &b, &m, &v, epsilon, axis),
            _ => self
                .t
                .batch_norm_train_axis(&g, &b, epsilon, axis)
                .map(|r| r.0),
        };
        Ok(PyTensor::wrap(y.py_err()?))
    }
}
