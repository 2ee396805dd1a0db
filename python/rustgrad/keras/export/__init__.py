"""model.export(filepath, format=...): a trained model as a file another runtime serves. ONNX only
(onnx_graph.py), through the optional `onnx` package; Keras 3's other formats are refused by name."""

from __future__ import annotations

from typing import Any

__all__ = ["FORMATS", "export"]

FORMATS = ("onnx",)
_KERAS_ONLY = ("tf_saved_model", "openvino", "litert", "tflite")


def export(
    model: Any,
    filepath: Any,
    format: str = "tf_saved_model",
    verbose: Any = True,
    input_signature: Any = None,
    **kwargs: Any,
) -> None:
    """Keras 3's Model.export; only format='onnx' is written by rustgrad.

    Args:
        model: the Model to export.
        filepath: the `.onnx` file to write.
        format: only "onnx".
        verbose: print a line naming the file written.
        input_signature: only None (the model's Input shapes, with a dynamic batch axis).
        **kwargs: no other argument is supported.

    Raises:
        NotImplementedError: for another format, an input_signature, or a layer without an ONNX
            form.
        TypeError: for other keyword arguments.
        ImportError: when the onnx package is not installed.
    """
    if format != "onnx":
        what = "Keras 3 format" if format in _KERAS_ONLY else "format"
        raise NotImplementedError(
            f"model.export: {what} {format!r} is not supported by rustgrad; use format='onnx'"
        )
    if input_signature is not None:
        raise NotImplementedError(
            "model.export: input_signature is not supported; the model's Input shapes are "
            "exported, with a dynamic batch axis"
        )
    if kwargs:
        raise TypeError(f"model.export got unexpected arguments {sorted(kwargs)}")
    from rustgrad.keras.export.onnx_graph import export_onnx

    export_onnx(model, filepath, verbose=verbose)
