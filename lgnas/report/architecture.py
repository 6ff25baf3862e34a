"""A picture of a found architecture: its layers, each cell's nodes, ops, edges and merge.

Searched models are read more easily drawn than listed. :func:`architecture_text` renders one
line per stage (embeddings, each layer, the combination, the score) for ``report.md``;
:func:`plot_architecture` draws the same as ``architecture.png`` with matplotlib alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lgnas.models.architecture import Architecture
from lgnas.models.cell import CellSpec
from lgnas.models.graph_filter import describe_point
from lgnas.report.plots import _figure, _save

LAYER_FILL, NODE_FILL, MERGE_FILL, END_FILL = "#f1f5f9", "#dbeafe", "#fde68a", "#e2e8f0"


def architecture_text(arch: Mapping[str, Any], optim: Mapping[str, Any] | None = None) -> list[str]:
    """One line per stage of the model, from the embeddings to the score.

    A layer with one node reads ``layer 1: lightgcn``; a cell lists its nodes with the state
    each reads (``x`` the layer input, ``k`` node k) and which nodes its merge takes.
    """
    model = Architecture.from_dict(arch)
    lines = [f"embeddings: users and items, dim {model.dim}" + _content(model)]
    for layer in range(model.num_layers):
        lines.append(f"layer {layer + 1}: {_cell_text(model.cell(layer))}{_extras(model, layer)}")
    if model.num_layers:
        states = " + ".join(["embeddings", *(f"layer {k}" for k in range(1, model.num_layers + 1))])
        lines.append(f"combine: {model.combine} of {states}")
    lines.append("score: " + _score(model, optim))
    return lines


def blend_text(blend: Mapping[str, Any]) -> list[str]:
    """The line a blend adds below its GNN's: the filter and the weights (``family: blend``)."""
    filter_text = describe_point(blend["filter"])
    weight = blend["weight"]
    chosen = f"weight {weight}" if not isinstance(weight, list) else f"weight one of {weight}"
    return [
        f"blend: (1 - w) x these scores + w x graph filter ({filter_text}), each standardised "
        f"per user; {chosen} (chosen on validation)"
    ]


def plot_architecture(arch: Mapping[str, Any], path: Path, title: str = "") -> Path:
    """Draw the model top to bottom: embeddings, one band per layer holding its cell (node
    boxes, the edges from the state each reads, the merge of its loose ends), the
    combination and the score."""
    from matplotlib.patches import FancyBboxPatch

    model = Architecture.from_dict(arch)
    cells = [model.cell(layer) for layer in range(model.num_layers)]
    depths = [_depths(cell) for cell in cells]
    width = max([3, *(_widest(d) for d in depths)])
    # The input row, the node rows and, for a cell, the merge row.
    heights = [max(d) + (2.5 if len(d) > 1 else 1.5) for d in depths]
    total = 2 + sum(h + 1 for h in heights) + (1.2 if cells else 0)
    figure, (ax,) = _figure(2.0 + 1.9 * width, 0.62 * total + 0.6)
    ax.grid(False)
    ax.set_axis_off()
    ax.set_xlim(-0.5, width + 0.5)
    ax.set_ylim(-total, 1)
    middle = width / 2

    def box(x: float, y: float, text: str, fill: str, w: float = 1.5) -> tuple[float, float]:
        ax.add_patch(FancyBboxPatch((x - w / 2, y - 0.3), w, 0.6, fc=fill, ec="#334155",
                                    boxstyle="round,pad=0.05,rounding_size=0.12"))  # fmt: skip
        ax.text(x, y, text, ha="center", va="center", fontsize=8)
        return x, y

    def arrow(start: tuple[float, float], end: tuple[float, float]) -> None:
        ax.annotate("", xy=(end[0], end[1] + 0.33), xytext=(start[0], start[1] - 0.33),
                    arrowprops={"arrowstyle": "->", "color": "#475569", "lw": 1})  # fmt: skip

    previous = box(middle, 0, f"embeddings (dim {model.dim}){_content(model)}", END_FILL, 3.6)
    outputs = [previous]
    y = -1.0
    for layer, (cell, depth) in enumerate(zip(cells, depths)):
        band = heights[layer]
        ax.add_patch(FancyBboxPatch((-0.35, y - band + 0.35), width + 0.7, band - 0.1,
                                    fc=LAYER_FILL, ec="#94a3b8", lw=0.8,
                                    boxstyle="round,pad=0.02"))  # fmt: skip
        ax.text(-0.3, y + 0.1, f"layer {layer + 1}{_extras(model, layer)}", fontsize=8,
                va="top", color="#334155")  # fmt: skip
        places = {0: (middle, y - 0.55)}
        ax.plot(*places[0], "o", color="#334155", ms=4)
        arrow(previous, (middle, places[0][1] - 0.35))
        for k, (op, source) in enumerate(zip(cell.ops, cell.inputs), 1):
            row = [j for j in range(1, k + 1) if depth[j - 1] == depth[k - 1]]
            count = sum(1 for d in depth if d == depth[k - 1])
            x = middle + (row.index(k) - (count - 1) / 2) * 1.9
            places[k] = box(x, y - 0.4 - 1.0 * depth[k - 1], f"{k}: {op}", NODE_FILL)
            start = places[source]
            arrow((start[0], start[1] + (0.33 if source == 0 else 0)), places[k])
        if len(cell.ops) > 1:
            merged = box(middle, y - band + 0.9, f"{cell.merge}", MERGE_FILL, 1.2)
            for k in cell.outputs:
                arrow(places[k], merged)
            previous = merged
        else:
            previous = places[1]
        outputs.append(previous)
        y -= band + 1
    if cells:
        states = f"embeddings + {len(cells)} layer{'s' if len(cells) > 1 else ''}"
        combined = box(middle, y, f"combine: {model.combine} of {states}", END_FILL, 3.6)
        arrow(previous, combined)
        previous = combined
        y -= 1.2
    else:
        y = -1.2
    arrow(previous, box(middle, y, f"score: {model.score}", END_FILL, 3.6))
    if title:
        figure.suptitle(title, fontsize=9)
    return _save(figure, path)


def _depths(cell: CellSpec) -> list[int]:
    """Each node's row in its cell: one below the state it reads."""
    depth: list[int] = []
    for source in cell.inputs:
        depth.append(1 if source == 0 else depth[source - 1] + 1)
    return depth


def _widest(depths: list[int]) -> int:
    return max(depths.count(d) for d in set(depths))


def _cell_text(cell: CellSpec) -> str:
    if len(cell.ops) == 1:
        return cell.ops[0]
    nodes = ", ".join(
        f"node {k} = {op}({'x' if source == 0 else f'node {source}'})"
        for k, (op, source) in enumerate(zip(cell.ops, cell.inputs), 1)
    )
    merged = " + ".join(f"node {k}" for k in cell.outputs)
    return f"cell of {len(cell.ops)} nodes: {nodes}; output = {cell.merge} of {merged}"


def _extras(model: Architecture, layer: int) -> str:
    parts = []
    if model.transform[layer] != "none":
        parts.append(f"{model.transform[layer]} transform")
    if model.activation[layer] != "identity":
        parts.append(model.activation[layer])
    if "gat" in model.cell(layer).ops and model.heads > 1:
        parts.append(f"{model.heads} heads")
    return f" ({', '.join(parts)})" if parts else ""


def _content(model: Architecture) -> str:
    if model.item_content == "none":
        return ""
    return f" + item {model.item_content} ({model.fusion})"


def _score(model: Architecture, optim: Mapping[str, Any] | None) -> str:
    text = model.score
    if optim and model.score == "cosine":
        text += f" / τ {float(optim.get('temperature', 1.0)):g}"
    if optim and "loss" in optim:
        text += f", trained with {optim['loss']} loss"
    return text
