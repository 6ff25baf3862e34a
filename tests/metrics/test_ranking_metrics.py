"""Top-K ranking, top-K metrics and full-ranking AUC checked against a plain per-user Python
reference."""

from __future__ import annotations

import math
import random

import pytest
import torch
from torchmetrics.utilities.data import dim_zero_sum

from lgnas.errors import ConfigError
from lgnas.metrics import (
    METRICS,
    F1AtK,
    HitRateAtK,
    MRRAtK,
    NDCGAtK,
    PrecisionAtK,
    RankingMetrics,
    RecallAtK,
    TopKMetric,
    UserAUC,
    hit_matrix,
    ranking_keys,
    top_k_items,
)

TOP_K_METRICS = ("recall", "ndcg", "precision", "hit", "mrr", "f1")
ALL_METRICS = (*TOP_K_METRICS, "auc")


# ---------------------------------------------------------------- brute-force reference


def reference_ranking(row_scores: list[float], k: int) -> list[int]:
    """Item indices by descending score, ties by ascending index, first k."""
    order = sorted(range(len(row_scores)), key=lambda item: (-row_scores[item], item))
    return order[:k]


def reference_user_value(name: str, ranked: list[int], relevant: set[int], k: int) -> float:
    """One user's metric value, straight from the RecBole definitions."""
    hits = [1 if (i < len(ranked) and ranked[i] in relevant) else 0 for i in range(k)]
    if name == "recall":
        return sum(hits) / len(relevant)
    if name == "precision":
        return sum(hits) / k
    if name == "f1":
        # The harmonic mean of this user's precision and recall, 0 when both are 0.
        precision = reference_user_value("precision", ranked, relevant, k)
        recall = reference_user_value("recall", ranked, relevant, k)
        return 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    if name == "hit":
        return 1.0 if sum(hits) > 0 else 0.0
    if name == "mrr":
        for position, hit in enumerate(hits):
            if hit:
                return 1.0 / (position + 1)
        return 0.0
    if name == "ndcg":
        dcg = 0.0
        for position, hit in enumerate(hits):
            if hit:
                dcg += 1.0 / math.log2(position + 2)
        idcg = 0.0
        for position in range(min(len(relevant), k)):
            idcg += 1.0 / math.log2(position + 2)
        return dcg / idcg
    raise AssertionError(name)


def reference_auc(scores: torch.Tensor, target: torch.Tensor) -> tuple[float, int]:
    """Mean over users of the share of (relevant, other) unmasked pairs ranked right, a tie
    counting one half; users with one class only are skipped. Returns (mean, skipped)."""
    total, users, skipped = 0.0, 0, 0
    for row_scores, row_target in zip(scores.tolist(), target.tolist(), strict=True):
        shown = [(score, flag) for score, flag in zip(row_scores, row_target, strict=True)]
        positives = [score for score, flag in shown if flag and score != -math.inf]
        negatives = [score for score, flag in shown if not flag and score != -math.inf]
        if not positives or not negatives:
            skipped += 1
            continue
        wins = 0.0
        for p in positives:
            for n in negatives:
                wins += 1.0 if p > n else 0.5 if p == n else 0.0
        total += wins / (len(positives) * len(negatives))
        users += 1
    return (total / users if users else 0.0), skipped


def reference_metrics(
    scores: torch.Tensor, target: torch.Tensor, names: tuple[str, ...], ks: tuple[int, ...]
) -> dict[str, float]:
    """Top-K metrics: mean over users with at least one relevant item, 0.0 if there are none;
    ``auc`` by :func:`reference_auc`."""
    top_k = [name for name in names if name != "auc"]
    sums = {f"{name}@{k}": 0.0 for name in top_k for k in ks}
    users = 0
    for row_scores, row_target in zip(scores.tolist(), target.tolist(), strict=True):
        relevant = {item for item, flag in enumerate(row_target) if flag}
        if not relevant:
            continue
        users += 1
        for k in ks:
            ranked = reference_ranking(row_scores, k)
            for name in top_k:
                sums[f"{name}@{k}"] += reference_user_value(name, ranked, relevant, k)
    expected = {key: (total / users if users else 0.0) for key, total in sums.items()}
    if "auc" in names:
        expected["auc"] = reference_auc(scores, target)[0]
    return expected


# ---------------------------------------------------------------- random cases


def random_case(seed: int) -> tuple[torch.Tensor, torch.Tensor, tuple[int, ...]]:
    """Scores, target and cutoffs covering ties, -inf masks, sparse and empty targets, k > N."""
    rng = random.Random(seed)
    gen = torch.Generator().manual_seed(seed)
    batch, items = rng.randint(1, 24), rng.randint(1, 50)
    if seed % 3 == 0:
        # A small integer range makes ties common, including across the k-th rank.
        scores = torch.randint(0, rng.randint(1, 4), (batch, items), generator=gen).float()
    elif seed % 3 == 1:
        scores = torch.randn(batch, items, generator=gen)
    else:
        scores = torch.randn(batch, items, generator=gen).round(decimals=1)
    masked = torch.rand(batch, items, generator=gen) < rng.choice([0.0, 0.2, 0.6, 0.95])
    scores[masked] = -math.inf
    density = torch.rand(batch, 1, generator=gen) * rng.choice([0.05, 0.3, 1.0])
    target = torch.rand(batch, items, generator=gen) < density
    target[torch.rand(batch, generator=gen) < 0.25] = False  # users with nothing relevant
    ks = tuple(sorted(set(rng.sample(range(1, items + 6), k=min(3, items + 5)))))
    return scores, target, ks


def assert_matches_reference(
    results: dict[str, torch.Tensor], expected: dict[str, float], prefix: str = ""
) -> None:
    assert set(results) == {prefix + key for key in expected}
    for key, value in expected.items():
        assert results[prefix + key].item() == pytest.approx(value, rel=1e-12, abs=1e-12), key


@pytest.mark.parametrize("seed", range(60))
def test_top_k_items_equals_reference_ranking(seed: int) -> None:
    scores, _, ks = random_case(seed)
    for k in ks:
        ranked = top_k_items(scores, k)
        expected = [reference_ranking(row, k) for row in scores.tolist()]
        assert ranked.dtype == torch.long
        assert ranked.tolist() == expected


@pytest.mark.parametrize("seed", range(60))
@pytest.mark.parametrize("relevance", ["dense", "pairs"])
def test_metrics_equal_reference(seed: int, relevance: str) -> None:
    scores, target, ks = random_case(seed)
    metrics = RankingMetrics(ALL_METRICS, ks, prefix="val/")
    if relevance == "dense":
        metrics.update(scores, target)
    else:
        metrics.update_pairs(scores, *target.nonzero().T)
    assert_matches_reference(
        metrics.compute(), reference_metrics(scores, target, ALL_METRICS, ks), "val/"
    )


def test_large_tied_ranking_matches_reference() -> None:
    # Wide rows with few distinct scores: most rows tie across the k-th rank (slow path) and
    # the rest only inside the top k (fast path plus reordering).
    gen = torch.Generator().manual_seed(7)
    scores = torch.randint(0, 40, (64, 2000), generator=gen).float()
    scores[::2] = torch.randn(32, 2000, generator=gen)
    ranked = top_k_items(scores, 50)
    assert ranked.tolist() == [reference_ranking(row, 50) for row in scores.tolist()]


def test_ties_break_by_lower_index() -> None:
    scores = torch.tensor(
        [
            [1.0, 1.0, 1.0, 0.0],
            [0.0, 2.0, 2.0, 1.0],
            [3.0, 1.0, 3.0, 3.0],
            [-math.inf, 0.0, -math.inf, -math.inf],
        ]
    )
    assert top_k_items(scores, 2).tolist() == [[0, 1], [1, 2], [0, 2], [1, 0]]


def test_k_above_item_count_is_clamped() -> None:
    scores = torch.tensor([[0.5, 2.0, 0.5], [-math.inf, 1.0, 1.0]])
    ranked = top_k_items(scores, 10)
    assert ranked.tolist() == [[1, 0, 2], [1, 2, 0]]


def test_top_k_items_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="k must be"):
        top_k_items(torch.zeros(2, 3), 0)
    with pytest.raises(ValueError, match="shape"):
        top_k_items(torch.zeros(3), 1)


def test_hit_matrix_reads_target_at_ranked_items() -> None:
    target = torch.tensor([[False, True, False, True], [True, False, False, False]])
    top_items = torch.tensor([[3, 2, 1], [1, 2, 3]])
    hits = hit_matrix(top_items, target)
    assert hits.dtype == torch.bool
    assert hits.tolist() == [[True, False, True], [False, False, False]]


# ---------------------------------------------------------------- metric behaviour


def test_known_values_for_one_user() -> None:
    # Ranked hits at ranks 2 and 3, 4 relevant items, K = 3.
    hits = torch.tensor([[False, True, True, True]])
    num_relevant = torch.tensor([4])
    expected = {
        RecallAtK: 2 / 4,
        PrecisionAtK: 2 / 3,
        HitRateAtK: 1.0,
        MRRAtK: 1 / 2,
        NDCGAtK: (1 / math.log2(3) + 1 / math.log2(4)) / (1 + 1 / math.log2(3) + 1 / math.log2(4)),
        F1AtK: 2 * (2 / 3) * (2 / 4) / (2 / 3 + 2 / 4),
    }
    for cls, value in expected.items():
        metric = cls(3)
        metric.update(hits, num_relevant)
        assert metric.compute().item() == pytest.approx(value, rel=1e-12), cls.__name__


def test_users_without_relevant_items_are_skipped() -> None:
    metric = RecallAtK(2)
    metric.update(torch.tensor([[True, False], [False, False]]), torch.tensor([1, 0]))
    assert metric.count.item() == 1
    assert metric.compute().item() == pytest.approx(1.0)


def test_no_scored_users_gives_zero() -> None:
    metrics = RankingMetrics(ALL_METRICS, (1, 3))
    metrics.update(torch.randn(4, 5), torch.zeros(4, 5, dtype=torch.bool))
    results = metrics.compute()
    assert len(results) == len(TOP_K_METRICS) * 2 + 1
    assert all(value.item() == 0.0 for value in results.values())


def test_update_rejects_too_few_hit_columns() -> None:
    with pytest.raises(ValueError, match="hits"):
        NDCGAtK(5).update(torch.zeros(2, 4, dtype=torch.bool), torch.tensor([1, 1]))


@pytest.mark.parametrize("seed", range(5))
def test_batches_accumulate_like_one_batch(seed: int) -> None:
    scores, target, ks = random_case(seed * 3)  # tied scores
    whole = RankingMetrics(ALL_METRICS, ks)
    whole.update(scores, target)
    batched = RankingMetrics(ALL_METRICS, ks)
    for chunk in range(0, scores.shape[0], 5):
        batched.update(scores[chunk : chunk + 5], target[chunk : chunk + 5])
    expected = whole.compute()
    results = batched.compute()
    assert set(results) == set(expected)
    for key, value in expected.items():
        assert results[key].item() == pytest.approx(value.item(), rel=1e-12, abs=1e-12), key
    assert_matches_reference(results, reference_metrics(scores, target, ALL_METRICS, ks))


def test_metrics_stay_separate_when_first_batch_has_equal_states() -> None:
    # After this first batch every metric's state is (0, 1). Metrics must not be merged on
    # that coincidence, or recall and precision would report the same number afterwards.
    scores = torch.tensor([[3.0, 2.0, 1.0, 0.0]])
    miss = torch.tensor([[False, False, False, True]])
    hit = torch.tensor([[True, False, True, True]])
    metrics = RankingMetrics(("recall", "precision", "hit"), (2,))
    metrics.update(scores, miss)
    metrics.update(scores, hit)
    results = metrics.compute()
    assert results["recall@2"].item() == pytest.approx((0 + 1 / 3) / 2)
    assert results["precision@2"].item() == pytest.approx((0 + 1 / 2) / 2)
    assert results["hit@2"].item() == pytest.approx((0 + 1) / 2)
    metrics.reset()
    metrics.update(scores, hit)
    assert metrics.compute()["hit@2"].item() == pytest.approx(1.0)


@pytest.mark.parametrize("cls", list(METRICS.values()))
def test_merged_states_equal_one_process(cls: type[TopKMetric]) -> None:
    # Simulates DDP: each half of the users goes to its own instance, then states are summed.
    scores, target, _ = random_case(12)
    scores, target = scores.repeat(2, 1), target.repeat(2, 1)
    target[0] = True  # at least one scored user in each half
    target[-1] = True
    half = scores.shape[0] // 2
    k = 3

    def fed(rows: slice) -> TopKMetric:
        metric = cls(k)
        hits = hit_matrix(top_k_items(scores[rows], k), target[rows])
        hits = torch.nn.functional.pad(hits, (0, k - hits.shape[1]))
        metric.update(hits, target[rows].sum(1))
        return metric

    first, second, whole = fed(slice(0, half)), fed(slice(half, None)), fed(slice(None))
    expected_total = first.total + second.total
    expected_count = first.count + second.count
    first.merge_state(second)
    assert first.total.item() == pytest.approx(expected_total.item(), rel=1e-12)
    assert first.count.item() == expected_count.item() == whole.count.item()
    assert first.compute().item() == pytest.approx(whole.compute().item(), rel=1e-12, abs=1e-12)


def test_state_reduction_is_sum() -> None:
    metric = MRRAtK(4)
    assert metric.total.dtype == torch.float64
    assert all(metric._reductions[name] is dim_zero_sum for name in ("total", "count"))
    metric.update(torch.tensor([[False, True, False, False]]), torch.tensor([2]))  # 1/2
    metric.merge_state({"total": torch.tensor(1.5, dtype=torch.float64), "count": torch.tensor(3)})
    metric.merge_state({"total": torch.tensor(0.5, dtype=torch.float64), "count": torch.tensor(1)})
    assert metric.compute().item() == pytest.approx((0.5 + 1.5 + 0.5) / 5)


# ---------------------------------------------------------------- configuration


def test_unknown_metric_name_lists_valid_names() -> None:
    with pytest.raises(ConfigError, match="map") as error:
        RankingMetrics(("recall", "map"), (10,))
    for name in ALL_METRICS:
        assert name in str(error.value)


@pytest.mark.parametrize("ks", [(0,), (5, -1), ()])
def test_bad_cutoffs_are_config_errors(ks: tuple[int, ...]) -> None:
    with pytest.raises(ConfigError):
        RankingMetrics(("recall",), ks)


def test_metric_class_rejects_bad_k() -> None:
    with pytest.raises(ConfigError):
        HitRateAtK(0)


def test_keys_and_defaults() -> None:
    metrics = RankingMetrics(prefix="test/")
    metrics.update(torch.randn(3, 30), torch.rand(3, 30) < 0.3)
    assert set(metrics.compute()) == {
        f"test/{name}@{k}"
        for name in ("recall", "ndcg", "precision", "hit", "mrr")
        for k in (10, 20)
    }


# ---------------------------------------------------------------- full-ranking AUC


@pytest.mark.parametrize("seed", range(60))
def test_user_auc_counts_the_users_it_skips(seed: int) -> None:
    # random_case has users with no relevant item, with every unmasked item relevant, and
    # relevant items that are masked (they count for neither class).
    scores, target, _ = random_case(seed)
    metric = UserAUC()
    metric.update(scores, *target.nonzero().T)
    mean, skipped = reference_auc(scores, target)
    assert metric.compute().item() == pytest.approx(mean, rel=1e-12, abs=1e-12)
    assert metric.skipped.item() == skipped
    assert metric.count.item() + skipped == scores.shape[0]


def test_user_auc_on_wide_tied_rows_matches_reference() -> None:
    gen = torch.Generator().manual_seed(3)
    scores = torch.randint(0, 6, (16, 400), generator=gen).float()
    scores[torch.rand(16, 400, generator=gen) < 0.1] = -math.inf
    target = torch.rand(16, 400, generator=gen) < 0.05
    metric = UserAUC()
    metric.update(scores, *target.nonzero().T)
    assert metric.compute().item() == pytest.approx(reference_auc(scores, target)[0], rel=1e-12)


def test_user_auc_known_value_with_a_tie_and_a_mask() -> None:
    # Relevant items 0 (score 2) and 3 (masked); others 1 (score 2, a tie) and 2 (score 1).
    scores = torch.tensor([[2.0, 2.0, 1.0, -math.inf]])
    metric = UserAUC()
    metric.update(scores, torch.tensor([0, 0]), torch.tensor([0, 3]))
    assert metric.compute().item() == pytest.approx((0.5 + 1.0) / 2)


def test_user_auc_states_merge_like_one_process() -> None:
    scores, target, _ = random_case(10)
    half = scores.shape[0] // 2
    parts = [UserAUC(), UserAUC()]
    parts[0].update(scores[:half], *target[:half].nonzero().T)
    parts[1].update(scores[half:], *target[half:].nonzero().T)
    parts[0].merge_state(parts[1])
    assert all(parts[0]._reductions[name] is dim_zero_sum for name in ("total", "skipped"))
    mean, skipped = reference_auc(scores, target)
    assert parts[0].compute().item() == pytest.approx(mean, rel=1e-12, abs=1e-12)
    assert parts[0].skipped.item() == skipped


def test_ranking_keys_give_top_k_metrics_a_cutoff_and_auc_none() -> None:
    keys = ranking_keys(("ndcg", "auc", "f1"), (10, 20))
    assert keys == ("ndcg@10", "ndcg@20", "auc", "f1@10", "f1@20")
    metrics = RankingMetrics(("ndcg", "auc", "f1"), (10, 20), prefix="val/")
    metrics.update(torch.randn(3, 30), torch.rand(3, 30) < 0.3)
    assert set(metrics.compute()) == {f"val/{key}" for key in keys}


def test_auc_alone_needs_no_cutoff() -> None:
    metrics = RankingMetrics(("auc",), ())
    metrics.update(torch.tensor([[3.0, 1.0, 2.0]]), torch.tensor([[True, False, False]]))
    assert metrics.compute() == {"auc": pytest.approx(1.0)}
    with pytest.raises(ConfigError, match="cutoff"):
        RankingMetrics(("auc", "ndcg"), ())
