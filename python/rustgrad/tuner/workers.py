"""Trials in parallel worker processes, each with its share of the cores.

Workers are fresh interpreters (multiprocessing's "spawn": a forked child would inherit a thread
pool whose threads did not survive the fork) started with RUSTGRAD_NUM_THREADS = cores / workers.
Each receives the hypermodel and search arguments once, then one trial at a time; it trains the
trial with the same code as the search's own process (rustgrad.tuner.execution) and writes the
checkpoint, while the search's process alone writes trial.json and oracle.json. A worker that
dies (killed, out of memory, a crash) is replaced and its trial run once more; a second death marks
the trial FAILED.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import time
import traceback
import warnings
from multiprocessing.connection import wait
from typing import Any

from rustgrad.tuner.errors import FailedTrialError, FatalError, ObjectiveNotLoggedError
from rustgrad.tuner.trial import TrialStatus

_RETRIES_AFTER_DEATH = 1


def _worker_main(conn: Any, payload: bytes, threads: int) -> None:
    import rustgrad
    from rustgrad.tuner import execution
    from rustgrad.tuner.hyperparameters import HyperParameters

    rustgrad.set_num_threads(threads)
    hypermodel, objective, executions, fit_args, fit_kwargs = pickle.loads(payload)
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return  # the search's process is gone
        if job is None:
            return
        hp_config, trial_dir, parent, seed = job
        try:
            hp = HyperParameters.from_config(hp_config)
            result = execution.run_trial(hypermodel, hp, objective, executions, fit_args,
                                         fit_kwargs, trial_dir, parent, seed)  # fmt: skip
            conn.send(("ok", result))
        except Exception as e:  # noqa: BLE001 - any error is the trial's, sent back
            kind = ("objective" if isinstance(e, ObjectiveNotLoggedError) else "fatal"
                    if isinstance(e, FatalError) else "failed"
                    if isinstance(e, FailedTrialError) else "error")  # fmt: skip
            conn.send((kind, "".join(traceback.format_exception(type(e), e, e.__traceback__))))


class _Worker:
    """One worker process and its end of the pipe."""

    def __init__(self, ctx: Any, payload: bytes, threads: int) -> None:
        self.conn, child = ctx.Pipe()
        saved = os.environ.get("RUSTGRAD_NUM_THREADS")
        os.environ["RUSTGRAD_NUM_THREADS"] = str(threads)  # read when the child's pool starts
        try:
            self.process = ctx.Process(target=_worker_main, args=(child, payload, threads),
                                       daemon=True)  # fmt: skip
            self.process.start()
        finally:
            if saved is None:
                os.environ.pop("RUSTGRAD_NUM_THREADS", None)
            else:
                os.environ["RUSTGRAD_NUM_THREADS"] = saved
        child.close()
        self.trial: Any = None
        self.began = 0.0
        self.attempts = 0

    def give(self, tuner: Any, trial: Any) -> None:
        parent = trial.hyperparameters.values.get("tuner/trial_id")
        checkpoint = None if parent is None else tuner._checkpoint(parent)
        self.trial, self.began = trial, time.perf_counter()
        self.conn.send((trial.hyperparameters.get_config(), tuner.oracle.trial_dir(trial.trial_id),
                        checkpoint, tuner.trial_seed(trial)))  # fmt: skip

    def stop(self, timeout: float = 5.0) -> None:
        with contextlib.suppress(OSError, BrokenPipeError):
            self.conn.send(None)
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout)
        self.conn.close()


def _payload(tuner: Any, fit_args: tuple, fit_kwargs: dict) -> bytes | None:
    """The pickled hypermodel and arguments, or None (after a warning) when they cannot be sent
    and parallel trials were only the default."""
    try:
        return pickle.dumps((tuner.hypermodel, tuner.oracle.objective, tuner.executions_per_trial,
                             fit_args, fit_kwargs))  # fmt: skip
    except Exception as e:
        why = (
            f"parallel trials send the hypermodel and search()'s arguments to worker processes, "
            f"but they cannot be pickled ({type(e).__name__}: {e}). Define build_model at module "
            "level and pass arrays"
        )
        if tuner._parallel_asked:
            raise TypeError(f"{why}, or use max_parallel_trials=1.") from e
        warnings.warn(f"{why}; running the trials one at a time in this process.", stacklevel=3)
        return None


def search(tuner: Any, fit_args: tuple, fit_kwargs: dict) -> None:
    """Run the search with up to `tuner.max_parallel_trials` trials at once.

    Args:
        tuner: The Tuner.
        fit_args: search's positional arguments.
        fit_kwargs: search's keyword arguments.

    Raises:
        TypeError: the hypermodel or the arguments cannot be sent to a worker process.
    """
    payload = _payload(tuner, fit_args, fit_kwargs)
    if payload is None:
        tuner._search_here(fit_args, fit_kwargs)
        return
    n = tuner.max_parallel_trials
    threads = max(1, (os.cpu_count() or 1) // n)
    ctx = multiprocessing.get_context("spawn")
    workers = [_Worker(ctx, payload, threads) for _ in range(n)]
    try:
        _loop(tuner, workers, lambda: _Worker(ctx, payload, threads))
    finally:
        for w in workers:
            w.stop()


def _loop(tuner: Any, workers: list, respawn: Any) -> None:
    oracle, stopped = tuner.oracle, False
    while True:
        for w in workers:
            if w.trial is None and not stopped:
                trial = oracle.create_trial()
                if trial.status == TrialStatus.STOPPED:
                    stopped = True
                elif trial.status == TrialStatus.RUNNING:
                    tuner.on_trial_begin(trial)
                    w.attempts = 0
                    w.give(tuner, trial)
        busy = [w for w in workers if w.trial is not None]
        if not busy:
            return  # stopped, or IDLE with nothing left running
        ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=1.0))
        for i, w in enumerate(workers):
            if w.trial is None:
                continue
            if w.conn in ready:
                try:
                    message = w.conn.recv()
                except (EOFError, OSError):
                    message = None
                if message is not None:
                    _finish(tuner, w, message)
                    continue
            if w.process.sentinel in ready or not w.process.is_alive():
                workers[i] = _replace(tuner, w, respawn)


def _finish(tuner: Any, w: _Worker, message: tuple) -> None:
    trial, (kind, body) = w.trial, message
    if kind == "ok":
        w.trial = None
        tuner._complete(trial, body, time.perf_counter() - w.began)
        tuner.on_trial_end(trial)
        tuner._check_space_declared()
        return
    if kind == "error" and w.attempts < tuner.oracle.max_retries_per_trial:
        w.attempts += 1
        w.give(tuner, trial)
        return
    w.trial = None
    tuner._fail(trial, body)
    if kind == "objective":
        raise ObjectiveNotLoggedError(body.strip().splitlines()[-1])
    if kind == "fatal":
        raise FatalError(body.strip().splitlines()[-1])


def _replace(tuner: Any, dead: _Worker, respawn: Any) -> _Worker:
    """A new worker in place of a dead one; its trial is run again once, then FAILED."""
    dead.process.join(5.0)  # its sentinel fires before the exit code is collected
    trial, code = dead.trial, dead.process.exitcode
    dead.stop(timeout=1.0)
    fresh = respawn()
    trial.retries += 1
    if trial.retries <= _RETRIES_AFTER_DEATH:
        if tuner.verbose:
            print(f"Trial {trial.trial_id}: its worker process died (exit code {code}); "
                  "running it again", flush=True)  # fmt: skip
        tuner.oracle.save_trial(trial)
        fresh.give(tuner, trial)
    else:
        tuner._fail(trial, f"the worker process running this trial died {trial.retries} times "
                           f"(last exit code {code})")  # fmt: skip
    return fresh
