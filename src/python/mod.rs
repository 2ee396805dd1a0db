//! The `rustgrad._core` extension module: registers classes, functions and exception types.
//! Thin skin only: convert arguments, call the core, convert back.
mod batch;
mod convert;
mod creation;
mod dtype;
pub mod errors;
mod grad_hook;
mod grad_monitor;
mod layers;
mod layers_conv;
mod layers_extra;
mod layers_more;
mod layers_recurrent;
mod metrics;
mod model;
mod model_args;
mod model_epoch;
mod optimizer;
mod optimizer_state;
mod tensor;
mod tensor_device;
mod tensor_graph;
mod tensor_inplace;
mod tensor_ops;
mod variable;

// Issue 13, the image augmentation layers' constructors.
mod layers_augment;

use convert::to_tensor;
use errors::IntoPy;
use pyo3::prelude::*;
use tensor::PyTensor;

use crate::tensor::Tensor;

/// Seed the generator rand, randn and the Rust initialisers draw from, as torch.manual_seed.
///
/// Args:
///     seed: any integer in [-2**63, 2**64); negative seeds wrap to u64 as in PyTorch.
///
/// Raises:
///     InvalidArgumentError: when `seed` is not such an integer.
#[pyfunction]
fn manual_seed(seed: &Bound<'_, PyAny>) -> PyResult<()> {
    let s = match seed.extract::<u64>() {
        Ok(s) => s,
        Err(_) => seed.extract::<i64>().map(|s| s as u64).map_err(|_| {
            errors::InvalidArgumentError::new_err(format!(
                "manual_seed: the seed must be an integer in [-2**63, 2**64), got {seed}"
            ))
        })?,
    };
    crate::init::manual_seed(s);
    Ok(())
}

/// Join tensors along an existing axis, as numpy.concatenate.
///
/// Args:
///     tensors: a sequence of Tensors whose shapes agree except along `axis`.
///     axis: the axis to join along.
///
/// Returns:
///     Tensor: the joined tensor; backward splits the gradient back.
///
/// Raises:
///     ShapeError: when the sequence is empty or the other axes differ.
#[pyfunction]
#[pyo3(signature = (tensors, axis = 0))]
fn concatenate(tensors: &Bound<'_, PyAny>, axis: isize) -> PyResult<PyTensor> {
    let ts = tensor_ops::tensor_list(tensors)?;
    Ok(PyTensor::wrap(Tensor::concatenate(&ts, axis).py_err()?))
}

/// torch.cat: `concatenate` under PyTorch's name, taking PyTorch's `dim=` or NumPy's `axis=`.
///
/// Args:
///     tensors: a sequence of Tensors whose shapes agree except along the axis.
///     dim: the axis to join along.
///     axis: NumPy's name for `dim` (give one of them).
///
/// Returns:
///     Tensor: the joined tensor.
///
/// Raises:
///     TypeError: when `dim` and `axis` disagree.
///     ShapeError: when the sequence is empty or the other axes differ.
#[pyfunction]
#[pyo3(signature = (tensors, dim = 0, *, axis = None))]
fn cat(tensors: &Bound<'_, PyAny>, dim: isize, axis: Option<isize>) -> PyResult<PyTensor> {
    let axis = match axis {
        Some(a) if dim != 0 && dim != a => {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "cat: got both dim={dim} and axis={a}; pass one of them"
            )))
        }
        Some(a) => a,
        None => dim,
    };
    concatenate(tensors, axis)
}

/// Join tensors of one shape along a new axis, as numpy.stack / torch.stack.
///
/// Args:
///     tensors: a sequence of Tensors of equal shape.
///     axis: the position of the new axis.
///
/// Returns:
///     Tensor: the stacked tensor.
///
/// Raises:
///     ShapeError: when the sequence is empty or the shapes differ.
#[pyfunction]
#[pyo3(signature = (tensors, axis = 0))]
fn stack(tensors: &Bound<'_, PyAny>, axis: isize) -> PyResult<PyTensor> {
    let ts = tensor_ops::tensor_list(tensors)?;
    Ok(PyTensor::wrap(Tensor::stack(&ts, axis).py_err()?))
}

/// One-hot rows for integer labels, as keras.utils.to_categorical.
///
/// Args:
///     labels: integer class indices (a Tensor, array or list).
///     num_classes: the number of classes, the length of each row.
///
/// Returns:
///     Tensor: float32 of shape labels.shape + (num_classes,).
///
/// Raises:
///     InvalidArgumentError: when `num_classes` is negative or a label is not an integer in
///         [0, num_classes).
#[pyfunction]
fn one_hot(labels: &Bound<'_, PyAny>, num_classes: i64) -> PyResult<PyTensor> {
    let l = to_tensor(labels, "one_hot")?;
    let num_classes = usize::try_from(num_classes).map_err(|_| {
        errors::InvalidArgumentError::new_err(format!(
            "one_hot: num_classes must be a positive number, got {num_classes}"
        ))
    })?;
    Ok(PyTensor::wrap(Tensor::one_hot(&l, num_classes).py_err()?))
}

/// Turn graph recording on or off for this thread; returns the previous mode.
#[pyfunction]
fn set_grad_enabled(mode: bool) -> bool {
    crate::autograd::set_grad_enabled(mode)
}

/// Whether ops record a graph on this thread (False inside `no_grad`).
///
/// Returns:
///     bool: the current mode.
#[pyfunction]
fn is_grad_enabled() -> bool {
    crate::autograd::is_grad_enabled()
}

/// Set the number of threads the big kernels use (the process-wide pool is replaced).
///
/// Args:
///     n: an int in [1, 65536].
///
/// Raises:
///     TypeError: when `n` is not an int.
///     InvalidArgumentError: when `n` is out of range.
#[pyfunction]
fn set_num_threads(n: &Bound<'_, PyAny>) -> PyResult<()> {
    if !n.is_instance_of::<pyo3::types::PyInt>() {
        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "set_num_threads: expected an int, got {}",
            n.get_type().name()?
        )));
    }
    let count = n
        .extract::<i64>()
        .ok()
        .and_then(|v| usize::try_from(v).ok())
        .filter(|v| (1..=1 << 16).contains(v))
        .ok_or_else(|| {
            errors::InvalidArgumentError::new_err(format!(
                "set_num_threads: the number of threads must be between 1 and 65536, got {n}"
            ))
        })?;
    crate::kernels::parallel::set_num_threads(count).py_err()
}

/// Go back to the default pool: RUSTGRAD_NUM_THREADS, else one thread per core, with the
/// busy-machine policy of a count nobody chose (what set_num_threads turns off).
#[pyfunction]
fn use_default_threads() -> PyResult<()> {
    crate::kernels::parallel::use_default_threads().py_err()
}

#[pyfunction]
/// The core's valid names of one kind ("loss", "metric", "optimizer", "activation", "merge").
fn registry_names(kind: &str) -> PyResult<Vec<&'static str>> {
    Ok(crate::registry::names(kind).py_err()?.to_vec())
}

/// The number of threads the big kernels use.
///
/// Returns:
///     int: the thread count set by set_num_threads or RUSTGRAD_NUM_THREADS, else the core count.
#[pyfunction]
fn get_num_threads() -> usize {
    crate::kernels::parallel::num_threads()
}

/// The SIMD level the hand-written kernels run at ("portable", "avx2" or "avx512").
#[pyfunction]
fn simd_level() -> &'static str {
    crate::kernels::simd_level::level().name()
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    // A bad RUSTGRAD_SIMD fails the import, before any kernel could run another path than asked.
    crate::kernels::simd_level::check().py_err()?;
    // So does a bad RUSTGRAD_CONV3X3.
    crate::kernels::conv_algorithm::check().py_err()?;
    crate::allocator::configure();
    // Cargo.toml holds the one version; maturin gives it to the wheel's metadata too.
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<PyTensor>()?;
    m.add_class::<variable::PyVariable>()?;
    m.add_class::<model::PyLayer>()?;
    m.add_class::<model::PyModel>()?;
    m.add_class::<optimizer::PyOptimizer>()?;
    m.add("ShapeError", py.get_type::<errors::ShapeError>())?;
    m.add(
        "InvalidArgumentError",
        py.get_type::<errors::InvalidArgumentError>(),
    )?;
    m.add("GraphError", py.get_type::<errors::GraphError>())?;
    m.add_function(wrap_pyfunction!(creation::new_tensor, m)?)?;
    m.add_function(wrap_pyfunction!(creation::zeros, m)?)?;
    m.add_function(wrap_pyfunction!(creation::ones, m)?)?;
    m.add_function(wrap_pyfunction!(creation::full, m)?)?;
    m.add_function(wrap_pyfunction!(creation::arange, m)?)?;
    m.add_function(wrap_pyfunction!(creation::linspace, m)?)?;
    m.add_function(wrap_pyfunction!(creation::eye, m)?)?;
    m.add_function(wrap_pyfunction!(creation::rand, m)?)?;
    m.add_function(wrap_pyfunction!(creation::randn, m)?)?;
    m.add_function(wrap_pyfunction!(creation::zeros_like, m)?)?;
    m.add_function(wrap_pyfunction!(creation::ones_like, m)?)?;
    m.add_function(wrap_pyfunction!(creation::full_like, m)?)?;
    m.add_function(wrap_pyfunction!(creation::rand_like, m)?)?;
    m.add_function(wrap_pyfunction!(creation::randn_like, m)?)?;
    m.add_function(wrap_pyfunction!(tensor_inplace::from_numpy, m)?)?;
    m.add_function(wrap_pyfunction!(tensor_inplace::grad, m)?)?;
    m.add_function(wrap_pyfunction!(manual_seed, m)?)?;
    m.add_function(wrap_pyfunction!(concatenate, m)?)?;
    m.add_function(wrap_pyfunction!(cat, m)?)?;
    m.add_function(wrap_pyfunction!(stack, m)?)?;
    m.add_function(wrap_pyfunction!(one_hot, m)?)?;
    m.add_function(wrap_pyfunction!(set_grad_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(is_grad_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(set_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(use_default_threads, m)?)?;
    m.add_function(wrap_pyfunction!(get_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(simd_level, m)?)?;
    m.add_function(wrap_pyfunction!(registry_names, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::metric_batch, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::metric_values, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::mean_batch, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::loss, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::reduce_loss, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::confusion_batch, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::f1_batch, m)?)?;
    Ok(())
}
