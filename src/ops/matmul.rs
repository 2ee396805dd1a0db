//! Matrix product with NumPy's `@` semantics: 1-D operands, 2-D, and batched N-D with broadcast batch axes.
use crate::autograd::{unbroadcast, Backward};
use crate::error::{Error, Result};
use crate::kernels::gemm::{matmul as gemm, matmul_new, Operand};
use crate::shape::{broadcast, numel};
use crate::tensor::Tensor;

/// The product viewed as batched 2-D: every operand padded to ≥ 2-D, batch axes broadcast.
struct Plan {
    m: usize,
    k: usize,
    n: usize,
    batch: Vec<usize>,
    a3: Vec<usize>, // a's shape padded to 2-D
    b3: Vec<usize>,
    out: Vec<usize>, // the user-visible result shape
}

fn plan(a: &[usize], b: &[usize]) -> Result<Plan> {
    if a.is_empty() || b.is_empty() {
        return Err(Error::shape_mismatch(
            "matmul",
            a,
            b,
            "cannot be multiplied: matmul needs tensors of at least 1 dimension",
        ));
    }
    let a2: Vec<usize> = if a.len() == 1 {
        vec![1, a[0]]
    } else {
        a.to_vec()
    };
    let b2: Vec<usize> = if b.len() == 1 {
        vec![b[0], 1]
    } else {
        b.to_vec()
    };
    let (m, k) = (a2[a2.len() - 2], a2[a2.len() - 1]);
    let (k2, n) = (b2[b2.len() - 2], b2[b2.len() - 1]);
    if k != k2 {
        return Err(Error::shape_mismatch("matmul", a, b, format!("are not aligned: {k} (last axis of the first) != {k2} (the contraction axis of the second)")));
    }
    let batch = broadcast("matmul", &a2[..a2.len() - 2], &b2[..b2.len() - 2])?;
    let mut out = batch.clone();
    if a.len() > 1 {
        out.push(m);
    }
    if b.len() > 1 {
        out.push(n);
    }
    let mut full = batch.clone();
    full.extend([m, n]);
    crate::shape::check_alloc("matmul", &full)?;
    Ok(Plan {
        m,
        k,
        n,
        batch,
        a3: a2,
        b3: b2,
        out,
    })
}

/// Offsets of each batch entry's matrix in an operand whose batch axes broadcast to `batch`.
fn batch_offsets(batch: &[usize], shape: &[usize], mat: usize) -> Vec<usize> {
    let own = &shape[..shape.len() - 2];
    let count = numel(batch);
    let st = crate::shape::broadcast_strides(own, batch);
    let bs = crate::shape::strides(batch);
    (0..count)
        .map(|i| {
            let mut rem = i;
            let mut off = 0;
            for d in 0..batch.len() {
                off += (rem / bs[d]) * st[d];
                rem %= bs[d];
            }
            off * mat
        })
        .collect()
}

/// C[i] = A[i] · B[i] for each batch entry, into a fresh (batch, m, n) buffer.
fn batched(p: &Plan, a: &[f32], b: &[f32]) -> Vec<f32> {
    let (m, k, n) = (p.m, p.k, p.n);
    let count = numel(&p.batch);
    let mut c = vec![0.0f32; count * m * n];
    let oa = batch_offsets(&p.batch, &p.a3, m * k);
    let ob = batch_offsets(&p.batch, &p.b3, k * n);
    for i in 0..count {
        gemm(
            m,
            k,
            n,
            Operand {
                data: &a[oa[i]..],
                trans: false,
            },
            Operand {
                data: &b[ob[i]..],
                trans: false,
            },
            &mut c[i * m * n..(i + 1) * m * n],
            false,
        );
    }
    c
}

struct MatmulBackward {
    m: usize,
    k: usize,
    n: usize,
    batch: Vec<usize>,
    a3: Vec<usize>,
    b3: Vec<usize>,
}

impl Backward for MatmulBackward {
    fn name(&self) -> &'static str {
        "matmul"
    }
    // dA = dC · Bᵀ, dB = Aᵀ · dC, each summed over batch axes the operand was broadcast along.
    fn backward(&self, grad: &[f32], inputs: &[Tensor], _out: &Tensor) -> Vec<Option<Vec<f32>>> {
        let (m, k, n) = (self.m, self.k, self.n);
        let count = numel(&self.batch);
        let mut full_a = self.batch.clone();
        full_a.extend([m, k]);
        let mut full_b = self.batch.clone();
        full_b.extend([k, n]);
        let mut gshape = self.batch.clone();
        gshape.extend([m, n]);
        let ga = inputs[0].requires_grad().then(|| {
            let b = inputs[1].data();
            // B (k×n) read as the transposed n×k operand.
            let ob = batch_offsets(&self.batch, &self.b3, k * n);
            let mut c = vec![0.0f32; count * m * k];
            for i in 0..count {
                gemm(
                    m,
                    n,
                    k,
                    Operand {
                        data: &grad[i * m * n..],
                        trans: false,
                    },
                    Operand {
                        data: &b[ob[i]..],
                        trans: true,
                    },
                    &mut c[i * m * k..(i + 1) * m * k],
                    false,
                );
            }
            unbroadcast(&c, &full_a, &self.a3)
        });
        let gb = inputs[1].requires_grad().then(|| {
            let a = inputs[0].data();
            let oa = batch_offsets(&self.batch, &self.a3, m * k);
            let mut c = vec![0.0f32; count * k * n];
            for i in 0..count {
                gemm(
                    k,
                    m,
                    n,
                    Operand {
                        data: &a[oa[i]..],
                        trans: true,
                    },
                    Operand {
                        data: &grad[i * m * n..],
                        trans: false,
                    },
                    &mut c[i * k * n..(i + 1) * k * n],
                    false,
                );
            }
            unbroadcast(&c, &full_b, &self.b3)
        });
        vec![ga, gb]
    }
}

impl Tensor {
    /// `self @ other` with NumPy semantics.
    pub fn matmul(&self, other: &Tensor) -> Result<Tensor> {
        let p = plan(self.shape(), other.shape())?;
        // A batched left operand against a plain matrix is one big product: fold the batch into rows.
        let data = if other.ndim() == 2 && self.ndim() >= 2 {
            let rows = numel(&self.shape()[..self.ndim() - 1]);
            // Written in full by the product: no zero-fill first (10 µs for a 784×128 result).
            matmul_new(
                rows,
                p.k,
                p.n,
                Operand {
                    data: &self.data(),
                    trans: false,
                },
                Operand {
                    data: &other.data(),
                    trans: false,
                },
            )
        } else {
            batched(&p, &self.data(), &other.data())
        };
        let bw = MatmulBackward {
            m: p.m,
            k: p.k,
            n: p.n,
            batch: p.batch,
            a3: p.a3,
            b3: p.b3,
        };
        Ok(Tensor::from_op(data, p.out, bw, &[self, other]))
    }
}
