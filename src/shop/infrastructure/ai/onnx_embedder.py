"""The `Embedder` on ONNX Runtime with a Hugging Face `tokenizers` tokenizer.

The model loads once per process, on first use, in a worker thread; every
batch also runs there (one thread, so concurrent requests queue instead of
oversubscribing the cores that ONNX Runtime already parallelises over), so
the event loop never waits on inference.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import onnxruntime
from tokenizers import Tokenizer

from shop.application.ai.ports import Vector

MAX_TOKENS = 256
"""all-MiniLM-L6-v2 was trained on 256-token inputs (its tokenizer file says 128)."""
BATCH_SIZE = 32
INFERENCE_THREADS = 1

T = TypeVar("T")


class ModelFileMismatch(RuntimeError):
    """The model file is not the one pinned: refuse to run it (a corrupt or swapped file)."""


@dataclass(frozen=True)
class ModelFiles:
    """Where an ONNX sentence-embedding model and its tokenizer are, and what they must be."""

    model_id: str
    model_path: Path
    tokenizer_path: Path
    model_sha256: str | None
    """Checked before the model is loaded; None only for a user's own export without a pin."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _LoadedModel:
    """The ONNX session and the tokenizer, configured the way the model was trained."""

    def __init__(self, files: ModelFiles) -> None:
        if files.model_sha256 is not None:
            actual = file_sha256(files.model_path)
            if actual != files.model_sha256:
                raise ModelFileMismatch(
                    f"{files.model_path} has sha256 {actual}, expected {files.model_sha256}"
                )
        self.tokenizer = Tokenizer.from_file(str(files.tokenizer_path))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding()  # to the longest input of each batch, not a fixed 128
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        # One thread: a query is a few milliseconds of work, and a pool of spinning threads
        # per process only fights the other workers (and every request) for the cores.
        options.intra_op_num_threads = INFERENCE_THREADS
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            str(files.model_path), options, providers=["CPUExecutionProvider"]
        )
        self.input_names = {model_input.name for model_input in self.session.get_inputs()}
        self.dimension = int(self.session.get_outputs()[0].shape[-1])

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        encodings = self.tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.input_names:
            feeds["token_type_ids"] = np.array([e.type_ids for e in encodings], dtype=np.int64)
        output = np.asarray(self.session.run(None, feeds)[0], dtype=np.float32)
        if output.ndim == 3:  # token states: mean-pool over the real tokens, as trained
            weights = mask[:, :, None].astype(np.float32)
            output = (output * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(output, axis=1, keepdims=True)
        unit: npt.NDArray[np.float32] = (output / np.maximum(norms, 1e-12)).astype(np.float32)
        return unit


class OnnxEmbedder:
    """Sentence embeddings from a local ONNX model: no network, no PyTorch."""

    def __init__(self, files: ModelFiles, *, batch_size: int = BATCH_SIZE) -> None:
        self._files = files
        self._batch_size = batch_size
        self._model: _LoadedModel | None = None
        self._load_lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shop-embedder")

    @property
    def model_id(self) -> str:
        return self._files.model_id

    async def dimension(self) -> int:
        return (await self._run(lambda model: model)).dimension

    async def embed(self, texts: Sequence[str]) -> list[Vector]:
        if not texts:
            return []
        matrix = await self._run(lambda model: self._embed_in_batches(model, texts))
        return [tuple(row) for row in matrix.tolist()]

    async def embed_matrix(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """The same vectors as one array (the benchmark and the index skip the tuples)."""
        return await self._run(lambda model: self._embed_in_batches(model, texts))

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _embed_in_batches(
        self, model: _LoadedModel, texts: Sequence[str]
    ) -> npt.NDArray[np.float32]:
        """Sorted by length so each batch pads little; the order of the answer is the input's."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        result = np.empty((len(texts), model.dimension), dtype=np.float32)
        for start in range(0, len(order), self._batch_size):
            chunk = order[start : start + self._batch_size]
            result[chunk] = model.embed([texts[i] for i in chunk])
        return result

    async def _run(self, work: Callable[[_LoadedModel], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: work(self._loaded()))

    def _loaded(self) -> _LoadedModel:
        """Load on first use; the lock makes concurrent first calls load it once."""
        if self._model is None:
            with self._load_lock:
                if self._model is None:
                    self._model = _LoadedModel(self._files)
        return self._model
