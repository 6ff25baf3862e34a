"""A search trial: real training on the training split, failures recorded, never raised."""

from __future__ import annotations

import pytest

from lgnas.data import prepare_dataset
from lgnas.search import evaluator as evaluator_module
from lgnas.search.evaluator import TrialEvaluator
from lgnas.search.executor import Parent

POINT = {
    "num_layers": 1,
    "op": ["lightgcn"],
    "combine": "mean",
    "norm": "symmetric",
    "dim": 16,
    "lr": 0.01,
}


@pytest.fixture(scope="module")
def evaluator_parts(search_job):
    job = search_job("+strategy=random", "dataset=synthetic")
    return job, prepare_dataset(job.dataset, seed=0)


def _evaluator(job, split, **options) -> TrialEvaluator:
    return TrialEvaluator(job.optim, job.trial_settings, split, "ndcg@20", **options)


def test_a_trial_trains_and_scores_on_validation(evaluator_parts) -> None:
    job, split = evaluator_parts
    result = _evaluator(job, split)(POINT, fidelity=2)
    assert result.ok and 0.0 < result.objective <= 1.0
    assert result.cost["epochs"] == 2 and result.cost["parameters"] > 0
    assert all(key.startswith("val/") for key in result.metrics)  # the test split is untouched


def test_a_time_limit_ends_a_trial_early_but_scores_it(evaluator_parts) -> None:
    job, split = evaluator_parts
    result = _evaluator(job, split, max_seconds=0.5)(POINT, fidelity=10_000)
    assert result.ok
    assert result.cost["epochs"] < 10_000


@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_a_promoted_trial_continues_its_lower_rung_checkpoint(
    evaluator_parts, tmp_path, dropout
) -> None:
    point = {**POINT, "dropout": dropout}  # dropout: torch's random state carries over too
    job, split = evaluator_parts
    warm = _evaluator(job, split, checkpoint_dir=tmp_path, full_fidelity=4)
    screened = warm(point, fidelity=2)
    assert screened.cost["epochs"] == 2 and "resumed_from" not in screened.cost
    assert len(list(tmp_path.glob("*-e2.ckpt"))) == 1
    promoted = warm(point, fidelity=4)
    assert promoted.cost["epochs"] == 2 and promoted.cost["resumed_from"] == 2
    assert not list(tmp_path.glob("*-e4.ckpt"))  # nothing continues a full-fidelity trial
    # Weights, optimiser moments, batches and the best-so-far all carry over: the continued
    # training scores exactly what four epochs from scratch score.
    cold = _evaluator(job, split)(point, fidelity=4)
    assert cold.cost["epochs"] == 4
    assert promoted.metrics == cold.metrics


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        (RuntimeError("CUDA out of memory. Tried to allocate 2 GiB"), "out of memory"),
        (FloatingPointError("training loss became nan (diverged)"), "diverged"),
        (ValueError("shapes do not match"), "ValueError: shapes do not match"),
    ],
)
def test_errors_become_failed_trials(evaluator_parts, monkeypatch, failure, message) -> None:
    job, split = evaluator_parts

    def broken_fit(*args, **kwargs):
        raise failure

    monkeypatch.setattr(evaluator_module, "fit", broken_fit)
    result = _evaluator(job, split)(POINT, fidelity=1)
    assert not result.ok and result.objective is None
    assert message in result.error


def test_a_trial_inherits_its_parents_weights_and_keeps_its_own(evaluator_parts, tmp_path) -> None:
    job, split = evaluator_parts
    keeping = _evaluator(job, split, weights_dir=tmp_path)
    parent = {**POINT, "num_layers": 2, "op": ["lightgcn", "gcn"]}
    assert "inherited" not in keeping(parent, fidelity=2).cost
    assert len(list(tmp_path.glob("*-e2.weights.pt"))) == 1  # every trial leaves its weights

    child = {**parent, "op": ["lightgcn", "sage"]}
    inherited = keeping(child, fidelity=2, parent=Parent(parent, 2))
    # The embeddings are the one tensor the two share (lightgcn and the ops' own differ).
    assert inherited.ok and inherited.cost["inherited"] == 1
    scratch = _evaluator(job, split)(child, fidelity=2)
    assert inherited.objective != scratch.objective
    # A parent whose weights cannot be read (a Ray worker elsewhere): from scratch, exactly.
    orphan = _evaluator(job, split, weights_dir=tmp_path / "elsewhere")
    alone = orphan(child, fidelity=2, parent=Parent(parent, 2))
    assert "inherited" not in alone.cost and alone.objective == scratch.objective
