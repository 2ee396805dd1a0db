//! Constructors on `_core.Layer` for the recurrent layers (SimpleRNN, LSTM, GRU) and the
//! wrappers: Bidirectional, which joins two of them, and TimeDistributed.
use super::errors::IntoPy;
use super::model::PyLayer;
use crate::layers::{
    cell_from_name, Activation, Bidirectional, Merge, MergeKind, Recurrent, RecurrentOptions,
    TimeDistributed,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::sync::Arc;

#[pymethods]
impl PyLayer {
    /// `cell`: "SimpleRNN", "LSTM" or "GRU".
    #[staticmethod]
    #[pyo3(signature = (cell, features, units, activation, recurrent_activation, use_bias, return_sequences, go_backwards, dropout, recurrent_dropout, seed, unit_forget_bias = true, reset_after = true))]
    #[allow(clippy::too_many_arguments)]
    fn recurrent(
        cell: &str,
        features: usize,
        units: usize,
        activation: &str,
        recurrent_activation: &str,
        use_bias: bool,
        return_sequences: bool,
        go_backwards: bool,
        dropout: f32,
        recurrent_dropout: f32,
        seed: u64,
        unit_forget_bias: bool,
        reset_after: bool,
    ) -> PyResult<Self> {
        let options = RecurrentOptions {
            activation: Activation::from_name(activation).py_err()?,
            recurrent_activation: Activation::from_name(recurrent_activation).py_err()?,
            use_bias,
            return_sequences,
            go_backwards,
            dropout,
            recurrent_dropout,
            unit_forget_bias,
        };
        let cell = cell_from_name(cell, reset_after).py_err()?;
        let layer = Recurrent::new(cell, features, units, options, seed).py_err()?;
        Ok(PyLayer {
            inner: Arc::new(layer),
        })
    }
    /// Bidirectional over two recurrent layers (the second built with go_backwards), merged by
    /// `merge_mode`: "concat", "sum", "mul" or "ave".
    #[staticmethod]
    fn bidirectional(
        forward: &PyLayer,
        backward: &PyLayer,
        merge_mode: &str,
        return_sequences: bool,
    ) -> PyResult<Self> {
        let kind = match merge_mode {
            "concat" => MergeKind::Concatenate { axis: -1 },
            "sum" => MergeKind::Add,
            "mul" => MergeKind::Multiply,
            "ave" => MergeKind::Average,
            other => {
                return Err(PyValueError::new_err(format!(
                "Bidirectional: merge_mode must be 'concat', 'sum', 'mul' or 'ave', got '{other}'"
            )))
            }
        };
        Ok(PyLayer {
            inner: Arc::new(Bidirectional {
                forward: forward.inner.clone(),
                backward: backward.inner.clone(),
                merge: Merge(kind),
                return_sequences,
            }),
        })
    }
    /// TimeDistributed: `inner` on every step of a (batch, time, ...) input.
    #[staticmethod]
    fn time_distributed(inner: &PyLayer) -> Self {
        PyLayer {
            inner: Arc::new(TimeDistributed {
                inner: inner.inner.clone(),
            }),
        }
    }
}
