"""The bundled ONNX model embeds as all-MiniLM-L6-v2 does: meaning, not spelling."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator

import pytest

from shop.application.ai.ports import Vector
from shop.infrastructure.ai.model_files import model_files
from shop.infrastructure.ai.onnx_embedder import ModelFileMismatch, OnnxEmbedder
from shop.settings import Settings


def cosine(a: Vector, b: Vector) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


@pytest.fixture(scope="module")
def embedder() -> Iterator[OnnxEmbedder]:
    """One model for the module: loading it once is what a process does too."""
    model = OnnxEmbedder(model_files(Settings()))
    yield model
    model.close()


async def test_vectors_have_384_dimensions_and_unit_length(embedder: OnnxEmbedder) -> None:
    [vector] = await embedder.embed(["A leather sofa for three people"])
    assert len(vector) == await embedder.dimension() == 384
    assert math.isclose(math.fsum(x * x for x in vector), 1.0, rel_tol=1e-5)


async def test_the_published_vector_of_the_example_sentence_is_reproduced(
    embedder: OnnxEmbedder,
) -> None:
    """sentence-transformers' own example starts 0.0677, 0.0635, 0.0487 (fp32 weights)."""
    [vector] = await embedder.embed(["This is an example sentence"])
    assert vector[:3] == pytest.approx((0.0677, 0.0635, 0.0487), abs=0.01)


async def test_a_sentence_is_closer_to_its_paraphrase_than_to_an_unrelated_one(
    embedder: OnnxEmbedder,
) -> None:
    sofa, couch, kettle = await embedder.embed([
        "a comfortable three-seat sofa for the living room",
        "a cosy couch that seats three in the lounge",
        "an electric kettle that boils water quickly",
    ])
    assert cosine(sofa, couch) > 0.6
    assert cosine(sofa, kettle) < 0.3
    assert cosine(sofa, couch) > cosine(sofa, kettle) + 0.3


async def test_batching_and_padding_change_no_vector(embedder: OnnxEmbedder) -> None:
    texts = ["short", "a much longer sentence about garden furniture and outdoor tables " * 5,
             "ünïcödé café crème brûlée"]
    together = await embedder.embed(texts)
    alone = [(await embedder.embed([text]))[0] for text in texts]
    for batched, single in zip(together, alone, strict=True):
        assert batched == pytest.approx(single, abs=1e-4)


async def test_an_empty_batch_is_answered_without_loading_anything() -> None:
    model = OnnxEmbedder(model_files(Settings()))
    assert await model.embed([]) == []
    model.close()


async def test_a_model_file_that_is_not_the_pinned_one_is_refused() -> None:
    files = dataclasses.replace(model_files(Settings()), model_sha256="0" * 64)
    model = OnnxEmbedder(files)
    with pytest.raises(ModelFileMismatch):
        await model.embed(["anything"])
    model.close()


async def test_a_users_own_export_is_found_in_the_folder_shop_embedding_model_names(
    tmp_path: object,
) -> None:
    settings = Settings(embedding_model="/models/multilingual", embedding_model_sha256="ab" * 32)
    files = model_files(settings)
    assert files.model_id == "custom:multilingual"
    assert str(files.model_path) == "/models/multilingual/model.onnx"
    assert str(files.tokenizer_path) == "/models/multilingual/tokenizer.json"
    assert files.model_sha256 == "ab" * 32
