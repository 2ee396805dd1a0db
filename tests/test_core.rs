//! Core guarantees without Python: deep graphs, reused nodes, freed graphs, and a small model that trains.
use rustgrad::error::Error;
use rustgrad::init::{manual_seed, Rng};
use rustgrad::layers::{Activation, Dense, Layer};
use rustgrad::losses::Loss;
use rustgrad::metrics::Metric;
use rustgrad::model::{Compiled, Graph, Head};
use rustgrad::optimizers::{Adam, Clip, OptimizerState};
use rustgrad::Tensor;
use std::sync::Arc;

fn leaf(values: &[f32], shape: &[usize]) -> Tensor {
    Tensor::new(values.to_vec(), shape.to_vec())
        .unwrap()
        .with_grad()
}

#[test]
fn million_op_chain_runs_backward_and_drops_without_overflow() {
    const N: usize = 1_000_000;
    let x = leaf(&[0.5], &[1]);
    let mut y = x.clone();
    for _ in 0..N {
        // d(y*1 + 0)/dy = 1 per step; alternate ops so both kinds of node are in the chain.
        y = y.mul_scalar(1.0).add_scalar(0.0);
    }
    y.backward(None, false).unwrap();
    assert_eq!(x.grad().unwrap().to_vec(), vec![1.0]);
    // A second chain is dropped without backward: the iterative Drop must unlink it.
    let mut z = x.clone();
    for _ in 0..N {
        z = z.add_scalar(1.0);
    }
    assert_eq!(z.to_vec(), vec![0.5 + N as f32]);
    drop(z);
    drop(y);
}

#[test]
fn reused_node_accumulates() {
    let a = leaf(&[1.0], &[]);
    let b = a.add(&a).unwrap();
    let c = b.add(&b).unwrap();
    c.backward(None, false).unwrap();
    assert_eq!(a.grad().unwrap().to_vec(), vec![4.0]);
    // Diamond: d = a*a + a*a through two different paths.
    let a = leaf(&[3.0], &[]);
    let sq = a.mul(&a).unwrap();
    let d = sq.add(&sq.mul_scalar(2.0)).unwrap();
    d.backward(None, false).unwrap();
    // d = 3a², dd/da = 6a = 18.
    assert_eq!(a.grad().unwrap().to_vec(), vec![18.0]);
}

#[test]
fn second_backward_through_freed_graph_names_retain_graph() {
    let a = leaf(&[2.0], &[]);
    let y = a.mul(&a).unwrap().exp();
    y.backward(None, false).unwrap();
    let err = y.backward(None, false).unwrap_err();
    assert!(matches!(err, Error::Graph(_)), "{err:?}");
    assert!(err.to_string().contains("retain_graph"), "{err}");

    let b = leaf(&[2.0], &[]);
    let z = b.mul(&b).unwrap();
    z.backward(None, true).unwrap();
    z.backward(None, true).unwrap();
    // Retained graph: two backwards add up, 2·(2b) = 8.
    assert_eq!(b.grad().unwrap().to_vec(), vec![8.0]);
}

#[test]
fn backward_on_non_scalar_without_grad_is_an_error() {
    let a = leaf(&[1.0, 2.0], &[2]);
    let y = a.mul_scalar(3.0);
    let err = y.backward(None, false).unwrap_err();
    assert!(err.to_string().contains("(2,)"), "{err}");
    y.backward(Some(vec![1.0, 1.0]), false).unwrap();
    assert_eq!(a.grad().unwrap().to_vec(), vec![3.0, 3.0]);
}

/// Points in [-1, 1]²; class 1 inside the circle of radius 0.6, else class 0.
fn circle_data(n: usize, seed: u64) -> (Tensor, Tensor) {
    let mut rng = Rng::new(seed);
    let mut x = Vec::with_capacity(2 * n);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let (a, b) = (2.0 * rng.uniform() - 1.0, 2.0 * rng.uniform() - 1.0);
        x.extend([a, b]);
        y.push(if a * a + b * b < 0.36 { 1.0 } else { 0.0 });
    }
    (
        Tensor::new(x, vec![n, 2]).unwrap(),
        Tensor::new(y, vec![n]).unwrap(),
    )
}

#[test]
fn two_layer_mlp_fits_a_nonlinear_problem() {
    manual_seed(7);
    let hidden: Arc<dyn Layer> = Arc::new(Dense::new(
        2,
        32,
        Activation::from_name("tanh").unwrap(),
        true,
    ));
    let out: Arc<dyn Layer> = Arc::new(Dense::new(
        32,
        2,
        Activation::from_name("softmax").unwrap(),
        true,
    ));
    let model = Graph::chain(vec![hidden, out]);
    let heads = vec![Head {
        loss: Loss::SparseCategoricalCrossentropy { from_logits: false },
        weight: 1.0,
        metrics: vec![Metric::SparseCategoricalAccuracy],
    }];
    let opt = OptimizerState::new(
        Box::new(Adam::new(0.9, 0.999, 1e-7, false)),
        Clip::default(),
        0.0,
    )
    .unwrap();
    let mut c = Compiled::new(&model, heads.clone(), opt, &[]).unwrap();
    let (x, y) = circle_data(256, 1);
    let (xs, ys) = ([x], [y]);
    let first = model.eval_step(&heads, &xs, &ys, None).unwrap();
    for _ in 0..600 {
        model.train_step(&mut c, &xs, &ys, None, 0.02).unwrap();
    }
    let last = model.eval_step(&heads, &xs, &ys, None).unwrap();
    let acc = last.stats[0].0 / last.stats[0].1;
    assert!(
        last.loss < 0.15 && last.loss < first.loss / 4.0,
        "loss {} -> {}",
        first.loss,
        last.loss
    );
    assert!(acc > 0.95, "accuracy {acc}");
    // Held-out points from the same distribution: the fit generalises, not memorises.
    let (xt, yt) = circle_data(256, 2);
    let test = model.eval_step(&heads, &[xt], &[yt], None).unwrap();
    assert!(test.stats[0].0 / test.stats[0].1 > 0.9, "{:?}", test.stats);
}
