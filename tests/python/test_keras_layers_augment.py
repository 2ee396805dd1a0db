"""keras.layers' image augmentation layers (RandomFlip, RandomCrop, RandomContrast,
RandomTranslation, RandomRotation, RandomZoom) against NumPy float64 references: degenerate factor
ranges force a known draw (a quarter turn, an exact pixel shift, a 2x zoom), every fill mode and
interpolation; identity at inference, per-image draws, seeds, gradients against finite
differences, an augmented CNN fitting real MNIST, and the messages for bad arguments."""

from __future__ import annotations

import time

import numpy as np
import pytest
import rustgrad as tf
from rustgrad import keras

layers = keras.layers
rng = np.random.default_rng(13)
FILLS = ("reflect", "wrap", "constant", "nearest")
PAD = {"reflect": "symmetric", "wrap": "wrap", "nearest": "edge", "constant": "constant"}


def f32(*shape):
    return rng.uniform(0.0, 1.0, size=shape).astype(np.float32)


def ref_warp(img, m, fill, interp, fill_value=0.0, out_hw=None):
    """One (h, w, c) image sampled at input point (m0 x + m1 y + m2, m3 x + m4 y + m5) for each
    output pixel (x, y), in float64: the image is padded by NumPy with the fill mode (as Keras'
    NumPy backend does) and read with bilinear weights or the nearest pixel."""
    h, w, _ = img.shape
    oh, ow = out_hw or (h, w)
    ys, xs = np.meshgrid(
        np.arange(oh, dtype=np.float64), np.arange(ow, dtype=np.float64), indexing="ij"
    )
    sx, sy = m[0] * xs + m[1] * ys + m[2], m[3] * xs + m[4] * ys + m[5]
    p = int(np.ceil(max(np.abs(sx).max(), np.abs(sy).max()))) + 2
    kw = {"constant_values": fill_value} if fill == "constant" else {}
    padded = np.pad(img.astype(np.float64), ((p, p), (p, p), (0, 0)), mode=PAD[fill], **kw)
    sx, sy = sx + p, sy + p
    if interp == "nearest":
        return padded[np.round(sy).astype(int), np.round(sx).astype(int)]
    x0, y0 = np.floor(sx).astype(int), np.floor(sy).astype(int)
    dx, dy = (sx - x0)[..., None], (sy - y0)[..., None]
    return (
        padded[y0, x0] * (1 - dy) * (1 - dx)
        + padded[y0, x0 + 1] * (1 - dy) * dx
        + padded[y0 + 1, x0] * dy * (1 - dx)
        + padded[y0 + 1, x0 + 1] * dy * dx
    )


def rotation(turns, h, w):
    c, s = np.cos(2 * np.pi * turns), np.sin(2 * np.pi * turns)
    x_off = ((w - 1) - (c * (w - 1) - s * (h - 1))) / 2
    y_off = ((h - 1) - (s * (w - 1) + c * (h - 1))) / 2
    return [c, -s, x_off, s, c, y_off]


def resize_matrix(n_in, n_out):
    """Bilinear resize of one axis as a matrix: half-pixel centres, taps past an edge clamped."""
    m = np.zeros((n_out, n_in))
    for o in range(n_out):
        src = (o + 0.5) * n_in / n_out - 0.5
        lo = int(np.floor(src))
        for idx, wt in ((lo, 1 - (src - lo)), (lo + 1, src - lo)):
            m[o, min(max(idx, 0), n_in - 1)] += wt
    return m


def train(layer, x):
    return layer(x, training=True).numpy()


# ---- each layer against its reference --------------------------------------------------------
@pytest.mark.parametrize(
    ("mode", "axes"),
    [("horizontal", (1,)), ("vertical", (0,)), ("horizontal_and_vertical", (0, 1))],
)
def test_flip_gives_each_image_itself_or_np_flip(mode, axes):
    x = f32(16, 5, 6, 2)
    y = train(layers.RandomFlip(mode, seed=3), x)
    flipped = [not np.array_equal(y[i], x[i]) for i in range(16)]
    for i in range(16):
        want = np.flip(x[i], axes) if flipped[i] else x[i]
        assert np.array_equal(y[i], want), i
    assert 2 <= sum(flipped) <= 14
    one = layers.RandomFlip(mode, seed=3)(x[0], training=True).numpy()  # an unbatched image
    assert one.shape == (5, 6, 2)


@pytest.mark.parametrize("interp", ["nearest", "bilinear"])
@pytest.mark.parametrize("fill", FILLS)
def test_rotation_by_quarter_and_half_turns_is_np_rot90(fill, interp):
    x = f32(2, 7, 7, 3)
    for turns, k in ((0.25, 1), (-0.25, -1), (0.5, 2)):
        layer = layers.RandomRotation((turns, turns), fill_mode=fill, interpolation=interp, seed=1)
        y = train(layer, x)
        assert np.allclose(y, np.rot90(x, k, axes=(1, 2)), atol=1e-5), (turns, fill, interp)
    one = layers.RandomRotation((0.25, 0.25), fill_mode=fill, interpolation=interp)
    assert np.allclose(train(one, x[1]), np.rot90(x[1]), atol=1e-5)  # one unbatched image


@pytest.mark.parametrize("interp", ["nearest", "bilinear"])
@pytest.mark.parametrize("fill", FILLS)
def test_rotation_by_any_angle_matches_the_reference_with_each_fill_mode(fill, interp):
    x = f32(1, 6, 9, 2)
    layer = layers.RandomRotation(
        (0.07, 0.07), fill_mode=fill, interpolation=interp, fill_value=0.5
    )
    want = ref_warp(x[0], rotation(float(np.float32(0.07)), 6, 9), fill, interp, 0.5)
    assert np.allclose(train(layer, x)[0], want, atol=2e-5)


@pytest.mark.parametrize("interp", ["nearest", "bilinear"])
def test_translation_by_exact_pixels_is_roll_or_pad(interp):
    x = f32(2, 8, 10, 3)
    dy, dx = 2, -3  # height_factor 0.25 of 8 rows (down), width_factor -0.3 of 10 columns (left)
    kw = {"height_factor": (0.25, 0.25), "width_factor": (-0.3, -0.3), "interpolation": interp}
    y = {f: train(layers.RandomTranslation(fill_mode=f, fill_value=-1.0, **kw), x) for f in FILLS}
    assert np.allclose(y["wrap"], np.roll(x, (dy, dx), axis=(1, 2)), atol=1e-5)
    for fill in ("reflect", "nearest", "constant"):
        extra = {"constant_values": -1.0} if fill == "constant" else {}
        padded = np.pad(x, ((0, 0), (3, 3), (3, 3), (0, 0)), mode=PAD[fill], **extra)
        want = padded[:, 3 - dy : 3 - dy + 8, 3 - dx : 3 - dx + 10]
        assert np.allclose(y[fill], want, atol=1e-5), fill


@pytest.mark.parametrize("fill", FILLS)
def test_zoom_matches_reference_bilinear(fill):
    x = f32(2, 6, 8, 1)
    zoom_in = layers.RandomZoom((-0.5, -0.5), fill_mode=fill)  # 2x: the centre half fills the image
    want = ref_warp(x[1], [0.5, 0, 7 / 4, 0, 0.5, 5 / 4], fill, "bilinear")
    assert np.allclose(train(zoom_in, x)[1], want, atol=1e-5)
    both = layers.RandomZoom((-0.5, -0.5), (0.5, 0.5), fill_mode=fill, interpolation="nearest")
    want = ref_warp(x[0], [1.5, 0, 3.5 * -0.5, 0, 0.5, 5 / 4], fill, "nearest")
    assert np.allclose(train(both, x)[0], want, atol=1e-6)


def test_crop_in_training_is_one_real_window_per_batch():
    x = f32(4, 10, 12, 3)
    layer = layers.RandomCrop(6, 7, seed=2)
    seen = set()
    for _ in range(12):
        y = train(layer, x)
        assert y.shape == (4, 6, 7, 3)
        hits = [
            (a, b)
            for a in range(5)
            for b in range(6)
            if np.array_equal(y, x[:, a : a + 6, b : b + 7])
        ]
        assert len(hits) == 1
        seen.add(hits[0])
    assert len(seen) > 3  # the window moves between calls


def test_crop_at_inference_centres_and_resizes_as_keras():
    x = f32(2, 8, 12, 1)
    # Target 4x6 keeps the 8x12 aspect ratio: the whole image, resized by 1/2 (bilinear with
    # half-pixel centres = the mean of each 2x2 block).
    y = layers.RandomCrop(4, 6)(x).numpy()
    assert np.allclose(y, x.reshape(2, 4, 2, 6, 2, 1).mean(axis=(2, 4)), atol=1e-6)
    # Target 8x8: the centred 8x8 window, no resize (also in training: not larger than 8 rows).
    assert np.array_equal(layers.RandomCrop(8, 8)(x).numpy(), x[:, :, 2:10])
    # Smaller images are centre-cropped to the aspect ratio (8x6 here) and scaled up, in training too.
    small = layers.RandomCrop(16, 12)(x, training=True).numpy()
    up = np.einsum("ab,nbcz,dc->nadz", resize_matrix(8, 16), x[:, :, 3:9], resize_matrix(6, 12))
    assert np.allclose(small, up, atol=1e-5)
    inp = keras.Input((10, 12, 3))
    assert layers.RandomCrop(6, 7)(inp).shape == (None, 6, 7, 3)
    assert layers.RandomCrop(4, 6)(x[0]).numpy().shape == (4, 6, 1)  # one unbatched image


def test_contrast_is_the_per_channel_formula_clipped():
    x = f32(6, 5, 4, 3) * np.array([0.2, 0.5, 1.0], np.float32) + np.array(
        [0.0, 0.3, 0.0], np.float32
    )
    y = train(layers.RandomContrast(0.5, value_range=(0.0, 1.0), seed=4), x).astype(np.float64)
    mean = x.astype(np.float64).mean(axis=(1, 2), keepdims=True)  # per image and channel
    factors = []
    for i in range(6):
        inside = (y[i] > 0) & (y[i] < 1)
        d = (x[i] - mean[i])[inside]
        f = float(((y[i] - mean[i])[inside] * d).sum() / (d * d).sum())
        assert 0.5 - 1e-6 <= f <= 1.5 + 1e-6  # factor=0.5 draws from [1 - 0.5, 1 + 0.5]
        assert np.allclose(y[i], np.clip((x[i] - mean[i]) * f + mean[i], 0, 1), atol=1e-5)
        factors.append(f)
    assert len({round(f, 4) for f in factors}) == 6  # a draw per image
    assert min(factors) < 1 < max(factors)  # factor=0.5 means [0.5, 1.5], not [1, 1.5]
    tight = train(layers.RandomContrast((0.0, 1.0), value_range=(0.3, 0.6)), x)
    assert tight.min() >= 0.3 and tight.max() <= 0.6


# ---- training only, per image, seeds -----------------------------------------------------------
def all_layers(seed=None, contrast_range=(0, 1)):
    return [
        layers.RandomFlip(seed=seed),
        layers.RandomTranslation(0.3, 0.3, seed=seed),
        layers.RandomRotation(0.2, seed=seed),
        layers.RandomZoom(0.4, seed=seed),
        layers.RandomContrast(0.5, value_range=contrast_range, seed=seed),
        layers.RandomCrop(5, 6, seed=seed),
    ]


def test_identity_at_inference_and_a_draw_per_image():
    x = np.repeat(f32(1, 8, 9, 2), 8, axis=0)
    for layer in all_layers(seed=7)[:5]:
        assert np.array_equal(layer(x).numpy(), x), layer
        assert np.array_equal(layer(x, training=False).numpy(), x), layer
        assert np.array_equal(layer(x, training=None).numpy(), x), layer
        y = train(layer, x)
        distinct = {y[i].tobytes() for i in range(8)}
        assert len(distinct) > 1, layer  # same input image, different draws


def test_same_seed_same_sequence_and_different_seed_differs():
    x = f32(8, 12, 13, 2)
    for a, b, c in zip(all_layers(seed=11), all_layers(seed=11), all_layers(seed=12)):
        ya = [train(a, x) for _ in range(2)]
        yb = [train(b, x) for _ in range(2)]
        assert all(np.array_equal(p, q) for p, q in zip(ya, yb)), a
        assert not np.array_equal(ya[0], ya[1]), a  # the sequence moves on
        assert not np.array_equal(ya[0], train(c, x)), a


def test_set_random_seed_makes_unseeded_layers_repeatable():
    x = f32(4, 8, 9, 2)
    runs = []
    for _ in range(2):
        keras.utils.set_random_seed(5)
        runs.append([train(layer, x) for layer in all_layers()])
    for p, q in zip(*runs):
        assert np.array_equal(p, q)


def tape_gradient(layer, x0, w):
    x = tf.Variable(x0)
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(layer(x, training=True) * tf.constant(w.astype(np.float32)))
    return tape.gradient(total, x).numpy()


@pytest.mark.parametrize("index", range(6))
def test_gradient_matches_finite_differences(index):
    # Every layer is piecewise linear in x; the contrast clip is kept out of reach here (its kinks
    # would spoil central differences) and checked on its own below.
    def make():
        return all_layers(seed=3, contrast_range=(-5, 5))[index]

    x0 = f32(2, 6, 7, 2) * 0.8 + 0.1
    w = rng.normal(size=train(make(), x0).shape)

    def loss(v):
        return float((train(make(), v).astype(np.float64) * w).sum())

    g = tape_gradient(make(), x0, w)
    eps = 1e-2
    for k in rng.choice(x0.size, 40, replace=False):
        up, down = x0.copy().ravel(), x0.copy().ravel()
        up[k] += eps
        down[k] -= eps
        fd = (loss(up.reshape(x0.shape)) - loss(down.reshape(x0.shape))) / (2 * eps)
        assert abs(fd - g.ravel()[k]) < 2e-3 * (1 + abs(fd)), (index, k, fd, g.ravel()[k])


def test_contrast_gradient_stops_where_the_clip_holds():
    x0 = f32(2, 4, 5, 3)
    w = rng.normal(size=x0.shape)
    assert tape_gradient(layers.RandomContrast(0.5, value_range=(0, 1)), x0, w).any()
    flat = tape_gradient(layers.RandomContrast(0.5, value_range=(2.0, 3.0)), x0, w)
    assert np.array_equal(flat, np.zeros_like(x0))  # every output clipped to 2: no gradient


# ---- in a model --------------------------------------------------------------------------------
def test_augmented_cnn_fits_real_mnist_and_predicts_deterministically(real_dataset_dir):
    real_dataset_dir("mnist")
    (x, y), _ = tf.keras.datasets.mnist.load_data()
    x = (x[:2048].astype(np.float32) / 255.0)[..., None]
    y = y[:2048]
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            layers.Input((28, 28, 1)),
            layers.RandomFlip("horizontal"),
            layers.RandomRotation(0.05),
            layers.Conv2D(8, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(10),
        ]
    )
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(keras.optimizers.Adam(3e-3), loss)
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=64, epochs=3, verbose=0)
    assert time.perf_counter() - start < 10
    losses = history.history["loss"]
    assert losses[-1] < 0.7 * losses[0], losses
    p1, p2 = model.predict(x[:256], verbose=0), model.predict(x[:256], verbose=0)
    assert np.array_equal(p1, p2)


class Augmented(keras.Model):
    """The Sequential below as a subclass, so that it trains on the eager engine."""

    def __init__(self):
        super().__init__()
        self.aug = layers.RandomTranslation(0.2, 0.2, seed=8)
        self.flat, self.head = layers.Flatten(), layers.Dense(3)

    def call(self, x, training=None):
        return self.head(self.flat(self.aug(x, training=training)))


def test_graph_and_eager_engines_draw_and_train_alike():
    x, y = f32(64, 6, 6, 2), rng.integers(0, 3, 64)
    plain = keras.Sequential([layers.Input((6, 6, 2)), layers.Flatten(), layers.Dense(3)])
    aug = layers.RandomTranslation(0.2, 0.2, seed=8)
    seq = keras.Sequential([layers.Input((6, 6, 2)), aug, layers.Flatten(), layers.Dense(3)])
    seq.set_weights(plain.get_weights())
    sub = Augmented()
    sub(x[:1])
    sub.set_weights(plain.get_weights())
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    for m in (plain, seq, sub):
        m.compile(keras.optimizers.SGD(0.1), loss)
        m.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(seq.get_weights(), sub.get_weights()):
        assert np.allclose(a, b, atol=1e-5)
    # The augmentation was active in fit: without it the same steps end elsewhere.
    assert not np.allclose(seq.get_weights()[0], plain.get_weights()[0], atol=1e-3)


def test_random_crop_in_a_functional_model_trains_and_resizes_at_predict():
    inp = keras.Input((12, 12, 3))
    out = layers.Dense(2)(layers.Flatten()(layers.RandomCrop(8, 8, seed=1)(inp)))
    model = keras.Model(inp, out)
    model.compile("adam", "mse")
    x = f32(32, 12, 12, 3)
    model.fit(x, f32(32, 2), batch_size=8, epochs=1, verbose=0)
    kernel, bias = model.layers[-1].get_weights()
    # At inference the largest 1:1 window of a 12x12 image is all of it, resized to 8x8.
    resized = np.einsum("ab,nbcz,dc->nadz", resize_matrix(12, 8), x[:4], resize_matrix(12, 8))
    want = resized.reshape(4, -1) @ kernel + bias
    assert np.allclose(model.predict(x[:4], verbose=0), want, atol=1e-4)


def test_config_keys_and_round_trip():
    cfg = layers.RandomRotation(0.1, fill_mode="wrap", seed=3).get_config()
    assert cfg["factor"] == (-0.1, 0.1) and cfg["fill_mode"] == "wrap" and cfg["seed"] == 3
    assert {"interpolation", "fill_value", "data_format", "name"} <= set(cfg)
    for layer in all_layers(seed=1):
        cfg = layer.get_config()
        again = type(layer)(**{**cfg, "name": cfg["name"] + "_copy"})
        assert {k: v for k, v in again.get_config().items() if k != "name"} == {
            k: v for k, v in cfg.items() if k != "name"
        }
    assert layers.RandomContrast(0.2).get_config()["factor"] == (0.2, 0.2)
    assert layers.RandomZoom(0.2).get_config()["width_factor"] is None


# ---- bad arguments ------------------------------------------------------------------------------
# fmt: off
BAD_ARGS = [
    (lambda: layers.RandomFlip("diagonal"), ValueError, "RandomFlip.*'diagonal'.*horizontal_and_vertical"),
    (lambda: layers.RandomRotation(1.5), ValueError, r"RandomRotation: factor.*\[-1, 1\].*1.5"),
    (lambda: layers.RandomRotation((0.1, 0.2, 0.3)), ValueError, "RandomRotation: factor"),
    (lambda: layers.RandomRotation("big"), ValueError, "RandomRotation: factor must be a number"),
    (lambda: layers.RandomTranslation(0.1, (-1.2, 0.1)), ValueError, "RandomTranslation: width_factor.*-1.2"),
    (lambda: layers.RandomZoom(-1.1), ValueError, "RandomZoom: height_factor.*-1.1"),
    (lambda: layers.RandomContrast(1.5), ValueError, r"RandomContrast: factor.*\[0, 1\].*1.5"),
    (lambda: layers.RandomContrast(0.2, value_range=(1, 0)), ValueError, "RandomContrast: value_range"),
    (lambda: layers.RandomCrop(0, 4), ValueError, "RandomCrop: height must be a positive integer"),
    (lambda: layers.RandomZoom(0.1, fill_mode="mirror"), NotImplementedError, "RandomZoom.*'mirror'.*reflect"),
    (lambda: layers.RandomRotation(0.1, fill_mode="mirror"), ValueError, "fill_mode 'mirror'"),
    (lambda: layers.RandomRotation(0.1, interpolation="bicubic"), ValueError, "'bicubic'.*bilinear"),
    (lambda: layers.RandomFlip(data_format="channels_first"), NotImplementedError, "RandomFlip: data_format='channels_first'"),
    (lambda: layers.RandomCrop(2, 2, bounding_box_format="xyxy"), NotImplementedError, "bounding_box_format"),
    (lambda: layers.RandomFlip(seed=1.5), ValueError, "RandomFlip: seed must be an integer"),
]
# fmt: on


@pytest.mark.parametrize(("make", "exc", "match"), BAD_ARGS)
def test_bad_arguments_are_refused_with_the_layer_and_value(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="RandomRotation layer .* 4-D input"):
        layers.RandomRotation(0.1)(np.zeros((4, 5), np.float32), training=True)
    with pytest.raises(NotImplementedError, match="RandomFlip: dict inputs"):
        layers.RandomFlip()({"images": np.zeros((1, 2, 2, 1), np.float32)})
    with pytest.raises(ValueError, match="RandomCrop.*no pixels"):
        layers.RandomCrop(2, 2)(np.zeros((1, 0, 3, 1), np.float32), training=True)
