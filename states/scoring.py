"""Expert scoring rules: scoring sheets, score validation, aggregation, conflicts of interest,
assignment coverage, ranking per category and the shortlist cut (ties reported, never broken)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal, NamedTuple, cast

Aggregation = Literal["mean", "trimmed_mean"]
AGGREGATIONS: tuple[str, ...] = ("mean", "trimmed_mean")
TRIM_MIN_SCORES = 5
"""A trimmed mean drops one highest and one lowest score only from this many scores upwards."""

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


class ScoringError(ValueError):
    """A scoring rule was broken; ``errors`` lists every problem, each naming its field."""

    def __init__(self, errors: Iterable[str]) -> None:
        self.errors: tuple[str, ...] = tuple(errors)
        super().__init__("; ".join(self.errors))


def to_decimal(value: object, field_name: str) -> Decimal:
    """Convert a Decimal, int or numeric string (floats via ``str``) to a finite Decimal.

    Raises ScoringError naming ``field_name`` when the value is not a finite number.
    """
    if isinstance(value, bool):
        raise ScoringError([f"{field_name}: 必须是数字 (must be a number, got {value!r})"])
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(str(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ScoringError(
                [f"{field_name}: 必须是数字 (must be a number, got {value!r})"]
            ) from None
    else:
        raise ScoringError([f"{field_name}: 必须是数字 (must be a number, got {value!r})"])
    if not result.is_finite():
        raise ScoringError(
            [f"{field_name}: 必须是有限数字 (must be a finite number, got {value!r})"]
        )
    return result


def _quantize(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------- scoring sheet


@dataclass(frozen=True)
class Criterion:
    """One line of a scoring sheet: points are given from 0 to ``max_points``."""

    id: str
    label_zh: str
    max_points: Decimal
    weight: Decimal = Decimal(1)


def _criterion_problems(
    index: int, criterion_id: object, max_points: Decimal | None, weight: Decimal | None
) -> list[str]:
    where = f"criteria[{index}]"
    problems: list[str] = []
    if not isinstance(criterion_id, str) or not criterion_id.strip():
        problems.append(f"{where}.id: 必须填写 (required, a non-empty text)")
    if max_points is not None and max_points <= 0:
        problems.append(f"{where}.max_points: 必须大于0 (must be > 0)")
    if weight is not None and weight <= 0:
        problems.append(f"{where}.weight: 必须大于0 (must be > 0)")
    return problems


def _sheet_problems(criteria: Sequence[Criterion], aggregation: object) -> list[str]:
    problems: list[str] = []
    if aggregation not in AGGREGATIONS:
        problems.append(
            f"aggregation: 必须是 mean 或 trimmed_mean (must be one of {', '.join(AGGREGATIONS)}, "
            f"got {aggregation!r})"
        )
    if not criteria:
        problems.append("criteria: 至少需要一个评分项 (at least one criterion is required)")
    seen: dict[str, int] = {}
    for index, criterion in enumerate(criteria):
        problems.extend(
            _criterion_problems(index, criterion.id, criterion.max_points, criterion.weight)
        )
        if criterion.id in seen:
            problems.append(
                f"criteria[{index}].id: 评分项编号重复 (duplicate id {criterion.id!r}, "
                f"already used by criteria[{seen[criterion.id]}])"
            )
        else:
            seen[criterion.id] = index
    return problems


@dataclass(frozen=True)
class ScoringSheet:
    """A campaign's scoring sheet: criteria, the aggregation method and the conflict rule."""

    criteria: tuple[Criterion, ...]
    aggregation: Aggregation = "mean"
    conflict_same_province: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "criteria", tuple(self.criteria))
        problems = _sheet_problems(self.criteria, self.aggregation)
        if not isinstance(self.conflict_same_province, bool):
            problems.append("conflict_same_province: 必须是 true 或 false (must be a boolean)")
        if problems:
            raise ScoringError(problems)

    def criterion(self, criterion_id: str) -> Criterion:
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise KeyError(criterion_id)

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> ScoringSheet:
        """Build a sheet from plain data (YAML/JSON); all problems are reported together."""
        if not isinstance(data, Mapping):
            raise ScoringError(["sheet: 必须是映射 (must be a mapping)"])
        problems: list[str] = []
        unknown = sorted(set(data) - {"criteria", "aggregation", "conflict_same_province"})
        for key in unknown:
            problems.append(f"{key}: 未知字段 (unknown field)")
        aggregation = data.get("aggregation", "mean")
        if aggregation not in AGGREGATIONS:
            problems.append(
                f"aggregation: 必须是 mean 或 trimmed_mean (must be one of "
                f"{', '.join(AGGREGATIONS)}, got {aggregation!r})"
            )
        same_province = data.get("conflict_same_province", False)
        if not isinstance(same_province, bool):
            problems.append("conflict_same_province: 必须是 true 或 false (must be a boolean)")
        raw_criteria = data.get("criteria")
        criteria: list[Criterion] = []
        if not isinstance(raw_criteria, Sequence) or isinstance(raw_criteria, str | bytes):
            problems.append("criteria: 必须是评分项列表 (must be a list of criteria)")
            raw_criteria = []
        if not raw_criteria and not any(p.startswith("criteria:") for p in problems):
            problems.append("criteria: 至少需要一个评分项 (at least one criterion is required)")
        seen: dict[str, int] = {}
        for index, raw in enumerate(raw_criteria):
            where = f"criteria[{index}]"
            if not isinstance(raw, Mapping):
                problems.append(f"{where}: 必须是映射 (must be a mapping)")
                continue
            for key in sorted(set(raw) - {"id", "label_zh", "max_points", "weight"}):
                problems.append(f"{where}.{key}: 未知字段 (unknown field)")
            criterion_id = raw.get("id")
            label = raw.get("label_zh", "")
            if not isinstance(label, str):
                problems.append(f"{where}.label_zh: 必须是文本 (must be text)")
            max_points: Decimal | None = None
            weight: Decimal | None = None
            if "max_points" not in raw:
                problems.append(f"{where}.max_points: 必须填写 (required)")
            else:
                try:
                    max_points = to_decimal(raw["max_points"], f"{where}.max_points")
                except ScoringError as exc:
                    problems.extend(exc.errors)
            try:
                weight = to_decimal(raw.get("weight", 1), f"{where}.weight")
            except ScoringError as exc:
                problems.extend(exc.errors)
            problems.extend(_criterion_problems(index, criterion_id, max_points, weight))
            if isinstance(criterion_id, str) and criterion_id.strip():
                if criterion_id in seen:
                    problems.append(
                        f"{where}.id: 评分项编号重复 (duplicate id {criterion_id!r}, "
                        f"already used by criteria[{seen[criterion_id]}])"
                    )
                else:
                    seen[criterion_id] = index
            if max_points is not None and weight is not None and isinstance(criterion_id, str):
                criteria.append(
                    Criterion(
                        id=criterion_id,
                        label_zh=label if isinstance(label, str) else "",
                        max_points=max_points,
                        weight=weight,
                    )
                )
        if problems:
            raise ScoringError(problems)
        return cls(
            criteria=tuple(criteria),
            aggregation=cast(Aggregation, aggregation),
            conflict_same_province=cast(bool, same_province),
        )

    def to_mapping(self) -> dict[str, object]:
        """Plain data (numbers as strings, so no precision is lost) that from_mapping reads back."""
        return {
            "aggregation": self.aggregation,
            "conflict_same_province": self.conflict_same_province,
            "criteria": [
                {
                    "id": c.id,
                    "label_zh": c.label_zh,
                    "max_points": str(c.max_points),
                    "weight": str(c.weight),
                }
                for c in self.criteria
            ],
        }


# --------------------------------------------------------------------------- scores


def validate_scores(sheet: ScoringSheet, scores: Mapping[str, object]) -> dict[str, Decimal]:
    """Check one expert's scores against the sheet and return them as Decimals in sheet order.

    Every criterion must be scored, no unknown criterion may appear, and each score must lie in
    [0, max_points]. Raises ScoringError listing every problem.
    """
    problems: list[str] = []
    known = {c.id for c in sheet.criteria}
    result: dict[str, Decimal] = {}
    for criterion in sheet.criteria:
        where = f"scores.{criterion.id}"
        if criterion.id not in scores:
            problems.append(
                f"{where}: 缺少评分 (missing score for {criterion.label_zh or criterion.id})"
            )
            continue
        try:
            value = to_decimal(scores[criterion.id], where)
        except ScoringError as exc:
            problems.extend(exc.errors)
            continue
        if value < 0 or value > criterion.max_points:
            problems.append(
                f"{where}: 必须在0到{criterion.max_points}之间 "
                f"(must be between 0 and {criterion.max_points}, got {value})"
            )
            continue
        result[criterion.id] = value
    for key in scores:
        if key not in known:
            problems.append(f"scores.{key}: 评分表中没有该评分项 (unknown criterion)")
    if problems:
        raise ScoringError(problems)
    return result


def total(sheet: ScoringSheet, scores: Mapping[str, object]) -> Decimal:
    """Weighted total normalised to 100: sum(score / max * weight) / sum(weight) * 100.

    Scores are validated first; the result is rounded half-up to 0.01.
    """
    valid = validate_scores(sheet, scores)
    weighted = sum(
        (valid[c.id] * c.weight / c.max_points for c in sheet.criteria), start=Decimal(0)
    )
    weights = sum((c.weight for c in sheet.criteria), start=Decimal(0))
    return _quantize(weighted * HUNDRED / weights)


def aggregate(totals: Sequence[Decimal], method: str) -> Decimal:
    """Combine the experts' totals for one application, rounded half-up to 0.01.

    ``mean``: arithmetic mean. ``trimmed_mean``: with at least 5 totals, one highest and one lowest
    are dropped before the mean; with fewer it is the plain mean.
    """
    if method not in AGGREGATIONS:
        raise ScoringError(
            [
                f"aggregation: 必须是 mean 或 trimmed_mean (must be one of "
                f"{', '.join(AGGREGATIONS)}, got {method!r})"
            ]
        )
    values = [to_decimal(t, f"totals[{i}]") for i, t in enumerate(totals)]
    if not values:
        raise ScoringError(["totals: 没有专家评分，无法汇总 (no scores to aggregate)"])
    if method == "trimmed_mean" and len(values) >= TRIM_MIN_SCORES:
        values = sorted(values)[1:-1]
    return _quantize(sum(values, start=Decimal(0)) / len(values))


# --------------------------------------------------------------------------- conflicts


@dataclass(frozen=True)
class ExpertFacts:
    """What a conflict check needs to know about an expert."""

    id: str
    organisation_uscc: str | None
    province: str | None


class ApplicationFacts(NamedTuple):
    """What a conflict check needs to know about an application (a plain pair works too)."""

    org_uscc: str
    province: str | None


def _same_text(a: str | None, b: str | None) -> bool:
    return bool(a and b and a.strip().upper() == b.strip().upper())


def check_conflict(
    expert: ExpertFacts,
    application: ApplicationFacts | tuple[str, str | None],
    same_province_rule: bool,
) -> str | None:
    """Return why ``expert`` may not score ``application``, or None when there is no conflict.

    Rule (回避): an expert never scores their own organisation's application; when the campaign
    says so (``same_province_rule``), an expert never scores an application from their province.
    Provinces must already be normalised to short names (e.g. 广东) by the caller.
    """
    org_uscc, province = application
    if _same_text(expert.organisation_uscc, org_uscc):
        return (
            f"利益冲突回避: 专家 {expert.id} 来自申报单位自身单位（统一社会信用代码 {org_uscc}），"
            f"不得评审 (conflict of interest: expert {expert.id} belongs to the applicant's own "
            f"organisation; the avoidance rule forbids scoring it)"
        )
    if same_province_rule and _same_text(expert.province, province):
        return (
            f"利益冲突回避: 本批次要求同省回避，专家 {expert.id} 与申报单位同省（{province}），"
            f"不得评审 (conflict of interest: expert {expert.id} is from the same province "
            f"{province} and this campaign requires same-province avoidance)"
        )
    return None


# --------------------------------------------------------------------------- coverage


@dataclass(frozen=True)
class Assignment:
    """An expert assigned to one application; a replaced assignment needs a reason."""

    expert_id: str
    scored: bool = False
    replaced: bool = False
    replacement_reason: str | None = None

    def __post_init__(self) -> None:
        if self.replaced and not (self.replacement_reason or "").strip():
            raise ScoringError(
                [
                    f"replacement_reason: 更换专家 {self.expert_id} 必须说明理由 "
                    f"(replacing an expert requires a reason)"
                ]
            )

    @property
    def active(self) -> bool:
        return not self.replaced


def scoring_complete(assigned: Sequence[Assignment], min_experts: int) -> tuple[bool, str]:
    """Whether an application may leave expert scoring, with the reason.

    Complete only when every active (not replaced) assignment has scored and at least
    ``min_experts`` distinct active experts have scored.
    """
    if min_experts < 1:
        raise ScoringError(["min_experts: 必须至少为1 (must be >= 1)"])
    for assignment in assigned:
        if assignment.replaced and not (assignment.replacement_reason or "").strip():
            raise ScoringError(
                [
                    f"replacement_reason: 更换专家 {assignment.expert_id} 必须说明理由 "
                    f"(replacing an expert requires a reason)"
                ]
            )
    active = [a for a in assigned if a.active]
    pending = sorted({a.expert_id for a in active if not a.scored})
    scored = {a.expert_id for a in active if a.scored}
    if pending:
        return (
            False,
            f"专家评分未完成: {', '.join(pending)} 尚未评分，须评分或更换（附理由）"
            f"(every assigned expert must have scored or been replaced with a reason; "
            f"pending: {', '.join(pending)})",
        )
    if len(scored) < min_experts:
        return (
            False,
            f"评审专家不足: 至少需要{min_experts}名专家评分，目前{len(scored)}名 "
            f"(at least {min_experts} experts must score; {len(scored)} have)",
        )
    return (
        True,
        f"专家评分已完成: {len(scored)}名专家均已评分 (all {len(scored)} active experts scored)",
    )


# --------------------------------------------------------------------------- ranking


@dataclass(frozen=True)
class RankEntry:
    """An application's aggregated score within its category."""

    app_id: str
    category: str
    score: Decimal

    def __post_init__(self) -> None:
        object.__setattr__(self, "score", to_decimal(self.score, f"score[{self.app_id}]"))


@dataclass(frozen=True)
class Ranked:
    app_id: str
    score: Decimal
    rank: int


def _by_category(entries: Sequence[RankEntry]) -> dict[str, list[RankEntry]]:
    seen: set[str] = set()
    duplicates: list[str] = []
    groups: dict[str, list[RankEntry]] = {}
    for entry in entries:
        if entry.app_id in seen:
            duplicates.append(entry.app_id)
        seen.add(entry.app_id)
        groups.setdefault(entry.category, []).append(entry)
    if duplicates:
        raise ScoringError(
            [f"entries: 申报重复出现 (application listed twice: {', '.join(sorted(duplicates))})"]
        )
    return {
        category: sorted(group, key=lambda e: (-e.score, e.app_id))
        for category, group in sorted(groups.items())
    }


def rank(entries: Sequence[RankEntry]) -> dict[str, list[Ranked]]:
    """Rank applications per category by score, highest first, competition style (1, 2, 2, 4).

    Equal scores share a rank and are listed by application id.
    """
    result: dict[str, list[Ranked]] = {}
    for category, ordered in _by_category(entries).items():
        ranked: list[Ranked] = []
        for position, entry in enumerate(ordered, start=1):
            if ranked and ranked[-1].score == entry.score:
                place = ranked[-1].rank
            else:
                place = position
            ranked.append(Ranked(app_id=entry.app_id, score=entry.score, rank=place))
        result[category] = ranked
    return result


# --------------------------------------------------------------------------- shortlist


@dataclass(frozen=True)
class Tie:
    """Equal scores straddling the cut: the coordinator picks ``slots_left`` of ``app_ids``."""

    category: str
    score: Decimal
    app_ids: tuple[str, ...]
    slots_left: int


@dataclass(frozen=True)
class ShortlistDecision:
    """The shortlist cut. Final only when ``ties`` is empty (see resolve_tie)."""

    selected: dict[str, list[str]]
    not_selected: dict[str, list[str]]
    ties: list[Tie] = field(default_factory=list)
    top_k: int | None = None
    min_score: Decimal | None = None

    @property
    def is_final(self) -> bool:
        return not self.ties


def shortlist(
    entries: Sequence[RankEntry], *, top_k: int | None, min_score: Decimal | None
) -> ShortlistDecision:
    """Cut the ranking per category by top-K and/or a minimum score (inclusive: 不低于).

    When the K-th place falls inside a group of equal scores, the group is neither included nor
    excluded: it is reported as a Tie with the number of slots left, for the coordinator.
    """
    problems: list[str] = []
    if top_k is None and min_score is None:
        problems.append("shortlist: 须指定 top_k 或 min_score (top_k and/or min_score is required)")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        problems.append(f"top_k: 必须是正整数 (must be an integer >= 1, got {top_k!r})")
    if min_score is not None:
        try:
            min_score = to_decimal(min_score, "min_score")
        except ScoringError as exc:
            problems.extend(exc.errors)
    if problems:
        raise ScoringError(problems)

    selected: dict[str, list[str]] = {}
    not_selected: dict[str, list[str]] = {}
    ties: list[Tie] = []
    for category, ordered in _by_category(entries).items():
        chosen: list[str] = []
        dropped: list[str] = []
        eligible = [e for e in ordered if min_score is None or e.score >= min_score]
        below = [e.app_id for e in ordered if min_score is not None and e.score < min_score]
        groups: list[list[RankEntry]] = []
        for entry in eligible:
            if groups and groups[-1][0].score == entry.score:
                groups[-1].append(entry)
            else:
                groups.append([entry])
        cut_reached = False
        for group in groups:
            ids = [e.app_id for e in group]
            if cut_reached:
                dropped.extend(ids)
            elif top_k is None or len(chosen) + len(ids) <= top_k:
                chosen.extend(ids)
            elif len(chosen) < top_k:
                cut_reached = True
                ties.append(
                    Tie(
                        category=category,
                        score=group[0].score,
                        app_ids=tuple(ids),
                        slots_left=top_k - len(chosen),
                    )
                )
            else:
                cut_reached = True
                dropped.extend(ids)
        selected[category] = chosen
        not_selected[category] = dropped + below
    return ShortlistDecision(
        selected=selected, not_selected=not_selected, ties=ties, top_k=top_k, min_score=min_score
    )


def resolve_tie(
    decision: ShortlistDecision, chosen: Sequence[str], *, category: str | None = None
) -> ShortlistDecision:
    """Apply the coordinator's choice among tied applications and return the new decision.

    ``chosen`` must hold exactly ``slots_left`` applications from each tie being resolved (every
    open tie, or only the one of ``category``), and nothing else.
    """
    targets = [t for t in decision.ties if category is None or t.category == category]
    if not targets:
        where = f" in category {category}" if category is not None else ""
        raise ScoringError([f"ties: 没有待决定的并列 (no open tie to resolve{where})"])
    problems: list[str] = []
    chosen_list = list(chosen)
    duplicates = sorted({a for a in chosen_list if chosen_list.count(a) > 1})
    if duplicates:
        problems.append(f"chosen: 重复选择 (chosen twice: {', '.join(duplicates)})")
    chosen_set = set(chosen_list)
    tied_ids = {a for t in targets for a in t.app_ids}
    outsiders = [a for a in chosen_list if a not in tied_ids]
    if outsiders:
        problems.append(
            f"chosen: 不在并列名单中 (not in the tied group: {', '.join(dict.fromkeys(outsiders))})"
        )
    for tie in targets:
        picked = [a for a in tie.app_ids if a in chosen_set]
        if len(picked) != tie.slots_left:
            problems.append(
                f"chosen[{tie.category}]: 须从并列的 {', '.join(tie.app_ids)} 中选择"
                f"{tie.slots_left}个，实际选择{len(picked)}个 (choose exactly {tie.slots_left} of "
                f"the tied applications at {tie.score}, got {len(picked)})"
            )
    if problems:
        raise ScoringError(problems)

    selected = {cat: list(ids) for cat, ids in decision.selected.items()}
    not_selected = {cat: list(ids) for cat, ids in decision.not_selected.items()}
    for tie in targets:
        selected.setdefault(tie.category, []).extend(a for a in tie.app_ids if a in chosen_set)
        not_selected[tie.category] = [
            a for a in tie.app_ids if a not in chosen_set
        ] + not_selected.get(tie.category, [])
    remaining = [t for t in decision.ties if t not in targets]
    return ShortlistDecision(
        selected=selected,
        not_selected=not_selected,
        ties=remaining,
        top_k=decision.top_k,
        min_score=decision.min_score,
    )
