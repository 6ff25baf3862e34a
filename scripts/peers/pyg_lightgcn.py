"""PyTorch Geometric LightGCN peer for the lgnas speed benchmark (main env; does not import lgnas).

    python scripts/peers/pyg_lightgcn.py --dataset ml-100k --epochs 2 --threads 1

Model: ``torch_geometric.nn.models.LightGCN`` (3 layers, dim 64, alpha = 1/(L+1)) on a bipartite
graph, users 0..U-1 and items U..U+I-1, edges in both directions.  ``--graph edge_index``
(default, as in PyG's examples/lightgcn.py) passes the LongTensor ``edge_index``;
``--graph adj_t`` passes a ``torch.sparse_csr`` adjacency instead (sparse-matmul propagation).

Protocol (same as the RecBole peer): BPR loss, one uniform negative per training interaction per
epoch (re-drawn while it is one of the user's training items, as RecBole does), shuffled batches
of 2048, Adam lr 1e-3, reg = 1e-4 * (||u||^2 + ||i+||^2 + ||i-||^2) / (2B) on the batch's ego
(layer-0) embeddings.  The BPR term is ``-logsigmoid(pos - neg).mean()`` (RecBole: ``-log(1e-10 +
sigmoid(.))``).  PyG's own ``recommendation_loss`` is not used: its reg is
``lambda * ||emb[node_id]||^2 / B`` over the nodes passed in, a different formula.

Split: ml-100k uses every rating as a positive, RS 8:1:1 per user (RecBole's rule: valid = test =
floor(0.1 n), train = the rest; +1 to test/valid when 0 < 0.1 n < 1) after a global random
permutation seeded with numpy; gowalla uses the given train.txt / test.txt.

Evaluation: full ranking over all items for every user with >= 1 test item, masking the user's
training items (and, for ml-100k, also validation items, as RecBole does at test time);
Recall@20 = hits / |test items|, NDCG@20 with IDCG over min(|test items|, 20) (RecBole's formulas).

Prints one JSON line on stdout at the end; logs go to stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import add_peer_args, peer_result  # noqa: E402


def log(msg: str) -> None:
    print(f"[pyg peer] {msg}", file=sys.stderr, flush=True)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_peer_args(p)
    p.add_argument("--eval-users", type=int, default=2048, help="users per evaluation batch")
    p.add_argument("--graph", choices=["edge_index", "adj_t"], default="edge_index")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--reg", type=float, default=1e-4)
    return p.parse_args(argv)


# --------------------------------------------------------------------------- data


def rs_split_by_user(users: np.ndarray, ratios=(0.8, 0.1, 0.1), seed: int = 2020):
    """RecBole-style RS split grouped by user. Returns (train_idx, valid_idx, test_idx)."""
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(users))  # global random order ("RO")
    order = perm[np.argsort(users[perm], kind="stable")]  # group by user, keep random order
    tot_ratio = sum(ratios)
    ratios = [r / tot_ratio for r in ratios]
    starts = np.flatnonzero(np.r_[True, users[order][1:] != users[order][:-1]])
    ends = np.r_[starts[1:], len(order)]
    parts = [[] for _ in ratios]
    for s, e in zip(starts, ends):
        tot = e - s
        cnt = [int(ratios[i] * tot) for i in range(len(ratios))]
        cnt[0] = tot - sum(cnt[1:])
        for i in range(1, len(ratios)):
            if cnt[0] <= 1:
                break
            if 0 < ratios[-i] * tot < 1:
                cnt[-i] += 1
                cnt[0] -= 1
        bounds = np.cumsum([0] + cnt) + s
        for k in range(len(ratios)):
            parts[k].append(order[bounds[k] : bounds[k + 1]])
    return tuple(np.concatenate(p) for p in parts)


def load_ml100k(data_dir: str, seed: int):
    path = os.path.join(data_dir, "ml-100k", "ml-100k.inter")
    raw_u, raw_i = [], []
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        cu = header.index("user_id:token")
        ci = header.index("item_id:token")
        for line in f:
            parts = line.rstrip("\n").split("\t")
            raw_u.append(parts[cu])
            raw_i.append(parts[ci])
    _, users = np.unique(np.array(raw_u), return_inverse=True)
    _, items = np.unique(np.array(raw_i), return_inverse=True)
    users = users.astype(np.int64)
    items = items.astype(np.int64)
    n_users, n_items = int(users.max()) + 1, int(items.max()) + 1
    tr, va, te = rs_split_by_user(users, seed=seed)
    train = (users[tr], items[tr])
    test = (users[te], items[te])
    mask = (np.concatenate([users[tr], users[va]]), np.concatenate([items[tr], items[va]]))
    return n_users, n_items, train, test, mask


def _read_lightgcn_txt(path: str):
    us, its = [], []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 2:
                continue
            row = np.array(parts, dtype=np.int64)
            us.append(np.full(len(row) - 1, row[0], dtype=np.int64))
            its.append(row[1:])
    return np.concatenate(us), np.concatenate(its)


def load_gowalla(data_dir: str):
    train = _read_lightgcn_txt(os.path.join(data_dir, "gowalla", "train.txt"))
    test = _read_lightgcn_txt(os.path.join(data_dir, "gowalla", "test.txt"))
    n_users = int(max(train[0].max(), test[0].max())) + 1
    n_items = int(max(train[1].max(), test[1].max())) + 1
    return n_users, n_items, train, test, train


# --------------------------------------------------------------------------- training


class NegSampler:
    """Uniform negatives, re-drawn while they hit the user's training items (RecBole behaviour)."""

    def __init__(self, users, items, n_items, rng):
        self.n_items = n_items
        self.keys = np.unique(users * n_items + items)
        self.rng = rng

    def sample(self, users):
        neg = self.rng.integers(0, self.n_items, size=len(users))
        todo = np.arange(len(users))
        while len(todo):
            keys = users[todo] * self.n_items + neg[todo]
            pos = np.searchsorted(self.keys, keys)
            pos[pos >= len(self.keys)] = 0
            hit = self.keys[pos] == keys
            todo = todo[hit]
            neg[todo] = self.rng.integers(0, self.n_items, size=len(todo))
        return neg


def evaluate(emb, n_users, n_items, test, mask, eval_users: int, k: int = 20):
    user_emb, item_emb = emb[:n_users], emb[n_users:]

    # CSR of test positives and masked (history) items per user
    def csr(us, its):
        order = np.lexsort((its, us))
        indptr = np.zeros(n_users + 1, dtype=np.int64)
        np.add.at(indptr, us + 1, 1)
        return np.cumsum(indptr), its[order]

    t_ptr, t_idx = csr(*test)
    m_ptr, m_idx = csr(*mask)
    eval_u = np.flatnonzero(np.diff(t_ptr) > 0)
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    idcg_table = np.cumsum(discount)
    recall_sum = ndcg_sum = 0.0
    for s in range(0, len(eval_u), eval_users):
        ub = eval_u[s : s + eval_users]
        scores = user_emb[torch.from_numpy(ub)] @ item_emb.T
        # mask history
        cnt = m_ptr[ub + 1] - m_ptr[ub]
        rows = np.repeat(np.arange(len(ub)), cnt)
        cols = (
            np.concatenate([m_idx[m_ptr[u] : m_ptr[u + 1]] for u in ub])
            if cnt.sum()
            else np.zeros(0, np.int64)
        )
        scores[torch.from_numpy(rows), torch.from_numpy(cols)] = -math.inf
        top = torch.topk(scores, k, dim=1).indices.numpy()
        # hits
        tcnt = t_ptr[ub + 1] - t_ptr[ub]
        truth = np.zeros((len(ub), n_items), dtype=bool)
        trows = np.repeat(np.arange(len(ub)), tcnt)
        tcols = np.concatenate([t_idx[t_ptr[u] : t_ptr[u + 1]] for u in ub])
        truth[trows, tcols] = True
        hits = np.take_along_axis(truth, top, axis=1)
        recall_sum += float((hits.sum(1) / tcnt).sum())
        dcg = (hits * discount).sum(1)
        idcg = idcg_table[np.minimum(tcnt, k) - 1]
        ndcg_sum += float((dcg / idcg).sum())
    return recall_sum / len(eval_u), ndcg_sum / len(eval_u), len(eval_u)


def main(argv=None) -> dict:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    from torch_geometric.nn.models import LightGCN

    t_setup = time.perf_counter()
    if args.dataset == "ml-100k":
        n_users, n_items, train, test, mask = load_ml100k(args.data_dir, args.seed)
    else:
        n_users, n_items, train, test, mask = load_gowalla(args.data_dir)
    tr_u, tr_i = train
    num_train = len(tr_u)
    src = torch.from_numpy(np.concatenate([tr_u, tr_i + n_users]))
    dst = torch.from_numpy(np.concatenate([tr_i + n_users, tr_u]))
    edge_index = torch.stack([src, dst])
    n_nodes = n_users + n_items
    if args.graph == "adj_t":
        from torch_geometric.utils import to_torch_csr_tensor

        graph = to_torch_csr_tensor(edge_index, size=(n_nodes, n_nodes))
    else:
        graph = edge_index
    model = LightGCN(num_nodes=n_nodes, embedding_dim=64, num_layers=3)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sampler = NegSampler(tr_u, tr_i, n_items, rng)
    setup_s = time.perf_counter() - t_setup
    log(
        f"setup {setup_s:.2f}s users={n_users} items={n_items} train={num_train} "
        f"test={len(test[0])} graph={args.graph} threads={torch.get_num_threads()}"
    )

    epoch_times, losses = [], []
    for epoch in range(args.epochs):
        t0 = time.perf_counter()
        model.train()
        perm = rng.permutation(num_train)
        total, nb = 0.0, 0
        for s in range(0, num_train, args.batch_size):
            idx = perm[s : s + args.batch_size]
            u_np = tr_u[idx]
            u = torch.from_numpy(u_np)
            pos = torch.from_numpy(tr_i[idx] + n_users)
            neg = torch.from_numpy(sampler.sample(u_np) + n_users)
            emb = model.get_embedding(graph)
            eu, ep, en = emb[u], emb[pos], emb[neg]
            bpr = -F.logsigmoid((eu * ep).sum(-1) - (eu * en).sum(-1)).mean()
            ego = model.embedding.weight
            sq = ego[u].pow(2).sum() + ego[pos].pow(2).sum() + ego[neg].pow(2).sum()
            reg = sq / (2 * len(idx))
            loss = bpr + args.reg * reg
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
            nb += 1
        dt = time.perf_counter() - t0
        epoch_times.append(dt)
        losses.append(total / nb)
        log(f"epoch {epoch} {dt:.2f}s mean batch loss {losses[-1]:.5f}")

    t0 = time.perf_counter()
    model.eval()
    with torch.no_grad():
        emb = model.get_embedding(graph)
        recall, ndcg, n_eval = evaluate(emb, n_users, n_items, test, mask, args.eval_users)
    eval_s = time.perf_counter() - t0
    log(f"eval {eval_s:.2f}s recall@20={recall:.6f} ndcg@20={ndcg:.6f} users={n_eval}")

    out = peer_result(
        "pyg",
        args,
        epoch_times=epoch_times,
        losses=losses,
        eval_s=eval_s,
        recall=recall,
        ndcg=ndcg,
        num_train=num_train,
        num_users=n_users,
        num_items=n_items,
        num_test=int(len(test[0])),
        extra={"graph": args.graph},
        setup_s=setup_s,
        torch_version=torch.__version__,
    )
    print(json.dumps(out), flush=True)
    return out


if __name__ == "__main__":
    main()
