//! The model: a graph of layers (graph.rs) and its compile state and one-batch steps (steps.rs).
mod graph;
mod steps;

pub use graph::{Graph, Node, OutputValue};
pub use steps::{Batch, Compiled, Head, StepOut, Trained};
