"""Keras 3's `.weights.h5` files through h5py: write a model's variables (and its optimizer's) in
Keras' layout (h5_layout.py), read them back with every count and shape checked before anything
is assigned. rustgrad adds a root attribute `rustgrad_sha256`, a digest of every group path,
dataset shape and dataset byte, so changed weights are refused; files without it (Keras') load."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from rustgrad.keras.saving import h5_layout

__all__ = ["read", "write"]

SEAL = "rustgrad_sha256"
# A standalone .weights.h5 also carries the SHA-256 of its bytes in HDF5's user block (the
# first 512 bytes, which HDF5 readers skip), so a change to any byte past it is found.
USERBLOCK = 512
_MARK = b"rustgrad-sha256:"


def sealed_file_bytes(write_into: Any) -> bytes:
    """The bytes of an HDF5 file made by `write_into(h5)`, its user block holding the seal."""
    import io

    buf = io.BytesIO()
    with _h5py().File(buf, "w", userblock_size=USERBLOCK) as h5:
        write_into(h5)
    raw = buf.getvalue()
    head = _MARK + hashlib.sha256(raw[USERBLOCK:]).hexdigest().encode()
    return head + raw[len(head) : USERBLOCK] + raw[USERBLOCK:]


def check_file_bytes(raw: bytes, source: str) -> None:
    """Refuse a sealed file whose bytes changed (files without the seal pass)."""
    n = len(_MARK)
    if raw[:n] != _MARK:
        return
    if (
        len(raw) <= USERBLOCK
        or hashlib.sha256(raw[USERBLOCK:]).hexdigest().encode() != raw[n : n + 64]
    ):
        raise ValueError(
            f"{source}: the file is damaged: its SHA-256 differs from the one it was written "
            "with (a changed, truncated or partly overwritten copy)"
        )


def _h5py() -> Any:
    try:
        import h5py
    except ImportError as e:  # pragma: no cover - h5py is a dependency
        raise ImportError("Keras .h5 / .keras files need h5py: pip install h5py") from e
    return h5py


def digest(h5: Any) -> str:
    """SHA-256 over the file's groups and datasets (names, shapes, dtypes, bytes), in name order."""
    h = hashlib.sha256()
    items: list = []
    h5.visititems(lambda name, obj: items.append((name, obj)))
    for name, obj in sorted(items, key=lambda item: item[0]):
        h.update(name.encode() + b"\0")
        for key in sorted(obj.attrs):
            if key != SEAL:
                h.update(f"@{key}={obj.attrs[key]!r}".encode())
        if hasattr(obj, "shape"):
            value = np.asarray(obj[()])
            h.update(f"{value.dtype.str}{value.shape}".encode())
            h.update(np.ascontiguousarray(value).tobytes())
    return h.hexdigest()


def _vars_group(h5: Any, path: str, name: str) -> Any:
    group = h5.require_group(f"{path}/vars" if path else "vars")
    group.attrs["name"] = name
    return group


def write(model: Any, h5: Any, include_optimizer: bool = True) -> None:
    """The model's variables into the open h5py File `h5`, sealed."""
    for path, obj, own in h5_layout.saveables(model):
        group = _vars_group(h5, path, obj.name)
        for i, w in enumerate(own):
            group.create_dataset(str(i), data=np.asarray(w.numpy(), np.float32))
    if include_optimizer and model.optimizer is not None:
        group = _vars_group(h5, "optimizer", model.optimizer.name)
        for i, a in enumerate(h5_layout.optimizer_arrays(model)):
            group.create_dataset(str(i), data=a)
    h5.attrs[SEAL] = digest(h5)


def _datasets(group: Any) -> list:
    keys = sorted((k for k in group if k.isdigit()), key=int)
    if keys != [str(i) for i in range(len(keys))]:
        raise ValueError(f"group '{group.name}' holds variables {keys}, expected 0..n-1")
    return [group[k] for k in keys]


def _plan(model: Any, h5: Any, source: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """(target view, value) for every variable; raises before anything is written."""
    plan = []
    for path, obj, own in h5_layout.saveables(model):
        where = f"{path}/vars" if path else "vars"
        if where not in h5:
            if own:
                raise ValueError(
                    f"{source}: no weights for layer '{obj.name}' ({type(obj).__name__}) in the "
                    f"file (expected group '{where}' with {len(own)} variables of shapes "
                    f"{[tuple(w.numpy().shape) for w in own]}); is it a file of another model?"
                )
            continue
        stored = _datasets(h5[where])
        if len(stored) != len(own):
            raise ValueError(
                f"{source}: layer '{obj.name}' ({type(obj).__name__}) expects {len(own)} "
                f"variables of shapes {[tuple(w.numpy().shape) for w in own]}, but the file has "
                f"{len(stored)} at '{where}' of shapes {[tuple(d.shape) for d in stored]}"
            )
        for i, (w, d) in enumerate(zip(own, stored)):
            target = w.numpy()
            if tuple(d.shape) != tuple(target.shape):
                raise ValueError(
                    f"{source}: variable {i} of layer '{obj.name}' ({type(obj).__name__}) has "
                    f"shape {tuple(d.shape)} in the file but the layer expects "
                    f"{tuple(target.shape)}"
                )
            plan.append((target, np.asarray(d[()], np.float32)))
    return plan


def _optimizer_state(model: Any, h5: Any, source: str) -> Any:
    """(iterations, engine state) from `optimizer/vars`, or None when there is nothing to load."""
    opt = model.optimizer
    if opt is None or "optimizer/vars" not in h5 or not model._core_compiled:
        return None
    values = [np.asarray(d[()]) for d in _datasets(h5["optimizer/vars"])]
    template = h5_layout.optimizer_state(model, template=True)
    keras = h5_layout.keras_trainable(model)
    position = {id(w): i for i, w in enumerate(model.trainable_weights)}
    blocks = h5_layout.blocks(opt, template["slots"])
    extra = 1 if type(opt).__name__ == "Nadam" else 0
    head = 1 + h5_layout.has_lr_variable(opt)  # iteration (and learning_rate)
    want = head + sum(len(b) for b in blocks) * len(keras) + extra
    if len(values) == head and want > head:
        return int(values[0]), None  # a file saved before the first step: no slots yet
    if len(values) != want:
        raise ValueError(
            f"{source}: the optimizer ({type(opt).__name__}) has {want} variables for this "
            f"model but the file holds {len(values)}; it belongs to another model or optimizer"
        )
    slots = {k: list(v) for k, v in template["slots"].items()}
    for name in {k for b in blocks for k in b}:
        slots[name] = [None] * len(keras)
    at = head
    for block in blocks:
        for w in keras:
            for name in block:
                value = values[at]
                at += 1
                if value.shape != w.numpy().shape:
                    raise ValueError(
                        f"{source}: optimizer slot '{name}' for weight '{w.name}' has shape "
                        f"{value.shape} but the weight is {w.numpy().shape}"
                    )
                slots[name][position[id(w)]] = np.asarray(value, np.float32).ravel()
    return int(values[0]), {"iterations": int(values[0]), "slots": slots}


def read(model: Any, h5: Any, source: str, load_optimizer: bool = True) -> None:
    """Load `h5` (an open h5py File) into the model; unchanged unless everything fits. A file
    h5py cannot read through is refused as damaged, naming it."""
    try:
        _read(model, h5, source, load_optimizer)
    except (ValueError, NotImplementedError):
        raise
    except Exception as e:
        raise ValueError(
            f"{source}: cannot read the HDF5 weights ({type(e).__name__}: {e}); the file is "
            "truncated, damaged or not a Keras weights file"
        ) from e


def _read(model: Any, h5: Any, source: str, load_optimizer: bool) -> None:
    sealed = h5.attrs.get(SEAL)
    if sealed is not None:
        sealed = sealed.decode() if isinstance(sealed, bytes) else str(sealed)
        if digest(h5) != sealed:
            raise ValueError(
                f"{source}: the file is damaged: its contents' SHA-256 differs from the one it "
                "was written with (a changed, truncated or partly overwritten copy)"
            )
    plan = _plan(model, h5, source)
    state = _optimizer_state(model, h5, source) if load_optimizer else None
    if state is not None:  # the engine checks the slots before it changes anything
        iterations, engine_state = state
        if engine_state is not None:
            h5_layout.set_optimizer_state(model, engine_state)
        model.optimizer.iterations = iterations
    for target, value in plan:
        np.copyto(target, value)


def open_file(path: Any, mode: str = "r") -> Any:
    return _h5py().File(path, mode)
