//! Depthwise convolution's loops over an im2col column matrix (a row per output pixel, its entries
//! (tap, channel)). Output channel j = c·dm + m reads input channel c only, so there is no shared
//! reduction to hand to the GEMM; each loop runs over the contiguous channels of one tap instead,
//! which the compiler vectorises. `w` is the (taps, C, dm) kernel, i.e. a (taps, C·dm) matrix.

/// `out (rows × C·dm) += Σ_t col[:, t, c] · w[t, c, m]`.
pub fn forward(col: &[f32], w: &[f32], taps: usize, c: usize, dm: usize, out: &mut [f32]) {
    let (k, width) = (taps * c, c * dm);
    for (row, o) in col.chunks_exact(k).zip(out.chunks_exact_mut(width)) {
        for (xt, wt) in row.chunks_exact(c).zip(w.chunks_exact(width)) {
            if dm == 1 {
                o.iter_mut()
                    .zip(xt.iter().zip(wt))
                    .for_each(|(o, (x, w))| *o += x * w);
                continue;
            }
            for ((oc, wc), &x) in o.chunks_exact_mut(dm).zip(wt.chunks_exact(dm)).zip(xt) {
                oc.iter_mut().zip(wc).for_each(|(o, w)| *o += x * w);
            }
        }
    }
}

/// `dw[t, c, m] += Σ_rows col[p, t, c] · dz[p, c·dm + m]`.
pub fn add_kernel_grad(col: &[f32], dz: &[f32], taps: usize, c: usize, dm: usize, dw: &mut [f32]) {
    let (k, width) = (taps * c, c * dm);
    for (row, g) in col.chunks_exact(k).zip(dz.chunks_exact(width)) {
        for (xt, dwt) in row.chunks_exact(c).zip(dw.chunks_exact_mut(width)) {
            if dm == 1 {
                dwt.iter_mut()
                    .zip(xt.iter().zip(g))
                    .for_each(|(d, (x, g))| *d += x * g);
                continue;
            }
            for ((dc, gc), &x) in dwt.chunks_exact_mut(dm).zip(g.chunks_exact(dm)).zip(xt) {
                dc.iter_mut().zip(gc).for_each(|(d, g)| *d += x * g);
            }
        }
    }
}

/// `dcol[p, t, c] = Σ_m dz[p, c·dm + m] · w[t, c, m]`, overwriting `dcol`.
pub fn col_grad(dz: &[f32], w: &[f32], taps: usize, c: usize, dm: usize, dcol: &mut [f32]) {
    let (k, width) = (taps * c, c * dm);
    for (drow, g) in dcol.chunks_exact_mut(k).zip(dz.chunks_exact(width)) {
        for (dt, wt) in drow.chunks_exact_mut(c).zip(w.chunks_exact(width)) {
            if dm == 1 {
                dt.iter_mut()
                    .zip(g.iter().zip(wt))
                    .for_each(|(d, (g, w))| *d = g * w);
                continue;
            }
            for ((d, gc), wc) in dt
                .iter_mut()
                .zip(g.chunks_exact(dm))
                .zip(wt.chunks_exact(dm))
            {
                *d = gc.iter().zip(wc).map(|(g, w)| g * w).sum();
            }
        }
    }
}
