"""Data-parallel training on several processes or machines (`tf.distribute` names).

`MPIStrategy` runs the same script on every MPI rank (`mpiexec -n 4 python train.py`): each rank
trains on its shard of every global batch and the gradients are averaged by one Allreduce per step.
mpi4py is imported only when an `MPIStrategy` is made.
"""

from rustgrad.distribute.mpi import MPIStrategy

__all__ = ["MPIStrategy"]
