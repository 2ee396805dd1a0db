//! The shared rayon loop of the elementwise update rules: one closure per element with its state,
//! split over the pool in the same chunks as `split` when the parameter is large, and measured
//! block by block for the gradient monitor when `k` is given (`measured::blocked`).
use super::in_pool;
use super::measured::{blocked, total, Measure, Norms};
use rayon::prelude::*;

/// Apply `f(w, g, a)` to every element with one state slot `a`.
pub(crate) fn each1(
    w: &mut [f32],
    g: &[f32],
    k: Measure,
    a: &mut [f32],
    f: impl Fn(&mut f32, f32, &mut f32) + Sync + Send,
) -> Norms {
    let run = |w: &mut [f32], g: &[f32], a: &mut [f32]| {
        blocked(
            w,
            g,
            k,
            #[inline(always)]
            |w, g, r| {
                for ((w, &g), a) in w.iter_mut().zip(g).zip(a[r].iter_mut()) {
                    f(w, g, a);
                }
            },
        )
    };
    in_pool(w.len(), |c| match c {
        Some(c) => total(
            (w.par_chunks_mut(c), g.par_chunks(c), a.par_chunks_mut(c))
                .into_par_iter()
                .map(|(w, g, a)| run(w, g, a))
                .collect::<Vec<_>>(),
        ),
        None => run(w, g, a),
    })
}

/// Apply `f(w, g, a, b)` to every element with two state slots `a` and `b`.
pub(crate) fn each2(
    w: &mut [f32],
    g: &[f32],
    k: Measure,
    a: &mut [f32],
    b: &mut [f32],
    f: impl Fn(&mut f32, f32, &mut f32, &mut f32) + Sync + Send,
) -> Norms {
    let run = |w: &mut [f32], g: &[f32], a: &mut [f32], b: &mut [f32]| {
        blocked(
            w,
            g,
            k,
            #[inline(always)]
            |w, g, r| {
                let (a, b) = (&mut a[r.clone()], &mut b[r]);
                for (((w, &g), a), b) in w.iter_mut().zip(g).zip(a.iter_mut()).zip(b.iter_mut()) {
                    f(w, g, a, b);
                }
            },
        )
    };
    in_pool(w.len(), |c| match c {
        Some(c) => total(
            (
                w.par_chunks_mut(c),
                g.par_chunks(c),
                a.par_chunks_mut(c),
                b.par_chunks_mut(c),
            )
                .into_par_iter()
                .map(|(w, g, a, b)| run(w, g, a, b))
                .collect::<Vec<_>>(),
        ),
        None => run(w, g, a, b),
    })
}

#[cfg(test)]
pub(crate) mod testing {
    use super::super::Optimizer;

    /// Run `steps` updates of `rule` on one parameter from gradients `grad(t)`, in f32.
    pub fn run(
        rule: &mut dyn Optimizer,
        w0: &[f32],
        grad: impl Fn(u64) -> Vec<f32>,
        lr: f32,
        steps: u64,
    ) -> Vec<f32> {
        let mut w = w0.to_vec();
        for t in 1..=steps {
            rule.update(0, &mut w, &grad(t), lr, t);
        }
        w
    }

    pub fn close(a: &[f32], b: &[f64], tol: f64) {
        for (x, y) in a.iter().zip(b) {
            assert!(
                ((*x as f64) - y).abs() <= tol * (1.0 + y.abs()),
                "{a:?} vs {b:?}"
            );
        }
    }
}
