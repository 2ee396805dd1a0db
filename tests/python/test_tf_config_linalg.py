"""tf.config (devices, soft placement, threads, flags), tf.device with TF's device strings,
tf.range, and tf.linalg / tf.norm against NumPy, with gradients where TF has them."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as tf

rng = np.random.default_rng(7)


def test_the_machine_has_one_cpu_and_no_gpu():
    cpu = tf.config.list_physical_devices("CPU")
    assert [tuple(d) for d in cpu] == [("/physical_device:CPU:0", "CPU")]
    assert tf.config.list_physical_devices() == cpu
    assert tf.config.list_physical_devices("GPU") == []
    assert tf.config.experimental.list_physical_devices("gpu") == []
    assert [d.name for d in tf.config.list_logical_devices()] == ["/device:CPU:0"]
    assert tf.config.get_visible_devices("CPU") == cpu
    with pytest.raises(TypeError, match="device_type"):
        tf.config.list_physical_devices(0)


def test_visible_devices_hide_what_is_absent_and_keep_the_cpu():
    tf.config.set_visible_devices([], "GPU")  # the usual way to force the CPU
    cpu = tf.config.list_physical_devices("CPU")
    tf.config.set_visible_devices(cpu)
    tf.config.set_visible_devices(cpu[0], "CPU")
    with pytest.raises(ValueError, match="CPU must remain visible"):
        tf.config.set_visible_devices([])
    with pytest.raises(ValueError, match="not of type"):
        tf.config.set_visible_devices(cpu, "GPU")
    fake = tf.config.PhysicalDevice("/physical_device:GPU:0", "GPU")
    with pytest.raises(ValueError, match="unknown device"):
        tf.config.set_visible_devices([fake], "GPU")
    with pytest.raises(TypeError, match="PhysicalDevice"):
        tf.config.set_visible_devices(["/GPU:0"], "GPU")


def test_memory_growth_is_for_gpus_only():
    for gpu in tf.config.list_physical_devices("GPU"):  # the usual loop: no iteration here
        tf.config.experimental.set_memory_growth(gpu, True)
    cpu = tf.config.list_physical_devices("CPU")[0]
    with pytest.raises(ValueError, match="non-GPU"):
        tf.config.experimental.set_memory_growth(cpu, True)
    with pytest.raises(ValueError, match="non-GPU"):
        tf.config.experimental.get_memory_growth(cpu)
    assert tf.config.get_logical_device_configuration(cpu) is None


@pytest.mark.parametrize("spec", ["/CPU:0", "/cpu:0", "CPU:0", "/device:CPU:0", "cpu"])
def test_cpu_device_blocks_run(spec):
    with tf.device(spec) as d:
        y = tf.constant([1.0, 2.0]) * 3
    assert d.type == "cpu"
    np.testing.assert_array_equal(y.numpy(), [3, 6])


def test_tf_gpu_specs_follow_soft_placement_and_torch_cuda_is_refused():
    d = tf.device("/job:localhost/replica:0/task:0/device:GPU:1")
    assert (d.type, d.index) == ("gpu", 1)
    assert tf.config.get_soft_device_placement() is True  # TF's eager default
    with tf.device("/GPU:0"):
        y = tf.constant([2.0]) + 1  # placed on the CPU, as TF does without a GPU
    assert y.item() == 3.0
    tf.config.set_soft_device_placement(False)
    try:
        with pytest.raises(tf.InvalidArgumentError, match="CPU only"), tf.device("/GPU:0"):
            pass
    finally:
        tf.config.set_soft_device_placement(True)
    with pytest.raises(tf.InvalidArgumentError, match="CPU only"), tf.device("cuda:0"):
        pass


def test_intra_op_threads_size_the_pool_and_zero_restores_the_default():
    before = tf.get_num_threads()
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        assert tf.get_num_threads() == 1
        assert tf.config.threading.get_intra_op_parallelism_threads() == 1
        tf.config.threading.set_intra_op_parallelism_threads(0)
        assert tf.get_num_threads() == before
        assert tf.config.threading.get_intra_op_parallelism_threads() == 0
        tf.config.threading.set_inter_op_parallelism_threads(2)
        assert tf.config.threading.get_inter_op_parallelism_threads() == 2
        for bad in (-1, 1.5, True):
            with pytest.raises(ValueError, match="threads"):
                tf.config.threading.set_intra_op_parallelism_threads(bad)
    finally:
        tf.config.threading.set_inter_op_parallelism_threads(0)
        tf.config.threading.set_intra_op_parallelism_threads(0)


def test_flags_scripts_set_before_training():
    assert tf.config.functions_run_eagerly() is False
    tf.config.run_functions_eagerly(True)
    assert tf.config.functions_run_eagerly() is True
    tf.config.run_functions_eagerly(False)
    tf.config.experimental.enable_op_determinism()


def test_range_counts_like_tf():
    np.testing.assert_array_equal(tf.range(5).numpy(), np.arange(5))
    np.testing.assert_array_equal(tf.range(1, 10, 2).numpy(), [1, 3, 5, 7, 9])
    np.testing.assert_array_equal(tf.range(10, 0, -3).numpy(), [10, 7, 4, 1])
    np.testing.assert_allclose(tf.range(0.5, 2, 0.5).numpy(), [0.5, 1.0, 1.5])
    np.testing.assert_array_equal(tf.range(2.7, dtype=tf.int32).numpy(), [0, 1])
    np.testing.assert_array_equal(tf.range(tf.constant(3.0)).numpy(), [0, 1, 2])
    assert tf.range(3, 3).shape == (0,)
    with pytest.raises(tf.InvalidArgumentError):
        tf.range(0, 5, 0)
    with pytest.raises(TypeError, match="bool"):
        tf.range(3, dtype=tf.bool)
    from rustgrad import range as tf_range

    assert tf_range is tf.range


def _grad(fn, a):
    t = tf.constant(a).requires_grad_()
    fn(t).sum().backward()
    return t.grad.numpy()


@pytest.mark.parametrize(
    ("kw", "ref"),
    [
        ({}, lambda a: np.sqrt((a * a).sum())),
        ({"axis": -1}, lambda a: np.linalg.norm(a, axis=-1)),
        ({"axis": 1, "keepdims": True}, lambda a: np.linalg.norm(a, axis=1, keepdims=True)),
        ({"ord": 1, "axis": 0}, lambda a: np.abs(a).sum(0)),
        ({"ord": np.inf, "axis": 2}, lambda a: np.abs(a).max(2)),
        ({"ord": 3, "axis": 2}, lambda a: (np.abs(a) ** 3).sum(2) ** (1 / 3)),
        ({"ord": "fro", "axis": (1, 2)}, lambda a: np.linalg.norm(a, axis=(1, 2))),
        ({"ord": "euclidean", "axis": (-2, -1)}, lambda a: np.linalg.norm(a, axis=(1, 2))),
    ],
)
def test_norm_matches_numpy(kw, ref):
    a = rng.normal(size=(2, 3, 4)).astype(np.float32)
    np.testing.assert_allclose(tf.norm(a, **kw).numpy(), ref(a), rtol=1e-5)
    np.testing.assert_allclose(tf.linalg.norm(a, **kw).numpy(), ref(a), rtol=1e-5)


def test_norm_gradient_and_refusals():
    a = rng.normal(size=(3, 4)).astype(np.float32)
    want = a / np.linalg.norm(a, axis=1, keepdims=True)  # d|x|/dx = x/|x|
    np.testing.assert_allclose(_grad(lambda t: tf.norm(t, axis=1), a), want, rtol=1e-5)
    for kw in ({"ord": 1, "axis": (0, 1)}, {"ord": 0.5}, {"ord": "nuc"}, {"axis": (0, 1, 2)}):
        with pytest.raises(ValueError, match="norm"):
            tf.norm(np.ones((2, 2, 2), np.float32), **kw)


def test_matrix_parts_match_numpy():
    a = rng.normal(size=(2, 3, 4)).astype(np.float32)
    L = tf.linalg
    np.testing.assert_array_equal(L.matrix_transpose(a).numpy(), a.transpose(0, 2, 1))
    np.testing.assert_array_equal(L.adjoint(a).numpy(), a.transpose(0, 2, 1))
    np.testing.assert_allclose(L.diag_part(a).numpy(), np.diagonal(a, axis1=1, axis2=2))
    tall = a.transpose(0, 2, 1).copy()
    np.testing.assert_allclose(L.diag_part(tall).numpy(), np.diagonal(tall, axis1=1, axis2=2))
    np.testing.assert_allclose(L.trace(a).numpy(), np.trace(a, axis1=1, axis2=2), rtol=1e-6)
    eye_like = np.eye(3, 4, dtype=np.float32)
    np.testing.assert_array_equal(_grad(L.trace, a), np.broadcast_to(eye_like, a.shape))
    with pytest.raises(ValueError, match="rank >= 2"):
        L.trace(np.ones(3, np.float32))
    with pytest.raises(ValueError, match="k=0"):
        L.diag_part(a, k=1)


def test_products_and_l2_normalize_match_numpy():
    a = rng.normal(size=(2, 3, 4)).astype(np.float32)
    v = rng.normal(size=(2, 4)).astype(np.float32)
    w = rng.normal(size=(2, 3)).astype(np.float32)
    L = tf.linalg
    np.testing.assert_allclose(L.matvec(a, v).numpy(), np.einsum("bij,bj->bi", a, v), rtol=1e-5)
    got = L.matvec(a, w, transpose_a=True).numpy()
    np.testing.assert_allclose(got, np.einsum("bji,bj->bi", a, w), rtol=1e-5)
    b = rng.normal(size=(2, 4, 5)).astype(np.float32)
    np.testing.assert_allclose(L.matmul(a, b).numpy(), a @ b, rtol=1e-5)
    with pytest.raises(TypeError, match="unexpected"):
        L.matvec(a, v, transpose_b=True)
    want = a / np.linalg.norm(a, axis=-1, keepdims=True)
    for fn in (L.l2_normalize, tf.math.l2_normalize, tf.nn.l2_normalize):
        np.testing.assert_allclose(fn(a, axis=-1).numpy(), want, rtol=1e-5)
    np.testing.assert_array_equal(tf.nn.l2_normalize(np.zeros(3, np.float32)).numpy(), 0)
    with pytest.raises(ValueError, match="not both"):
        L.l2_normalize(a, axis=0, dim=0)
