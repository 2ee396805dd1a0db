"""Thread stress rounds for RELIABILITY 22 (issue 20), run as a script by test_threads_stress.py.

Every round draws new sizes and runs each pair of concurrent callers; each must finish with weights
equal to some serial order of the steps. A caller that does not finish within HANG_SECONDS ends the
process with exit code 3 and names the scenario: a hang fails the test, it never hangs the suite.
Prints `rounds R hangs 0` at the end.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import numpy as np
import rustgrad as rg
from rustgrad import keras

HANG_SECONDS = 60.0
RTOL, ATOL = 1e-5, 1e-6


def model(r, inputs, hidden, lr, momentum=0.0):
    m = keras.Sequential(
        [
            keras.layers.Dense(hidden, activation="relu", input_shape=(inputs,)),
            keras.layers.Dense(4, activation="softmax"),
        ]
    )
    m.compile(keras.optimizers.SGD(lr, momentum=momentum), "sparse_categorical_crossentropy")
    m.set_weights([r.normal(scale=0.3, size=w.shape).astype(np.float32) for w in m.get_weights()])
    return m


def copy_of(m, inputs, hidden, lr, momentum=0.0):
    c = model(np.random.default_rng(0), inputs, hidden, lr, momentum)
    c.set_weights(m.get_weights())
    return c


def run_threads(name, *targets):
    """Run each target on its own thread; exit 3 naming `name` if one does not finish in time."""
    errors = []

    def wrap(f):
        def go():
            try:
                f()
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        return go

    threads = [threading.Thread(target=wrap(f), daemon=True) for f in targets]
    for t in threads:
        t.start()
    deadline = time.monotonic() + HANG_SECONDS
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
        if t.is_alive():
            print(f"HANG in {name}", flush=True)
            os._exit(3)
    if errors:
        raise errors[0]


def same(a, b):
    return all(np.allclose(u, v, rtol=RTOL, atol=ATOL) for u, v in zip(a, b))


def check(ok, what):
    if not ok:
        raise AssertionError(what)


def snapshots(m, x, y, probe, fn, inputs, hidden, lr):
    """fn(probe) on a copy of m before and after every batch of one serial fit; and that copy."""
    ref = copy_of(m, inputs, hidden, lr)
    seen = [fn(ref, probe)]

    class After(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(fn(ref, probe))

    ref.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0, callbacks=[After()])
    return seen, ref


def fit_and_read(r, sizes, reader):
    """One thread fits, another calls `reader` 10 times: each read is of a finished step."""
    n, inputs, hidden = sizes
    x = r.normal(size=(n, inputs)).astype(np.float32)
    y = r.integers(0, 4, n)
    m = model(r, inputs, hidden, lr=0.2)
    allowed, ref = snapshots(m, x, y, (x[:64], y[:64]), reader, inputs, hidden, 0.2)
    got = []
    run_threads(
        reader.__name__,
        lambda: m.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0),
        lambda: got.extend(reader(m, (x[:64], y[:64])) for _ in range(10)),
    )
    check(same(m.get_weights(), ref.get_weights()), f"{reader.__name__}: final weights differ")
    for g in got:
        check(np.all(np.isfinite(g)), f"{reader.__name__}: non-finite result")
        check(any(np.allclose(g, a, rtol=RTOL, atol=ATOL) for a in allowed), "torn read")


def predict(m, probe):
    return m.predict(probe[0], batch_size=64, verbose=0)


def evaluate(m, probe):
    return np.float64(m.evaluate(probe[0], probe[1], batch_size=64, verbose=0))


def fit_fit(r, sizes):
    """Two fits of one model: the result is one of the two serial orders."""
    n, inputs, hidden = sizes
    xa, xb = (r.normal(size=(n, inputs)).astype(np.float32) for _ in range(2))
    ya, yb = r.integers(0, 4, n), r.integers(0, 4, n)
    m = model(r, inputs, hidden, lr=0.1, momentum=0.9)
    orders = []
    for first, second in (((xa, ya), (xb, yb)), ((xb, yb), (xa, ya))):
        ref = copy_of(m, inputs, hidden, 0.1, 0.9)
        for xs, ys in (first, second):
            ref.fit(xs, ys, batch_size=32, shuffle=False, verbose=0)
        orders.append(ref.get_weights())
    run_threads(
        "fit+fit",
        lambda: m.fit(xa, ya, batch_size=32, shuffle=False, verbose=0),
        lambda: m.fit(xb, yb, batch_size=32, shuffle=False, verbose=0),
    )
    check(any(same(m.get_weights(), o) for o in orders), "fit+fit: no serial order matches")


def two_models(r, sizes):
    n, inputs, hidden = sizes
    x = r.normal(size=(n, inputs)).astype(np.float32)
    y = r.integers(0, 4, n)
    ms = [model(r, inputs, hidden, lr=0.1) for _ in range(2)]
    refs = [copy_of(m, inputs, hidden, 0.1) for m in ms]
    for ref in refs:
        ref.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0)
    run_threads(
        "two models",
        *[lambda m=m: m.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0) for m in ms],
    )
    for m, ref in zip(ms, refs):
        check(same(m.get_weights(), ref.get_weights()), "two models: weights differ")


def tensor_matmuls(r, _sizes):
    """Four threads: matmul, sum, backward; values and gradients as NumPy computes them."""

    def one(seed):
        q = np.random.default_rng(seed)
        m, k, n = (int(v) for v in q.integers(16, 384, 3))
        a, b = q.normal(size=(m, k)).astype(np.float32), q.normal(size=(k, n)).astype(np.float32)
        ta, tb = rg.tensor(a, requires_grad=True), rg.tensor(b, requires_grad=True)
        out = ta @ tb
        (out * out).sum().backward()
        want = a.astype(np.float64) @ b
        check(np.allclose(out.numpy(), want, rtol=1e-3, atol=1e-3), "matmul value")
        check(np.allclose(ta.grad.numpy(), 2 * want @ b.T, rtol=1e-3, atol=1e-2), "matmul grad a")
        check(np.allclose(tb.grad.numpy(), 2 * a.T @ want, rtol=1e-3, atol=1e-2), "matmul grad b")

    seeds = r.integers(0, 2**31, 4)
    run_threads("tensor matmuls", *[lambda s=s: one(int(s)) for s in seeds])


def fit_while_main_gets_sigint(r, sizes):
    """A thread fits; the main thread gets Ctrl-C meanwhile: it sees KeyboardInterrupt, the fit ends."""
    n, inputs, hidden = sizes
    x = r.normal(size=(n, inputs)).astype(np.float32)
    y = r.integers(0, 4, n)
    m = model(r, inputs, hidden, lr=0.05)
    t = threading.Thread(
        target=lambda: m.fit(x, y, batch_size=32, epochs=3, verbose=0), daemon=True
    )
    t.start()
    interrupted = False
    try:
        os.kill(os.getpid(), signal.SIGINT)
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            time.sleep(0.001)
    except KeyboardInterrupt:
        interrupted = True
    t.join(HANG_SECONDS)
    if t.is_alive():
        print("HANG in fit while main gets SIGINT", flush=True)
        os._exit(3)
    check(interrupted, "the main thread saw no KeyboardInterrupt")
    check(all(np.all(np.isfinite(w)) for w in m.get_weights()), "non-finite weights")


def sigint_during_fit(r, sizes):
    """The main thread fits; Ctrl-C comes from a timer: KeyboardInterrupt, whole steps kept."""
    n, inputs, hidden = sizes
    x = r.normal(size=(n, inputs)).astype(np.float32)
    y = r.integers(0, 4, n)
    m = model(r, inputs, hidden, lr=0.05)
    timer = threading.Timer(0.02, os.kill, (os.getpid(), signal.SIGINT))
    guard = threading.Timer(
        HANG_SECONDS, lambda: (print("HANG in sigint", flush=True), os._exit(3))
    )
    try:
        # Started inside the try: the Ctrl-C may land while the timers are still starting.
        guard.start()
        timer.start()
        m.fit(x, y, batch_size=32, epochs=10**6, verbose=0)
        raise AssertionError("fit ended without KeyboardInterrupt")
    except KeyboardInterrupt:
        pass
    finally:
        timer.cancel()
        guard.cancel()
    check(all(np.all(np.isfinite(w)) for w in m.get_weights()), "non-finite weights")


SCENARIOS = [
    lambda r, s: fit_and_read(r, s, predict),
    lambda r, s: fit_and_read(r, s, evaluate),
    fit_fit,
    two_models,
    tensor_matmuls,
    fit_while_main_gets_sigint,
    sigint_during_fit,
]


def main(rounds: int, seed: int) -> None:
    # A process started from a background shell ignores SIGINT; these rounds need Ctrl-C to work.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    r = np.random.default_rng(seed)
    only = os.environ.get("STRESS_ONLY")  # a comma-separated subset of scenario indices
    chosen = [SCENARIOS[int(i)] for i in only.split(",")] if only else SCENARIOS
    for _ in range(rounds):
        sizes = (int(r.integers(64, 1024)), int(r.integers(8, 256)), int(r.integers(16, 300)))
        for scenario in chosen:
            scenario(r, sizes)
    print(f"rounds {rounds} hangs 0 threads {rg.get_num_threads()}", flush=True)


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 30, int(sys.argv[2]) if len(sys.argv) > 2 else 0
    )
