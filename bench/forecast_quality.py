"""Backtest of the stock-out forecast's demand methods on synthetic intermittent demand.

Each series is a product's daily units: on each day a sale happens with
probability p and then sells 1 + Poisson(size - 1) units, so the true daily rate
p * size is known. Classes as Syntetos-Boylan name them: smooth (p >= 0.8),
intermittent (p in 0.05..0.5, small sizes), lumpy (p in 0.05..0.5, large
sizes), and "dying" ones whose p drops to a tenth for the last third (a
product on its way out). Every method forecasts a flat daily rate from the
first `--train` days; the next `--horizon` days score it:

- MASE: mean absolute error over the horizon / in-sample MAE of the one-step
  naive forecast (Hyndman and Koehler 2006), per series, then averaged;
  below 1 beats the naive forecast's typical error;
- rate error: |forecast - true rate over the horizon| / true rate, averaged.

The naive forecast (tomorrow = today) is the reference measured in the same
run; statsforecast's CrostonSBA is added when that package is installed.

    .venv/bin/python bench/forecast_quality.py [--series 400] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from harness import machine, print_machine

from shop.application.ai.demand import croston, forecast, moving_average, sba, tsb

SEED = 20261201


@dataclass(frozen=True)
class Series:
    kind: str
    history: list[int]
    future: list[int]
    true_rate: float
    """Expected units per day over the horizon."""


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: fine for the small means used here."""
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def demand(rng: random.Random, days: int, p: float, size: float) -> list[int]:
    return [1 + poisson(rng, size - 1) if rng.random() < p else 0 for _ in range(days)]


def synthetic(count: int, train: int, horizon: int, seed: int = SEED) -> list[Series]:
    rng = random.Random(seed)
    kinds = ("smooth", "intermittent", "lumpy", "dying")
    found = []
    for n in range(count):
        kind = kinds[n % len(kinds)]
        if kind == "smooth":
            p, size = rng.uniform(0.8, 1.0), rng.uniform(1.0, 4.0)
        elif kind == "lumpy":
            p, size = rng.uniform(0.05, 0.5), rng.uniform(3.0, 8.0)
        else:
            p, size = rng.uniform(0.05, 0.5), rng.uniform(1.0, 2.0)
        if kind == "dying":
            early = demand(rng, train - train // 3, p, size)
            late_p = p / 10
            history = early + demand(rng, train // 3, late_p, size)
            future, rate = demand(rng, horizon, late_p, size), late_p * size
        else:
            history = demand(rng, train, p, size)
            future, rate = demand(rng, horizon, p, size), p * size
        found.append(Series(kind, history, future, rate))
    return found


def naive(history: Sequence[int]) -> float:
    return float(history[-1])


def shop_choice(history: Sequence[int]) -> float:
    return forecast(list(history)).daily


def methods() -> dict[str, Callable[[Sequence[int]], float]]:
    table: dict[str, Callable[[Sequence[int]], float]] = {
        "naive (reference)": naive,
        "moving average 28 d": moving_average,
        "croston": croston,
        "sba": sba,
        "tsb": tsb,
        "shop (auto: MA / SBA / TSB)": shop_choice,
    }
    try:
        import numpy as np
        from statsforecast.models import CrostonSBA  # type: ignore[import-not-found]
    except ImportError:
        return table

    def statsforecast_sba(history: Sequence[int]) -> float:
        fitted = CrostonSBA().fit(np.asarray(history, dtype=float))
        return float(fitted.predict(1)["mean"][0])

    table["statsforecast CrostonSBA"] = statsforecast_sba
    return table


def mase(history: Sequence[int], future: Sequence[int], rate: float) -> float | None:
    scale = sum(abs(a - b) for a, b in zip(history[1:], history[:-1], strict=True))
    scale /= len(history) - 1
    if scale == 0:
        return None
    return sum(abs(actual - rate) for actual in future) / len(future) / scale


def run(args: argparse.Namespace) -> dict[str, Any]:
    series = synthetic(args.series, args.train, args.horizon)
    scores: dict[str, dict[str, list[tuple[float, float]]]] = defaultdict(
        lambda: defaultdict(list))
    for name, method in methods().items():
        for one in series:
            rate = method(one.history)
            scaled = mase(one.history, one.future, rate)
            if scaled is None or one.true_rate == 0:
                continue
            error = abs(rate - one.true_rate) / one.true_rate
            scores[name][one.kind].append((scaled, error))
            scores[name]["all"].append((scaled, error))
    return {name: {kind: {"series": len(rows),
                          "mase": sum(r[0] for r in rows) / len(rows),
                          "rate_error": sum(r[1] for r in rows) / len(rows)}
                   for kind, rows in per_kind.items()}
            for name, per_kind in scores.items()}


def report(figures: dict[str, Any]) -> None:
    kinds = ["all", "smooth", "intermittent", "lumpy", "dying"]
    print(f"{'method':30} " + " ".join(f"{k:>18}" for k in kinds))
    print(f"{'':30} " + " ".join(f"{'MASE  rate err':>18}" for _ in kinds))
    for name, per_kind in figures.items():
        cells = [f"{per_kind[k]['mase']:.3f} {per_kind[k]['rate_error']:>8.3f}" for k in kinds]
        print(f"{name:30} " + " ".join(f"{c:>18}" for c in cells))
    reference = figures["naive (reference)"]["all"]["mase"]
    for name, per_kind in figures.items():
        print(f"MASE {name} / naive: {per_kind['all']['mase'] / reference:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, default=400)
    parser.add_argument("--train", type=int, default=90, help="days of history (default 90)")
    parser.add_argument("--horizon", type=int, default=28, help="days scored (default 28)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    before = machine()
    figures = run(args)
    after = machine()
    if args.json:
        print(json.dumps({"methods": figures, "machine": {"before": before, "after": after}},
                         indent=2))
    else:
        print(f"{args.series} synthetic series, {args.train} days of history, "
              f"{args.horizon} days scored")
        report(figures)
        print_machine(before, after)
    return 0


if __name__ == "__main__":
    sys.exit(main())
