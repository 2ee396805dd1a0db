//! Ops split over the thread pool give what they give on one thread: values, and the gradients whose
//! per-task partial sums are added after. Inside a train step work is split from 2^18 multiply-adds;
//! outside the pool convolutions and pooling split only from 2^22, so at these shapes they run on
//! one thread outside and split inside, while products are offered piece by piece outside and
//! forked inside.
use rustgrad::kernels::parallel::{num_threads, within_pool};
use rustgrad::ops::conv::{Padding, Window};
use rustgrad::ops::Unary;
use rustgrad::Tensor;

fn values(n: usize, seed: usize) -> Vec<f32> {
    // Small integers and their halves: ties for max pooling, exact sums for most products.
    (0..n)
        .map(|i| (((i * 7919 + seed * 104_729) % 17) as f32 - 8.0) * 0.5)
        .collect()
}

fn leaf(shape: &[usize], seed: usize) -> Tensor {
    let n = shape.iter().product();
    Tensor::new(values(n, seed), shape.to_vec())
        .unwrap()
        .with_grad()
}

/// Output and input gradients of `f` on fresh leaves, with the sum of the output as the loss.
fn run(shapes: &[&[usize]], f: &(dyn Fn(&[Tensor]) -> Tensor + Sync)) -> Vec<Vec<f32>> {
    let inputs: Vec<Tensor> = shapes.iter().enumerate().map(|(i, s)| leaf(s, i)).collect();
    let y = f(&inputs);
    y.sum().backward(None, false).unwrap();
    let mut out = vec![y.to_vec()];
    out.extend(inputs.iter().map(|t| t.grad().unwrap().to_vec()));
    out
}

fn assert_close(a: &[Vec<f32>], b: &[Vec<f32>]) {
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x.len(), y.len());
        for (p, q) in x.iter().zip(y) {
            assert!((p - q).abs() <= 1e-4 * (1.0 + p.abs()), "{p} vs {q}");
        }
    }
}

fn same_on_one_thread_and_split(shapes: &[&[usize]], f: &(dyn Fn(&[Tensor]) -> Tensor + Sync)) {
    let serial = run(shapes, f);
    let split = within_pool(|| run(shapes, f));
    assert_close(&serial, &split);
}

#[test]
fn conv_relu_pool_dense_match_across_threads() {
    if num_threads() < 2 {
        return; // nothing is split with one thread
    }
    let valid = Window::new([1, 1], [1, 1], Padding::Valid);
    let same2 = Window::new([2, 2], [1, 1], Padding::Same);
    let pool = Window::new([2, 2], [1, 1], Padding::Valid);
    // 8 samples of 13×11×3 through 16 filters: 8·99·27·16 multiply-adds, split only on the pool.
    same_on_one_thread_and_split(&[&[8, 13, 11, 3], &[3, 3, 3, 16], &[16]], &|t| {
        t[0].conv2d(&t[1], Some(&t[2]), &valid, true)
            .unwrap()
            .max_pool2d([2, 2], &pool)
            .unwrap()
    });
    same_on_one_thread_and_split(&[&[8, 13, 11, 3], &[3, 3, 3, 16]], &|t| {
        t[0].conv2d(&t[1], None, &same2, false)
            .unwrap()
            .max_pool2d([3, 3], &same2)
            .unwrap()
    });
    // Dense products cut along the inner dimension (40×600·600×64) and by rows (the gradient).
    same_on_one_thread_and_split(&[&[40, 600], &[600, 64], &[64]], &|t| {
        t[0].linear(&t[1], Some(&t[2]), Some(Unary::Relu)).unwrap()
    });
}
