"""Public notice (公示) rules: when objections (异议) are accepted, how they are resolved, and what
the notice decides for each application once the period is over."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

Resolution = Literal["upheld", "dismissed"]
RESOLUTIONS: dict[str, str] = {"upheld": "成立", "dismissed": "不成立"}
Outcome = Literal["confirm", "remove", "hold", "running"]


class ObjectionRefused(ValueError):
    """An objection cannot be accepted (filed outside the notice period)."""


class ObjectionError(ValueError):
    """An objection or its resolution breaks a rule; the message names the field."""


def _require_aware(value: datetime, field_name: str) -> None:
    if not isinstance(value, datetime):
        raise ObjectionError(f"{field_name}: 必须是时间 (must be a datetime, got {value!r})")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ObjectionError(
            f"{field_name}: 时间必须带时区 (must be time-zone-aware, got naive {value.isoformat()})"
        )


def instant_label(instant: datetime) -> str:
    """Format an instant in Asia/Shanghai as ``2026-10-09 23:59:59 +08:00``."""
    local = instant.astimezone(SHANGHAI)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"


def last_second_label(ends_at: datetime) -> str:
    """The last instant inside a period ending at ``ends_at`` (exclusive), as shown to people."""
    return instant_label(ends_at - timedelta(seconds=1))


@dataclass(frozen=True)
class Objection:
    """An objection to one application on the notice list, with its resolution once decided."""

    id: str
    app_id: str
    filed_at: datetime
    objector_contact: str
    reason: str
    resolution: Resolution | None = None
    resolution_reason: str | None = None
    resolved_at: datetime | None = None

    def __post_init__(self) -> None:
        _require_aware(self.filed_at, "filed_at")
        if not self.objector_contact or not self.objector_contact.strip():
            raise ObjectionError(
                "objector_contact: 异议人联系方式必须填写 (the objector's contact is required)"
            )
        if not self.reason or not self.reason.strip():
            raise ObjectionError(
                "reason: 异议理由必须填写 (the reason for the objection is required)"
            )
        if self.resolution is not None:
            _check_resolution(self.resolution, self.resolution_reason)
        elif self.resolution_reason is not None or self.resolved_at is not None:
            raise ObjectionError(
                "resolution: 未处理的异议不能有处理理由或处理时间 "
                "(an unresolved objection has no resolution reason or time)"
            )
        if self.resolved_at is not None:
            _require_aware(self.resolved_at, "resolved_at")

    @property
    def resolved(self) -> bool:
        return self.resolution is not None


def _check_resolution(outcome: object, reason: str | None) -> None:
    if outcome not in RESOLUTIONS:
        raise ObjectionError(
            f"resolution: 处理结果必须是 upheld（成立）或 dismissed（不成立） "
            f"(must be upheld or dismissed, got {outcome!r})"
        )
    if not reason or not reason.strip():
        raise ObjectionError(
            "resolution_reason: 处理异议必须说明理由 (resolving an objection requires a reason)"
        )


def accept_objection(
    period_first: date,
    period_ends_at: datetime,
    filed_at: datetime,
    published_at: datetime | None = None,
) -> None:
    """Accept an objection only while the notice period runs, else raise ObjectionRefused.

    The period runs from 00:00 Asia/Shanghai of its first day (or from the publication instant,
    if given and later) up to ``period_ends_at``, exclusive.
    """
    _require_aware(period_ends_at, "period_ends_at")
    _require_aware(filed_at, "filed_at")
    starts_at = datetime.combine(period_first, time(0), tzinfo=SHANGHAI)
    if published_at is not None:
        _require_aware(published_at, "published_at")
        starts_at = max(starts_at, published_at)
    if filed_at < starts_at:
        raise ObjectionRefused(
            f"公示期尚未开始: the notice period starts at {instant_label(starts_at)} "
            f"(objection filed at {instant_label(filed_at)})"
        )
    if filed_at >= period_ends_at:
        raise ObjectionRefused(
            f"公示期已结束: the notice period ended at {last_second_label(period_ends_at)} "
            f"(objection filed at {instant_label(filed_at)})"
        )


def resolve_objection(
    objection: Objection,
    outcome: str,
    reason: str,
    resolved_at: datetime | None = None,
) -> Objection:
    """Record the ministry's decision: upheld (成立) or dismissed (不成立), with a reason.

    A resolved objection cannot be resolved again.
    """
    if objection.resolution is not None:
        raise ObjectionError(
            f"resolution: 异议 {objection.id} 已处理为{RESOLUTIONS[objection.resolution]}，"
            f"不能再次处理 (objection {objection.id} is already resolved as "
            f"{objection.resolution})"
        )
    _check_resolution(outcome, reason)
    if resolved_at is not None:
        _require_aware(resolved_at, "resolved_at")
    return dataclasses.replace(
        objection,
        resolution=outcome,  # type: ignore[arg-type]
        resolution_reason=reason.strip(),
        resolved_at=resolved_at,
    )


def notice_outcome(
    now: datetime, ends_at: datetime, objections_for_app: Sequence[Objection]
) -> Outcome:
    """What the notice decides for one application.

    ``running`` before ``ends_at``; afterwards ``remove`` if any objection was upheld, ``hold``
    while any objection is unresolved, else ``confirm``.
    """
    _require_aware(now, "now")
    _require_aware(ends_at, "ends_at")
    app_ids = {o.app_id for o in objections_for_app}
    if len(app_ids) > 1:
        raise ObjectionError(
            f"objections: 只能是同一申报的异议 (objections must concern one application, "
            f"got {', '.join(sorted(app_ids))})"
        )
    if now < ends_at:
        return "running"
    if any(o.resolution == "upheld" for o in objections_for_app):
        return "remove"
    if any(o.resolution is None for o in objections_for_app):
        return "hold"
    return "confirm"
