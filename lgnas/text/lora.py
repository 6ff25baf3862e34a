"""LoRA fine-tuning of the item-text encoder during a training run (off by default).

The default text path is frozen: item texts are encoded once, cached on disk
(:mod:`lgnas.text.cache`), and only the recommender's small adapter trains. With
``dataset.item_features.text.finetune.rank > 0`` the sentence encoder's transformer also gets
a ``peft`` LoRA adapter (Hu et al., ICLR 2022) that trains jointly with the recommender, so the
language model's item vectors themselves move towards what users co-consume.

Config (``dataset.item_features.text.finetune``; absent or ``rank: 0`` = off)::

    rank: 0                        # LoRA rank r; 0 = frozen encoder (the default path)
    alpha: 16                      # LoRA scaling alpha (the update is scaled by alpha / r)
    dropout: 0.0                   # LoRA dropout on the adapted layers' inputs
    target_modules: [query, value] # encoder Linear layers that get a LoRA adapter
    lr: 5.0e-4                     # Adam learning rate of the LoRA weights (null: optim.lr)
    items_per_step: 128            # items re-encoded with gradients per step (null: all the
                                   # batch's distinct items)

Choices, and why:

- **Where the switch lives.** Beside the encoder it tunes (``item_features.text``), so
  :func:`lgnas.data.features.build_item_content` hands the texts and the settings to the
  model through :class:`lgnas.data.features.ItemContent`; neither the training loop nor the
  architecture (a searched value) changes. A search's trials strip it
  (:func:`lgnas.data.features.frozen_text`) and keep the encoder frozen: only the final
  retrains (and ``python -m lgnas.train``) fine-tune.
- **Cost per step.** Re-encoding all items every step is what makes this expensive, so the
  model keeps a *bank* of every item's latest text embedding (initialised from the cached
  frozen embeddings, which equal the LoRA encoder's output before training since LoRA's B
  matrix starts at zero). Each training step re-encodes, with gradients, at most
  ``items_per_step`` of the distinct items in the batch (positives and negatives, a random
  subset when there are more), puts those rows into the bank's copy the recommender sees and
  writes them back detached; the other items use their bank rows. Texts are tokenised once.
  Before evaluation (whenever the weights changed since the last one), every item is
  re-encoded once under ``no_grad``, so full-ranking evaluation and cold items see the
  current encoder.
- **What trains.** Only the LoRA matrices (and the recommender's own adapter and fusion
  weights); the encoder's base weights stay frozen and the encoder stays in eval mode (no
  BERT dropout), so training and evaluation encode alike. The model's ``state_dict`` holds
  the LoRA weights but not the 22M frozen base weights (they come from the packaged
  encoder), so ``model.pt`` and the in-memory best-weights copies stay small.
- **Its own learning rate.** LoRA usually wants a smaller step than fresh embeddings
  (``optim.lr`` = 1e-3); ``lr`` sets it in a separate Adam parameter group.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from lgnas.errors import ConfigError

FINETUNE_KEYS = ("rank", "alpha", "dropout", "target_modules", "lr", "items_per_step")
_PEFT_HINT = 'Install it with the text extra: pip install "lgnas[text]" (or pip install peft).'


def require_peft() -> None:
    """A ConfigError naming the fix when ``peft`` cannot be imported."""
    try:
        import peft  # noqa: F401
    except ImportError:
        raise ConfigError(
            "item_features.text.finetune.rank > 0 fine-tunes the text encoder with LoRA, "
            f"which needs the package 'peft'. {_PEFT_HINT}"
        ) from None


@dataclass(frozen=True)
class LoraSettings:
    """The ``item_features.text.finetune`` section, validated; see the module docstring."""

    rank: int = 0
    alpha: float = 16.0
    dropout: float = 0.0
    target_modules: tuple[str, ...] = ("query", "value")
    lr: float | None = 5e-4
    items_per_step: int | None = 128

    @property
    def enabled(self) -> bool:
        return self.rank > 0

    @classmethod
    def from_config(cls, options: Mapping[str, Any] | None) -> LoraSettings:
        """Validate a config mapping (None or ``{}``: off); errors name the key at fault."""
        options = dict(options or {})
        where = "item_features.text.finetune"
        unknown = sorted(set(options) - set(FINETUNE_KEYS))
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {unknown}; valid: {list(FINETUNE_KEYS)}.")
        values = {**cls().__dict__, **{k: v for k, v in options.items()}}

        def bad(key: str, rule: str) -> ConfigError:
            return ConfigError(f"{where}.{key}={values[key]!r} must be {rule}.")

        def number(key: str) -> float | None:
            value = values[key]
            if isinstance(value, bool) or not isinstance(value, int | float):
                return None
            return float(value) if math.isfinite(value) else None

        rank = values["rank"]
        if isinstance(rank, bool) or not isinstance(rank, int) or rank < 0:
            raise bad("rank", "an integer >= 0 (0 = frozen encoder)")
        if not (number("alpha") or 0) > 0:
            raise bad("alpha", "a number > 0")
        dropout = number("dropout")
        if dropout is None or not 0 <= dropout < 1:
            raise bad("dropout", "in [0, 1)")
        modules = values["target_modules"]
        if isinstance(modules, str):
            modules = [modules]
        if (
            not isinstance(modules, Sequence)
            or not modules
            or not all(isinstance(m, str) and m for m in modules)
        ):
            raise bad("target_modules", "a non-empty list of module names, e.g. [query, value]")
        if values["lr"] is not None and not (number("lr") or 0) > 0:
            raise bad("lr", "a number > 0, or null for optim.lr")
        per_step = values["items_per_step"]
        if per_step is not None and (
            isinstance(per_step, bool) or not isinstance(per_step, int) or per_step < 1
        ):
            raise bad("items_per_step", "an integer >= 1, or null for all the batch's items")
        return cls(
            rank=rank,
            alpha=float(values["alpha"]),
            dropout=float(dropout),
            target_modules=tuple(modules),
            lr=None if values["lr"] is None else float(values["lr"]),
            items_per_step=per_step,
        )


@dataclass(frozen=True, eq=False)
class TextFinetune:
    """What a model needs to fine-tune its item texts' encoder: settings, encoder, texts.

    ``texts`` are the item texts in dense item id order, exactly those whose cached
    embeddings are :attr:`lgnas.data.features.ItemContent.text`.
    """

    settings: LoraSettings
    encoder: str
    texts: tuple[str, ...]


class LoraTextEncoder(nn.Module):
    """Item text embeddings from a LoRA-adapted copy of the sentence encoder.

    ``forward()`` returns ``[num_items, d_text]`` embeddings: in training, the bank with the
    step's re-encoded items (with gradients to the LoRA weights; see
    :meth:`set_batch_items`); in evaluation, every item encoded with the current weights
    (re-encoded only when they changed since the last evaluation).

    Args:
        finetune: Settings, encoder name and item texts.
        initial: ``[num_items, d_text]`` cached frozen embeddings of the same texts, the
            bank's start (the LoRA encoder's own output before any step).
    """

    def __init__(self, finetune: TextFinetune, initial: Tensor) -> None:
        super().__init__()
        require_peft()
        from peft import LoraConfig, inject_adapter_in_model

        from lgnas.text.encoder import load_encoder

        settings = self.settings = finetune.settings
        if len(finetune.texts) != len(initial):
            raise ConfigError(
                f"LoRA text encoder: {len(finetune.texts)} texts for {len(initial)} cached "
                "embeddings; build both from the same dataset (build_item_content)."
            )
        # A private copy: load_encoder's cached instance is shared and must stay frozen.
        encoder = load_encoder.__wrapped__(finetune.encoder)
        transformer = encoder[0].auto_model
        config = LoraConfig(
            r=settings.rank,
            lora_alpha=settings.alpha,
            lora_dropout=settings.dropout,
            target_modules=list(settings.target_modules),
        )
        try:
            inject_adapter_in_model(config, transformer)
        except ValueError as error:  # peft: target modules not found in the model
            raise ConfigError(
                f"item_features.text.finetune.target_modules={list(settings.target_modules)}: "
                f"{str(error).splitlines()[0]}"
            ) from None
        for name, parameter in encoder.named_parameters():
            parameter.requires_grad_("lora_" in name)
        self.encoder = encoder
        self.encoder.eval()
        tokens = encoder.tokenizer(
            list(finetune.texts),
            padding=True,
            truncation=True,
            max_length=encoder.max_seq_length,
            return_tensors="pt",
        )
        keys = ("input_ids", "attention_mask", "token_type_ids")
        self._token_keys = [key for key in keys if key in tokens]
        for key in self._token_keys:
            self.register_buffer(f"_tok_{key}", tokens[key], persistent=False)
        self.register_buffer("bank", initial.detach().float().clone(), persistent=False)
        # The bank equals the encoder's output now (LoRA B starts at zero). Evaluation compares
        # the LoRA weights with this copy of those the bank was encoded with, so any change
        # (an optimiser step, load_state_dict, a manual edit) re-encodes. (Version counters
        # would be cheaper, but fused Adam steps do not bump them.)
        self._bank_weights = self._snapshot()
        self._batch_items: Tensor | None = None
        self.register_load_state_dict_post_hook(_after_load)
        # The encoder stays in eval mode on purpose; Lightning would warn about it every fit.
        warnings.filterwarnings("ignore", message=r"Found \d+ module\(s\) in eval mode")

    def lora_parameters(self) -> list[nn.Parameter]:
        """The trainable LoRA matrices."""
        return [p for p in self.encoder.parameters() if p.requires_grad]

    def _snapshot(self) -> list[Tensor]:
        return [p.detach().clone() for p in self.lora_parameters()]

    @property
    def stale(self) -> bool:
        """Whether the LoRA weights changed since the bank was last fully encoded."""
        weights = self.lora_parameters()
        return len(weights) != len(self._bank_weights) or not all(
            torch.equal(p.detach(), q.to(p.device)) for p, q in zip(weights, self._bank_weights)
        )

    def train(self, mode: bool = True) -> LoraTextEncoder:
        super().train(mode)
        self.encoder.eval()  # no BERT dropout: training and evaluation encode alike
        return self

    def set_batch_items(self, items: Tensor) -> None:
        """Item ids of the next training step (positives and negatives, any shape)."""
        self._batch_items = items.reshape(-1)

    def encode(self, items: Tensor) -> Tensor:
        """``[len(items), d_text]`` sentence embeddings of those items' texts, padding trimmed."""
        mask = self._tok_attention_mask[items]
        width = int(mask.sum(1).max()) if len(items) else 1
        features = {k: getattr(self, f"_tok_{k}")[items, :width] for k in self._token_keys}
        return self.encoder(features)["sentence_embedding"]

    @torch.no_grad()
    def refresh(self, chunk: int = 128) -> None:
        """Re-encode every item with the current weights into the bank (longest texts first,
        in chunks of similar length, so little padding is computed)."""
        order = torch.argsort(self._tok_attention_mask.sum(1), descending=True)
        for start in range(0, len(order), chunk):
            items = order[start : start + chunk]
            self.bank[items] = self.encode(items).to(self.bank.dtype)
        self._bank_weights = self._snapshot()

    def forward(self) -> Tensor:
        if not self.training:
            if self.stale:
                self.refresh()
            return self.bank
        items, self._batch_items = self._batch_items, None
        if items is None:  # no step announced (a bare forward in train mode): bank only
            return self.bank
        items = torch.unique(items)
        cap = self.settings.items_per_step
        if cap is not None and len(items) > cap:
            items = items[torch.randperm(len(items), device=items.device)[:cap]]
        fresh = self.encode(items)
        embeddings = self.bank.index_put((items,), fresh)  # a copy; gradients reach `fresh`
        self.bank[items] = fresh.detach()
        return embeddings

    def state_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Only the LoRA weights: the frozen base encoder comes from its package."""
        prefix = kwargs.get("prefix", args[1] if len(args) > 1 else "")
        out = super().state_dict(*args, **kwargs)
        for key in [k for k in out if k.startswith(prefix) and "lora_" not in k]:
            del out[key]
        return out


def _after_load(module: LoraTextEncoder, incompatible: Any) -> None:
    """Base encoder weights are never saved, so they are not missing."""
    base = {f"encoder.{name}" for name, _ in module.encoder.named_parameters()}
    base |= {f"encoder.{name}" for name, _ in module.encoder.named_buffers()}
    missing = incompatible.missing_keys
    for key in [k for k in missing if "lora_" not in k]:
        # Full keys carry the parents' prefix, e.g. item_content.text_encoder.encoder.0...
        if any(key == name or key.endswith(f".{name}") for name in base):
            missing.remove(key)
