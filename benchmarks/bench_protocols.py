"""Protocol engine figures: load + validate the shipped protocols, and the work done per session save.

Run: ``python benchmarks/bench_protocols.py [--runs N]``. Prints medians; asserts nothing.

* load: parse and validate every file of ``protocols/`` (start-up and ``asalee-track protocols check``);
  target < 200 ms.
* save: when a session is saved, the care layer evaluates every escalation rule and recomputes the
  schedule of the pathway against the patient's history. Here the history is 10 years of 40 sessions
  with every measure of the protocol (~15) at each; target < 2 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asalee_track.protocols import Obs, Protocol, due_items, evaluate, load_protocols

PROTOCOLS_DIR = Path(__file__).resolve().parent.parent / "protocols"
LOAD_TARGET_MS = 200.0
SAVE_TARGET_MS = 2.0


def median_ms(action: Callable[[], object], runs: int) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def history_for(protocol: Protocol, sessions: int, years: int, seed: int = 7) -> list[Obs]:
    """A plausible history: every measure at every session, values wandering inside their range."""
    rng = random.Random(seed)
    start = datetime(2016, 1, 4, 9, tzinfo=UTC)
    step = timedelta(days=365 * years / sessions)
    history: list[Obs] = []
    for index in range(sessions):
        moment = start + index * step
        for measure in protocol.measures:
            if measure.kind == "coded":
                history.append(Obs(measure.id, rng.choice(measure.codes).code, moment))
            elif measure.plausible is not None:
                low, high = measure.plausible
                middle, spread = (low + high) / 2, (high - low) / 8
                value = min(high, max(low, rng.gauss(middle, spread)))
                history.append(Obs(measure.id, round(value) if measure.kind == "score" else value, moment))
    return history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    load_protocols(PROTOCOLS_DIR)  # warm-up: imports, pydantic schema build, regex compilation
    load = median_ms(lambda: load_protocols(PROTOCOLS_DIR), args.runs)
    protocols = load_protocols(PROTOCOLS_DIR)
    print(
        f"load + validate {len(protocols)} protocols: {load:7.2f} ms median of {args.runs} "
        f"(target < {LOAD_TARGET_MS:.0f} ms, {load / LOAD_TARGET_MS:.1%} of budget)"
    )

    for protocol in protocols.values():
        history = history_for(protocol, sessions=40, years=10)
        now = max(obs.effective for obs in history) + timedelta(hours=1)
        enrolled = min(obs.effective for obs in history)

        def save(
            protocol: Protocol = protocol,
            history: list[Obs] = history,
            now: datetime = now,
            enrolled: datetime = enrolled,
        ) -> None:
            evaluate(protocol, history, now, since=enrolled)
            due_items(protocol, history, enrolled, now)

        runs = args.runs * 20
        save_ms = median_ms(save, runs)
        rules, measures = len(protocol.escalation), len(protocol.measures)
        print(
            f"save {protocol.id:<24} {len(history):4d} obs, {rules:2d} rules, {measures:2d} measures: "
            f"{save_ms:6.3f} ms median of {runs} (target < {SAVE_TARGET_MS:.0f} ms, "
            f"{save_ms / SAVE_TARGET_MS:.1%} of budget)"
        )


if __name__ == "__main__":
    main()
