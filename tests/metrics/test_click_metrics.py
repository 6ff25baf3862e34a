"""Click-through metrics (AUC, GAUC, LogLoss, accuracy) checked against plain Python loops."""

from __future__ import annotations

import math
import random

import pytest
import torch

from lgnas.errors import ConfigError
from lgnas.metrics import (
    CLICK_METRICS,
    ClickMetrics,
    GlobalAUC,
    GroupAUC,
    LogLoss,
    grouped_auc,
)

# ---------------------------------------------------------------- brute-force reference


def pair_auc(positives: list[float], negatives: list[float]) -> float:
    """Share of (positive, negative) pairs with the positive above, a tie counting one half."""
    wins = 0.0
    for p in positives:
        for n in negatives:
            wins += 1.0 if p > n else 0.5 if p == n else 0.0
    return wins / (len(positives) * len(negatives))


def reference(logits: list[float], labels: list[int], users: list[int]) -> dict[str, float]:
    """Every click metric, and how many users GAUC skipped, from the definitions."""
    probability = [1.0 / (1.0 + math.exp(-x)) for x in logits]
    n = len(labels)
    logloss = -sum(
        math.log(p) if y else math.log(1.0 - p) for p, y in zip(probability, labels, strict=True)
    )
    correct = sum((p > 0.5) == bool(y) for p, y in zip(probability, labels, strict=True))
    clicked = [x for x, y in zip(logits, labels, strict=True) if y]
    shown = [x for x, y in zip(logits, labels, strict=True) if not y]
    weighted, weight, skipped = 0.0, 0, 0
    for user in sorted(set(users)):
        mine = [(x, y) for x, y, u in zip(logits, labels, users, strict=True) if u == user]
        positives = [x for x, y in mine if y]
        negatives = [x for x, y in mine if not y]
        if not positives or not negatives:
            skipped += 1
            continue
        weighted += len(mine) * pair_auc(positives, negatives)
        weight += len(mine)
    return {
        "auc": pair_auc(clicked, shown) if clicked and shown else 0.0,
        "gauc": weighted / weight if weight else 0.0,
        "logloss": logloss / n,
        "accuracy": correct / n,
        "skipped": skipped,
    }


def random_impressions(seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Logits with many ties (rounded or few levels), users of one class only, sparse ids."""
    rng = random.Random(seed)
    gen = torch.Generator().manual_seed(seed)
    n = rng.randint(1, 120)
    if seed % 2:
        logits = torch.randint(-2, 3, (n,), generator=gen).double()  # ties, and exact 0
    else:
        logits = (torch.randn(n, generator=gen, dtype=torch.float64) * 3).round(decimals=1)
    labels = (torch.rand(n, generator=gen) < rng.choice([0.1, 0.4, 0.9])).long()
    users = torch.randint(0, rng.randint(1, 12), (n,), generator=gen) * 7  # not dense
    return logits, labels, users


# ---------------------------------------------------------------- equal to the reference


@pytest.mark.parametrize("seed", range(60))
def test_click_metrics_equal_reference(seed: int) -> None:
    logits, labels, users = random_impressions(seed)
    metrics = ClickMetrics(tuple(CLICK_METRICS), prefix="val/")
    for chunk in range(0, len(labels), 17):  # a user's impressions cross batches
        part = slice(chunk, chunk + 17)
        metrics.update(logits[part], labels[part], users[part])
    results = metrics.compute()
    expected = reference(logits.tolist(), labels.tolist(), users.tolist())
    assert set(results) == {f"val/{name}" for name in CLICK_METRICS}
    for name in CLICK_METRICS:
        assert results[f"val/{name}"].item() == pytest.approx(expected[name], rel=1e-9, abs=1e-12)
    assert metrics.metrics["gauc"].skipped == expected["skipped"]


@pytest.mark.parametrize("seed", range(30))
def test_grouped_auc_per_group_equals_pair_count(seed: int) -> None:
    logits, labels, users = random_impressions(seed)
    auc, positives, negatives = grouped_auc(logits, labels, users)
    for index, user in enumerate(sorted(set(users.tolist()))):
        mine = users == user
        clicked = logits[mine & (labels == 1)].tolist()
        shown = logits[mine & (labels == 0)].tolist()
        assert (positives[index].item(), negatives[index].item()) == (len(clicked), len(shown))
        expected = pair_auc(clicked, shown) if clicked and shown else 0.0
        assert auc[index].item() == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_known_values() -> None:
    # User 0: click at 2, non-clicks at 2 (tie) and 0; user 1: one click only (skipped).
    logits = torch.tensor([2.0, 2.0, 0.0, 1.0])
    labels = torch.tensor([1, 0, 0, 1])
    users = torch.tensor([0, 0, 0, 1])
    gauc, auc = GroupAUC(), GlobalAUC()
    for metric in (gauc, auc):
        metric.update(logits, labels, users)
    assert gauc.compute().item() == pytest.approx(0.75)
    assert gauc.skipped == 1
    # Global: clicks {2, 1} against {2, 0}: 0.5 + 1 + 0 + 1 of 4 pairs.
    assert auc.compute().item() == pytest.approx(2.5 / 4)
    logloss = LogLoss()
    logloss.update(torch.tensor([0.0]), torch.tensor([1]), torch.tensor([0]))
    assert logloss.compute().item() == pytest.approx(math.log(2))
    assert LogLoss.higher_is_better is False


def test_confident_logits_keep_logloss_finite() -> None:
    logloss = LogLoss()
    logloss.update(torch.tensor([60.0, -60.0]), torch.tensor([0, 1]), torch.tensor([0, 1]))
    assert logloss.compute().item() == pytest.approx(60.0, rel=1e-9)


@pytest.mark.parametrize("name", list(CLICK_METRICS))
def test_merged_states_equal_one_process(name: str) -> None:
    # Simulates DDP: each half of the impressions goes to its own instance, then states merge.
    logits, labels, users = random_impressions(4)
    half = len(labels) // 2
    first, second = CLICK_METRICS[name](), CLICK_METRICS[name]()
    first.update(logits[:half], labels[:half], users[:half])
    second.update(logits[half:], labels[half:], users[half:])
    first.merge_state(second)
    expected = reference(logits.tolist(), labels.tolist(), users.tolist())[name]
    assert first.compute().item() == pytest.approx(expected, rel=1e-9, abs=1e-12)


@pytest.mark.filterwarnings("ignore:The ``compute`` method")
def test_nothing_added_gives_zero_and_reset_forgets() -> None:
    metrics = ClickMetrics(tuple(CLICK_METRICS))
    assert all(value.item() == 0.0 for value in metrics.compute().values())
    metrics.update(torch.tensor([1.0, -1.0]), torch.tensor([1, 0]), torch.tensor([0, 0]))
    assert metrics.compute()["auc"].item() == 1.0
    metrics.reset()
    metrics.update(torch.tensor([-1.0, 1.0]), torch.tensor([1, 0]), torch.tensor([0, 0]))
    assert metrics.compute()["auc"].item() == 0.0


def test_bad_input() -> None:
    with pytest.raises(ConfigError, match="ndcg") as error:
        ClickMetrics(("auc", "ndcg"))
    assert "logloss" in str(error.value)
    with pytest.raises(ValueError, match="one shape"):
        LogLoss().update(torch.zeros(3), torch.zeros(2), torch.zeros(3))
