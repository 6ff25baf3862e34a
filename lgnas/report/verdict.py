"""The short verdict a search ends with: what was found, how it compares, what to run next.

``python -m lgnas`` prints it (at most :data:`MAX_LINES` lines) and ``report.md`` begins with
it; the long tables follow in ``report.md``.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from lgnas.models.blend import FAMILY as BLEND
from lgnas.models.ensemble import FAMILY as ENSEMBLE
from lgnas.models.graph_filter import describe_point
from lgnas.report.finals import answer_name
from lgnas.report.write import comparison_headline, epochs_text, stop_text

MAX_LINES = 15


def describe_model(arch: Mapping[str, Any], optim: Mapping[str, Any] | None = None) -> str:
    """One line for an architecture and its training recipe, naming only what departs from
    the plain choices: ``3 × lightgcn, combine mean, score cosine, dim 64 · softmax loss
    (τ 0.2, 8 negatives), lr 0.001, reg 1e-04``.

    Args:
        arch: An :class:`~lgnas.models.architecture.Architecture`'s ``to_dict()`` (or the
            ``arch`` of ``best_architecture.yaml``).
        optim: An :class:`~lgnas.models.optim.Optim`'s ``to_dict()``, if known. A blend's
            GNN is described, then what it is blended with; an ensemble's weights and its
            heaviest member.
    """
    if arch.get("family") == ENSEMBLE:
        weights, members = arch["weight"], arch["members"]
        heaviest = members[max(range(len(weights)), key=lambda n: weights[n])]
        shares = ", ".join(
            f"{member.get('name', f'member {n}')} {weight:.2f}"
            for n, (member, weight) in enumerate(zip(members, weights), 1)
        )
        return (
            f"an ensemble of {len(members)} retrained models (weights {shares}; chosen on "
            f"validation); the heaviest: {describe_model(heaviest['arch'], heaviest.get('optim'))}"
        )
    if arch.get("family") == BLEND:
        point = describe_point(arch["filter"])
        refit = ", both refitted on train + validation for the test" if arch.get("refit") else ""
        return (
            f"{describe_model(arch['base'], optim)} · blended with a graph filter ({point}), "
            f"filter weight {arch['weight']}{refit}"
        )
    layers = int(arch.get("num_layers", 0))
    parts = [_layers(layers, _layer_texts(arch))] if layers else ["no message passing (MF)"]
    if layers:
        parts.append(f"combine {arch.get('combine', 'mean')}")
        for key, plain in (("transform", "none"), ("activation", "identity")):
            if any(v != plain for v in _each(arch.get(key, plain))):
                parts.append(f"{key} {'/'.join(map(str, _distinct(arch.get(key))))}")
        if arch.get("norm", "symmetric") != "symmetric":
            parts.append(f"norm {arch['norm']}")
        if arch.get("residual"):
            parts.append("residual")
        if arch.get("layer_l2norm"):
            parts.append("layer L2-norm")
        node_ops = (op for key in ("op", "op2", "op3", "op4") for op in _each(arch.get(key)))
        if int(arch.get("heads", 1)) > 1 and "gat" in node_ops:
            parts.append(f"{arch['heads']} heads")
    parts.append(f"score {arch.get('score', 'dot')}")
    parts.append(f"dim {arch.get('dim', '?')}")
    for key, name in (("dropout", "dropout"), ("edge_dropout", "edge dropout")):
        if float(arch.get(key, 0.0)):
            parts.append(f"{name} {float(arch[key]):g}")
    if arch.get("item_content", "none") != "none":
        parts.append(f"item content {arch['item_content']} ({arch.get('fusion')})")
    line = ", ".join(parts)
    if optim:
        line += " · " + _recipe(optim)
    return line


def _recipe(optim: Mapping[str, Any]) -> str:
    detail = []
    if float(optim.get("temperature", 1.0)) != 1.0:
        detail.append(f"τ {float(optim['temperature']):g}")
    if int(optim.get("num_negatives", 1)) > 1:
        detail.append(f"{optim['num_negatives']} negatives")
    # Without a loss (the click-through task's BCE is fixed) the temperature stands alone.
    if "loss" in optim:
        parts = [f"{optim['loss']} loss" + (f" ({', '.join(detail)})" if detail else "")]
    else:
        parts = detail
    parts.append(f"lr {float(optim.get('lr', 0.0)):g}")
    if float(optim.get("reg", 0.0)):
        parts.append(f"reg {float(optim['reg']):g}")
    if float(optim.get("weight_decay", 0.0)):
        parts.append(f"weight decay {float(optim['weight_decay']):g}")
    return ", ".join(parts)


def _each(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _distinct(value: Any) -> list[Any]:
    return list(dict.fromkeys(_each(value)))


def _layer_texts(arch: Mapping[str, Any]) -> Any:
    """Each layer's op, or its cell's text where it has several nodes."""
    if all(int(n) == 1 for n in _each(arch.get("cell_nodes", 1))):
        return arch.get("op")
    from lgnas.models.architecture import Architecture  # lazy: models import torch

    built = Architecture.from_dict(arch)
    return [str(built.cell(layer)) for layer in range(built.num_layers)]


def _layers(layers: int, op: Any) -> str:
    ops = _each(op)
    if len(set(ops)) == 1:
        return f"{layers} × {ops[0]}"
    return f"{layers} layers: {' → '.join(map(str, ops))}"


def verdict_lines(
    *,
    title: str,
    finals: Mapping[str, Mapping[str, Any]],
    metric: str,
    run_dir: Path,
    dataset: str,
    recipe: tuple[Mapping[str, Any], Mapping[str, Any]] | None = None,
    trials_note: str | None = None,
    user: str | None = None,
    task: str = "ranking",
) -> list[str]:
    """The search's verdict in at most :data:`MAX_LINES` lines.

    The found architecture in one line, the test ``metric`` of the answer (the first found
    row: ``finals`` come ordered by :func:`~lgnas.report.finals.answer_first`) and of each
    baseline with the epochs it trained and why it stopped, the gain or why none is claimed
    (:func:`~lgnas.report.write.comparison_headline`), the files to open and the commands
    to run next.

    Args:
        title: The search, e.g. ``lgnas search: genetic on ml100k, seed 0``.
        finals: The retrained models, as :func:`~lgnas.report.write.write_report` takes them.
        metric: The compared test metric (``ndcg@20``).
        run_dir: The run directory (paths are shown inside it).
        dataset: The dataset config's name, for the training command.
        recipe: The best found architecture's ``arch`` and ``optim`` mappings, if any.
        trials_note: One line on the trials behind the search.
        user: An original user id of the data, for the recommendation command.
        task: The search's task; the training command names it unless it is ``ranking``,
            and only a ranking model gets the recommendation command.
    """
    lines = [title + (f". {trials_note}" if trials_note else "")]
    lines.append("Found: " + (describe_model(*recipe) if recipe else "nothing (no trial ok)"))
    shown = {n: f for n, f in finals.items() if n == answer_name(finals) or f["kind"] != "found"}
    rows = []
    width = max((len(n) for n in shown), default=0)
    for name, final in shown.items():
        if "error" in final:
            rows.append(f"  {name:<{width}}  failed: {final['error']}"[:160])
            continue
        epochs, best = epochs_text(final)
        score = final["test"].get(f"test/{metric}")
        value = "?" if score is None else f"{score:.4f}"
        rows.append(f"  {name:<{width}}  {value}  {epochs} epochs, best {best}, {stop_text(final)}")
    tail = []
    if finals:
        tail.append(comparison_headline(finals, metric))
    best_file = run_dir / "best_architecture.yaml"
    if best_file.is_file():
        tail.append(f"Best architecture: {best_file}")
    tail.append(f"Report: {run_dir / 'report.md'} (all outputs in {run_dir})")
    if best_file.is_file():
        tail.append("Train it again: " + train_command(run_dir, best_file, dataset, task))
    answer = answer_name(finals)
    found = finals.get(answer) if answer else None
    # lgnas.recommend ranks items with the answer's final model: a ranking model's work.
    if found is not None and "error" not in found and task == "ranking":
        tail.append(
            f"Recommend with it: python -m lgnas.recommend run={run_dir} user={user or '<id>'}"
        )
    if rows:
        head = [f"Test {metric} after retraining (epochs trained, best epoch, why it stopped):"]
        room = MAX_LINES - len(lines) - len(tail) - len(head)
        if len(rows) > room:
            rows = [*rows[: max(room - 1, 0)], f"  ... {len(rows) - room + 1} more in report.md"]
        lines += head + rows
    return (lines + tail)[:MAX_LINES]


def train_command(run_dir: Path, best_file: Path, dataset: str, task: str = "ranking") -> str:
    """``python -m lgnas.train`` on ``best_file`` and this run's data.

    For a run Hydra started, the data is named as the run named it, read from
    ``run_dir/.hydra``: its ``--config-dir``, dataset choice and ``dataset.*`` and
    ``data_dir`` overrides (``dataset=files dataset.train=...``); else ``dataset=<dataset>``.
    """
    flags, words = [], [f"dataset={dataset}"]
    hydra_dir = run_dir / ".hydra"
    try:
        overrides = yaml.safe_load((hydra_dir / "overrides.yaml").read_text(encoding="utf-8"))
        runtime = yaml.safe_load((hydra_dir / "hydra.yaml").read_text(encoding="utf-8"))
        runtime = runtime["hydra"]["runtime"]
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        overrides = runtime = None
    if runtime:
        flags = [
            f"--config-dir={source['path']}"
            for source in runtime.get("config_sources") or []
            if source.get("provider") == "command-line"
        ]
        words = [f"dataset={(runtime.get('choices') or {}).get('dataset') or dataset}"]
        words += [str(o) for o in overrides or [] if str(o).lstrip("+").startswith(_DATA_OVERRIDES)]
    if task != "ranking":
        words.append(f"task={task}")
    command = ["python", "-m", "lgnas.train", *flags, "model=file", f"model.path={best_file}"]
    return " ".join(shlex.quote(word) for word in command + words)


_DATA_OVERRIDES = ("dataset.", "data_dir=")
