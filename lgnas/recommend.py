"""Put a search's result to use: top-k items for a user from a run directory's final model.

``python -m lgnas.recommend run=<run dir> user=<original user id> k=10`` prints the items the
search's answer (the retrained found model with the best validation score, e.g.
``final/found-1/model.pt``) ranks highest for the user, by the data owner's item ids and titles.
Items the user already has are left out: by default every interaction of the user in the data
(train, validation and test: a user has all of them); ``exclude=train`` leaves out only the
training ones, to see the model as the evaluation does. In Python::

    Recommender.from_run("outputs/search/ml100k/genetic/seed0").recommend("196", k=10)
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from omegaconf import DictConfig, OmegaConf

from lgnas.data.catalog import prepare_dataset
from lgnas.data.splits import Split
from lgnas.errors import ConfigError, LgnasError
from lgnas.report.finals import answer_name, load_finals
from lgnas.training.saved import Scorer, saved_scorer

TITLE_FEATURES = ("title", "movie_title", "name", "item_name")  # item side-table columns
YEAR_FEATURES = ("release_year", "year")  # shown after a title that lacks it, as GroupLens does
EXCLUDE = ("all", "train")


class RunError(LgnasError, FileNotFoundError):
    """A run directory is missing, unfinished, or lacks what a recommendation needs."""


class UnknownUserError(LgnasError, KeyError):
    """The user id is not in the run's dataset."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


@dataclass(frozen=True)
class Recommendation:
    """One recommended item: its rank, the data owner's item id, its title and score."""

    rank: int
    item: str
    title: str
    score: float


class Recommender:
    """A trained recommender with the id maps and interactions of the data it learned from.

    Args:
        scores: Scores every item for a batch of user indices (``[B, items]``), e.g. a
            saved model's (:func:`~lgnas.training.saved.saved_scorer`).
        split: The dataset split the model was trained on.
        name: What the model is, for messages (e.g. ``found-1 of <run dir>``).
    """

    def __init__(self, scores: Scorer, split: Split, name: str = "model") -> None:
        self.split = split
        self.name = name
        self.scores = scores
        """Scores of every item for a batch of user indices, as the model's evaluation
        ranked them."""
        self.titles = _titles(split)

    @classmethod
    def from_run(cls, run_dir: str | Path, model: str | None = None) -> Recommender:
        """Rebuild the dataset split and the retrained ``final/<model>`` of a search run
        (default: the search's answer, as its report names it).

        Raises:
            RunError: No such directory, no saved config, or no finished final model.
        """
        run = Path(run_dir).expanduser()
        if not run.is_dir():
            raise RunError(
                f"run directory {run} does not exist; pass the folder of a finished search "
                "(e.g. outputs/search/ml100k/genetic/seed0)"
            )
        cfg = _run_config(run)
        model = model or _answer(run, cfg)
        weights = run / "final" / model / "model.pt"
        if not weights.is_file():
            finished = sorted(p.parent.name for p in run.glob("final/*/model.pt"))
            raise RunError(
                f"{run} has no finished final model {weights.relative_to(run)}; the search may "
                "still be running or the retrain failed (see report.md). Finished models: "
                f"{finished or 'none'}; choose one with model=<name>"
            )
        split = prepare_dataset(cfg.dataset, seed=int(cfg.seed))
        train = split.train
        try:
            scores = saved_scorer(weights, split)
        except (RuntimeError, ConfigError) as error:
            raise RunError(
                f"{weights} does not fit dataset {cfg.dataset.name!r} as it loads now "
                f"({train.num_users} users, {train.num_items} items): the data changed since "
                f"the search; restore the data it used ({cfg.dataset.get('path')})"
            ) from error
        return cls(scores, split, name=f"{model} of {run}")

    def user_index(self, user: str | int) -> int:
        """The dense index of an original user id.

        Raises:
            UnknownUserError: naming the id, how many users there are and some valid ids.
        """
        ids = self.split.train.user_ids
        found = np.flatnonzero(ids == str(user))
        if not len(found):
            raise UnknownUserError(
                f"user {str(user)!r} is not in the dataset ({len(ids)} users; ids look like "
                f"{', '.join(ids[:3])}, ..., {ids[-1]}); pass an original user id from the data"
            )
        return int(found[0])

    def known_items(self, user: str | int, exclude: str = "all") -> np.ndarray:
        """Dense ids of items the user has in the parts ``exclude`` names (``all``/``train``)."""
        if exclude not in EXCLUDE:
            raise LgnasError(f"exclude={exclude!r} is unknown; valid: {list(EXCLUDE)}")
        index = self.user_index(user)
        split = self.split
        parts = (split.train,) if exclude == "train" else (split.train, split.valid, split.test)
        return np.unique(np.concatenate([p.item[p.user == index] for p in parts]))

    def recommend(self, user: str | int, k: int = 10, exclude: str = "all") -> list[Recommendation]:
        """The ``k`` highest-scored items the user does not have yet, best first.

        Ties go to the lower item index, as in evaluation.
        """
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise LgnasError(f"k={k!r} must be a positive integer")
        with torch.no_grad():
            index = torch.tensor([self.user_index(user)])
            scores = self.scores(index)[0].double().numpy()
        known = self.known_items(user, exclude)
        scores[known] = -np.inf
        order = np.argsort(-scores, kind="stable")[: min(k, len(scores) - len(known))]
        item_ids = self.split.train.item_ids
        return [
            Recommendation(rank, str(item_ids[i]), str(self.titles[i]), float(scores[i]))
            for rank, i in enumerate(order, 1)
        ]


def _answer(run: Path, cfg: DictConfig) -> str:
    """The retrained found model the search chose on validation; ``found-1`` if none is."""
    objective = str(OmegaConf.select(cfg, "search.objective", default="ndcg@20"))
    return answer_name(load_finals(run, objective)) or "found-1"


def _run_config(run: Path) -> DictConfig:
    """The search's config: ``config.yaml`` written by the search, else Hydra's copy."""
    for path in (run / "config.yaml", run / ".hydra" / "config.yaml"):
        if path.is_file():
            cfg = OmegaConf.load(path)
            if "dataset" in cfg and "seed" in cfg:
                return cfg
            raise RunError(f"{path} has no 'dataset' and 'seed'; it is not a search's config")
    raise RunError(
        f"{run} has no config.yaml (nor .hydra/config.yaml): it was not written by "
        "`python -m lgnas`, or by a version that did not save its config; resume the search "
        "with its original command to add it"
    )


def _titles(split: Split) -> np.ndarray:
    """Item titles from the item side table, or empty strings when it has none."""
    features = split.train.item_features or {}
    title = next((features[name] for name in TITLE_FEATURES if name in features), None)
    if title is None:
        return np.full(split.train.num_items, "", dtype=str)
    year = next((features[name] for name in YEAR_FEATURES if name in features), None)
    if year is None:
        return title
    return np.array([f"{t} ({y})" if y and t else t for t, y in zip(title, year)], dtype=str)


def format_recommendations(user: str | int, items: Sequence[Recommendation], name: str) -> str:
    """The table ``python -m lgnas.recommend`` prints."""
    width = max((len(r.item) for r in items), default=4)
    lines = [f"Top {len(items)} for user {user} ({name}):"]
    lines += [
        f"{r.rank:>3}. {r.item:<{width}}  {r.title or '(no title)'}  (score {r.score:.3f})"
        for r in items
    ]
    return "\n".join(lines)


USAGE = (
    "usage: python -m lgnas.recommend run=<run dir> user=<original user id> [k=10] "
    "[model=<found-1|...>] [exclude=all|train]"
)
HELP = f"""{USAGE}

The items a finished search's best model ranks highest for a user, new to the user.

  run=      the search's run directory (outputs/search/<dataset>/<strategy>/seed<seed>)
  user=     the user's id as in the data (e.g. 196 on ml-100k)
  k=        how many items (default 10)
  model=    a retrained model of <run>/final/: found-1, found-1-propagated, found-2, ...,
            or a baseline (mf, lightgcn, ngcf); default: the search's answer (the found
            model with the best validation score after retraining)
  exclude=  items left out: all the user has (default), or train (training items only)"""


def parse_arguments(argv: Sequence[str]) -> dict[str, str]:
    """``key=value`` arguments, checked against the known keys."""
    known = {"run", "user", "k", "model", "exclude"}
    options: dict[str, str] = {}
    for argument in argv:
        key, equals, value = argument.partition("=")
        if not equals or key not in known:
            raise LgnasError(f"argument {argument!r} is not one of {sorted(known)} as key=value")
        options[key] = value
    missing = [key for key in ("run", "user") if not options.get(key)]
    if missing:
        raise LgnasError(f"missing {' and '.join(missing)}=...")
    if "k" in options and not options["k"].isdigit():
        raise LgnasError(f"k={options['k']!r} must be a positive integer")
    return options


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point; bad input ends with one clear line and the usage."""
    argv = sys.argv[1:] if argv is None else argv
    if {"-h", "--help"} & set(argv):
        print(HELP)
        return
    try:
        options = parse_arguments(argv)
        recommender = Recommender.from_run(options["run"], model=options.get("model"))
        items = recommender.recommend(
            options["user"], int(options.get("k", 10)), options.get("exclude", "all")
        )
    except LgnasError as error:
        sys.exit(f"lgnas.recommend: error: {error}\n{USAGE}")
    print(format_recommendations(options["user"], items, recommender.name))


if __name__ == "__main__":
    main()
