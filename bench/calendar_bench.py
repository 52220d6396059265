"""Working-day arithmetic: shenbao's index against the baselines measured in the same run.

Run: python bench/calendar_bench.py [--n 100000] [--naive 2000] [--array 1000000]
Scalar forms against a naive day-by-day loop over chinesecalendar (floor: 300x); vectorised forms
against numpy's own `busday_offset` / `is_busday` given the same days off as holidays (floor: 3x).
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
    # numpy's own business-day functions over the same days: every day is a "weekday" and every
    # non-working day of the covered years (weekends included, 调休 days excluded) a holiday
    first, last = date(min(cal.years), 1, 1), date(max(cal.years), 12, 31)
    span = np.arange(np.datetime64(first), np.datetime64(last) + 1)
    offdays = span[~cal.is_working_day_array(span)]
    bdc = np.busdaycalendar(weekmask="1111111", holidays=offdays)
    np_add = np.busday_offset(arr, 5, roll="forward", busdaycal=bdc)
    ours = cal.add_working_days_array(arr, 5)
    # busday_offset rolls a day off forward first, then counts: the same as counting from the day
    # before when the date is off, so compare on working-day starts, where both mean "n after d"
    on = cal.is_working_day_array(arr)
    assert (ours[on] == np_add[on]).all()
    assert (cal.is_working_day_array(arr) == np.is_busday(arr, busdaycal=bdc)).all()
    reps = 5
    vec_add = max(rate(lambda: cal.add_working_days_array(arr, 5), args.array) for _ in range(reps))
    vec_is = max(rate(lambda: cal.is_working_day_array(arr), args.array) for _ in range(reps))
    np_add_rate = max(
        rate(lambda: np.busday_offset(arr, 5, roll="forward", busdaycal=bdc), args.array)
        for _ in range(reps)
    )
    np_is_rate = max(
        rate(lambda: np.is_busday(arr, busdaycal=bdc), args.array) for _ in range(reps)
    )

    print(f"{'operation':<28}{'shenbao /s':>14}{'naive /s':>12}{'ratio':>10}")
    print(
        f"{'add_working_days':<28}{ours_add:>14,.0f}{naive_add_rate:>12,.0f}"
        f"{ours_add / naive_add_rate:>9,.0f}x"
    )
    print(f"{'notice_period':<28}{ours_np:>14,.0f}{naive_np:>12,.0f}{ours_np / naive_np:>9,.0f}x")
    print(f"{'operation':<28}{'shenbao /s':>14}{'numpy /s':>14}{'ratio':>10}")
    print(
        f"{'add_working_days_array':<28}{vec_add:>14,.0f}{np_add_rate:>14,.0f}"
        f"{vec_add / np_add_rate:>9,.1f}x"
    )
    print(
        f"{'is_working_day_array':<28}{vec_is:>14,.0f}{np_is_rate:>14,.0f}"
        f"{vec_is / np_is_rate:>9,.1f}x"
    )
    print(
        f"(scalar: shenbao timed on {len(pairs):,} calls, naive on {len(sample):,}, floor 300x; "
        f"vectorised: arrays of {args.array:,} dates, best of {reps}, floor 3x)"
    )


if __name__ == "__main__":
    main()
