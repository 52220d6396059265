"""The form check of a saved form (`store.formcheck.compute`: validation, then eligibility), with
the fast path compiled per schema against the full methods only (`reference_path`), in one run.

Run: python bench/form_bench.py [--forms 5000] [--rounds 5] [--synthetic 200]
Form sets timed:

  campaign   the forms the campaign bench creates (bench/campaign_bench.py `form_of`): the
             szzx-2026-2 example centre without a consortium, a code and a name of its own each
  examples   each edition's example form of each applicant kind (programs/forms/examples.py)
  synthetic  `synthetic_form` applicants of every edition and kind, valid ones and ones with
             one to three mistakes (the mistakes go the full way in both runs)

Each round times every set once with the fast path and once without, alternately; the best round
of each is printed as microseconds per form with the ratio reference / fast (above 1: faster).
Before timing, every form's result is compared between the two (they must be identical).
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from programs.editions import Edition, load_edition  # noqa: E402
from programs.forms import available_forms, example_form, make_uscc, synthetic_form  # noqa: E402
from programs.forms.validate import reference_path  # noqa: E402
from store.formcheck import compute  # noqa: E402

CAMPAIGN_EDITION = "szzx-2026-2"
Job = tuple[Edition, str, dict[str, Any]]


def campaign_forms(n: int) -> list[Job]:
    """As bench/campaign_bench.py builds them (its codes are tests.conftest.uscc(i))."""
    edition = load_edition(CAMPAIGN_EDITION)
    template = example_form(CAMPAIGN_EDITION, "center")
    template.pop("consortium", None)
    template.get("attachments", {}).pop("consortium_agreement", None)
    jobs: list[Job] = []
    for i in range(n):
        form = {k: (dict(v) if isinstance(v, dict) else v) for k, v in template.items()}
        form["basic"]["uscc"] = make_uscc(f"9144030{i:010d}")
        form["basic"]["lead_name"] = f"申报单位{i}"
        jobs.append((edition, "center", form))
    return jobs


def example_forms(edition_id: str) -> list[Job]:
    edition = load_edition(edition_id)
    return [
        (edition, kind, example_form(edition_id, kind)) for kind in available_forms()[edition_id]
    ]


def synthetic_forms(n: int, valid: bool) -> list[Job]:
    rng = random.Random(20260 + valid)
    pairs = [(e, k) for e, kinds in available_forms().items() for k in kinds]
    jobs: list[Job] = []
    for i in range(n):
        edition_id, kind = pairs[i % len(pairs)]
        form = synthetic_form(edition_id, kind, rng, valid=valid)
        jobs.append((load_edition(edition_id), kind, form))
    return jobs


def check_all(jobs: Sequence[Job]) -> list[dict[str, Any]]:
    return [compute(edition, kind, form, 1) for edition, kind, form in jobs]


def timed(body: Callable[[], object]) -> float:
    gc.collect()
    t0 = time.perf_counter()
    body()
    return time.perf_counter() - t0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--forms", type=int, default=5000, help="campaign forms (default 5000)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds, best kept (default 5)")
    parser.add_argument("--synthetic", type=int, default=200, help="synthetic forms of each kind")
    args = parser.parse_args(argv)

    sets: dict[str, list[Job]] = {"campaign": campaign_forms(args.forms)}
    for edition_id in available_forms():
        sets[f"examples {edition_id}"] = example_forms(edition_id)
    sets["synthetic valid"] = synthetic_forms(args.synthetic, valid=True)
    sets["synthetic invalid"] = synthetic_forms(args.synthetic, valid=False)

    for name, jobs in sets.items():
        fast = check_all(jobs)
        with reference_path():
            reference = check_all(jobs)
        if fast != reference:
            index = next(i for i, (a, b) in enumerate(zip(fast, reference, strict=True)) if a != b)
            print(f"{name}: form {index} differs between the fast path and the reference")
            return 1

    # example sets are a handful of forms: repeated so each timing lasts long enough to read
    repeat = {name: max(1, args.forms // len(jobs)) if name.startswith("examples") else 1
              for name, jobs in sets.items()}  # fmt: skip
    best: dict[tuple[str, str], float] = {}
    for _round in range(args.rounds):
        for name, jobs in sets.items():
            work = list(jobs) * repeat[name]
            spent = timed(lambda work=work: check_all(work))
            with reference_path():
                spent_ref = timed(lambda work=work: check_all(work))
            for mode, value in (("fast", spent), ("reference", spent_ref)):
                per_form = value / len(work) * 1e6
                best[name, mode] = min(best.get((name, mode), per_form), per_form)

    print(f"store.formcheck.compute per form, best of {args.rounds} rounds (µs)")
    print(f"{'forms':<26}{'count':>7}{'reference':>12}{'fast':>10}{'ratio':>8}")
    for name, jobs in sets.items():
        ref, fast_us = best[name, "reference"], best[name, "fast"]
        print(f"{name:<26}{len(jobs):>7}{ref:>12.1f}{fast_us:>10.1f}{ref / fast_us:>8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
