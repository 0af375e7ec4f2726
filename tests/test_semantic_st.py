"""The sentence-transformers path, for real, with a tiny model built offline; and the
fallback when a configured model is not on this machine."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sentence_transformers")
pytest.importorskip("tokenizers")

from stale.config import Config, RepoConfig, SemanticConfig, SourceConfig
from stale.scan import run_scan
from stale.semantic import load_embedder
from stale.semantic.hashing import HashingEmbedder
from stale.store import Store

LINES = [
    f"{a} the {b} of the billing service with {c}"
    for a in ("deploy", "rotate", "restart", "configure", "migrate", "monitor")
    for b in ("database", "password", "api", "keys", "zone", "region", "ledger")
    for c in ("scripts", "make", "kubectl", "the admin ui", "helm", "argocd", "cron")
]


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A WordPiece tokenizer trained on a few hundred lines, a BERT of hidden size 64 with
    2 layers and 2 heads, mean pooling: a real sentence-transformers model, built offline."""
    import torch
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
    from transformers import BertConfig, BertModel, BertTokenizerFast

    out = tmp_path_factory.mktemp("tiny-st")
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(
        LINES,
        trainers.WordPieceTrainer(
            vocab_size=400, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        ),
    )
    fast = BertTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )
    torch.manual_seed(0)
    bert = BertModel(
        BertConfig(
            vocab_size=tok.get_vocab_size(),
            hidden_size=64,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=128,
            max_position_embeddings=256,
        )
    )
    hf = out / "hf"
    bert.save_pretrained(hf)
    fast.save_pretrained(hf)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # `sentence_transformers.models` moved in 6.x
        from sentence_transformers import models as st_models

        word = st_models.Transformer(str(hf), max_seq_length=128)
        pool = st_models.Pooling(word.get_word_embedding_dimension(), "mean")
        SentenceTransformer(modules=[word, pool]).save(str(out / "st"))
    return out / "st"


def test_real_model_loads_and_encodes_offline(tiny_model: Path) -> None:
    emb = load_embedder(str(tiny_model), batch_size=8)
    assert not isinstance(emb, HashingEmbedder)
    assert emb.name == f"st:{tiny_model.resolve()}" and emb.dim == 64
    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"
    vecs = emb.encode(LINES[:20])
    assert vecs.shape == (20, 64) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert np.allclose(emb.encode(LINES[:3]), vecs[:3], atol=1e-5)
    assert emb.encode([]).shape == (0, 64)


def test_scan_with_the_model_names_it_and_search_uses_it(
    tiny_model: Path, world: dict[str, Path | str]
) -> None:
    from typer.testing import CliRunner

    from stale.cli import app

    cfg = Config(
        store=Path(world["store"]),
        repos=(RepoConfig("billing", Path(world["repo"])),),
        sources=(SourceConfig("wiki", "markdown", {"path": str(world["wiki"])}),),
        semantic=replace(SemanticConfig(), embedder=str(tiny_model), superseded_similarity=0.6),
    )
    store = Store.open(cfg.store)
    result = run_scan(cfg, store)
    assert result.embedder == f"st:{tiny_model.resolve()}"
    assert result.semantic["embedded_pages"] == 3 and not result.semantic["warnings"]
    assert store.embedding_count(result.embedder) > 3  # pages and code chunks
    store.close()
    res = CliRunner().invoke(app, ["search", "deploy zone", "--store", str(world["store"])])
    assert res.exit_code == 0, res.output
    assert f"(embedder: st:{tiny_model.resolve()})" in res.output


def test_missing_model_falls_back_with_one_warning_quickly(world: dict[str, Path | str]) -> None:
    seen: list[str] = []
    t0 = time.monotonic()
    emb = load_embedder("acme-internal/no-such-model-anywhere", warn=seen.append)
    assert isinstance(emb, HashingEmbedder) and emb.name == "hashing-ngrams-512"
    assert len(seen) == 1 and "no-such-model-anywhere" in seen[0]
    assert "built-in hashing embedder" in seen[0]
    assert time.monotonic() - t0 < 60
    # a scan configured with it still runs, says so once, and names the real embedder
    cfg = Config(
        store=Path(world["store"]),
        repos=(RepoConfig("billing", Path(world["repo"])),),
        sources=(SourceConfig("wiki", "markdown", {"path": str(world["wiki"])}),),
        semantic=replace(SemanticConfig(), embedder="acme-internal/another-missing-model"),
    )
    store = Store.open(cfg.store)
    result = run_scan(cfg, store)
    store.close()
    assert result.embedder.startswith("hashing-ngrams-512")
    assert len(result.semantic["warnings"]) == 1
    assert "another-missing-model" in result.semantic["warnings"][0]


def test_cli_scan_prints_the_fallback_warning_once(world: dict[str, Path | str]) -> None:
    cfg = Path(world["tmp"]) / "stale.toml"
    cfg.write_text(
        f'store = "{world["store"]}"\n'
        f'[[repos]]\nname = "billing"\npath = "{world["repo"]}"\n'
        f'[[sources]]\nname = "wiki"\ntype = "markdown"\npath = "{world["wiki"]}"\n'
        '[semantic]\nembedder = "acme-internal/cli-missing-model"\n'
    )
    env = {
        k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    }
    out = subprocess.run(
        [sys.executable, "-m", "stale.cli", "scan", "--config", str(cfg)],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        check=False,
    )
    assert out.returncode == 1, out.stderr[-2000:]
    assert out.stderr.count("cli-missing-model") == 1, out.stderr
    assert "warning: cannot load sentence-transformers model" in out.stderr
    assert "embedder: hashing-ngrams-512" in out.stdout
