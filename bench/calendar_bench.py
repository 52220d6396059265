"""Working-day arithmetic: shenbao's index vs a naive day-by-day loop over chinesecalendar.

Run: python bench/calendar_bench.py [--n 100000] [--naive 2000]
Prints calls per second of both ways, measured in this run, and their ratio (floor: 100x).
The naive loop is timed on a random subset (it needs ~10 ms a call); rates are per call.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from datetime import date, timedelta

import numpy as np

from deadlines import default_calendar


def naive_add(d: date, n: int) -> date:
    import chinese_calendar

    step = 1 if n > 0 else -1
    left = abs(n)
    while left:
        d += timedelta(days=step)
        if chinese_calendar.is_workday(d):
            left -= 1
    return d


def naive_notice(start: date, n: int) -> tuple[date, date]:
    import chinese_calendar

    first = start
    while not chinese_calendar.is_workday(first):
        first += timedelta(days=1)
    return first, (naive_add(first, n - 1) if n > 1 else first)


def rate(fn: Callable[[], object], count: int) -> float:
    t0 = time.perf_counter()
    fn()
    return count / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--naive", type=int, default=2_000)
    ap.add_argument("--array", type=int, default=1_000_000)
    args = ap.parse_args()
    cal = default_calendar()
    rng = random.Random(2026)
    lo, hi = date(2018, 1, 1).toordinal(), date(2026, 11, 30).toordinal()
    days = [date.fromordinal(rng.randint(lo, hi)) for _ in range(args.n)]
    counts = [rng.randint(1, 20) for _ in range(args.n)]
    sample = list(zip(days[: args.naive], counts[: args.naive], strict=True))
    pairs = list(zip(days, counts, strict=True))

    # correctness first: both ways agree on the sample
    for d, n in sample[:300]:
        assert cal.add_working_days(d, n) == naive_add(d, n), (d, n)
        p = cal.notice_period(d, n)
        assert (p.first, p.last) == naive_notice(d, n), (d, n)

    ours_add = rate(lambda: [cal.add_working_days(d, n) for d, n in pairs], len(pairs))
    naive_add_rate = rate(lambda: [naive_add(d, n) for d, n in sample], len(sample))
    ours_np = rate(lambda: [cal.notice_period(d, n) for d, n in pairs], len(pairs))
    naive_np = rate(lambda: [naive_notice(d, n) for d, n in sample], len(sample))

    arr = np.array(
        [rng.randint(lo, hi) - date(1970, 1, 1).toordinal() for _ in range(args.array)],
        dtype="datetime64[D]",
    )
    vec_add = rate(lambda: cal.add_working_days_array(arr, 5), args.array)
    vec_is = rate(lambda: cal.is_working_day_array(arr), args.array)

    print(f"{'operation':<28}{'shenbao /s':>14}{'naive /s':>12}{'ratio':>10}")
    print(
        f"{'add_working_days':<28}{ours_add:>14,.0f}{naive_add_rate:>12,.0f}"
        f"{ours_add / naive_add_rate:>9,.0f}x"
    )
    print(f"{'notice_period':<28}{ours_np:>14,.0f}{naive_np:>12,.0f}{ours_np / naive_np:>9,.0f}x")
    print(
        f"{'add_working_days_array':<28}{vec_add:>14,.0f}{'':>12}{vec_add / naive_add_rate:>9,.0f}x"
    )
    print(f"{'is_working_day_array':<28}{vec_is:>14,.0f}")
    print(
        f"(shenbao timed on {len(pairs):,} calls, naive on {len(sample):,}; "
        f"arrays of {args.array:,} dates; floor 100x)"
    )


if __name__ == "__main__":
    main()
