"""Item content in the embedding space: small trainable adapters and fusion with ID embeddings.

The content itself (language-model embeddings, metadata codes) stays frozen; only the
adapter and the fusion weights train, so a search can afford to try many of them. The one
exception is opt-in: with ``item_features.text.finetune.rank > 0`` the text embeddings come
from a LoRA-adapted encoder that trains too (:mod:`lgnas.text.lora`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

if TYPE_CHECKING:
    from lgnas.text.lora import LoraTextEncoder, TextFinetune

ADAPTERS = ("linear", "mlp", "lowrank")
FUSIONS = ("none", "add", "concat", "gate")
ITEM_CONTENTS = ("none", "meta", "text", "both")


def build_adapter(kind: str, in_dim: int, dim: int, rank: int) -> nn.Module:
    """Map content vectors to ``dim``: ``linear``, a 1-hidden-layer ``mlp`` (width ``dim``),
    or ``lowrank``, a rank-``rank`` factorised linear map (``rank * (in + dim)`` weights)."""
    if kind == "linear":
        return nn.Linear(in_dim, dim)
    if kind == "mlp":
        return nn.Sequential(nn.Linear(in_dim, dim), nn.ReLU(), nn.Linear(dim, dim))
    return nn.Sequential(nn.Linear(in_dim, rank, bias=False), nn.Linear(rank, dim))


class ItemContentEncoder(nn.Module):
    """Layer-0 item representations from frozen content, fused with the item ID embeddings.

    ``add``: ``e_id + A(c)``; ``concat``: ``W [e_id; A(c)]``; ``gate``:
    ``g * e_id + (1 - g) * A(c)`` with ``g = sigmoid(W [e_id; A(c)])``; ``none``: ``A(c)``
    alone (pure-content items, no ID table). An item with no training interaction has an
    ID embedding that was never trained, only initialised; it is zeroed (``has_id``), so a
    cold item is represented by its content alone. ``id_dropout`` zeroes each item's ID
    embedding with that probability per training step (DropoutNet, Volkovs et al., NeurIPS
    2017), so the content path learns to stand alone, as it must for cold items.

    Args:
        content: Frozen ``[num_items, d_content]`` vectors (a buffer, never trained).
        has_id: ``[num_items]`` booleans, True for items seen in training.
        dim: Embedding dimension.
        adapter: One of :data:`ADAPTERS`.
        rank: Rank of the ``lowrank`` adapter.
        fusion: One of :data:`FUSIONS`.
        id_dropout: Training-time probability of dropping an item's ID embedding.
        text_finetune: LoRA fine-tuning of the text encoder (None: frozen text, the
            default). The first ``text_dim`` columns of ``content`` are then the text
            embeddings it starts from; each forward takes them from
            :class:`lgnas.text.lora.LoraTextEncoder` instead (``text_encoder``).
        text_dim: Width of the text part of ``content`` (with ``text_finetune``).
    """

    def __init__(
        self,
        content: Tensor,
        has_id: Tensor,
        dim: int,
        adapter: str,
        rank: int,
        fusion: str,
        id_dropout: float = 0.0,
        text_finetune: TextFinetune | None = None,
        text_dim: int = 0,
    ) -> None:
        super().__init__()
        self.register_buffer("content", content.float(), persistent=False)
        self.register_buffer("has_id", has_id.float().unsqueeze(1), persistent=False)
        self.adapter = build_adapter(adapter, content.shape[1], dim, rank)
        self.fusion = fusion
        self.id_dropout = id_dropout
        self.mix = nn.Linear(2 * dim, dim) if fusion in ("concat", "gate") else None
        # Registered last, so without fine-tuning parameters and their order are unchanged.
        self.text_encoder: LoraTextEncoder | None = None
        self.text_dim = text_dim
        if text_finetune is not None:
            from lgnas.text.lora import LoraTextEncoder

            self.text_encoder = LoraTextEncoder(text_finetune, self.content[:, :text_dim])

    def set_batch_items(self, items: Tensor) -> None:
        """Announce the next training step's items (fine-tuned text re-encodes only those)."""
        if self.text_encoder is not None:
            self.text_encoder.set_batch_items(items)

    def forward(self, item_id: Tensor | None) -> Tensor:
        """``[num_items, dim]`` item representations; ``item_id`` is None for ``fusion=none``."""
        content = self.content
        if self.text_encoder is not None:
            text = self.text_encoder()
            rest = content[:, self.text_dim :]
            content = torch.cat([text, rest], dim=1) if rest.shape[1] else text
        content = self.adapter(content)
        if item_id is None:
            return content
        keep = self.has_id
        if self.training and self.id_dropout > 0:
            keep = keep * (torch.rand_like(keep) >= self.id_dropout)
        item_id = item_id * keep
        if self.fusion == "add":
            return item_id + content
        both = torch.cat([item_id, content], dim=1)
        if self.fusion == "concat":
            return self.mix(both)
        gate = torch.sigmoid(self.mix(both))
        return gate * item_id + (1 - gate) * content
