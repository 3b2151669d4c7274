"""An int8 ONNX copy of a sentence-transformers model, exported offline and run with ONNX Runtime.

sentence-transformers' own ONNX backend needs optimum-onnx, which pins transformers below
the release this stack runs on, so the export is done here with the same recipe: the
transformer is exported with torch.onnx, its weights quantized to int8 per channel with
ONNX Runtime's dynamic quantization (no calibration data; Jacob et al., "Quantization and
Training of Neural Networks for Efficient Integer-Arithmetic-Only Inference", CVPR 2018),
and pooling and normalization are done in numpy as the model's own modules do them. The
export is written once into a folder (the index keeps it under models/) and loaded from
there by file name: nothing comes from a hub.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import ModelError

log = logging.getLogger(__name__)

WEIGHTS = "model-int8.onnx"
TOKENIZER = "tokenizer.json"
CONFIG = "export.json"
EXPORT_VERSION = 1
POOLING = ("mean", "cls")


def export(model: Any, folder: Path) -> None:
    """Write the int8 export of a loaded SentenceTransformer into `folder` (whole or not at all)."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    transformer, pooling = _modules(model)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f".tmp-{folder.name}-{uuid.uuid4().hex[:6]}")
    tmp.mkdir()
    try:
        sample = transformer.tokenizer(["an example", "a second example"], padding=True, return_tensors="pt")
        inputs = [name for name in ("input_ids", "attention_mask", "token_type_ids") if name in sample]
        with torch.no_grad():
            torch.onnx.export(
                _positional(transformer.auto_model, inputs).eval(),
                tuple(sample[name] for name in inputs),
                str(tmp / "model.onnx"),
                input_names=inputs,
                output_names=["token_embeddings"],
                dynamic_axes={name: {0: "batch", 1: "tokens"} for name in [*inputs, "token_embeddings"]},
                opset_version=17,
                dynamo=False,
            )
        quantize_dynamic(tmp / "model.onnx", tmp / WEIGHTS, weight_type=QuantType.QInt8, per_channel=True)
        (tmp / "model.onnx").unlink()
        transformer.tokenizer.backend_tokenizer.save(str(tmp / TOKENIZER))
        config = {
            "version": EXPORT_VERSION,
            "inputs": inputs,
            "pooling": pooling,
            "normalize": _normalizes(model),
            "max_tokens": int(model.max_seq_length),
            "dimension": int(model.get_embedding_dimension()),
        }
        (tmp / CONFIG).write_text(json.dumps(config, indent=2))
        if folder.exists():
            shutil.rmtree(folder)
        os.rename(tmp, folder)
    except Exception:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _modules(model: Any) -> tuple[Any, str]:
    """The transformer module and pooling mode, or a ModelError for a pipeline we cannot export."""
    from sentence_transformers.models import Normalize, Pooling, Transformer

    modules = list(model)
    pooling = next((m for m in modules if isinstance(m, Pooling)), None)
    mode = getattr(pooling, "pooling_mode", None)
    supported = (Transformer, Pooling, Normalize)
    if not modules or not isinstance(modules[0], Transformer) or mode not in POOLING:
        raise ModelError("the onnx-int8 backend needs a transformer model with mean or CLS pooling")
    if not all(isinstance(m, supported) for m in modules):
        raise ModelError("the onnx-int8 backend supports transformer, pooling and normalize modules only")
    return modules[0], mode


def _normalizes(model: Any) -> bool:
    from sentence_transformers.models import Normalize

    return any(isinstance(m, Normalize) for m in model)


def _positional(auto_model: Any, inputs: Sequence[str]) -> Any:
    """The Hugging Face model as a module taking positional inputs and giving token embeddings."""
    import torch

    class Positional(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = auto_model

        def forward(self, *tensors: Any) -> Any:
            return self.model(**dict(zip(inputs, tensors, strict=True))).last_hidden_state

    return Positional()


class QuantizedEncoder:
    """Runs an export made by `export`; encode() gives unit-length float32 rows."""

    def __init__(self, folder: Path, threads: int = 0) -> None:
        import onnxruntime
        from onnxruntime.capi import onnxruntime_pybind11_state as ort_errors
        from tokenizers import Tokenizer

        damaged = (ort_errors.Fail, ort_errors.InvalidProtobuf, ort_errors.InvalidGraph, ort_errors.NoSuchFile)

        try:
            self.config = json.loads((folder / CONFIG).read_text())
            if self.config.get("version") != EXPORT_VERSION:
                raise ValueError(f"export version {self.config.get('version')} is not {EXPORT_VERSION}")
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = threads
            self._session = onnxruntime.InferenceSession(
                str(folder / WEIGHTS), options, providers=["CPUExecutionProvider"]
            )
            self._tokenizer = Tokenizer.from_file(str(folder / TOKENIZER))
        except (OSError, ValueError, KeyError, RuntimeError, *damaged) as exc:
            raise ModelError(
                f"cannot load the int8 model in {folder}: {exc}; delete the folder to export it again"
            ) from exc
        self._tokenizer.enable_truncation(self.max_seq_length)
        self._tokenizer.enable_padding()

    @property
    def max_seq_length(self) -> int:
        return int(self.config["max_tokens"])

    @property
    def dimension(self) -> int:
        return int(self.config["dimension"])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One batch; callers sort by length so padding stays small."""
        encodings = self._tokenizer.encode_batch(list(texts))
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        arrays = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": mask,
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        (tokens,) = self._session.run(None, {name: arrays[name] for name in self.config["inputs"]})
        if self.config["pooling"] == "cls":
            pooled = tokens[:, 0]
        else:
            pooled = (tokens * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1)
        if self.config["normalize"]:
            pooled = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled.astype(np.float32)


def load_or_export(folder: Path, load_model: Callable[[], Any], threads: int = 0) -> QuantizedEncoder:
    """The export in `folder`, made first from `load_model()` if it is not there yet."""
    if not (folder / CONFIG).is_file():
        started = time.perf_counter()
        log.info("exporting an int8 ONNX copy of the model to %s (once)", folder)
        export(load_model(), folder)
        log.info("exported in %.1f s", time.perf_counter() - started)
    return QuantizedEncoder(folder, threads)
