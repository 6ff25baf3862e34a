"""Reinforcement-learning search: an LSTM controller trained with REINFORCE, as GraphNAS."""

from __future__ import annotations

import base64
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from lgnas.errors import ConfigError
from lgnas.space import Decision, SearchSpace
from lgnas.strategies.base import SearchStrategy, _check_at_least, _check_unit_interval
from lgnas.trials import Candidate, Point, TrialResult

_INIT_RANGE = 0.1  # uniform init of every controller weight, as ENAS and GraphNAS


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run torch on one thread, restoring the setting after.

    The controller's ops are tiny: spread over threads they are dominated by synchronisation,
    up to 50x slower on a busy machine. Strategies run between trials, never during one, so
    briefly changing the process-wide setting cannot slow a training run.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


class _Controller(nn.Module):
    """An LSTM that emits one categorical decision per step, fed its previous decision."""

    def __init__(self, sizes: list[int], hidden_size: int, generator: torch.Generator) -> None:
        super().__init__()
        # Built on the meta device so construction draws nothing from torch's global RNG;
        # the weights are then drawn from the strategy's own generator.
        with torch.device("meta"):
            self.cell = nn.LSTMCell(hidden_size, hidden_size)
            self.embed = nn.ModuleList(nn.Embedding(n, hidden_size) for n in sizes)
            self.heads = nn.ModuleList(nn.Linear(hidden_size, n) for n in sizes)
        self.to_empty(device="cpu")
        for p in self.parameters():
            nn.init.uniform_(p, -_INIT_RANGE, _INIT_RANGE, generator=generator)
        self.hidden_size = hidden_size

    def forward(
        self,
        temperature: float,
        tanh_constant: float,
        actions: Tensor | None = None,
        batch: int = 1,
        generator: torch.Generator | None = None,
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Sample decisions (``actions=None``) or score given ones (``[B, T]``).

        Returns:
            ``(actions, log-probabilities, entropies)``, each ``[B, T]``.
        """
        if actions is not None:
            batch = actions.shape[0]
        h = c = torch.zeros(batch, self.hidden_size)
        x = torch.zeros(batch, self.hidden_size)
        chosen, logps, entropies = [], [], []
        for t, head in enumerate(self.heads):
            h, c = self.cell(x, (h, c))
            logits = tanh_constant * torch.tanh(head(h) / temperature)
            log_probs = torch.log_softmax(logits, dim=-1)
            if actions is None:
                a = torch.multinomial(log_probs.exp(), 1, generator=generator).squeeze(1)
            else:
                a = actions[:, t]
            chosen.append(a)
            logps.append(log_probs.gather(1, a.unsqueeze(1)).squeeze(1))
            entropies.append(-(log_probs.exp() * log_probs).sum(-1))
            x = self.embed[t](a)
        return torch.stack(chosen, 1), torch.stack(logps, 1), torch.stack(entropies, 1)


class ControllerSearch(SearchStrategy):
    """GraphNAS-style policy-gradient search (Gao et al., IJCAI 2020; Zoph & Le, ICLR 2017).

    An LSTM controller picks one option per :meth:`SearchSpace.categorical_dims` decision,
    autoregressively; the decisions decode to a valid point (decisions for inactive genes
    are ignored, and left out of the gradient). A sample that repeats an asked point is
    drawn again (up to ``repeat_retries`` times) so the budget goes to new points, at the
    price of a small bias in the gradient. Each ``batch_size`` told results make one
    REINFORCE step on ``-(R - b)·log π(a) - entropy_weight·H(π)``, with ``b`` a moving
    average of rewards. Failed trials get the lowest objective told so far as reward (they
    are skipped until one trial succeeded). CPU only and tiny; its own torch generator.

    The defaults update the policy more often and faster than GraphNAS (10 per step, lr
    3.5e-3) because searches here last tens of trials, not thousands; they were chosen on a
    synthetic-data tabular benchmark, never on the ml-100k one they are judged on
    (BENCHMARKS.md).

    Args:
        space: The space to search.
        seed: Seeds the strategy's numpy and torch generators.
        batch_size: Told results per policy update.
        hidden_size: LSTM width.
        lr: Adam learning rate.
        entropy_weight: Weight of the entropy bonus.
        baseline_decay: Decay of the moving-average reward baseline.
        temperature: Divides the logits (higher: more exploration).
        tanh_constant: Bounds the logits to ``±tanh_constant``.
        bins: Options per float (and wide int) dimension.
    """

    def __init__(
        self,
        space: SearchSpace,
        seed: int = 0,
        batch_size: int = 3,
        hidden_size: int = 64,
        lr: float = 2e-2,
        entropy_weight: float = 1e-4,
        baseline_decay: float = 0.95,
        temperature: float = 5.0,
        tanh_constant: float = 2.5,
        bins: int = 8,
    ) -> None:
        super().__init__(space, seed)
        _check_at_least("rl", 1, batch_size=batch_size, hidden_size=hidden_size, bins=bins)
        _check_unit_interval("rl", "[0, 1)", baseline_decay=baseline_decay)
        if lr <= 0 or temperature <= 0 or tanh_constant <= 0:
            raise ConfigError("rl: lr, temperature and tanh_constant must be > 0")
        self.batch_size = batch_size
        self.hidden_size = hidden_size
        self.lr = lr
        self.entropy_weight = entropy_weight
        self.baseline_decay = baseline_decay
        self.temperature = temperature
        self.tanh_constant = tanh_constant
        self.bins = bins
        self._decisions: tuple[Decision, ...] = space.categorical_dims(bins)
        self._torch_rng = torch.Generator().manual_seed(seed)
        self._controller = _Controller(
            [len(d.choices) for d in self._decisions], hidden_size, self._torch_rng
        )
        self._optimizer = torch.optim.Adam(self._controller.parameters(), lr=lr)
        self._actions: dict[int, list[int]] = {}  # pending candidate id -> its decisions
        self._batch: list[tuple[list[int], float | None]] = []  # told: decisions, objective
        self._baseline: float | None = None
        self._worst: float | None = None  # lowest objective told: the reward of a failure

    def _ask(self, candidate_id: int) -> Point:
        with torch.no_grad(), _one_thread():
            for _ in range(1 + self.repeat_retries):
                actions, _, _ = self._controller(
                    self.temperature, self.tanh_constant, generator=self._torch_rng
                )
                indices = actions[0].tolist()
                point = self.space.from_decisions(indices, self.bins)
                if not self._is_seen(point):
                    break
        self._actions[candidate_id] = indices
        return point

    def _adopt(self, candidate_id: int, point: Point) -> None:
        """An enqueued point is told as the decisions nearest to it, so the policy learns from
        it like from its own samples."""
        self._actions[candidate_id] = self._decisions_of(point)

    def _decisions_of(self, point: Point) -> list[int]:
        """The controller's decision per :attr:`_decisions` that describes ``point`` (floats and
        wide ints: the nearest bin; inactive genes: 0, ignored by the decoding)."""
        indices = []
        for decision in self._decisions:
            value = point.get(decision.name)
            if value is not None and decision.layer is not None:
                value = value[decision.layer] if decision.layer < len(value) else None
            indices.append(0 if value is None else _nearest(decision.choices, value))
        return indices

    def _tell(self, candidate: Candidate, result: TrialResult) -> None:
        objective = float(result.objective) if result.ok else None  # type: ignore[arg-type]
        if objective is not None:
            self._worst = objective if self._worst is None else min(self._worst, objective)
        self._batch.append((self._actions.pop(candidate.id), objective))
        if len(self._batch) >= self.batch_size:
            with _one_thread():
                self._update()
            self._batch = []

    def _update(self) -> None:
        """One REINFORCE step on the told batch."""
        samples = [(a, r if r is not None else self._worst) for a, r in self._batch]
        samples = [(a, r) for a, r in samples if r is not None]
        if not samples:
            return
        advantages = []
        for _, reward in samples:
            self._baseline = (
                reward
                if self._baseline is None
                else (self.baseline_decay * self._baseline + (1 - self.baseline_decay) * reward)
            )
            advantages.append(reward - self._baseline)
        actions = torch.tensor([a for a, _ in samples])
        mask = torch.tensor([self._active(a) for a, _ in samples], dtype=torch.float32)
        _, logp, entropy = self._controller(self.temperature, self.tanh_constant, actions)
        advantage = torch.tensor(advantages, dtype=torch.float32).unsqueeze(1)
        loss = -((advantage * logp + self.entropy_weight * entropy) * mask).sum(1).mean()
        self._optimizer.zero_grad()
        loss.backward()
        self._optimizer.step()

    def _active(self, actions: list[int]) -> list[bool]:
        """Which decisions shaped the point (the others are ignored by the decoding)."""
        point = self.space.from_decisions(actions, self.bins)
        return [
            d.name in point and (d.layer is None or d.layer < len(point[d.name]))
            for d in self._decisions
        ]

    def _state(self) -> dict[str, Any]:
        return {
            "controller": _plain(self._controller.state_dict()),
            "optimizer": _plain(self._optimizer.state_dict()),
            "torch_rng": _plain(self._torch_rng.get_state()),
            "actions": [[i, a] for i, a in self._actions.items()],
            "batch": [[a, r] for a, r in self._batch],
            "baseline": self._baseline,
            "worst": self._worst,
        }

    def _load_state(self, state: dict[str, Any]) -> None:
        self._controller.load_state_dict(_tensors(state["controller"]))
        optimizer = _tensors(state["optimizer"])
        optimizer["state"] = {int(k): v for k, v in optimizer["state"].items()}
        self._optimizer.load_state_dict(optimizer)
        self._torch_rng.set_state(_tensors(state["torch_rng"]))
        self._actions = {int(i): list(a) for i, a in state["actions"]}
        self._batch = [(list(a), r) for a, r in state["batch"]]
        self._baseline = state["baseline"]
        self._worst = state["worst"]


def _nearest(choices: tuple[Any, ...], value: Any) -> int:
    """The index of ``value`` among ``choices``, else of the nearest number (on a log scale
    when both are positive, as rates and regularisation are spread)."""
    for index, choice in enumerate(choices):
        if choice == value and isinstance(choice, bool) == isinstance(value, bool):
            return index

    def distance(choice: Any) -> float:
        if isinstance(choice, bool) or not isinstance(choice, int | float):
            return math.inf
        if choice > 0 and value > 0:
            return abs(math.log(choice) - math.log(value))
        return abs(choice - value)

    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return min(range(len(choices)), key=lambda i: distance(choices[i]))


def _plain(obj: Any) -> Any:
    """Tensors (nested in dicts and lists) as JSON-serialisable tagged base64 strings.

    Raw bytes keep every bit and take a quarter of the room of decimal lists (the controller
    and its Adam moments hold ~150k floats).
    """
    if isinstance(obj, Tensor):
        array = obj.detach().cpu().numpy()
        return {
            "__tensor__": base64.b64encode(array.tobytes()).decode("ascii"),
            "dtype": array.dtype.str,
            "shape": list(array.shape),
        }
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj


def _tensors(obj: Any) -> Any:
    """Undo :func:`_plain` (dict keys stay strings)."""
    if isinstance(obj, dict):
        if "__tensor__" in obj:
            raw = base64.b64decode(obj["__tensor__"])
            array = np.frombuffer(raw, dtype=np.dtype(obj["dtype"])).reshape(obj["shape"])
            return torch.from_numpy(array.copy())
        return {k: _tensors(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_tensors(v) for v in obj]
    return obj
