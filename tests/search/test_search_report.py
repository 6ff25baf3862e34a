"""What a search's report says about its trials and its retrains is what really happened."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from lgnas.report.architecture import architecture_text
from lgnas.search.loop import SearchOutcome
from lgnas.search.run import search, trials_note
from lgnas.search.scheduler import FidelityScheduler
from lgnas.training import read_summary
from lgnas.trials import Candidate, TrialResult


def outcome(*results: TrialResult, epochs: int = 0) -> SearchOutcome:
    trials = [(Candidate(i, {"i": i}), r) for i, r in enumerate(results)]
    return SearchOutcome(trials=trials, keys=[str(i) for i in range(len(trials))], epochs=epochs)


def ok(fidelity: int | None, epochs: int, resumed: int = 0) -> TrialResult:
    cost = {"epochs": epochs, **({"resumed_from": resumed} if resumed else {})}
    return TrialResult(objective=0.1, cost=cost, fidelity=fidelity)


def failed(fidelity: int | None) -> TrialResult:
    return TrialResult.failure("boom", cost={"seconds": 1.0}, fidelity=fidelity)


def test_the_trials_note_counts_what_each_fidelity_really_trained() -> None:
    trials = outcome(ok(15, 15), ok(15, 9), failed(15), ok(5, 5), ok(5, 5))
    assert trials_note(trials, 15, None) == (
        "5 trials: 3 at 15 epochs (trained 9–15), 2 at 5 epochs (trained 5–5); 1 failed."
    )
    assert trials_note(outcome(ok(None, 40), ok(None, 12)), None, None) == (
        "2 trials: 2 at full training (trained 12–40); 0 failed."
    )


def test_the_trials_note_counts_the_trials_that_inherited_weights() -> None:
    child = TrialResult(objective=0.2, cost={"epochs": 2, "inherited": 7}, fidelity=2)
    assert trials_note(outcome(ok(2, 2), child), 2, None) == (
        "2 trials: 2 at 2 epochs (trained 2–2, 1 starting from a parent's weights); 0 failed."
    )


def test_with_a_scheduler_it_adds_the_rungs_continued_and_the_epochs_spent() -> None:
    sha = FidelityScheduler("sha", min_fidelity=1, max_fidelity=4, eta=2, warm_start=True)
    trials = outcome(ok(1, 1), ok(1, 1), ok(2, 1, resumed=1), ok(4, 2, resumed=2), epochs=5)
    assert trials_note(trials, 4, sha) == (
        "4 trials by sha (eta 2, rungs of 1/2/4 epochs): 1 at 4 epochs (trained 4–4, 1 "
        "continuing a lower rung), 1 at 2 epochs (trained 2–2, 1 continuing a lower rung), "
        "2 at 1 epoch (trained 1–1); 5 training epochs in all; 0 failed."
    )


def test_a_time_limited_retrain_makes_the_report_withhold_the_gain(search_job, tmp_path) -> None:
    # 0.01 s of training ends every retrain at the first check of its timer, long before
    # the epoch cap (300) and before early stopping could, on any machine.
    job = search_job(
        "+strategy=random",
        "dataset=synthetic",
        "search_space=tiny",
        "search.trials=2",
        "search.fidelity=1",
        "search.baselines=[mf]",
        "search.final_seconds=0.01",
    )
    run = search(job, tmp_path, show_progress=False)
    for name in ("found-1", "mf"):
        assert run.finals[name]["stop_reason"] == "time_limit"
        assert run.finals[name]["epochs"] < 300
        saved = json.loads((tmp_path / "final" / name / "metrics.json").read_text())
        assert saved["stop_reason"] == "time_limit" and "still_improving" in saved
    report = (tmp_path / "report.md").read_text()
    # Once in the verdict that opens report.md, once under the table.
    headline, again = [line for line in report.splitlines() if line.startswith("Not a valid")]
    assert headline == again
    # The answer: found-1, or its blend with BSPM, which reports found-1's training.
    assert re.search(
        r"found-1(-blended)?, mf hit the time limit \(search.final_seconds\)", headline
    )
    assert "Best found vs best baseline" not in report
    assert not re.search(r"[+-]\d+\.\d%", report)
    assert "| mf | baseline |" in report and "| time limit |" in report
    assert "2 trials: 2 at 1 epoch (trained 1–1); 0 failed." in report

    # The verdict, printed by python -m lgnas and opening report.md, is short and points on.
    assert 0 < len(run.verdict) <= 15 and headline in run.verdict
    assert report.index("## Verdict") < report.index(run.verdict[-1]) < report.index("| model |")
    best = tmp_path / "best_architecture.yaml"
    assert f"python -m lgnas.train model=file model.path={best} dataset=synthetic" in report
    assert f"python -m lgnas.recommend run={tmp_path} user=" in run.verdict[-1]

    # The found model, drawn and written out from the recipe it was retrained with.
    recipe = yaml.safe_load(best.read_text())
    section = report.split("## Found architecture", 1)[1]
    arch = recipe["arch"]  # a blend's GNN is drawn, its filter follows in a "blend:" line
    blended = arch.get("family") == "blend"
    assert (
        "\n".join(architecture_text(arch["base"] if blended else arch, recipe["optim"])) in section
    )
    assert ("\nblend: " in section) == blended
    assert (tmp_path / "architecture.png").read_bytes()[:4] == b"\x89PNG"


def test_a_result_saved_before_stop_reasons_reads_as_unknown(tmp_path: Path) -> None:
    old = {"valid": {}, "test": {}, "best_epoch": 3, "epochs": 9, "train_seconds": 1.0}
    (tmp_path / "metrics.json").write_text(json.dumps({**old, "num_parameters": 10}))
    summary = read_summary(tmp_path)
    assert summary["stop_reason"] is None and summary["still_improving"] is None
    assert summary["epochs"] == 9
