"""The search's answer: of the retrained found models, the best on validation."""

from __future__ import annotations

from lgnas.report.finals import answer_first, answer_note


def row(kind: str, valid: dict[str, float], test: float = 0.3) -> dict:
    return {"kind": kind, "valid": valid, "test": {"test/ndcg@20": test}}


FINALS = {
    "found-1": row("found", {"val/ndcg@20": 0.28, "val/logloss": 0.50}),
    "found-1-propagated": row("found", {"val/ndcg@20": 0.29, "val/logloss": 0.40}),
    "found-2": {"kind": "found", "error": "RuntimeError: diverged"},
    "ngcf": row("baseline", {"val/ndcg@20": 0.35, "val/logloss": 0.10}),  # never the answer
}


def test_the_found_model_best_on_validation_comes_first_and_the_rest_keep_their_order() -> None:
    ordered = answer_first(FINALS, "ndcg@20")
    assert list(ordered) == ["found-1-propagated", "found-1", "found-2", "ngcf"]
    assert ordered["found-1"] is FINALS["found-1"]


def test_a_minimised_objective_chooses_the_lowest() -> None:
    finals = {**FINALS, "found-1": row("found", {"val/ndcg@20": 0.28, "val/logloss": 0.30})}
    assert next(iter(answer_first(finals, "logloss"))) == "found-1"


def test_ties_keep_the_earlier_row_and_without_scores_nothing_moves() -> None:
    tied = {
        "found-1": row("found", {"val/ndcg@20": 0.3}),
        "found-2": row("found", {"val/ndcg@20": 0.3}),
    }
    assert list(answer_first(tied, "ndcg@20")) == ["found-1", "found-2"]
    unscored = {"found-1": {"kind": "found", "error": "x"}, "mf": row("baseline", {})}
    assert list(answer_first(unscored, "ndcg@20")) == ["found-1", "mf"]


def test_the_note_names_the_answer_with_each_found_models_validation_score() -> None:
    assert answer_note(answer_first(FINALS, "ndcg@20"), "ndcg@20") == [
        "The answer is found-1-propagated, of the retrained found models the best on "
        "validation ndcg@20 (found-1-propagated 0.2900, found-1 0.2800)."
    ]
    assert answer_note({"found-1": FINALS["found-1"], "ngcf": FINALS["ngcf"]}, "ndcg@20") == []
