//! Weight options in the train step without Python: a constraint projects the kernel after the
//! update, an activity regularizer adds its penalty / batch size to the loss and to the gradient.
use rustgrad::layers::{Activation, Constraint, Dense, Layer, Regularizer, Weighted};
use rustgrad::losses::Loss;
use rustgrad::model::{Compiled, Graph, Head};
use rustgrad::optimizers::{Clip, OptimizerState, Sgd};
use rustgrad::Tensor;
use std::sync::Arc;

fn t(v: &[f32], shape: &[usize]) -> Tensor {
    Tensor::new(v.to_vec(), shape.to_vec()).unwrap()
}

fn sgd() -> OptimizerState {
    OptimizerState::new(Box::new(Sgd::new(0.0, false)), Clip::default(), 0.0).unwrap()
}

fn mse() -> Vec<Head> {
    vec![Head {
        loss: Loss::MeanSquaredError,
        weight: 1.0,
        metrics: vec![],
    }]
}

fn weighted(d: Dense, c: Option<Constraint>, activity: Option<Regularizer>) -> Arc<Weighted> {
    Arc::new(Weighted {
        inner: Arc::new(d),
        regularizers: vec![],
        constraints: vec![c],
        activity,
    })
}

#[test]
fn max_norm_holds_after_every_step() {
    let d = Dense::new(3, 2, Activation::Linear, false);
    d.kernel.data_mut().copy_from_slice(&[0.1; 6]);
    let kernel = d.kernel.clone();
    let c = Constraint::MaxNorm {
        max_value: 0.5,
        axes: vec![0],
    };
    let layers: Vec<Arc<dyn Layer>> = vec![weighted(d, Some(c), None)];
    let g = Graph::chain(layers);
    let mut comp = Compiled::new(&g, mse(), sgd(), &[]).unwrap();
    let x = t(&[1.0, 2.0, 3.0, -1.0, 0.5, 2.0], &[2, 3]);
    let y = t(&[10.0, -10.0, 8.0, 5.0], &[2, 2]);
    for _ in 0..5 {
        g.train_step(
            &mut comp,
            std::slice::from_ref(&x),
            std::slice::from_ref(&y),
            None,
            0.1,
        )
        .unwrap();
        let k = kernel.to_vec();
        for col in 0..2 {
            let n: f32 = (0..3).map(|r| k[r * 2 + col].powi(2)).sum::<f32>().sqrt();
            assert!(n <= 0.5 + 1e-6, "column {col} norm {n}");
        }
    }
}

#[test]
fn activity_penalty_is_added_per_sample_in_train_and_eval() {
    // y = x·w (one unit, w = 2); loss = mean((y − 0)²) + 0.5·Σy² / batch.
    let d = Dense::new(1, 1, Activation::Linear, false);
    d.kernel.data_mut()[0] = 2.0;
    let kernel = d.kernel.clone();
    let reg = Regularizer { l1: 0.0, l2: 0.5 };
    let g = Graph::chain(vec![weighted(d, None, Some(reg)) as Arc<dyn Layer>]);
    let mut comp = Compiled::new(&g, mse(), sgd(), &[]).unwrap();
    let (x, y) = (t(&[1.0, 3.0], &[2, 1]), t(&[0.0, 0.0], &[2, 1]));
    // outputs 2, 6: mse = 20, activity = 0.5·40/2 = 10.
    let e = g
        .eval_step(
            &comp.heads,
            std::slice::from_ref(&x),
            std::slice::from_ref(&y),
            None,
        )
        .unwrap();
    assert!((e.loss - 30.0).abs() < 1e-4, "{}", e.loss);
    let s = g.train_step(&mut comp, &[x], &[y], None, 0.01).unwrap();
    assert!((s.loss - 30.0).abs() < 1e-4);
    // dL/dw = Σ (2/2)·y·x + 0.5·2·Σ y·x / 2 = 20 + 10 = 30.
    assert!((kernel.to_vec()[0] - (2.0 - 0.3)).abs() < 1e-5);
}

#[test]
fn a_frozen_layer_is_not_projected() {
    // Keras projects only the variables the optimizer updated: layer 0 is frozen.
    let d = Dense::new(2, 2, Activation::Linear, false);
    d.kernel.data_mut().copy_from_slice(&[-1.0, 2.0, 0.5, -0.5]);
    let frozen = d.kernel.clone();
    let e = Dense::new(2, 1, Activation::Linear, false);
    e.kernel.data_mut().copy_from_slice(&[-1.0, -2.0]);
    let trained = e.kernel.clone();
    let g = Graph::chain(vec![
        weighted(d, Some(Constraint::NonNeg), None) as Arc<dyn Layer>,
        weighted(e, Some(Constraint::NonNeg), None),
    ]);
    let mut comp = Compiled::new(&g, mse(), sgd(), &[0]).unwrap();
    let (x, y) = (t(&[1.0, 1.0], &[1, 2]), t(&[0.0], &[1, 1]));
    g.train_step(&mut comp, &[x], &[y], None, 0.01).unwrap();
    assert_eq!(frozen.to_vec(), vec![-1.0, 2.0, 0.5, -0.5]);
    assert!(trained.to_vec().iter().all(|&v| v >= 0.0));
}
