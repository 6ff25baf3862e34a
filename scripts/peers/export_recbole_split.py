"""Export the ml-100k RS 8:1:1 split that recbole_reference.py trains on as RecBole atomic files.

Run with the RecBole venv:

    .venv-recbole/bin/python scripts/peers/export_recbole_split.py
    .venv-recbole/bin/python scripts/peers/export_recbole_split.py --verify-bpr-epochs 2

The dataset and split are built exactly as ``recbole_reference.py`` builds them: ``ml-100k.inter``
from ``--data-dir`` (default ``$LGNAS_DATA_DIR`` or ``/work/shared/data``) copied alone into a temp
dir, RecBole's own ml-100k properties (all ratings positive, no filtering), eval_args split
RS [0.8, 0.1, 0.1], order RO, group_by user, ``init_seed(seed, reproducibility=True)`` right after
the Config, then ``create_dataset`` + ``data_preparation`` (the RO shuffle is the only draw from the
RNG, a ``torch.randperm`` in ``Dataset.build``).  The split does not depend on the model, so the
BPR, LightGCN and NGCF reference runs all train on it.

Writes ``<out>/ml-100k.{train,valid,test}.inter`` with the header
``user_id:token  item_id:token  rating:float  timestamp:float`` (tab separated), with RecBole's
internal ids mapped back to the original tokens (``dataset.id2token``) and the original rating and
timestamp text of each (user, item) pair taken from the original ``.inter`` file (RecBole itself
min-max normalises those columns).  Rows are in RecBole's internal order of each part (users in
order of first appearance after the RO shuffle, each user's rows in shuffled order).  Also copies
``ml-100k.item`` next to them.  Load them in RecBole with
``benchmark_filename: [train, valid, test]``.

Caveat (RecBole 1.2.1): ``Config`` replaces ``data_path`` by its bundled
``recbole/dataset_example/ml-100k`` whenever the dataset is named ``ml-100k``, so the reference
runs (and this export) read RecBole's bundled ``ml-100k.inter``, not the copy from ``--data-dir``.
The export aborts unless the two files are byte-identical (they are for /work/shared/data).
To load the exported files under the name ml-100k, set ``config["data_path"]`` after building
the Config (as the check below does).

Checks (always): each part's row count, no (user, item) pair in two parts, union == the original
100000 rows with the same rating and timestamp.

``--verify-bpr-epochs N`` (N > 0) also trains RecBole's BPR (``recbole_reference.run_one``, same
config) for N epochs, one run after another in this process:
  (a) the reference run: the standard RS split (also asserts that the split it trains on is the
      exported one, pair for pair and in the same row order);
  (b) the exported files via ``benchmark_filename`` (no split);
  (c) as (b), but with RecBole's internal user/item ids re-assigned to the reference mapping
      (first appearance in the original ``ml-100k.inter``).
(c) must equal (a) exactly.  (b) is the same split, but RecBole numbers tokens by first appearance
in the files it reads, so in (b) every user/item gets another embedding row (another random init
and another negative-sample stream): its metrics differ from (a) by training noise only.
One JSON line on stdout; logs go to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import filecmp
import functools
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (  # noqa: E402
    copy_ml100k_inter,
    default_data_dir,
    recbole_config,
    recbole_dataset,
    recbole_workdir,
    reference_config,
)

PARTS = ["train", "valid", "test"]
HEADER = "user_id:token\titem_id:token\trating:float\ttimestamp:float"
EXPECTED_COUNTS = {"train": 80808, "valid": 9596, "test": 9596}  # ml-100k, seed 2020


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", default=default_data_dir())
    p.add_argument("--out", default="/tmp/recbole_split_ml100k_2020")
    p.add_argument("--seed", type=int, default=2020)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument(
        "--verify-bpr-epochs",
        type=int,
        default=0,
        help="train RecBole BPR this many epochs on (a) the RS split, (b) the exported files, "
        "(c) the exported files with the reference id mapping, and compare (0: skip)",
    )
    return p.parse_args(argv)


def _src_dir(data_dir: str) -> str:
    return os.path.join(os.path.abspath(data_dir), "ml-100k")


def read_original(data_dir: str):
    """Original ml-100k.inter as strings: (DataFrame, {(user, item): (rating, timestamp)})."""
    import pandas as pd

    df = pd.read_csv(
        os.path.join(_src_dir(data_dir), "ml-100k.inter"),
        sep="\t",
        dtype=str,
        keep_default_na=False,
    )
    df.columns = [c.split(":")[0] for c in df.columns]
    lookup = {
        (u, i): (r, t)
        for u, i, r, t in zip(df["user_id"], df["item_id"], df["rating"], df["timestamp"])
    }
    if len(lookup) != len(df):
        raise SystemExit(f"(user, item) pairs are not unique: {len(lookup)} pairs, {len(df)} rows")
    return df, lookup


def part_pairs(dataset) -> list[tuple[str, str]]:
    """(user token, item token) of each row of a built RecBole dataset, in its row order."""
    uf, itf = dataset.uid_field, dataset.iid_field
    users = dataset.field2id_token[uf][dataset.inter_feat[uf].numpy()]
    items = dataset.field2id_token[itf][dataset.inter_feat[itf].numpy()]
    return [(str(u), str(i)) for u, i in zip(users, items)]


def build_split(args) -> dict[str, list[tuple[str, str]]]:
    """RecBole's split, built as recbole_reference.run_one builds it (model BPR; any general
    model gives the same split)."""
    import torch

    torch.set_num_threads(args.threads)
    from recbole.data import data_preparation

    data_dir = os.path.abspath(args.data_dir)
    with recbole_workdir("recbole_split_") as (work, ds_dir):
        copy_ml100k_inter(data_dir, ds_dir)
        config_dict = {**reference_config(work, args.seed), "embedding_size": 64}
        with contextlib.redirect_stdout(sys.stderr):
            config = recbole_config("BPR", "ml-100k", config_dict)
            # RecBole 1.2.1's Config ignores data_path for the dataset name "ml-100k" and reads
            # its bundled recbole/dataset_example/ml-100k instead (so does recbole_reference.py).
            # The export is only right if that file is the one in --data-dir.
            loaded = os.path.join(config["data_path"], "ml-100k.inter")
            if not filecmp.cmp(loaded, os.path.join(ds_dir, "ml-100k.inter"), shallow=False):
                raise SystemExit(
                    f"RecBole reads {loaded}, which differs from {args.data_dir}/ml-100k/"
                    "ml-100k.inter: the reference runs do not train on --data-dir's file"
                )
            dataset = recbole_dataset(config, args.threads)
            config["eval_batch_size"] = dataset.user_num * dataset.item_num
            train_data, valid_data, test_data = data_preparation(config, dataset)
        return {
            name: part_pairs(dl._dataset)
            for name, dl in zip(PARTS, (train_data, valid_data, test_data))
        }


def write_split(split, lookup, data_dir: str, out: str) -> None:
    os.makedirs(out, exist_ok=True)
    for name in PARTS:
        path = os.path.join(out, f"ml-100k.{name}.inter")
        with open(path, "w") as f:
            f.write(HEADER + "\n")
            for u, i in split[name]:
                r, t = lookup[(u, i)]
                f.write(f"{u}\t{i}\t{r}\t{t}\n")
    item_dst = os.path.join(out, "ml-100k.item")
    if os.path.exists(item_dst):
        os.remove(item_dst)  # the source may be read-only, and copy() keeps its mode
    shutil.copy(os.path.join(_src_dir(data_dir), "ml-100k.item"), item_dst)


def read_exported(out: str) -> dict[str, list[tuple[str, str, str, str]]]:
    parts = {}
    for name in PARTS:
        with open(os.path.join(out, f"ml-100k.{name}.inter")) as f:
            lines = f.read().splitlines()
        if lines[0] != HEADER:
            raise SystemExit(f"bad header in {name}: {lines[0]!r}")
        parts[name] = [tuple(ln.split("\t")) for ln in lines[1:]]
    return parts


def check_files(out: str, orig_df) -> dict[str, int]:
    """Counts, pairwise disjointness, union == original rows (incl. rating and timestamp)."""
    parts = read_exported(out)
    counts = {n: len(rows) for n, rows in parts.items()}
    pair_sets = {n: {(r[0], r[1]) for r in rows} for n, rows in parts.items()}
    for n in PARTS:
        if len(pair_sets[n]) != counts[n]:
            raise SystemExit(f"duplicate (user, item) pairs inside {n}")
    for a in range(3):
        for b in range(a + 1, 3):
            both = pair_sets[PARTS[a]] & pair_sets[PARTS[b]]
            if both:
                raise SystemExit(f"{len(both)} pairs in both {PARTS[a]} and {PARTS[b]}")
    union_rows = {r for rows in parts.values() for r in rows}
    orig_rows = set(
        zip(orig_df["user_id"], orig_df["item_id"], orig_df["rating"], orig_df["timestamp"])
    )
    if union_rows != orig_rows or sum(counts.values()) != len(orig_df):
        raise SystemExit(
            f"union of parts ({sum(counts.values())} rows) != original ({len(orig_df)} rows)"
        )
    return counts


# ---------------------------------------------------------------- BPR identity check


@contextlib.contextmanager
def _patched(module, name, value):
    old = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, old)


def _reference_token_ids(orig_df) -> dict[str, dict[str, int]]:
    """RecBole's id mapping on the plain .inter: pandas.factorize (first appearance), 0 = [PAD]."""
    import pandas as pd

    out = {}
    for field in ("user_id", "item_id"):
        tokens = ["[PAD]"] + list(pd.unique(orig_df[field].values))
        out[field] = {t: k for k, t in enumerate(tokens)}
    return out


def _realign_ids(dataset, ref_ids) -> None:
    """Re-assign the internal ids of a not-yet-built dataset to the reference mapping."""
    import numpy as np

    for field, t2i in ref_ids.items():
        old_tokens = dataset.field2id_token[field]
        if set(old_tokens) != set(t2i):
            raise SystemExit(f"{field}: token sets differ from the reference")
        old2new = np.array([t2i[str(t)] for t in old_tokens], dtype=np.int64)
        feat = dataset.inter_feat  # still a DataFrame before build()
        feat[field] = old2new[feat[field].values]
        new_tokens = np.empty(len(t2i), dtype=object)
        for t, k in t2i.items():
            new_tokens[k] = t
        dataset.field2id_token[field] = new_tokens
        dataset.field2token_id[field] = dict(t2i)


def verify_bpr(args, orig_df) -> dict:
    import recbole.config
    import recbole.data
    import recbole_reference as ref

    ref_args = ref.parse_args(
        [
            "--model", "BPR",
            "--data-dir", args.data_dir,
            "--threads", str(args.threads),
            "--seed", str(args.seed),
            "--epochs", str(args.verify_bpr_epochs),
        ]
    )  # fmt: skip

    # All three runs are recbole_reference.run_one with the same arguments.  Its Config gets one
    # harmless extra, metric_decimal_place 12 (RecBole rounds reported metrics to 4 places by
    # default), so that "identical" is checked to 12 decimals.  (b)/(c) also read the exported
    # files.
    orig_config = recbole.config.Config
    orig_create = recbole.data.create_dataset
    orig_prep = recbole.data.data_preparation
    benchmark = {"on": False}

    def config_wrapper(model=None, dataset=None, config_dict=None, **kw):
        cd = dict(config_dict, metric_decimal_place=12)
        if not benchmark["on"]:
            return orig_config(model=model, dataset=dataset, config_dict=cd, **kw)
        ds_dir = os.path.join(config_dict["data_path"], dataset)
        for n in PARTS:
            shutil.copy(os.path.join(args.out, f"ml-100k.{n}.inter"), ds_dir)
        cd["benchmark_filename"] = list(PARTS)
        cd["eval_args"] = {k: v for k, v in cd["eval_args"].items() if k != "split"}
        config = orig_config(model=model, dataset=dataset, config_dict=cd, **kw)
        config["data_path"] = ds_dir  # undo the ml-100k -> bundled dataset_example override
        return config

    captured = {}

    def capturing_prep(config, dataset):
        loaders = orig_prep(config, dataset)
        captured.update({n: part_pairs(dl._dataset) for n, dl in zip(PARTS, loaders)})
        return loaders

    ref_ids = _reference_token_ids(orig_df)

    def realigned_create(config):
        dataset = orig_create(config)
        _realign_ids(dataset, ref_ids)
        return dataset

    with _patched(recbole.config, "Config", config_wrapper):
        # (a) the reference run itself; record the split it trains on.
        with _patched(recbole.data, "data_preparation", capturing_prep):
            res_a = ref.run_one(ref_args)
        benchmark["on"] = True
        res_b = ref.run_one(ref_args)  # (b)
        with _patched(recbole.data, "create_dataset", realigned_create):
            res_c = ref.run_one(ref_args)  # (c)
    exported = read_exported(args.out)
    same_split = all(captured[n] == [(r[0], r[1]) for r in exported[n]] for n in PARTS)

    def summary(r):
        return {
            k: r[k]
            for k in (
                "ndcg@20",
                "recall@20",
                "best_epoch",
                "best_valid_ndcg@20",
                "num_train",
                "test",
            )
        }

    def same(r, s):
        return (
            r["test"] == s["test"]
            and r["valid"] == s["valid"]
            and r["best_epoch"] == s["best_epoch"]
        )

    return {
        "epochs": args.verify_bpr_epochs,
        "reference_trains_on_exported_split": same_split,
        "a_rs_split": summary(res_a),
        "b_benchmark_files": summary(res_b),
        "c_benchmark_files_reference_ids": summary(res_c),
        "a_equals_b": same(res_a, res_b),
        "a_equals_c": same(res_a, res_c),
        "ndcg@20_diff_b_minus_a": round(res_b["ndcg@20"] - res_a["ndcg@20"], 12),
    }


def main(argv=None):
    args = parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    # Same patch as recbole_reference.py (RecBole 1.2.1 pickles its Config into checkpoints).
    torch.load = functools.partial(torch.load, weights_only=False)

    orig_df, lookup = read_original(args.data_dir)
    split = build_split(args)
    write_split(split, lookup, args.data_dir, args.out)
    counts = check_files(args.out, orig_df)
    result = {
        "dataset": "ml-100k",
        "seed": args.seed,
        "out": os.path.abspath(args.out),
        "counts": counts,
        "total": sum(counts.values()),
        "disjoint": True,
        "union_is_original": True,
    }
    if args.seed == 2020:
        result["counts_as_expected"] = counts == EXPECTED_COUNTS
    print(f"[export_recbole_split] wrote {counts} to {args.out}", file=sys.stderr)
    if args.verify_bpr_epochs > 0:
        result["bpr_check"] = verify_bpr(args, orig_df)
    print(json.dumps(result), flush=True)
    if args.seed == 2020 and not result["counts_as_expected"]:
        raise SystemExit(f"unexpected counts {counts}, expected {EXPECTED_COUNTS}")
    if args.verify_bpr_epochs > 0:
        chk = result["bpr_check"]
        if not (chk["reference_trains_on_exported_split"] and chk["a_equals_c"]):
            raise SystemExit("identity check failed")


if __name__ == "__main__":
    main()
