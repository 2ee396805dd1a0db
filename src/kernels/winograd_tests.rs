//! kernels::winograd's tests: values and gradients against im2col's at every SIMD level, and how
//! NaN and inf spread.
use super::*;
use crate::kernels::conv_products::{add_kernel_grad, col_len, columns, input_grad};
use crate::kernels::simd_level::available;
use crate::kernels::simd_level::testing::{same, values};

fn geoms() -> Vec<(Geom, usize)> {
    let mut v = vec![];
    // Odd and even output sizes, 'valid' and 'same', channel counts around the lane width,
    // and a one-pixel-wide image ('same'), whose tiles mostly read padding.
    for (hwc, same, cout) in [
        ([7, 6, 16], false, 16),
        ([5, 5, 32], true, 16),
        ([4, 9, 16], true, 48),
        ([3, 1, 16], true, 32),
        ([12, 11, 32], false, 64),
    ] {
        let g = Geom::new(hwc, [3, 3], [1, 1], [1, 1], same);
        assert!(applies(&g, cout));
        v.push((g, cout));
    }
    v
}

fn close(got: &[f32], want: &[f32], what: &str) {
    assert_eq!(got.len(), want.len());
    let scale = want.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        assert!(
            (a - b).abs() <= 2e-5 * scale,
            "{what}[{i}]: {a} vs {b} (scale {scale})"
        );
    }
}

/// The im2col path's [y, dW, db, dx], the reference: y = x⊛w + b, then with `relu_y` the
/// gradient is masked by it (the fused ReLU's output) before dW, db and dx.
fn reference(
    x: &[f32],
    w: &[f32],
    b: &[f32],
    dy: &[f32],
    relu_y: Option<&[f32]>,
    g: &Geom,
    cout: usize,
) -> [Vec<f32>; 4] {
    let samples = x.len() / g.in_len();
    let mut col = vec![0.0; col_len(g, samples)];
    let cols = columns(x, g, &mut col).to_vec();
    let m = samples * g.pixels();
    let mut y = vec![0.0; m * cout];
    gemm(
        m,
        g.k(),
        cout,
        op(&cols, false),
        op(w, false),
        &mut y,
        false,
    );
    for (i, v) in y.iter_mut().enumerate() {
        *v += b[i % cout];
        if relu_y.is_some() {
            *v = v.max(0.0);
        }
    }
    let dz: Vec<f32> = match relu_y {
        Some(r) => dy
            .iter()
            .zip(r)
            .map(|(&d, &r)| if r > 0.0 { d } else { 0.0 })
            .collect(),
        None => dy.to_vec(),
    };
    let mut db = vec![0.0; cout];
    for (i, d) in dz.iter().enumerate() {
        db[i % cout] += d;
    }
    let mut dw = vec![0.0; g.k() * cout];
    add_kernel_grad(&cols, &dz, g, cout, &mut dw);
    let mut dcol = vec![0.0; cols.len()];
    let mut dx = vec![MaybeUninit::new(0.0); x.len()];
    let dx = input_grad(&dz, w, g, cout, &mut dcol, &mut dx).to_vec();
    [y, dw, db, dx]
}

/// Winograd's [y, dW, db, dx], with bias and ReLU fused when `relu`.
#[allow(clippy::too_many_arguments)]
fn winograd_at(
    x: &[f32],
    w: &[f32],
    b: &[f32],
    dy: &[f32],
    relu: bool,
    g: &Geom,
    cout: usize,
    lv: Level,
) -> [Vec<f32>; 4] {
    let samples = x.len() / g.in_len();
    let u = kernel_transform(w, g.c, cout, lv);
    let mut buf = vec![f32::NAN; scratch_len(g, samples, cout)];
    let mut y = vec![MaybeUninit::new(f32::NAN); samples * g.pixels() * cout];
    let y = forward(x, &u, g, cout, Some(b), relu, &mut buf, &mut y, lv).to_vec();
    let (mut du, mut db) = (vec![0.0; 16 * g.c * cout], vec![0.0; cout]);
    let mut dx = vec![MaybeUninit::new(f32::NAN); x.len()];
    let dz: Vec<f32> = match relu {
        true => dy
            .iter()
            .zip(&y)
            .map(|(&d, &y)| if y > 0.0 { d } else { 0.0 })
            .collect(),
        false => dy.to_vec(),
    };
    let ut = kernel_transform(&transposed_kernel(w, g.c, cout), cout, g.c, lv);
    let grads = Grads {
        du: Some(&mut du),
        db: Some(&mut db),
        dx: Some((&ut, &mut dx)),
    };
    let mut buf = vec![f32::NAN; backward_scratch_len(g, samples, cout)];
    backward(x, &dz, g, cout, &mut buf, grads, lv);
    // SAFETY: every element was initialised (NaN) when made; `backward` overwrote them.
    let dx = dx.iter().map(|v| unsafe { v.assume_init() }).collect();
    [y, kernel_grad(&du, g.c, cout, lv), db, dx]
}

#[test]
fn equals_im2col_in_value_and_gradients_at_every_level() {
    for (g, cout) in geoms() {
        for (samples, relu) in [(1, false), (3, false), (3, true)] {
            let x = values(samples * g.in_len(), 1, false);
            let w = values(9 * g.c * cout, 2, false);
            let b = values(cout, 6, false);
            let dy = values(samples * g.pixels() * cout, 3, false);
            let portable = winograd_at(&x, &w, &b, &dy, relu, &g, cout, Level::Portable);
            // The reference masks by Winograd's own ReLU output: an output within rounding
            // of 0 could fall on either side in the two paths.
            let want = reference(&x, &w, &b, &dy, relu.then_some(&portable[0]), &g, cout);
            for ((got, want), what) in portable.iter().zip(&want).zip(["y", "dw", "db", "dx"]) {
                close(got, want, &format!("{what} {g:?} cout {cout} relu {relu}"));
            }
            for lv in available() {
                let got = winograd_at(&x, &w, &b, &dy, relu, &g, cout, lv);
                for (a, b) in got.iter().zip(&portable) {
                    assert!(same(a, b), "{lv:?} differs from portable for {g:?}");
                }
            }
        }
    }
}

#[test]
fn nan_and_inf_reach_the_outputs_whose_tiles_read_them() {
    // 10×10 'valid' → 8×8 outputs in 4×4 tiles; tile (ti, tj) reads rows 2ti..2ti+4 and
    // columns 2tj..2tj+4. A NaN input spreads to every output of a tile that reads it (the
    // transforms mix a tile's inputs), not only to the outputs whose window holds it: a
    // non-finite input makes the loss non-finite either way. Tiles that do not read it stay
    // finite.
    let (c, cout) = (16, 16);
    let g = Geom::new([10, 10, c], [3, 3], [1, 1], [1, 1], false);
    let mut x = values(g.in_len(), 4, false);
    x[(2 * 10 + 2) * c] = f32::NAN; // in tiles (0..2, 0..2)
    x[(9 * 10 + 9) * c + 1] = f32::INFINITY; // in tile (3, 3) only
    let w = values(9 * c * cout, 5, false);
    let u = kernel_transform(&w, c, cout, Level::Portable);
    let mut buf = vec![0.0; scratch_len(&g, 1, cout)];
    let mut y = vec![MaybeUninit::new(0.0); g.pixels() * cout];
    let y = forward(
        &x,
        &u,
        &g,
        cout,
        None,
        false,
        &mut buf,
        &mut y,
        Level::Portable,
    )
    .to_vec();
    let at = |h: usize, w: usize| &y[(h * 8 + w) * cout..(h * 8 + w + 1) * cout];
    assert!(at(0, 0).iter().all(|v| v.is_nan()));
    assert!(at(7, 7).iter().all(|v| !v.is_finite()));
    for (h, w) in [(0, 6), (6, 0), (4, 5), (7, 5)] {
        assert!(at(h, w).iter().all(|v| v.is_finite()), "output ({h}, {w})");
    }
}
