"""A GNN recommender assembled from an :class:`Architecture`."""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lgnas.data.features import ItemContent
from lgnas.errors import DataError
from lgnas.graph.bipartite import BipartiteGraph
from lgnas.models.architecture import Architecture
from lgnas.models.cell import build_layer
from lgnas.models.content import ItemContentEncoder
from lgnas.models.layers import ACTIVATION_FUNCTIONS, Propagation


class GNNRecommender(nn.Module):
    """ID embeddings refined by message passing on the user-item graph, scored by dot product.

    Layer ``l`` computes ``h_l = dropout(act(transform(op(h_{l-1}))) [+ h_{l-1}])``, ``op``
    being the layer's op or its cell (:mod:`lgnas.models.cell`); the final
    representation combines ``h_0 .. h_L`` as the architecture says. With no layers this is
    BPR matrix factorisation. With ``item_content``, the items' ``h_0`` comes from
    :class:`ItemContentEncoder` (frozen content through a small adapter, fused with the ID
    embedding), so items never seen in training still get a representation.

    Args:
        architecture: The candidate's structure.
        graph: Training interactions as a bipartite graph (never validation or test edges).
        content: The dataset's item side features; required when the architecture uses them.
    """

    def __init__(
        self,
        architecture: Architecture,
        graph: BipartiteGraph,
        content: ItemContent | None = None,
    ) -> None:
        super().__init__()
        arch = self.architecture = architecture
        self.num_users, self.num_items = graph.num_users, graph.num_items
        self.num_nodes = graph.num_nodes
        uses_content = arch.item_content != "none"
        pure_content = uses_content and arch.fusion == "none"
        # Pure-content items have no ID rows: the table holds users only.
        self.embedding = nn.Embedding(self.num_users if pure_content else graph.num_nodes, arch.dim)
        self.item_content = None
        if not uses_content:
            self.isolated = None
        else:
            vectors = (content or ItemContent()).select(arch.item_content)
            if len(vectors) != self.num_items:
                raise DataError(
                    f"item content has {len(vectors)} rows for {self.num_items} items; build "
                    "it from the same prepared dataset (prepare_dataset with item_features)."
                )
            degree = torch.bincount(graph.item, minlength=self.num_items)
            isolated = torch.cat([torch.zeros(self.num_users, dtype=torch.bool), degree == 0])
            self.register_buffer("isolated", isolated.unsqueeze(1), persistent=False)
            # Fine-tuning the text encoder (opt-in, lgnas.text.lora) when the items use text.
            finetune = content.text_finetune if content is not None else None
            uses_text = arch.item_content in ("text", "both") and finetune is not None
            self.item_content = ItemContentEncoder(
                torch.as_tensor(vectors),
                degree > 0,
                arch.dim,
                arch.adapter,
                arch.adapter_rank,
                arch.fusion,
                arch.id_dropout,
                text_finetune=finetune if uses_text else None,
                text_dim=content.text.shape[1] if uses_text else 0,
            )
        self.ops = nn.ModuleList(
            build_layer(arch.cell(layer), arch.dim, arch.heads) for layer in range(arch.num_layers)
        )
        self.transforms = nn.ModuleList(
            nn.Linear(arch.dim, arch.dim) if t == "linear" else nn.Identity()
            for t in arch.transform
        )
        self.layer_logits = (
            nn.Parameter(torch.zeros(arch.num_layers + 1)) if arch.combine == "weighted" else None
        )
        self.adjacency = graph.adjacency(arch.norm) if arch.num_layers else None
        self.register_buffer("edge_index", graph.edge_index, persistent=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Xavier-uniform user and item tables, each on its own fan (as RecBole's LightGCN).

        Layers keep PyTorch's defaults.
        """
        with torch.no_grad():
            nn.init.xavier_uniform_(self.embedding.weight[: self.num_users])
            if self.embedding.num_embeddings > self.num_users:
                nn.init.xavier_uniform_(self.embedding.weight[self.num_users :])

    def trainable_parameters(self) -> dict[str, int]:
        """Trainable parameter counts by part: ID embeddings, content adapter, fusion, rest.

        Shows what the content path costs: its adapter is small next to the ID tables, and
        the frozen content vectors count nothing.
        """

        def count(module: nn.Module | None) -> int:
            if module is None:
                return 0
            return sum(p.numel() for p in module.parameters() if p.requires_grad)

        content = self.item_content
        parts = {
            "embedding": count(self.embedding),
            "adapter": count(content.adapter if content else None),
            "fusion": count(content.mix if content else None),
        }
        if content is not None and content.text_encoder is not None:
            parts["text_lora"] = count(content.text_encoder)  # only the LoRA matrices train
        parts["layers"] = count(self) - sum(parts.values())
        return parts

    def set_batch_items(self, *items: Tensor) -> None:
        """The next training step's item ids (positives, negatives): with LoRA fine-tuning
        of the text encoder, only those items' texts are re-encoded (lgnas.text.lora)."""
        content = self.item_content
        if content is not None and content.text_encoder is not None:  # nothing to do per step
            content.set_batch_items(torch.cat([i.reshape(-1) for i in items]))

    def optimizer_groups(self, lr: float) -> list[dict]:
        """Parameter groups for the optimiser: everything at ``lr``, except the LoRA weights
        of a fine-tuned text encoder, which get their own rate (``finetune.lr``, null:
        ``lr``). The frozen base encoder is left out. Without fine-tuning: one group holding
        ``self.parameters()``, as before."""
        text = self.item_content.text_encoder if self.item_content is not None else None
        if text is None:
            return [{"params": list(self.parameters())}]
        lora = text.lora_parameters()
        frozen_or_lora = {id(p) for p in text.parameters()}
        rest = [p for p in self.parameters() if id(p) not in frozen_or_lora]
        lora_lr = text.settings.lr if text.settings.lr is not None else lr
        return [{"params": rest}, {"params": lora, "lr": lora_lr}]

    @property
    def output_dim(self) -> int:
        """Width of the final user and item representations."""
        layers = self.architecture.num_layers + 1
        return self.architecture.dim * (layers if self.architecture.combine == "concat" else 1)

    def forward(self) -> tuple[Tensor, Tensor]:
        """Final ``(user, item)`` representations, ``[U, out]`` and ``[I, out]``.

        Unit rows with ``score=cosine``, so every consumer of the scores (training, ranking,
        recommending) scores by cosine without knowing it.
        """
        final = self._final()
        return final[: self.num_users], final[self.num_users :]

    def batch_representations(
        self, users: Tensor, pos: Tensor, neg: Tensor
    ) -> tuple[Tensor, Tensor, Tensor] | None:
        """A training step's rows of :meth:`forward`: ``users``', ``pos``' and ``neg``'s
        (item ids) final representations, each ``[*ids.shape, out]``, with the last layer
        computed at those rows only; None where that may not pay (the batch's ids could fill
        over a quarter of the graph) or cannot be done (the last layer's op is not row-wise).

        On Gowalla a batch of 2,048 scores about 5.7k of 71k nodes, whose adjacency rows hold
        a sixth of the entries: the last layer's forward product costs a ninth of a full one,
        its backward (a per-step layout, a full-size output) four fifths; 1.14x an epoch.
        """
        arch = self.architecture
        if not arch.num_layers or not getattr(self.ops[-1], "row_wise", False):
            return None
        most = min(len(users), self.num_users) + min(pos.numel() + neg.numel(), self.num_items)
        if 4 * most > self.num_nodes:  # decided by the shapes, so the same for every seed
            return None
        ids = torch.cat([users, pos + self.num_users, neg.reshape(-1) + self.num_users])
        nodes, where = torch.unique(ids, return_inverse=True)
        final = self._final(nodes)
        u, p, n = where.split([len(users), pos.numel(), neg.numel()])
        return final[u], final[p].view(*pos.shape, -1), final[n].view(*neg.shape, -1)

    def _final(self, rows: Tensor | None = None) -> Tensor:
        """The final representation of every node, or of ``rows`` only (distinct node ids:
        the last layer then propagates to those rows alone)."""
        arch = self.architecture
        h = self._initial()
        isolated = self.isolated
        outputs = [h]
        if arch.num_layers:
            propagate = Propagation(
                self.adjacency, self.edge_index, arch.edge_dropout, self.training
            )
            layers = zip(self.ops, self.transforms, arch.activation)
            for index, (op, transform, activation) in enumerate(layers):
                if rows is not None and index == arch.num_layers - 1:
                    propagate = propagate.at_rows(rows, h)
                    h, outputs = propagate.input, [o[rows] for o in outputs]
                    isolated = None if isolated is None else isolated[rows]
                out = ACTIVATION_FUNCTIONS[activation](transform(op(h, propagate)))
                if arch.residual:
                    out = out + h
                out = F.dropout(out, arch.dropout, self.training)
                # Items with no training edge have nothing to aggregate; they carry their
                # content forward (as a self-loop would) instead of becoming zero.
                h = out if isolated is None else torch.where(isolated, h, out)
                outputs.append(F.normalize(h, dim=1) if arch.layer_l2norm else h)
        elif rows is not None:
            outputs = [h[rows]]
        final = self._combine(outputs)
        if arch.score == "cosine":
            final = F.normalize(final, dim=1)
        return final

    def _initial(self) -> Tensor:
        """``h_0`` of all nodes: ID embeddings, items fused with their content if used."""
        table = self.embedding.weight
        if self.item_content is None:
            return table
        item_id = table[self.num_users :] if len(table) > self.num_users else None
        return torch.cat([table[: self.num_users], self.item_content(item_id)])

    def _combine(self, outputs: list[Tensor]) -> Tensor:
        combine = self.architecture.combine
        if combine == "last":
            return outputs[-1]
        if combine == "concat":
            return torch.cat(outputs, dim=1)
        if combine in ("sum", "mean"):
            total = functools.reduce(torch.add, outputs)  # no stacked copy of every layer
            return total if combine == "sum" else total / len(outputs)
        weights = torch.softmax(self.layer_logits, 0)
        return torch.einsum("l,lnd->nd", weights, torch.stack(outputs))

    def batch_l2(self, users: Tensor, pos: Tensor, neg: Tensor) -> Tensor:
        """``(|e_u|² + |e_i|² + |e_j|²) / (2B)`` over the batch's raw ID embeddings.

        The LightGCN / RecBole regulariser, as each distinct row's squared norm times its
        occurrences. Where the batch's ids could fill over a quarter of the table (decided by
        the shapes, as :meth:`batch_representations`), over the whole table with zero counts
        elsewhere: no gather or scatter. Otherwise over the batch's rows only, sparing a large
        graph's step three full-table temporaries (6% of a Gowalla LightGCN step).
        """
        if self.embedding.num_embeddings > self.num_users:
            nodes = torch.cat([users, pos + self.num_users, neg.reshape(-1) + self.num_users])
        else:  # pure-content items: only users have ID rows
            nodes = users
        weight = self.embedding.weight
        if 4 * len(nodes) > len(weight):
            counts, rows = torch.bincount(nodes, minlength=len(weight)), weight
        else:
            ids, counts = torch.unique(nodes, return_counts=True)
            rows = weight.index_select(0, ids)
        return (counts.to(rows.dtype) @ rows.pow(2).sum(1)) / (2 * len(users))
