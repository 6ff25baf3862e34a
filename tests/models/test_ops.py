"""The op registry: one declaration per operator, read by the architecture, builder and listing."""

from __future__ import annotations

import re
import runpy
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from torch import Tensor, nn

from lgnas.errors import ConfigError
from lgnas.graph.bipartite import BipartiteGraph
from lgnas.models import layers
from lgnas.models.architecture import OPS, Architecture
from lgnas.models.layers import OP_REGISTRY, Propagation, build_op, op_names, register_op
from lgnas.models.recommender import GNNRecommender

# "Name (Authors, VENUE YEAR): what the layer does."
PAPER_LINE = re.compile(r"^\S+ \([^()]+, [A-Za-z]+ (19|20)\d\d\): \S.*\.$")


def test_registry_names_are_the_architectures_op_choices() -> None:
    assert op_names() == tuple(OP_REGISTRY) == OPS
    assert set(OPS) == {"lightgcn", "gcn", "sage", "gat", "gin", "ngcf"}
    for name in op_names():
        assert Architecture(num_layers=1, op=name).op == (name,)
    with pytest.raises(ConfigError) as error:
        Architecture(num_layers=1, op="transformer")
    assert f"choose one of {list(op_names())}" in str(error.value)
    assert "python -m lgnas.models" in str(error.value)


@pytest.mark.parametrize("name", op_names())
def test_every_registered_op_builds_and_runs(name: str, small_graph: BipartiteGraph) -> None:
    torch.manual_seed(0)
    op = build_op(name, 8, 2)
    assert isinstance(op, OP_REGISTRY[name])
    h = torch.randn(small_graph.num_nodes, 8, requires_grad=True)
    adjacency = small_graph.adjacency("symmetric")
    for training in (False, True):  # with edge dropout when training
        propagate = Propagation(adjacency, small_graph.edge_index, 0.3, training)
        out = op(h, propagate)
        assert out.shape == h.shape and torch.isfinite(out).all()
    out.sum().backward()
    assert h.grad is not None and h.grad.abs().sum() > 0
    assert all(p.grad is not None for p in op.parameters())


@pytest.mark.parametrize("name", op_names())
def test_every_op_names_its_paper_and_formula(name: str) -> None:
    doc = OP_REGISTRY[name].__doc__
    summary, _, formula = doc.partition("\n\n")
    assert PAPER_LINE.match(summary), summary
    assert layers.op_summary(name) == summary
    assert "h'_v = " in formula, "the docstring gives the formula the layer computes"


def test_unknown_op_is_refused_by_the_builder() -> None:
    with pytest.raises(ConfigError, match=r"unknown op 'mlp'; registered ops are \['lightgcn'"):
        build_op("mlp", 8, 1)


def test_a_taken_name_is_refused() -> None:
    before = dict(OP_REGISTRY)
    with pytest.raises(ConfigError, match=r"'gcn' is already registered by .*layers\.GCNConv"):

        @register_op("gcn")
        class OtherGCN(nn.Module):
            """Other (Someone, ICML 2030): a second gcn."""

            def __init__(self, dim: int, heads: int = 1) -> None:
                super().__init__()

    assert dict(OP_REGISTRY) == before


class _NoDoc(nn.Module):
    def __init__(self, dim: int, heads: int = 1) -> None:
        super().__init__()


class _OneArg(nn.Module):
    """One (Someone, ICML 2030): takes no heads."""

    def __init__(self, dim: int) -> None:
        super().__init__()


class _NotAModule:
    """Plain (Someone, ICML 2030): not a module."""

    def __init__(self, dim: int, heads: int = 1) -> None:
        pass


@pytest.mark.parametrize(
    ("name", "cls", "message"),
    [
        ("Bad-Name", _OneArg, r"op name 'Bad-Name' must be lower-case letters"),
        ("nodoc", _NoDoc, r"op 'nodoc': .*_NoDoc has no docstring"),
        ("onearg", _OneArg, r"must be constructible as _OneArg\(dim, heads\)"),
        ("plain", _NotAModule, r"_NotAModule is not a torch.nn.Module subclass"),
    ],
)
def test_a_malformed_op_is_refused(name: str, cls: type, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        register_op(name)(cls)
    assert name not in OP_REGISTRY


@pytest.fixture
def scaled_op() -> Iterator[str]:
    """A toy op registered for one test, then removed again."""

    @register_op("scaled")
    class ScaledConv(nn.Module):
        """Scaled (Nobody, ICLR 2099): the neighbour sum times a learned scalar.

        ``h'_v = s Σ_{u ∈ N(v)} Â_vu h_u``.
        """

        def __init__(self, dim: int, heads: int = 1) -> None:
            super().__init__()
            self.scale = nn.Parameter(torch.ones(()))

        def forward(self, h: Tensor, propagate: Propagation) -> Tensor:
            return self.scale * propagate(h)

    try:
        yield "scaled"
    finally:
        del layers._OPS["scaled"]


def test_a_registered_op_is_a_valid_architecture_choice(
    scaled_op: str, small_graph: BipartiteGraph
) -> None:
    arch = Architecture.from_dict({"num_layers": 2, "op": ["lightgcn", scaled_op]})
    model = GNNRecommender(arch, small_graph)
    assert type(model.ops[1]).__name__ == "ScaledConv"
    users, items = model()
    assert users.shape == (small_graph.num_users, arch.dim)
    assert items.shape == (small_graph.num_items, arch.dim)


def test_listing_prints_every_op(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        runpy.run_module("lgnas.models", run_name="__main__")
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for name, cls in OP_REGISTRY.items():
        assert f"{name}  " in out and cls.__qualname__ in out
        assert layers.op_summary(name) in out
    assert "He et al., SIGIR 2020" in out and "Veličković et al., ICLR 2018" in out


def test_readme_names_every_op() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| `op` (per layer) |"))
    assert [name for name in op_names() if f"`{name}`" not in row] == []
