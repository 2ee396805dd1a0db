//! A measured step (`step_measured`, for the gradient monitor) changes the weights and slots
//! exactly as a plain `step` does, and its norms equal f64 sums over copies taken around it.
use super::*;

/// Every rule, in the configurations whose loops differ.
fn rules() -> Vec<Box<dyn Fn() -> Box<dyn Optimizer>>> {
    vec![
        Box::new(|| Box::new(Adam::new(0.9, 0.999, 1e-7, false))),
        Box::new(|| Box::new(Adam::new(0.9, 0.999, 1e-7, true))),
        Box::new(|| Box::new(Sgd::new(0.0, false))),
        Box::new(|| Box::new(Sgd::new(0.9, true))),
        Box::new(|| Box::new(RMSprop::new(0.9, 0.5, 1e-7, true))),
        Box::new(|| Box::new(RMSprop::new(0.9, 0.0, 1e-7, false))),
        Box::new(|| Box::new(Adagrad::new(0.1, 1e-7))),
        Box::new(|| Box::new(Adadelta::new(0.95, 1e-7))),
        Box::new(|| Box::new(Adamax::new(0.9, 0.999, 1e-7))),
        Box::new(|| Box::new(Nadam::new(0.9, 0.999, 1e-7))),
        Box::new(|| Box::new(Lion::new(0.9, 0.99))),
        Box::new(|| Box::new(Ftrl::new(-0.5, 0.1, 0.01, 0.01, 0.0, 0.0))),
        Box::new(|| Box::new(Lamb::new(0.9, 0.999, 1e-6))),
    ]
}

fn tensor(n: usize, seed: f32) -> Tensor {
    let v = (0..n).map(|i| ((i as f32 + seed) * 0.37).sin()).collect();
    Tensor::new(v, vec![n]).unwrap()
}

/// A big parameter (split over the pool, past several blocks, odd length), a small one, and one
/// without a gradient.
fn params() -> Vec<Tensor> {
    vec![tensor(40_000 + 13, 0.0), tensor(7, 1.0), tensor(5, 2.0)]
}

fn set_grads(ps: &[Tensor], step: usize) {
    for p in &ps[..2] {
        let g = tensor(p.numel(), 10.0 + step as f32);
        p.set_grad(Some(g)).unwrap();
    }
}

fn sq(v: &[f32]) -> f64 {
    v.iter().map(|&x| f64::from(x).powi(2)).sum()
}

#[test]
fn measured_steps_update_as_plain_ones_and_measure_them() {
    let clips = [
        Clip::default(),
        Clip {
            clipnorm: Some(0.5),
            ..Clip::default()
        },
    ];
    for make in rules() {
        for clip in clips {
            for decay in [0.0, 0.01] {
                let mut plain = OptimizerState::new(make(), clip, decay).unwrap();
                let mut measured = OptimizerState::new(make(), clip, decay).unwrap();
                let name = plain.rule.name();
                let (a, b) = (params(), params());
                for step in 0..3 {
                    set_grads(&a, step);
                    set_grads(&b, step);
                    let before: Vec<Vec<f32>> = b.iter().map(Tensor::to_vec).collect();
                    let grads: Vec<Option<Vec<f32>>> =
                        b.iter().map(|p| p.grad().map(|g| g.to_vec())).collect();
                    plain.step(&a, 0.01).unwrap();
                    let norms = measured.step_measured(&b, 0.01).unwrap();
                    assert_eq!(norms.len(), 3);
                    for (i, (pa, pb)) in a.iter().zip(&b).enumerate() {
                        let (wa, wb) = (pa.to_vec(), pb.to_vec());
                        assert_eq!(wa, wb, "{name} {clip:?} decay {decay} param {i}");
                        let moved: Vec<f32> =
                            wb.iter().zip(&before[i]).map(|(x, y)| x - y).collect();
                        let g2 = grads[i].as_deref().map_or(0.0, sq);
                        let want = [g2, sq(&before[i]), sq(&moved)];
                        for (got, want) in norms[i].iter().zip(want) {
                            assert!(
                                (got - want).abs() <= 1e-5 * want.max(1e-12),
                                "{name} param {i}: {:?} vs {want:?}",
                                norms[i]
                            );
                        }
                    }
                    assert_eq!(plain.snapshot(), measured.snapshot(), "{name}");
                }
            }
        }
    }
}
