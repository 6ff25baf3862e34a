"""Item side features from a dataset's item table: text for a language model, metadata codes.

Both read :attr:`Interactions.item_features` (the side-table columns aligned with dense item
ids), so they work for every loader that keeps a side table: RecBole atomic ``.item`` files,
GroupLens ``u.item`` and CSV ``item_file`` tables.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from lgnas.data.interactions import Interactions
from lgnas.errors import ConfigError, DataError

if TYPE_CHECKING:
    from lgnas.text.lora import TextFinetune

# Templates for the side tables lgnas's loaders produce, tried in order when none is given.
DEFAULT_TEMPLATES = (
    "{movie_title} ({release_year}). Genres: {class}",  # RecBole atomic ml-100k
    "{title}. Genres: {genres}",  # GroupLens u.item (the title carries the year)
)
_YEAR = re.compile(r"(1[89]|20)\d\d")


def _columns(data: Interactions, where: str) -> Mapping[str, np.ndarray]:
    if not data.item_features:
        raise DataError(
            f"{where}: this dataset has no item side table, so items have no text or "
            "metadata. Load one (atomic <name>.item, GroupLens u.item, or csv item_file)."
        )
    return data.item_features


def item_texts(data: Interactions, template: str | None = None) -> list[str]:
    """One text per dense item id, ``template`` filled from the item's side-table columns.

    ``template`` is a ``str.format`` string over column names, e.g. ``"{title}"`` for one
    column or ``"{title} ({year}): {description}"``; without one, the first of
    :data:`DEFAULT_TEMPLATES` whose columns all exist is used.
    """
    columns = _columns(data, "item text")
    if template is None:
        template = next(
            (t for t in DEFAULT_TEMPLATES if set(template_fields(t)) <= set(columns)), None
        )
        if template is None:
            raise ConfigError(
                f"item text: no default template fits the item table's columns "
                f"{sorted(columns)}; set item_features.text.template, e.g. "
                f"'{{{sorted(columns)[0]}}}'."
            )
    missing = sorted(set(template_fields(template)) - set(columns))
    if missing:
        raise ConfigError(
            f"item text template {template!r} names column(s) {missing} that the item table "
            f"lacks; its columns are {sorted(columns)}. Fix item_features.text.template."
        )
    rows = zip(*(columns[name] for name in template_fields(template)), strict=True)
    names = template_fields(template)
    return [template.format_map(dict(zip(names, row, strict=True))).strip() for row in rows]


def template_fields(template: str) -> list[str]:
    """Column names a ``str.format`` template reads, in order, without repeats."""
    try:
        parsed = [name for _, name, _, _ in string.Formatter().parse(template) if name]
    except ValueError as error:
        raise ConfigError(f"item text template {template!r} is malformed: {error}") from None
    return list(dict.fromkeys(parsed))


@dataclass(frozen=True)
class MetadataSpec:
    """Which side-table columns become categorical item codes.

    Attributes:
        multi_hot: Columns holding space-separated tags (genres), one bit per tag.
        one_hot: Columns holding one category each.
        year: A column holding a year or a date containing one; one-hot by ``year_bucket``.
        year_bucket: Width of the year buckets: 1 = exact year, 10 = decade.
    """

    multi_hot: Sequence[str] = ()
    one_hot: Sequence[str] = ()
    year: str | None = None
    year_bucket: int = 10


def item_metadata(data: Interactions, spec: MetadataSpec) -> np.ndarray:
    """Multi-hot / one-hot item codes, ``float32 [num_items, codes]``; unknown values are 0."""
    columns = _columns(data, "item metadata")
    wanted = [*spec.multi_hot, *spec.one_hot, *([spec.year] if spec.year else [])]
    missing = sorted(set(wanted) - set(columns))
    if missing:
        raise ConfigError(
            f"item metadata: column(s) {missing} not in the item table (columns: "
            f"{sorted(columns)}); fix item_features.meta."
        )
    if not wanted:
        raise ConfigError("item metadata: name at least one column in item_features.meta.")
    if not isinstance(spec.year_bucket, int) or spec.year_bucket < 1:
        raise ConfigError(f"item metadata: year_bucket={spec.year_bucket!r} must be an int >= 1.")
    blocks = [_codes([value.split() for value in columns[name]]) for name in spec.multi_hot]
    blocks += [
        _codes([[value] if value else [] for value in columns[name]]) for name in spec.one_hot
    ]
    if spec.year:
        years = [_YEAR.search(value) for value in columns[spec.year]]
        buckets = [[str(int(m.group()) // spec.year_bucket)] if m else [] for m in years]
        blocks.append(_codes(buckets))
    return np.concatenate(blocks, axis=1)


def _codes(tags: list[list[str]]) -> np.ndarray:
    """One column per distinct tag (sorted, so the layout is reproducible)."""
    vocabulary = {tag: j for j, tag in enumerate(sorted({t for row in tags for t in row}))}
    codes = np.zeros((len(tags), len(vocabulary)), dtype=np.float32)
    for i, row in enumerate(tags):
        codes[i, [vocabulary[t] for t in row]] = 1.0
    return codes


@dataclass(frozen=True, eq=False)  # numpy fields: compare arrays, not objects
class ItemContent:
    """Frozen per-item content vectors a model may adapt into its embedding space.

    Attributes:
        text: Language-model embeddings of the item texts, ``[num_items, d_text]``.
        meta: Categorical metadata codes, ``[num_items, d_meta]``.
        text_finetune: Set only when ``item_features.text.finetune.rank > 0``: the item
            texts, their encoder and the LoRA settings, so a model using ``text`` fine-tunes
            the encoder during training (:mod:`lgnas.text.lora`); ``text`` then holds the
            embeddings it starts from. None (the default) keeps every model on ``text``.
    """

    text: np.ndarray | None = None
    meta: np.ndarray | None = None
    text_finetune: TextFinetune | None = None

    def frozen(self) -> ItemContent:
        """The same content with the text encoder frozen (no LoRA fine-tuning)."""
        return self if self.text_finetune is None else replace(self, text_finetune=None)

    def select(self, kind: str) -> np.ndarray:
        """The content an architecture's ``item_content`` names: text, meta or both."""
        parts = {"text": [self.text], "meta": [self.meta], "both": [self.text, self.meta]}[kind]
        if any(part is None for part in parts):
            have = [name for name in ("text", "meta") if getattr(self, name) is not None]
            raise ConfigError(
                f"the architecture uses item_content={kind!r} but the dataset provides "
                f"{have or 'no item content'}; add item_features.{{text,meta}} to the dataset "
                "config (see conf/dataset/ml100k_text.yaml) or change item_content."
            )
        return np.concatenate(parts, axis=1).astype(np.float32)


_TEXT_KEYS = ("template", "encoder", "cache_dir", "batch_size", "progress", "finetune")


def frozen_text(split: Any) -> Any:
    """``split`` (a :class:`lgnas.data.splits.Split`) with its text encoder frozen.

    A search's trials use it: the encoder stays frozen while architectures are compared, and
    LoRA fine-tuning (``item_features.text.finetune``) happens in the final retrains only.
    """
    content = split.item_content
    if content is None or content.text_finetune is None:
        return split
    return replace(split, item_content=content.frozen())


def build_item_content(data: Interactions, cfg: Mapping[str, object]) -> ItemContent:
    """The ``item_features`` section of a dataset config as :class:`ItemContent`.

    ``text: {template, encoder, cache_dir, batch_size, progress}`` encodes item texts (once,
    cached; see :mod:`lgnas.text`); ``meta: {multi_hot, one_hot, year, year_bucket}`` builds
    :func:`item_metadata`. Either may be left out. ``text.finetune: {rank, alpha, dropout,
    target_modules, lr, items_per_step}`` with ``rank > 0`` (off by default) also hands the
    texts to the model for LoRA fine-tuning of the encoder (:mod:`lgnas.text.lora`).
    """
    if cfg.get("text") is None and cfg.get("finetune") is not None:
        raise ConfigError(
            "item_features.finetune: LoRA fine-tuning of the text encoder needs item text; "
            "configure item_features.text (see conf/dataset/ml100k_text.yaml) and set "
            "item_features.text.finetune.rank instead."
        )
    unknown = sorted(set(cfg) - {"text", "meta"})
    if unknown:
        raise ConfigError(f"item_features: unknown key(s) {unknown}; valid keys: ['meta', 'text'].")
    text = meta = finetune = None
    if cfg.get("text") is not None:
        options = dict(cfg["text"])  # type: ignore[call-overload]
        bad = sorted(set(options) - set(_TEXT_KEYS))
        if bad:
            raise ConfigError(
                f"item_features.text: unknown key(s) {bad}; valid: {list(_TEXT_KEYS)}."
            )
        from lgnas.text import DEFAULT_ENCODER, cached_embeddings
        from lgnas.text.lora import LoraSettings, TextFinetune, require_peft

        lora = LoraSettings.from_config(options.get("finetune"))
        if lora.enabled:
            require_peft()  # before minutes of encoding, not after
        texts = item_texts(data, options.get("template"))
        encoder = str(options.get("encoder") or DEFAULT_ENCODER)
        text, _ = cached_embeddings(
            texts,
            encoder,
            cache_dir=options.get("cache_dir"),
            batch_size=int(options.get("batch_size", 64)),
            progress=bool(options.get("progress", True)),
        )
        if lora.enabled:
            finetune = TextFinetune(lora, encoder, tuple(texts))
    if cfg.get("meta") is not None:
        options = dict(cfg["meta"])  # type: ignore[call-overload]
        try:
            spec = MetadataSpec(**options)
        except TypeError:
            raise ConfigError(
                f"item_features.meta: keys {sorted(options)}; valid keys: "
                "['multi_hot', 'one_hot', 'year', 'year_bucket']."
            ) from None
        meta = item_metadata(data, spec)
    return ItemContent(text=text, meta=meta, text_finetune=finetune)
