"""Live progress of a search in the terminal (rich): trials done, best so far, current trial."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lgnas.trials import Candidate, TrialResult


class SearchProgress:
    """A progress bar over the trial budget with the best objective and the running trial."""

    def __init__(self, total: int | None, objective: str, console: Console | None = None) -> None:
        self.objective = objective
        self.progress = Progress(
            TextColumn("[bold]search"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("best {task.fields[best]}"),
            TextColumn("{task.fields[current]}"),
            console=console,
            transient=False,
        )
        self.task = self.progress.add_task("search", total=total, best="-", current="")

    def __enter__(self) -> SearchProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def start(self, candidate: Candidate) -> None:
        summary = ", ".join(f"{k}={v}" for k, v in list(candidate.point.items())[:4])
        self.progress.update(self.task, current=f"trial {candidate.id}: {summary}")

    def finish(self, candidate: Candidate, result: TrialResult, best: TrialResult | None) -> None:
        """Count a finished trial; ``best`` is the best result so far (``None``: none ok)."""
        shown = f"{self.objective}={best.objective:.4f}" if best else "-"
        status = "" if result.ok else f"trial {candidate.id} failed: {result.error}"
        self.progress.update(self.task, advance=1, best=shown, current=status)
