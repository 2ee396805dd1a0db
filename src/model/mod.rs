//! The model: a graph of layers (graph.rs), its compile state and one-batch steps (steps.rs), and
//! the gradient hook a step can run between backward and the update (grad_hook.rs).
mod grad_hook;
mod graph;
mod steps;

pub use grad_hook::GradHook;
pub use graph::{Graph, Node, OutputValue};
pub use steps::{Batch, Compiled, Head, StepOut, Trained};
