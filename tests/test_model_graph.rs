//! The model graph without Python: residual, two-input two-output and shared-layer models give the
//! values and gradients of a forward/backward written out by hand; a frozen layer does not move;
//! the gradient hook sees the packed gradients before the update.
use rustgrad::layers::{Activation, Dense, Layer, Merge, MergeKind};
use rustgrad::losses::Loss;
use rustgrad::model::{Compiled, GradHook, Graph, Head, Node};
use rustgrad::optimizers::{Clip, OptimizerState, Sgd};
use rustgrad::Tensor;
use std::sync::Arc;

fn t(v: &[f32], shape: &[usize]) -> Tensor {
    Tensor::new(v.to_vec(), shape.to_vec()).unwrap()
}

fn dense(kernel: &[f32], inp: usize, units: usize) -> Arc<Dense> {
    let d = Dense::new(inp, units, Activation::Linear, false);
    d.kernel.data_mut().copy_from_slice(kernel);
    Arc::new(d)
}

fn node(layer: Option<usize>, inputs: &[usize]) -> Node {
    Node {
        layer,
        inputs: inputs.to_vec(),
    }
}

fn sgd() -> OptimizerState {
    OptimizerState::new(Box::new(Sgd::new(0.0, false)), Clip::default(), 0.0).unwrap()
}

fn mse(weight: f32) -> Head {
    Head {
        loss: Loss::MeanSquaredError,
        weight,
        metrics: vec![],
    }
}

fn close(a: &[f32], b: &[f32]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() < 1e-5, "{a:?} vs {b:?}");
    }
}

#[test]
fn residual_block_matches_hand_backprop() {
    // y = x + x·W (2 features); loss = mean((y - t)^2) over the 2 columns of 1 sample.
    let w = dense(&[1.0, 2.0, 0.5, -1.0], 2, 2);
    let layers: Vec<Arc<dyn Layer>> = vec![w.clone(), Arc::new(Merge(MergeKind::Add))];
    let g = Graph::new(
        layers,
        vec![node(None, &[]), node(Some(0), &[0]), node(Some(1), &[0, 1])],
        vec![0],
        vec![2],
    )
    .unwrap();
    let x = t(&[1.0, 2.0], &[1, 2]);
    let target = t(&[0.0, 0.0], &[1, 2]);
    // x·W = [1·1 + 2·0.5, 1·2 + 2·(-1)] = [2, 0]; y = [3, 2].
    close(
        &g.forward(std::slice::from_ref(&x), false).unwrap()[0].to_vec(),
        &[3.0, 2.0],
    );
    let mut c = Compiled::new(&g, vec![mse(1.0)], sgd(), &[]).unwrap();
    let out = g.train_step(&mut c, &[x], &[target], None, 1.0).unwrap();
    assert!((out.loss - 6.5).abs() < 1e-6); // (9 + 4) / 2
                                            // dL/dy = y (2/2 · y); dL/dW = xᵀ·dy = [[3, 2], [6, 4]]; W ← W − dL/dW.
    close(
        &w.kernel.to_vec(),
        &[1.0 - 3.0, 2.0 - 2.0, 0.5 - 6.0, -1.0 - 4.0],
    );
}

#[test]
fn two_inputs_two_outputs_with_a_shared_layer_and_loss_weights() {
    // a, b: inputs of 1 feature; s = shared Dense(1) applied to both; out1 = s(a) + s(b),
    // out2 = s(b). Loss = 1·mse(out1, 0) + 0.5·mse(out2, 0).
    let s = dense(&[2.0], 1, 1);
    let layers: Vec<Arc<dyn Layer>> = vec![s.clone(), Arc::new(Merge(MergeKind::Add))];
    let nodes = vec![
        node(None, &[]),
        node(None, &[]),
        node(Some(0), &[0]),
        node(Some(0), &[1]),
        node(Some(1), &[2, 3]),
    ];
    let g = Graph::new(layers, nodes, vec![0, 1], vec![4, 3]).unwrap();
    let (a, b) = (t(&[1.0], &[1, 1]), t(&[3.0], &[1, 1]));
    let outs = g.forward(&[a.clone(), b.clone()], false).unwrap();
    close(&outs[0].to_vec(), &[8.0]);
    close(&outs[1].to_vec(), &[6.0]);
    let zero = t(&[0.0], &[1, 1]);
    let mut c = Compiled::new(&g, vec![mse(1.0), mse(0.5)], sgd(), &[]).unwrap();
    let out = g
        .train_step(&mut c, &[a, b], &[zero.clone(), zero], None, 0.01)
        .unwrap();
    assert!((out.loss - (64.0 + 0.5 * 36.0)).abs() < 1e-4);
    // Per-output losses come first in the statistics: (loss · rows, rows).
    assert_eq!(out.stats, vec![(64.0, 1.0), (36.0, 1.0)]);
    // dL/dw = 2·8·(1 + 3) + 0.5·2·6·3 = 64 + 18 = 82.
    close(&s.kernel.to_vec(), &[2.0 - 0.82]);
}

#[test]
fn a_frozen_layer_keeps_its_weights_and_gets_no_gradient() {
    let (first, second) = (dense(&[1.0, 1.0], 1, 2), dense(&[1.0, 1.0], 2, 1));
    let g = Graph::chain(vec![first.clone(), second.clone()]);
    let mut c = Compiled::new(&g, vec![mse(1.0)], sgd(), &[0]).unwrap();
    let x = t(&[1.0, 2.0], &[2, 1]);
    let y = t(&[0.0, 0.0], &[2, 1]);
    g.train_step(&mut c, &[x], &[y], None, 0.1).unwrap();
    assert_eq!(first.kernel.to_vec(), vec![1.0, 1.0]);
    assert!(first.kernel.grad().is_none());
    assert_ne!(second.kernel.to_vec(), vec![1.0, 1.0]);
}

#[test]
fn graphs_out_of_order_or_with_a_wrong_count_are_refused() {
    let d: Arc<dyn Layer> = dense(&[1.0], 1, 1);
    let unordered = Graph::new(
        vec![d.clone()],
        vec![node(Some(0), &[1]), node(None, &[])],
        vec![1],
        vec![0],
    );
    assert!(unordered.err().unwrap().to_string().contains("topological"));
    let g = Graph::chain(vec![d]);
    let err = g.forward(&[], false).unwrap_err().to_string();
    assert!(err.contains("1 inputs but got 0"), "{err}");
    let err = Compiled::new(&g, vec![mse(1.0), mse(1.0)], sgd(), &[])
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("1 outputs but got 2 losses"), "{err}");
}

#[test]
fn many_batches_stop_between_batches_and_keep_the_finished_ones() {
    let d = dense(&[1.0], 1, 1);
    let g = Graph::chain(vec![d.clone()]);
    let mut c = Compiled::new(&g, vec![mse(1.0)], sgd(), &[]).unwrap();
    let batch = |b: usize| -> rustgrad::Result<rustgrad::model::Batch> {
        if b == 2 {
            // A bad batch (targets of the wrong width) ends the run with its error.
            return Ok((
                vec![t(&[1.0], &[1, 1])],
                vec![t(&[0.0, 0.0], &[1, 2])],
                None,
            ));
        }
        Ok((vec![t(&[1.0], &[1, 1])], vec![t(&[0.0], &[1, 1])], None))
    };
    let go = std::sync::atomic::AtomicBool::new(false);
    let out = g.train_many(&mut c, &[0.1; 4], batch, &go);
    assert_eq!(out.losses.len(), 2);
    assert!(out.error.is_some());
    // Two SGD steps of w ← w − 0.1·2w: 1 → 0.8 → 0.64.
    close(&d.kernel.to_vec(), &[0.64]);
    let stop = std::sync::atomic::AtomicBool::new(true);
    let none = g.train_many(&mut c, &[0.1; 4], batch, &stop);
    assert!(none.losses.is_empty() && none.error.is_none());
    close(&d.kernel.to_vec(), &[0.64]);
}

/// Sees the packed gradients, then halves them (rows left alone).
struct Halve(std::sync::Mutex<Vec<f32>>);
impl GradHook for Halve {
    fn reduce(&self, buf: &mut [f32]) -> rustgrad::Result<()> {
        *self.0.lock().unwrap() = buf.to_vec();
        let n = buf.len() - 1;
        buf[..n].iter_mut().for_each(|g| *g *= 0.5);
        Ok(())
    }
}

#[test]
fn the_gradient_hook_runs_between_backward_and_the_update() {
    // The residual block above: dL/dW = [[3, 2], [6, 4]] on 1 row; the hook halves it.
    let w = dense(&[1.0, 2.0, 0.5, -1.0], 2, 2);
    let layers: Vec<Arc<dyn Layer>> = vec![w.clone(), Arc::new(Merge(MergeKind::Add))];
    let nodes = vec![node(None, &[]), node(Some(0), &[0]), node(Some(1), &[0, 1])];
    let g = Graph::new(layers, nodes, vec![0], vec![2]).unwrap();
    let mut c = Compiled::new(&g, vec![mse(1.0)], sgd(), &[]).unwrap();
    let hook = Arc::new(Halve(std::sync::Mutex::new(Vec::new())));
    c.grad_hook = Some(Box::new(ArcHook(hook.clone())));
    let (x, target) = (t(&[1.0, 2.0], &[1, 2]), t(&[0.0, 0.0], &[1, 2]));
    g.train_step(&mut c, &[x], &[target], None, 1.0).unwrap();
    assert_eq!(*hook.0.lock().unwrap(), [3.0, 2.0, 6.0, 4.0, 1.0]);
    close(
        &w.kernel.to_vec(),
        &[1.0 - 1.5, 2.0 - 1.0, 0.5 - 3.0, -1.0 - 2.0],
    );
}

struct ArcHook(Arc<Halve>);
impl GradHook for ArcHook {
    fn reduce(&self, buf: &mut [f32]) -> rustgrad::Result<()> {
        self.0.reduce(buf)
    }
}
