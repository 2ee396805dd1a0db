//! The recurrent layers without Python: Keras' orthogonal initial state kernel, gradients through
//! time against central differences, and an LSTM that learns to carry a value across a sequence.
use rustgrad::init::{manual_seed, orthogonal, Rng};
use rustgrad::layers::{Activation, Cell, Dense, Layer, Recurrent, RecurrentOptions};
use rustgrad::losses::Loss;
use rustgrad::model::{Compiled, Graph, Head};
use rustgrad::optimizers::{Adam, Clip, OptimizerState};
use rustgrad::Tensor;
use std::sync::Arc;

fn options(sequences: bool, backwards: bool) -> RecurrentOptions {
    RecurrentOptions {
        activation: Activation::from_name("tanh").unwrap(),
        recurrent_activation: Activation::from_name("sigmoid").unwrap(),
        use_bias: true,
        return_sequences: sequences,
        go_backwards: backwards,
        dropout: 0.0,
        recurrent_dropout: 0.0,
        unit_forget_bias: true,
    }
}

fn random(rng: &mut Rng, shape: &[usize]) -> Tensor {
    let n = shape.iter().product();
    Tensor::new((0..n).map(|_| rng.normal()).collect(), shape.to_vec()).unwrap()
}

#[test]
fn orthogonal_has_orthonormal_rows_when_wide_and_columns_when_tall() {
    for (shape, wide) in [(vec![3, 12], true), (vec![9, 4], false), (vec![5, 5], true)] {
        let w = orthogonal(&shape).to_vec();
        let (r, c) = (shape[0], shape[1]);
        let n = r.min(c);
        for i in 0..n {
            for j in 0..n {
                let dot: f32 = if wide {
                    (0..c).map(|k| w[i * c + k] * w[j * c + k]).sum()
                } else {
                    (0..r).map(|k| w[k * c + i] * w[k * c + j]).sum()
                };
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((dot - want).abs() < 1e-5, "{shape:?} ({i}, {j}): {dot}");
            }
        }
    }
}

#[test]
fn gradients_through_time_equal_central_differences() {
    let cells = [
        Cell::Simple,
        Cell::Lstm,
        Cell::Gru { reset_after: true },
        Cell::Gru { reset_after: false },
    ];
    let mut rng = Rng::new(3);
    for cell in cells {
        for (seq, back) in [(false, false), (true, true)] {
            let layer = Recurrent::new(cell, 2, 3, options(seq, back), 0).unwrap();
            let x = random(&mut rng, &[2, 4, 2]);
            let loss = |l: &Recurrent| -> f32 {
                let y = l.forward(&x, false).unwrap().to_vec();
                y.iter().map(|v| v * v).sum()
            };
            let y = layer.forward(&x, false).unwrap();
            y.mul(&y).unwrap().sum().backward(None, false).unwrap();
            for w in layer.params() {
                let g = w.grad().unwrap().to_vec();
                for (i, &gi) in g.iter().enumerate() {
                    let keep = w.to_vec()[i];
                    let eps = 1e-2;
                    w.data_mut()[i] = keep + eps;
                    let up = loss(&layer);
                    w.data_mut()[i] = keep - eps;
                    let down = loss(&layer);
                    w.data_mut()[i] = keep;
                    let num = (up - down) / (2.0 * eps);
                    assert!(
                        (gi - num).abs() < 2e-2 * (1.0 + num.abs()),
                        "{cell:?} seq {seq}: weight {:?}[{i}] grad {gi} vs {num}",
                        w.shape()
                    );
                }
            }
        }
    }
}

#[test]
fn wrong_shapes_are_refused_by_name() {
    let layer = Recurrent::new(Cell::Lstm, 3, 2, options(false, false), 0).unwrap();
    let msg = layer
        .forward(&Tensor::zeros(&[2, 3]), false)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("LSTM") && msg.contains("timesteps"), "{msg}");
    assert!(layer.forward(&Tensor::zeros(&[2, 4, 2]), false).is_err());
    let mut bad = options(false, false);
    bad.dropout = 1.0;
    assert!(Recurrent::new(Cell::Simple, 3, 2, bad, 0).is_err());
    assert!(Recurrent::new(Cell::Simple, 3, 0, options(false, false), 0).is_err());
}

#[test]
fn an_lstm_learns_to_carry_the_first_value_to_the_end() {
    // y = x[0] + x[last]: only a state carried across all the steps can give it.
    manual_seed(5);
    let (n, t) = (256, 6);
    let mut rng = Rng::new(9);
    let xs: Vec<f32> = (0..n * t).map(|_| rng.uniform() * 2.0 - 1.0).collect();
    let ys: Vec<f32> = (0..n).map(|i| xs[i * t] + xs[i * t + t - 1]).collect();
    let x = Tensor::new(xs, vec![n, t, 1]).unwrap();
    let y = Tensor::new(ys, vec![n, 1]).unwrap();
    let lstm: Arc<dyn Layer> =
        Arc::new(Recurrent::new(Cell::Lstm, 1, 12, options(false, false), 0).unwrap());
    let out: Arc<dyn Layer> = Arc::new(Dense::new(12, 1, Activation::Linear, true));
    let model = Graph::chain(vec![lstm, out]);
    let heads = vec![Head {
        loss: Loss::MeanSquaredError,
        weight: 1.0,
        metrics: vec![],
    }];
    let opt = OptimizerState::new(
        Box::new(Adam::new(0.9, 0.999, 1e-7, false)),
        Clip::default(),
        0.0,
    )
    .unwrap();
    let mut c = Compiled::new(&model, heads.clone(), opt, &[]).unwrap();
    let (xs, ys) = ([x], [y]);
    let first = model.eval_step(&heads, &xs, &ys, None).unwrap().loss;
    for _ in 0..300 {
        model.train_step(&mut c, &xs, &ys, None, 0.02).unwrap();
    }
    let last = model.eval_step(&heads, &xs, &ys, None).unwrap().loss;
    assert!(last < first / 10.0, "loss {first} -> {last}");
}

#[test]
fn the_recurrence_op_with_a_dropout_mask_has_central_difference_gradients() {
    use rustgrad::ops::recurrence::Recurrence;
    use rustgrad::ops::Unary;
    let cells = [
        Cell::Simple,
        Cell::Lstm,
        Cell::Gru { reset_after: true },
        Cell::Gru { reset_after: false },
    ];
    let mut rng = Rng::new(11);
    let (t, b, u) = (3, 2, 2);
    for cell in cells {
        for backwards in [false, true] {
            let g = cell.gates() * u;
            let xw = random(&mut rng, &[t, b, g]).with_grad();
            let r = random(&mut rng, &[u, g]).with_grad();
            let rb = random(&mut rng, &[g]).with_grad();
            let mask = Tensor::new(vec![2.0, 0.0, 0.0, 2.0], vec![b, u]).unwrap();
            let spec = Recurrence {
                cell,
                activation: Unary::Tanh,
                recurrent: Unary::Sigmoid,
                backwards,
            };
            let with_rb = cell == Cell::Gru { reset_after: true };
            let run = || {
                let h = xw
                    .recurrence(&r, with_rb.then_some(&rb), Some(&mask), spec)
                    .unwrap();
                h.mul(&h).unwrap().sum()
            };
            run().backward(None, false).unwrap();
            let mut leaves = vec![&xw, &r];
            if with_rb {
                leaves.push(&rb);
            }
            for w in leaves {
                let grad = w.grad().unwrap().to_vec();
                for (i, &gi) in grad.iter().enumerate() {
                    let keep = w.to_vec()[i];
                    let eps = 1e-2;
                    w.data_mut()[i] = keep + eps;
                    let up = run().to_vec()[0];
                    w.data_mut()[i] = keep - eps;
                    let down = run().to_vec()[0];
                    w.data_mut()[i] = keep;
                    let num = (up - down) / (2.0 * eps);
                    assert!(
                        (gi - num).abs() < 2e-2 * (1.0 + num.abs()),
                        "{cell:?} backwards {backwards}: {:?}[{i}] grad {gi} vs {num}",
                        w.shape()
                    );
                }
            }
        }
    }
}
