"""Daily demand forecasts for intermittent series: Croston, SBA, TSB, moving average.

Demand in a shop is intermittent: most products sell nothing on most days.
A moving average of such a series is dragged to zero after each sale and jumps
on the next; Croston (1972) instead smooths two things separately, the size of
the non-zero demands and the interval between them, and forecasts
size / interval per day. SBA (Syntetos and Boylan 2005) multiplies that by
(1 - alpha / 2) to remove Croston's known upward bias. TSB (Teunter, Syntetos
and Babai 2011) smooths the probability of a sale every day instead of the
interval, so a product that stopped selling sees its forecast decay instead of
staying frozen at its last level.

Which one is used follows Syntetos-Boylan-Croston's classification: an average
inter-demand interval (ADI) up to 1.32 days is dense demand (moving average);
above it SBA, or TSB once the series has gone quiet for longer than twice its
usual interval, or its sale days in the last third of the history are under
half as frequent as before (a product on its way out).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

ALPHA = 0.1
"""Smoothing of demand size and interval (and of TSB's probability): the usual 0.1-0.2."""
BETA = 0.1
DENSE_ADI = 1.32
"""Syntetos-Boylan-Croston's cut-off between smooth and intermittent demand."""
MOVING_AVERAGE_DAYS = 28
QUIET_FACTOR = 2.0
FADING_RATIO = 0.5


class Method(StrEnum):
    MOVING_AVERAGE = "moving_average"
    SBA = "sba"
    TSB = "tsb"
    CROSTON = "croston"
    NO_DEMAND = "no_demand"


@dataclass(frozen=True)
class DemandForecast:
    daily: float
    """Expected units per day."""
    daily_variance: float
    """Variance of one day's demand (for the safety stock), from the history."""
    method: Method


def croston(history: Sequence[int], alpha: float = ALPHA, *, debiased: bool = False) -> float:
    """Croston's size / interval per day; `debiased` is SBA's (1 - alpha / 2) correction."""
    size = interval = None
    periods_since = 1
    for demand in history:
        if demand > 0:
            if size is None or interval is None:
                size, interval = float(demand), float(periods_since)
            else:
                size += alpha * (demand - size)
                interval += alpha * (periods_since - interval)
            periods_since = 1
        else:
            periods_since += 1
    if size is None or interval is None:
        return 0.0
    factor = 1 - alpha / 2 if debiased else 1.0
    return factor * size / interval


def sba(history: Sequence[int], alpha: float = ALPHA) -> float:
    return croston(history, alpha, debiased=True)


def tsb(history: Sequence[int], alpha: float = ALPHA, beta: float = BETA) -> float:
    """Probability of a sale (smoothed every day) times the size of a sale (on sale days)."""
    first = next((i for i, d in enumerate(history) if d > 0), None)
    if first is None:
        return 0.0
    probability, size = 1.0 / (first + 1), float(history[first])
    for demand in history[first + 1 :]:
        probability += beta * ((1.0 if demand > 0 else 0.0) - probability)
        if demand > 0:
            size += alpha * (demand - size)
    return probability * size


def moving_average(history: Sequence[int], days: int = MOVING_AVERAGE_DAYS) -> float:
    window = history[-days:]
    return sum(window) / len(window) if window else 0.0


def average_demand_interval(history: Sequence[int]) -> float:
    sale_days = sum(1 for d in history if d > 0)
    return len(history) / sale_days if sale_days else math.inf


def trailing_quiet_days(history: Sequence[int]) -> int:
    quiet = 0
    for demand in reversed(history):
        if demand > 0:
            break
        quiet += 1
    return quiet


def is_fading(history: Sequence[int]) -> bool:
    """Sales days in the last third are under half as frequent as before, or the series has
    been quiet for longer than twice its usual interval: demand is dying out."""
    adi = average_demand_interval(history)
    if trailing_quiet_days(history) > QUIET_FACTOR * adi:
        return True
    cut = len(history) - len(history) // 3
    earlier, recent = history[:cut], history[cut:]
    if not earlier or not recent:
        return False
    earlier_rate = sum(1 for d in earlier if d > 0) / len(earlier)
    recent_rate = sum(1 for d in recent if d > 0) / len(recent)
    return recent_rate < FADING_RATIO * earlier_rate


def choose_method(history: Sequence[int]) -> Method:
    adi = average_demand_interval(history)
    if math.isinf(adi):
        return Method.NO_DEMAND
    if adi <= DENSE_ADI:
        return Method.MOVING_AVERAGE
    if is_fading(history):
        return Method.TSB
    return Method.SBA


def forecast(history: Sequence[int]) -> DemandForecast:
    """Daily demand from a history of units per day, oldest first (zeros included)."""
    method = choose_method(history)
    daily = {
        Method.NO_DEMAND: lambda: 0.0,
        Method.MOVING_AVERAGE: lambda: moving_average(history),
        Method.SBA: lambda: sba(history),
        Method.TSB: lambda: tsb(history),
    }[method]()
    mean = sum(history) / len(history) if history else 0.0
    variance = (sum((d - mean) ** 2 for d in history) / (len(history) - 1)
                if len(history) > 1 else 0.0)
    return DemandForecast(daily=daily, daily_variance=variance, method=method)
