"""Cost of one trend chart of a long history (ten years of weighings every other day, 1,800 points).

Run: ``python benchmarks/bench_charts.py [--points 1800] [--runs 200]``. Prints p50/p95 in ms and the
points drawn; asserts nothing. Before thinning and the prepared date formatter: about 137 ms per chart.
"""

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from asalee_track import i18n  # noqa: E402
from asalee_track.protocols import load_protocols  # noqa: E402
from asalee_track.web.charts import trend_chart  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=1800)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    weight = load_protocols(ROOT / "protocols")["insuffisance-cardiaque"].measure("weight")
    start = datetime(2016, 1, 1, 8, tzinfo=UTC)
    series = [(start + timedelta(days=2 * i), 70.0 + (i % 7) * 0.4) for i in range(args.points)]
    i18n.set_locale("fr")
    samples, drawn = [], 0
    for _ in range(args.runs):
        began = time.perf_counter()
        chart = trend_chart(weight, series, weight.target, "fr")
        samples.append((time.perf_counter() - began) * 1000)
        drawn = len(chart.points) if chart else 0
    samples.sort()
    p95 = samples[int(len(samples) * 0.95) - 1]
    print(
        f"trend chart, {args.points} values: p50 {statistics.median(samples):.1f} ms, p95 {p95:.1f} ms "
        f"(n={len(samples)}), {drawn} points drawn"
    )


if __name__ == "__main__":
    main()
