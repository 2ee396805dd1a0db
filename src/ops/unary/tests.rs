//! The unary table's tests: every derivative against central differences, kinks, NaN.
use super::*;
fn check_slopes(ops: &[Unary], xs: &[f64]) {
    for &u in ops {
        for &x in xs {
            let h = 1e-3;
            let num = (u.f((x + h) as f32) as f64 - u.f((x - h) as f32) as f64) / (2.0 * h);
            let ana = u.df(x as f32, u.f(x as f32)) as f64;
            let ok = (num - ana).abs() < 2e-2 * (1.0 + ana.abs());
            assert!(ok, "{u:?} at {x}: {num} vs {ana}");
        }
    }
}
#[test]
fn derivatives_match_central_differences() {
    use Unary::*;
    let positive_domain = [Log, Sqrt, RDivScalar(2.0), PowScalar(3.0), RPowScalar(2.0)];
    check_slopes(&positive_domain, &[0.3, 1.7, 2.5]);
    let activations = [
        Exp,
        Sigmoid,
        Tanh,
        Elu(1.0),
        Gelu,
        Softplus,
        LeakyRelu(0.2),
        Selu,
        Softsign,
        Silu,
        HardSigmoid,
        HardSilu,
        Relu6,
        Mish,
    ];
    // Both sides of every kink (±3 for the hard ones, 0 and 6 for relu6).
    check_slopes(&activations, &[-3.5, -1.2, 0.3, 1.7, 2.5, 6.5]);
}
#[test]
fn relu_kink_is_zero() {
    assert_eq!(Unary::Relu.df(0.0, 0.0), 0.0);
    assert_eq!(Unary::Sigmoid.f(-1000.0), 0.0);
    assert_eq!(Unary::Sigmoid.f(1000.0), 1.0);
}
#[test]
fn nan_passes_through_relu_and_clip() {
    assert!(Unary::Relu.f(f32::NAN).is_nan());
    assert!(Unary::Clip(-1.0, 1.0).f(f32::NAN).is_nan());
    assert_eq!(Unary::Clip(-1.0, 1.0).f(f32::INFINITY), 1.0);
    assert_eq!(Unary::Relu.f(f32::NEG_INFINITY), 0.0);
    assert!(Unary::Relu6.f(f32::NAN).is_nan());
}
#[test]
fn sin_and_cos_values_and_slopes() {
    use Unary::*;
    check_slopes(&[Sin, Cos], &[-3.5, -1.2, 0.0, 0.3, 1.7, 2.5, 6.5]);
    assert_eq!(Sin.f(0.0), 0.0);
    assert_eq!(Cos.f(0.0), 1.0);
    assert!(Sin.f(f32::INFINITY).is_nan());
}
#[test]
fn sin_backward_gives_cos() {
    let x = Tensor::new(vec![-1.0, 0.0, 0.5, 2.0], vec![4])
        .unwrap()
        .with_grad();
    x.sin()
        .sum_axes(None, false)
        .unwrap()
        .backward(None, false)
        .unwrap();
    let g = x.grad().unwrap().to_vec();
    let want: Vec<f32> = x.to_vec().iter().map(|v| v.cos()).collect();
    assert_eq!(g, want);
    assert_eq!(x.cos().grad_fn_name(), Some("cos"));
}
