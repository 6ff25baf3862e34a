"""A GNN recommender's architecture as a plain, validated value, and the published presets."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

from lgnas.errors import ConfigError
from lgnas.models.cell import MAX_NODES, MERGES, CellSpec, node_op_names
from lgnas.models.content import ADAPTERS, FUSIONS, ITEM_CONTENTS
from lgnas.models.layers import op_names

# The built-in message-passing operators (lgnas.models.layers, where each is registered with
# its paper and formula). Validation reads the registry itself, so ops registered later count.
OPS = op_names()
COMBINATIONS = ("last", "mean", "sum", "concat", "weighted")
TRANSFORMS = ("none", "linear")
ACTIVATIONS = ("identity", "relu", "leaky_relu", "tanh", "sigmoid", "elu")
NORMALISATIONS = ("symmetric", "left", "none")
SCORES = ("dot", "cosine", "mlp", "linear")  # mlp and linear: click-through task only
EDGES = ("clicks", "impressions")  # impressions: click-through task only
MAX_LAYERS = 4
_OPS_HINT = " (the registered ops; `python -m lgnas.models` lists them with their papers)"
# Node k >= 2 of a layer's cell: its op and input keys. Node 1's op is ``op``, its input the
# layer input.
NODE_KEYS = {k: (f"op{k}", f"input{k}") for k in range(2, MAX_NODES + 1)}
CELL_KEYS = ("cell_nodes", *(key for pair in NODE_KEYS.values() for key in pair), "cell_merge")


def _choice(key: str, value: Any, valid: Sequence[str], hint: str = "") -> str:
    if value not in valid:
        raise ConfigError(
            f"architecture key {key!r}: unknown value {value!r}; choose one of {list(valid)}" + hint
        )
    return value


def _layer_values(key: str, value: Any, num_layers: int) -> list[Any]:
    """Broadcast one value to every layer, or check a per-layer list has one per layer."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        value = [value] * num_layers
    value = list(value)
    if len(value) != num_layers:
        raise ConfigError(
            f"architecture key {key!r} lists {len(value)} values for {num_layers} layers; "
            "give one value for all layers or exactly one per layer"
        )
    return value


def _per_layer(
    key: str, value: Any, num_layers: int, valid: Sequence[str], hint: str = ""
) -> tuple[str, ...]:
    """One valid choice per layer."""
    return tuple(_choice(key, v, valid, hint) for v in _layer_values(key, value, num_layers))


def _node_count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_NODES:
        raise ConfigError(
            f"architecture key 'cell_nodes': {value!r} is not an integer in 1..{MAX_NODES}"
        )
    return value


def _node_input(key: str, node: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or value not in range(node):
            raise ConfigError(
                f"architecture key {key!r}: {value!r} is not an input node {node} can read; "
                f"choose 0 (the layer input) or an earlier node, 1..{node - 1}"
            )
        return int(value)

    return check


def _per_node(
    key: str, value: Any, present: Sequence[bool], check: Callable[[Any], Any]
) -> tuple[Any, ...]:
    """A node key's value per layer: checked where the layer's cell has the node, ``None``
    where it has not (whatever was given there, so one cell has one description)."""
    values = _layer_values(key, value, len(present))
    out = []
    for layer, (v, has_node) in enumerate(zip(values, present), 1):
        if v is None and has_node:
            raise ConfigError(
                f"architecture key {key!r}: layer {layer}'s cell has this node but no value "
                "for it; give one (null only where the cell has fewer nodes)"
            )
        checked = None if v is None else check(v)
        out.append(checked if has_node else None)
    return tuple(out)


@dataclass(frozen=True)
class Architecture:
    """What a candidate GNN recommender is made of; every field is a searchable choice.

    Per-layer fields (``op``, ``transform``, ``activation``) take one value for all layers or a
    list with one value per layer. ``num_layers=0`` is matrix factorisation.

    Attributes:
        num_layers: Message-passing layers, 0 to 4.
        op: Message-passing operator per layer: a name registered with
            :func:`~lgnas.models.layers.register_op` (the built-in :data:`OPS`;
            ``python -m lgnas.models`` lists them).
        combine: How layer outputs (including the input embeddings) become the final
            representation, one of :data:`COMBINATIONS`; ``weighted`` learns softmax weights.
        transform: Extra feature transform after each layer's operator: ``none`` or ``linear``.
        activation: Non-linearity after each layer.
        norm: Adjacency normalisation used by the weighted-sum operators.
        layer_l2norm: L2-normalise each layer's output before combination (NGCF does).
        dropout: Dropout on each layer's output (NGCF's message dropout).
        edge_dropout: Fraction of edges dropped per training step (LightGCN's graph dropout).
        dim: Embedding dimension.
        residual: Add each layer's input to its output.
        heads: Attention heads of ``gat`` layers (averaged, so the width stays ``dim``).
        item_content: Item side features fed through the adapter: ``none`` (ID embeddings
            only; the three keys below are then ignored), ``meta``, ``text`` or ``both``.
        fusion: How adapted content joins the item ID embedding (``add``, ``concat``,
            ``gate``), or ``none``: no item ID table at all (pure-content items).
        adapter: Content-to-embedding map: ``linear``, ``mlp`` or ``lowrank``.
        adapter_rank: Rank of the ``lowrank`` adapter.
        id_dropout: Probability of dropping an item's ID embedding per training step, so
            fused models learn to rank by content alone (as cold items need).
        score: How a user and an item are scored: ``dot`` product of the final
            representations, or ``cosine`` (both L2-normalised first). Cosine scores lie in
            [-1, 1], so they train with a loss temperature (``optim.temperature``), as in
            sampled-softmax recommenders; the ranking then ignores popularity-driven norms.
        cell_nodes: Nodes of each layer's cell (:mod:`lgnas.models.cell`), 1 to 4. One node
            is a plain layer: ``op`` applied to the layer input. ``op`` is node 1's op.
        op2, op3, op4: Node ``k``'s op: a registered op or ``skip`` / ``linear``.
        input2, input3, input4: The state node ``k`` reads: 0 (the layer input) or an
            earlier node ``1..k-1``; by default the previous node (a chain).
        cell_merge: How a cell's loose ends (nodes no later node reads) become the layer's
            output: ``sum``, ``mean``, ``concat`` (projected back to ``dim``) or ``attention``.
            Node and merge keys hold ``None`` in layers whose cell lacks the node (or, for the
            merge, has one node), whatever was given there.
            The click-through task scores each pair with a pointwise head
            (:class:`~lgnas.models.pointwise.PointwiseHead`, biases added), which also offers
            ``mlp`` (over ``[u, i, u * i]``) and ``linear`` (the biases alone).
        edges: Which training rows are the graph's edges. ``clicks`` (the default): the
            positive interactions only. ``impressions`` (click-through task only): every
            training impression, clicked or not, so the layers also pass along what users
            were shown and chose to rate, not only what they liked; the labels still come
            from the pointwise head alone.
    """

    num_layers: int = 3
    op: tuple[str, ...] | str = "lightgcn"
    combine: str = "mean"
    transform: tuple[str, ...] | str = "none"
    activation: tuple[str, ...] | str = "identity"
    norm: str = "symmetric"
    layer_l2norm: bool = False
    dropout: float = 0.0
    edge_dropout: float = 0.0
    dim: int = 64
    residual: bool = False
    heads: int = 1
    item_content: str = "none"
    fusion: str = "add"
    adapter: str = "linear"
    adapter_rank: int = 8
    id_dropout: float = 0.0
    score: str = "dot"
    cell_nodes: tuple[int, ...] | int = 1
    op2: tuple[str | None, ...] | str = "lightgcn"
    op3: tuple[str | None, ...] | str = "lightgcn"
    op4: tuple[str | None, ...] | str = "lightgcn"
    input2: tuple[int | None, ...] | int = 1
    input3: tuple[int | None, ...] | int = 2
    input4: tuple[int | None, ...] | int = 3
    cell_merge: tuple[str | None, ...] | str = "sum"
    edges: str = "clicks"

    def __post_init__(self) -> None:
        if not isinstance(self.num_layers, int) or not 0 <= self.num_layers <= MAX_LAYERS:
            raise ConfigError(
                f"architecture key 'num_layers': {self.num_layers!r} is not an integer "
                f"in 0..{MAX_LAYERS}"
            )
        set_ = object.__setattr__  # frozen: normalise once, here
        set_(self, "op", _per_layer("op", self.op, self.num_layers, op_names(), _OPS_HINT))
        set_(
            self, "transform", _per_layer("transform", self.transform, self.num_layers, TRANSFORMS)
        )
        set_(
            self,
            "activation",
            _per_layer("activation", self.activation, self.num_layers, ACTIVATIONS),
        )
        self._check_cells()
        _choice("combine", self.combine, COMBINATIONS)
        _choice("norm", self.norm, NORMALISATIONS)
        _choice("item_content", self.item_content, ITEM_CONTENTS)
        _choice("fusion", self.fusion, FUSIONS)
        _choice("adapter", self.adapter, ADAPTERS)
        _choice("score", self.score, SCORES)
        _choice("edges", self.edges, EDGES)
        for key in ("dropout", "edge_dropout", "id_dropout"):
            value = getattr(self, key)
            if not 0.0 <= float(value) < 1.0:
                raise ConfigError(f"architecture key {key!r}: {value!r} must be in [0, 1)")
        for key in ("dim", "heads", "adapter_rank"):
            value = getattr(self, key)
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"architecture key {key!r}: {value!r} must be a positive integer")

    def _check_cells(self) -> None:
        """One node count per layer; node and merge keys checked, ``None`` where absent."""
        set_ = object.__setattr__
        counts = _layer_values("cell_nodes", self.cell_nodes, self.num_layers)
        nodes = tuple(_node_count(count) for count in counts)
        set_(self, "cell_nodes", nodes)
        for node, (op_key, input_key) in NODE_KEYS.items():
            present = [count >= node for count in nodes]
            op_check = functools.partial(_choice, op_key, valid=node_op_names())
            set_(self, op_key, _per_node(op_key, getattr(self, op_key), present, op_check))
            inputs = _per_node(
                input_key, getattr(self, input_key), present, _node_input(input_key, node)
            )
            set_(self, input_key, inputs)
        merged = [count > 1 for count in nodes]
        merge_check = functools.partial(_choice, "cell_merge", valid=MERGES)
        set_(self, "cell_merge", _per_node("cell_merge", self.cell_merge, merged, merge_check))

    def cell(self, layer: int) -> CellSpec:
        """Layer ``layer``'s (0-based) cell: its nodes' ops and inputs, and the merge."""
        count = self.cell_nodes[layer]
        nodes = range(2, count + 1)
        return CellSpec(
            ops=(self.op[layer], *(getattr(self, NODE_KEYS[k][0])[layer] for k in nodes)),
            inputs=(0, *(getattr(self, NODE_KEYS[k][1])[layer] for k in nodes)),
            merge=self.cell_merge[layer] or "sum",
        )

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Architecture:
        """Build from a plain mapping (YAML, a search space point), refusing unknown keys."""
        valid = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - valid)
        if unknown:
            raise ConfigError(
                f"unknown architecture key(s) {unknown}; valid keys are {sorted(valid)}"
            )
        plain = {
            k: list(v) if isinstance(v, Sequence) and not isinstance(v, str) else v
            for k, v in values.items()
        }
        return cls(**plain)

    def to_dict(self) -> dict[str, Any]:
        """A plain mapping that :meth:`from_dict` turns back into an equal architecture.

        Without cells (every layer one node) the cell keys are left out, and so are the
        default ``edges``, so such an architecture writes the mapping it wrote before these
        keys existed (saved recipes compare equal and are reused).
        """
        plain = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        if all(count == 1 for count in self.cell_nodes):
            for key in CELL_KEYS:
                del plain[key]
        if self.edges == EDGES[0]:
            del plain["edges"]
        return plain


PRESETS: dict[str, dict[str, Any]] = {
    # BPR-MF (Rendle et al., UAI 2009): the ID embeddings alone.
    "mf": {"num_layers": 0},
    # LightGCN (He et al., SIGIR 2020): symmetric-normalised sums, layer weights 1/(L+1).
    "lightgcn": {"num_layers": 3, "op": "lightgcn", "combine": "mean"},
    # NGCF (Wang et al., SIGIR 2019): bi-interaction layers, LeakyReLU, message dropout 0.1,
    # L2-normalised layer outputs concatenated.
    "ngcf": {
        "num_layers": 3,
        "op": "ngcf",
        "combine": "concat",
        "activation": "leaky_relu",
        "dropout": 0.1,
        "layer_l2norm": True,
    },
    # Click-through baselines (task=ctr), whose pointwise head adds user, item and global
    # biases. FM (Rendle, ICDM 2010) over the user and item id fields is biased MF; in
    # ranking it is mf. LR: logistic regression on the ids, the biases alone (dim 1: the
    # unused embedding table stays tiny).
    "fm": {"num_layers": 0},
    "lr": {"num_layers": 0, "dim": 1, "score": "linear"},
}


MESSAGE_PASSING_KEYS = (
    "num_layers",
    "op",
    "combine",
    "transform",
    "activation",
    "norm",
    "layer_l2norm",
    "dropout",
    "edge_dropout",
    "residual",
    "heads",
    "edges",
    *CELL_KEYS,
)
"""The fields that say how embeddings are propagated over the graph; the rest (embeddings,
item content, score) are what a model without layers has too."""


def propagated(arch: Architecture, layers: int) -> Architecture:
    """``arch``'s embeddings, item content and score under ``layers`` LightGCN layers (the
    preset's parameter-free propagation), whatever message passing ``arch`` had."""
    kept = {k: v for k, v in arch.to_dict().items() if k not in MESSAGE_PASSING_KEYS}
    return preset("lightgcn", **kept, num_layers=layers)


def preset(name: str, **overrides: Any) -> Architecture:
    """A published architecture by name, optionally with some fields overridden."""
    if name not in PRESETS:
        raise ConfigError(f"unknown model preset {name!r}; choose one of {sorted(PRESETS)}")
    return Architecture.from_dict({**PRESETS[name], **overrides})
