//! The model as a graph of layers: nodes in topological order, each naming the nodes it reads.
//! Sequential is the chain case; merges (Add, Concatenate, ...) are layers with several inputs; a
//! shared layer is one entry of `layers` used by several nodes, so its weights are shared.
use crate::error::{Error, Result};
use crate::layers::{Activation, Layer};
use crate::tensor::Tensor;
use std::sync::Arc;

/// One application of a layer (`layer: None` marks a model input).
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub layer: Option<usize>,
    pub inputs: Vec<usize>,
}

#[derive(Clone, Default)]
pub struct Graph {
    pub layers: Vec<Arc<dyn Layer>>,
    pub nodes: Vec<Node>,
    pub inputs: Vec<usize>,
    pub outputs: Vec<usize>,
}

/// What one output node produced: its value, or (for a fusable final softmax/sigmoid) its logits
/// and the activation held back, so cross-entropy can be computed from the logits.
#[derive(Clone)]
pub struct OutputValue {
    pub logits: Tensor,
    pub act: Activation,
}

fn at(node: usize, l: &dyn Layer) -> String {
    format!("node {node} ({})", l.kind())
}

impl Graph {
    /// `layers` applied one after the other to one input (Sequential).
    pub fn chain(layers: Vec<Arc<dyn Layer>>) -> Graph {
        let mut nodes = vec![Node {
            layer: None,
            inputs: vec![],
        }];
        nodes.extend((0..layers.len()).map(|i| Node {
            layer: Some(i),
            inputs: vec![i],
        }));
        let last = nodes.len() - 1;
        Graph {
            layers,
            nodes,
            inputs: vec![0],
            outputs: vec![last],
        }
    }

    /// A checked graph: every node reads only earlier nodes, input nodes read nothing and are all
    /// listed in `inputs`, and every index is in range.
    pub fn new(
        layers: Vec<Arc<dyn Layer>>,
        nodes: Vec<Node>,
        inputs: Vec<usize>,
        outputs: Vec<usize>,
    ) -> Result<Graph> {
        let bad = |m: String| Err(Error::invalid("Model", m));
        for (i, n) in nodes.iter().enumerate() {
            match n.layer {
                Some(l) if l >= layers.len() => {
                    return bad(format!("node {i} names layer {l} of {}", layers.len()))
                }
                Some(_) if n.inputs.is_empty() => return bad(format!("node {i} has no inputs")),
                None if !n.inputs.is_empty() => {
                    return bad(format!("input node {i} must not read other nodes"))
                }
                None if !inputs.contains(&i) => {
                    return bad(format!("input node {i} is not among the model's inputs"))
                }
                _ => {}
            }
            if let Some(&j) = n.inputs.iter().find(|&&j| j >= i) {
                return bad(format!(
                    "node {i} reads node {j}: nodes must be in topological order"
                ));
            }
        }
        for &i in &inputs {
            if nodes.get(i).is_none_or(|n| n.layer.is_some()) {
                return bad(format!("model input {i} is not an input node"));
            }
        }
        if outputs.is_empty() {
            return bad("a model needs at least one output".into());
        }
        if let Some(&o) = outputs.iter().find(|&&o| o >= nodes.len()) {
            return bad(format!("output node {o} of {} nodes", nodes.len()));
        }
        Ok(Graph {
            layers,
            nodes,
            inputs,
            outputs,
        })
    }

    /// Every layer's trainable parameters, in layer order.
    pub fn params(&self) -> Vec<Tensor> {
        self.layers.iter().flat_map(|l| l.params()).collect()
    }

    fn check_inputs(&self, xs: &[Tensor]) -> Result<()> {
        if xs.len() != self.inputs.len() {
            return Err(Error::invalid(
                "Model",
                format!(
                    "the model has {} inputs but got {} arrays",
                    self.inputs.len(),
                    xs.len()
                ),
            ));
        }
        if let Some(n) = xs.first().map(|x| x.shape().first().copied().unwrap_or(1)) {
            if let Some(x) = xs
                .iter()
                .find(|x| x.shape().first().copied().unwrap_or(1) != n)
            {
                return Err(Error::shape(
                    "Model",
                    format!(
                        "all inputs need the same number of samples: {n} and {}",
                        x.shape().first().copied().unwrap_or(1)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The outputs for inputs `xs`. `training(layer)` says whether that layer runs in training
    /// mode; `logits` asks each output node to hold back a final softmax/sigmoid.
    pub fn run(
        &self,
        xs: &[Tensor],
        training: &dyn Fn(usize) -> bool,
        logits: bool,
    ) -> Result<Vec<OutputValue>> {
        Ok(self.run_collecting(xs, training, logits, false)?.0)
    }

    /// `run`, and (when `activity`) the sum of the activity penalties of the outputs of the
    /// layers that carry an activity regularizer, each divided by its batch size (Keras 3).
    pub fn run_collecting(
        &self,
        xs: &[Tensor],
        training: &dyn Fn(usize) -> bool,
        logits: bool,
        activity: bool,
    ) -> Result<(Vec<OutputValue>, Option<Tensor>)> {
        self.check_inputs(xs)?;
        let mut penalty: Option<Tensor> = None;
        let mut values: Vec<Option<Tensor>> = vec![None; self.nodes.len()];
        let mut held: Vec<Option<OutputValue>> = (0..self.nodes.len()).map(|_| None).collect();
        for (k, &i) in self.inputs.iter().enumerate() {
            values[i] = Some(xs[k].clone());
        }
        // How many later nodes read each node: an output node read by no one may keep its logits.
        let mut readers = vec![0usize; self.nodes.len()];
        for n in &self.nodes {
            n.inputs.iter().for_each(|&j| readers[j] += 1);
        }
        for (i, n) in self.nodes.iter().enumerate() {
            let Some(l) = n.layer else { continue };
            let layer = self.layers[l].as_ref();
            let ins = n
                .inputs
                .iter()
                .map(|&j| values[j].clone())
                .collect::<Option<Vec<Tensor>>>()
                .ok_or_else(|| Error::invalid("Model", format!("node {i} reads an unset node")))?;
            let mode = training(l);
            let reg = if activity { layer.activity() } else { None };
            // A layer whose output is regularized hands on its activated output, not its logits.
            let hold = logits
                && reg.is_none()
                && readers[i] == 0
                && ins.len() == 1
                && self.outputs.contains(&i);
            if hold {
                let (z, act) = layer
                    .forward_logits(&ins[0], mode)
                    .map_err(|e| e.context(&at(i, layer)))?;
                held[i] = Some(OutputValue { logits: z, act });
            } else {
                let v = layer
                    .forward_many(&ins, mode)
                    .map_err(|e| e.context(&at(i, layer)))?;
                if let Some(r) = reg {
                    let p = r.activity_penalty(&v)?;
                    penalty = Some(match penalty {
                        None => p,
                        Some(t) => t.add(&p)?,
                    });
                }
                values[i] = Some(v);
            }
        }
        let outs = self
            .outputs
            .iter()
            .map(|&o| {
                if let Some(h) = held[o].clone() {
                    return Ok(h);
                }
                let v = values[o]
                    .clone()
                    .ok_or_else(|| Error::invalid("Model", format!("output node {o} unset")))?;
                Ok(OutputValue {
                    logits: v,
                    act: Activation::Linear,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((outs, penalty))
    }

    /// The outputs, every layer in the same mode.
    pub fn forward(&self, xs: &[Tensor], training: bool) -> Result<Vec<Tensor>> {
        self.run(xs, &|_| training, false)?
            .into_iter()
            .map(|o| Ok(o.logits))
            .collect()
    }
}
