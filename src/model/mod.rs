//! The model: a graph of layers (graph.rs), its compile state and one-batch steps (steps.rs), and
//! the gradient hook a step can run between backward and the update (grad_hook.rs), and the
//! per-layer gradient statistics it can record (grad_monitor.rs).
mod grad_hook;
mod grad_monitor;
mod graph;
mod steps;

pub use grad_hook::GradHook;
pub use grad_monitor::{GradMonitor, LayerStats, Record};
pub use graph::{Graph, Node, OutputValue};
pub use steps::{Batch, Compiled, Head, StepOut, Trained};
