//! The gradient hook of a train step: after backward, every trainable gradient packed into one flat
//! buffer (then the batch's row count), handed to a reducer, unpacked before the optimizer update.
//!
//! Why a hook inside the step rather than a step split into "gradients" and "apply" calls: the
//! chunked path (`train_many`) keeps running many batches per call, the Python loop is unchanged,
//! and a model without a hook pays one `Option` check. Data-parallel training (rustgrad.distribute)
//! installs a reducer that runs one MPI Allreduce over the buffer.
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Replaces `buf` in place: `buf[..n]` are this replica's gradients, `buf[n]` its batch rows.
pub trait GradHook: Send + Sync {
    fn reduce(&self, buf: &mut [f32]) -> Result<()>;
}

/// The gradients of `params` in order (zeros where a parameter got none), then `rows`.
pub fn pack(params: &[Tensor], rows: usize, buf: &mut Vec<f32>) {
    buf.clear();
    for p in params {
        match p.grad() {
            Some(g) => buf.extend_from_slice(&g.data()),
            None => buf.resize(buf.len() + p.numel(), 0.0),
        }
    }
    buf.push(rows as f32);
}

/// Write `buf` back into the gradients `pack` read; parameters without a gradient keep none.
pub fn unpack(params: &[Tensor], buf: &[f32]) -> Result<()> {
    let total: usize = params.iter().map(Tensor::numel).sum();
    if buf.len() != total + 1 {
        return Err(Error::invalid(
            "gradient hook",
            format!(
                "the buffer holds {} floats, the gradients {total} + 1",
                buf.len()
            ),
        ));
    }
    let mut at = 0;
    for p in params {
        let n = p.numel();
        if let Some(g) = p.grad() {
            g.data_mut().copy_from_slice(&buf[at..at + n]);
        }
        at += n;
    }
    Ok(())
}

/// Pack, reduce and unpack the gradients of `params` through `hook`, reusing `buf`.
pub fn run(hook: &dyn GradHook, params: &[Tensor], rows: usize, buf: &mut Vec<f32>) -> Result<()> {
    pack(params, rows, buf);
    hook.reduce(buf)?;
    unpack(params, buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(v: &[f32], grad: Option<&[f32]>) -> Tensor {
        let t = Tensor::new(v.to_vec(), vec![v.len()]).unwrap();
        let g = grad.map(|g| Tensor::new(g.to_vec(), vec![g.len()]).unwrap());
        t.set_grad(g).unwrap();
        t
    }

    #[test]
    fn pack_orders_params_fills_missing_and_appends_rows() {
        let ps = [
            param(&[0.0; 2], Some(&[1.0, 2.0])),
            param(&[0.0], None),
            param(&[0.0], Some(&[3.0])),
        ];
        let mut buf = vec![9.0; 7];
        pack(&ps, 5, &mut buf);
        assert_eq!(buf, [1.0, 2.0, 0.0, 3.0, 5.0]);
    }

    #[test]
    fn unpack_writes_back_and_refuses_a_wrong_length() {
        let ps = [param(&[0.0; 2], Some(&[1.0, 2.0])), param(&[0.0], None)];
        unpack(&ps, &[7.0, 8.0, 9.0, 1.0]).unwrap();
        assert_eq!(ps[0].grad().unwrap().to_vec(), [7.0, 8.0]);
        assert!(ps[1].grad().is_none());
        assert!(unpack(&ps, &[1.0, 2.0]).is_err());
    }

    struct Halve;
    impl GradHook for Halve {
        fn reduce(&self, buf: &mut [f32]) -> Result<()> {
            buf.iter_mut().for_each(|v| *v *= 0.5);
            Ok(())
        }
    }

    #[test]
    fn run_applies_the_hook_to_every_gradient() {
        let ps = [
            param(&[0.0; 2], Some(&[2.0, 4.0])),
            param(&[0.0], Some(&[6.0])),
        ];
        let mut buf = Vec::new();
        run(&Halve, &ps, 3, &mut buf).unwrap();
        assert_eq!(ps[0].grad().unwrap().to_vec(), [1.0, 2.0]);
        assert_eq!(ps[1].grad().unwrap().to_vec(), [3.0]);
        assert_eq!(buf[3], 1.5);
    }
}
