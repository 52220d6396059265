"""Program editions as data: one TOML file per edition under programs/editions/ (plus
$SHENBAO_EDITIONS_DIR), validated when loaded into frozen Edition objects."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from deadlines import Calendar, Deadline, Window, annual_report_due, recertification_due
from programs.provinces import ProvinceError, normalize_province
from programs.safeload import LoadError, load_structured, quote

SHIPPED_DIR = Path(__file__).with_name("editions")
ENV_DIR = "SHENBAO_EDITIONS_DIR"

_ID = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)+$")
_CATEGORY_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_PROGRAM_ID = re.compile(r"^[a-z][a-z0-9]*$")


class EditionError(ValueError):
    """An edition file that cannot be used, or an edition id that names no file.

    The message starts with the file name and the field: `liangrong-2029.toml: quota.tiers[1].limit:
    must be a positive integer`.
    """


@dataclass(frozen=True)
class Category:
    id: str
    name_zh: str
    name_en: str = ""  # as the English messages name it (e.g. "IT outsourcing")


@dataclass(frozen=True)
class QuotaLimit:
    """One ceiling on recommendations by one province or central enterprise group.

    Count the recommended applications of the same edition and the same recommender (province or
    group); only those of the same category when `per_category`; only consortia when
    `consortium_only`. A new recommendation is allowed while that count is below `limit`.
    """

    name: str  # province_total, province_category, province_consortium, group_total, group_category
    limit: int
    per_category: bool
    consortium_only: bool
    clause: str
    label: str = ""  # the tier or rule as the notice words it, e.g. 地区生产总值3—5万亿元
    in_principle: bool = False  # 原则上: the notice allows the ministry to make exceptions


@dataclass(frozen=True)
class QuotaTier:
    label: str
    limit: int
    provinces: tuple[str, ...]  # short names


@dataclass(frozen=True)
class QuotaPolicy:
    clause: str
    per_category: bool
    in_principle: bool
    province_default: int  # provinces named in no tier
    tiers: tuple[QuotaTier, ...] = ()
    group: int | None = None  # each central enterprise group; None: groups do not recommend
    consortium: int | None = None  # consortium sub-limit within a province's (or group's) quota

    def tier_of(self, province: str) -> QuotaTier | None:
        for tier in self.tiers:
            if province in tier.provinces:
                return tier
        return None

    def province_limit(self, province: str) -> int:
        tier = self.tier_of(province)
        return tier.limit if tier is not None else self.province_default


@dataclass(frozen=True)
class AnnualReportRule:
    """When a confirmed title reports on a year.

    A: the report on 2026 is due 2027-02-01 (same_year False); B: on 2022 due 2022-11-30.
    `first_report_offset` counts from the year of confirmation to the first year in which a report
    is due (自确定次年起 = 1).
    """

    month: int
    day: int
    same_year: bool
    first_report_offset: int
    clause: str

    def due_date(self, report_year: int) -> date:
        """The due day of the report on `report_year` (the year being reported on)."""
        return date(report_year if self.same_year else report_year + 1, self.month, self.day)

    def deadline(self, report_year: int, calendar: Calendar | None = None) -> Deadline:
        """The due day with the instant it ends and the calendar data version (deadlines)."""
        return annual_report_due(
            report_year,
            month=self.month,
            day=self.day,
            same_year=self.same_year,
            calendar=calendar,
        )

    def report_year_due_in(self, due_year: int) -> int:
        """The year reported on by the report due in `due_year`."""
        return due_year if self.same_year else due_year - 1

    def first_report_year(self, confirmed: date | int) -> int:
        """The first year reported on by a title confirmed on `confirmed` (a date or its year).

        A confirmed in 2026 first reports on 2026 (due 2027-02-01); B confirmed in 2021 first
        reports on 2022 (due 2022-11-30).
        """
        year = confirmed if isinstance(confirmed, int) else confirmed.year
        return self.report_year_due_in(year + self.first_report_offset)


@dataclass(frozen=True)
class ReminderPolicy:
    """When reminders go out (issue 6 item 2 defaults; an edition file may override each)."""

    application_close_days: tuple[int, ...] = (7, 3, 1)  # calendar days before the window closes
    screening_close_working_days: tuple[int, ...] = (3, 1)
    annual_report_days: tuple[int, ...] = (30, 7, 1)
    overdue_every_days: int = 7


@dataclass(frozen=True)
class Edition:
    id: str
    program: str  # liangrong | cciip | szzx
    year: int
    title: str
    organiser: str
    document_number: str | None
    seed: str  # seed file name in ../shared/seeds
    categories: tuple[Category, ...]
    application_window: Window | None
    screening_window: Window | None
    quota: QuotaPolicy | None
    notice_working_days: int | None  # None: the edition has no 公示
    annual_report: AnnualReportRule | None
    recert_cycle_years: int | None
    min_experts: int = 3
    consortium_allowed: bool = False
    max_consortium_members: int | None = None  # members besides the lead unit
    group_route: bool = False  # central enterprise groups recommend their own enterprises
    # the provincial departments that each give an opinion (商务 commerce, 工业和信息化 industry);
    # a recommendation takes effect once every one of them has recommended
    reviewing_departments: tuple[str, ...] = ("commerce",)
    title_name: str = ""  # the title (称号) the edition confers, as its notices name it
    program_name: str = ""  # the program's name, the same in every edition of the program
    notice_length_stated: bool = False  # False: the seed names a 公示 without its length
    reference: str = ""  # the document to cite where no narrower clause is named
    term: tuple[int, int] | None = None  # first and last year of the title, e.g. 2026–2028
    reminders: ReminderPolicy = field(default_factory=ReminderPolicy)
    clauses: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    source: str = field(default="", compare=False)  # the file it was loaded from
    version: str = field(default="", compare=False)  # sha256 of that file's bytes (16 hex digits)
    title_en: str = ""  # English names, for English mail
    organiser_en: str = ""

    @property
    def category_ids(self) -> tuple[str, ...]:
        return tuple(category.id for category in self.categories)

    def category(self, category_id: str) -> Category:
        for category in self.categories:
            if category.id == category_id:
                return category
        raise ValueError(
            f"category: {self.id} 无此类别 '{category_id}' (unknown category; "
            f"expected one of {', '.join(self.category_ids)})"
        )

    def clause(self, name: str) -> str:
        """The named clause, or the edition's reference document when none is named."""
        return self.clauses.get(name) or self.reference or self.title

    def recertification_due(
        self, confirmed_on: date, calendar: Calendar | None = None
    ) -> Deadline | None:
        """When a title confirmed on `confirmed_on` is next re-examined; None without a cycle."""
        if self.recert_cycle_years is None:
            return None
        return recertification_due(confirmed_on, self.recert_cycle_years, calendar)

    @property
    def has_notice(self) -> bool:
        return self.notice_working_days is not None

    def quota_limits(
        self, *, province: str | None, group: str | None, category: str, consortium: bool
    ) -> tuple[QuotaLimit, ...]:
        """The limits a recommendation of one application must stay within.

        The recommender is the central enterprise group when `group` is given (its enterprises
        apply through the group, not the province), else `province` (short name, full name or
        code). Consortium sub-limits are returned only for a consortium application. An edition
        without a stated quota returns ().
        """
        self.category(category)
        if consortium and not self.consortium_allowed:
            raise ValueError(
                f"consortium: {self.id} 不接受联合体申报 (this edition takes no consortium "
                f"applications; {self.clause('consortium')})"
            )
        if group is not None:
            if not isinstance(group, str) or not group.strip():
                raise ValueError(
                    f"group: 中央企业集团名称不能为空 (group name required), got {group!r}"
                )
            if not self.group_route:
                raise ValueError(
                    f"group: {self.id} 不经中央企业集团推荐 (central enterprise groups do not "
                    f"recommend in this edition; {self.clause('route')})"
                )
            if self.quota is None or self.quota.group is None:
                return ()
            return self._limits("group", self.quota.group, "每个中央企业集团", consortium)
        if province is None:
            raise ValueError(
                "province: 必须指明推荐省份或中央企业集团 (province or group required)"
            )
        short = normalize_province(province)
        if self.quota is None:
            return ()
        tier = self.quota.tier_of(short)
        if tier is not None:
            label = tier.label
        else:
            label = "其他省份" if self.quota.tiers else "每个省份"
        return self._limits("province", self.quota.province_limit(short), label, consortium)

    def _limits(
        self, scope: str, limit: int, label: str, consortium: bool
    ) -> tuple[QuotaLimit, ...]:
        quota = self.quota
        assert quota is not None
        kind = "category" if quota.per_category else "total"
        limits = [
            QuotaLimit(
                name=f"{scope}_{kind}",
                limit=limit,
                per_category=quota.per_category,
                consortium_only=False,
                clause=quota.clause,
                label=label,
                in_principle=quota.in_principle,
            )
        ]
        if consortium and quota.consortium is not None:
            limits.append(
                QuotaLimit(
                    name=f"{scope}_consortium",
                    limit=min(quota.consortium, limit),
                    per_category=quota.per_category,
                    consortium_only=True,
                    clause=quota.clause,
                    label=f"{label}：其中联合体",
                    in_principle=quota.in_principle,
                )
            )
        return tuple(limits)


# --------------------------------------------------------------------------- loading


def _directories() -> list[Path]:
    """Edition directories, later ones taking precedence: shipped, then $SHENBAO_EDITIONS_DIR."""
    dirs = [SHIPPED_DIR]
    extra = os.environ.get(ENV_DIR, "").strip()
    if extra:
        path = Path(extra)
        if not path.is_dir():
            raise EditionError(
                f"{ENV_DIR}: 目录不存在 '{extra}' (the editions directory does not exist)"
            )
        dirs.append(path)
    return dirs


def _edition_files() -> dict[str, Path]:
    files: dict[str, Path] = {}
    for directory in _directories():
        for path in sorted(directory.glob("*.toml")):
            files[path.stem] = path
    return files


def known_edition_ids() -> tuple[str, ...]:
    return tuple(sorted(_edition_files()))


def load_edition(edition_id: str) -> Edition:
    """The edition of that id; a file in $SHENBAO_EDITIONS_DIR replaces a shipped one."""
    if isinstance(edition_id, str) and _ID.match(edition_id):
        for directory in reversed(_directories()):
            path = directory / f"{edition_id}.toml"
            try:
                stat = path.stat()
            except OSError:
                continue
            real = _resolved(str(path), stat.st_dev, stat.st_ino)
            return _load_cached(real, stat.st_mtime_ns, stat.st_size)
    raise EditionError(
        f"edition: 未知的批次 {quote(edition_id, 60)} (unknown edition); "
        f"known: {', '.join(known_edition_ids()) or 'none'}"
    )


def all_editions() -> dict[str, Edition]:
    """Every edition, by id; one bad file raises its EditionError."""
    return {
        edition_id: load_edition_file(path) for edition_id, path in sorted(_edition_files().items())
    }


def programs() -> dict[str, str]:
    """The programs the edition files name, id -> name; editions of one program must agree on
    its name (an EditionError names both files otherwise)."""
    found: dict[str, Edition] = {}
    for edition in all_editions().values():
        first = found.setdefault(edition.program, edition)
        if first.program_name != edition.program_name:
            raise EditionError(
                f"{Path(edition.source).name}: program_name: '{edition.program_name}' 与 "
                f"{Path(first.source).name} 的 '{first.program_name}' 不一致 (every edition of "
                f"program {edition.program} names it the same)"
            )
    return {program: e.program_name for program, e in sorted(found.items())}


def load_edition_file(path: Path) -> Edition:
    """Read and validate one edition file; the result is cached while the file is unchanged."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise EditionError(f"{path.name}: 无法读取 (cannot read the file: {exc.strerror})") from exc
    return _load_cached(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)
def _resolved(path_text: str, _dev: int, _ino: int) -> str:
    """The real path of a file, once per (path, the file it names): an edition is looked up on
    every transition batch, and `resolve` walks every directory of the path."""
    return str(Path(path_text).resolve())


@lru_cache(maxsize=64)
def _load_cached(path_text: str, _mtime_ns: int, _size: int) -> Edition:
    path = Path(path_text)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise EditionError(f"{path.name}: 无法读取 (cannot read the file: {exc.strerror})") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EditionError(
            f"{path.name}: 文件不是 UTF-8 编码 (not UTF-8 at byte {exc.start})"
        ) from exc
    try:
        data = load_structured(text.encode(), field=path.name, fmt="toml", exact=False)
    except LoadError as exc:
        raise EditionError(f"{path.name}: {exc.zh} ({exc.en}; rule: {exc.rule})") from None
    version = hashlib.sha256(raw).hexdigest()[:16]
    return _Parser(path.name, path.stem).edition(data, source=str(path), version=version)


# --------------------------------------------------------------------------- validation

_TOP_KEYS = {
    "id",
    "program",
    "program_name",
    "year",
    "title",
    "title_en",
    "organiser",
    "organiser_en",
    "document_number",
    "reference",
    "seed",
    "term",
    "group_route",
    "reviewing_departments",
    "title_name",
    "consortium_allowed",
    "max_consortium_members",
    "min_experts",
    "recert_cycle_years",
    "categories",
    "application_window",
    "screening_window",
    "quota",
    "notice",
    "annual_report",
    "reminders",
    "clauses",
}


class _Parser:
    def __init__(self, file_name: str, stem: str) -> None:
        self.file = file_name
        self.stem = stem
        self.year = 0

    def fail(self, where: str, message: str) -> EditionError:
        return EditionError(f"{self.file}: {where}: {message}")

    # -- primitives

    def table(self, data: Mapping[str, Any], where: str, allowed: set[str]) -> Mapping[str, Any]:
        if not isinstance(data, Mapping):
            raise self.fail(where, "必须为表 (must be a table)")
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise self.fail(
                f"{where}.{unknown[0]}" if where else unknown[0],
                f"未知字段 (unknown field; expected one of {', '.join(sorted(allowed))})",
            )
        return data

    def departments(self, data: Mapping[str, Any]) -> tuple[str, ...]:
        if "reviewing_departments" not in data:
            return ("commerce",)
        value = data["reviewing_departments"]
        known = ("commerce", "industry")
        if (
            not isinstance(value, list)
            or not value
            or any(v not in known for v in value)
            or len(set(value)) != len(value)
        ):
            raise self.fail(
                "reviewing_departments",
                f"必须为不重复的部门列表 (a non-empty list of distinct departments from "
                f"{', '.join(known)}; got {value!r})",
            )
        return tuple(value)

    def text(self, data: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
        name = f"{where}.{key}" if where else key
        if key not in data:
            if required:
                raise self.fail(name, "缺少必填字段 (required field missing)")
            return ""
        value = data[key]
        if not isinstance(value, str) or not value.strip():
            raise self.fail(name, "必须为非空文本 (must be a non-empty string)")
        return value.strip()

    def integer(
        self,
        data: Mapping[str, Any],
        key: str,
        where: str,
        *,
        required: bool = True,
        minimum: int = 1,
        maximum: int | None = None,
    ) -> int | None:
        name = f"{where}.{key}" if where else key
        if key not in data:
            if required:
                raise self.fail(name, "缺少必填字段 (required field missing)")
            return None
        value = data[key]
        if type(value) is not int or value < minimum or (maximum is not None and value > maximum):
            if minimum == 1 and maximum is None:
                rule = "必须为正整数 (must be a positive integer)"
            elif minimum == 0 and maximum is None:
                rule = "必须为非负整数 (must be a non-negative integer)"
            else:
                rule = f"必须为 {minimum} 至 {maximum} 之间的整数 (must be an integer from {minimum} to {maximum})"
            raise self.fail(name, f"{rule}, got {value!r}")
        return value

    def boolean(
        self, data: Mapping[str, Any], key: str, where: str, *, default: bool | None = None
    ) -> bool:
        name = f"{where}.{key}" if where else key
        if key not in data:
            if default is None:
                raise self.fail(name, "缺少必填字段 (required field missing)")
            return default
        value = data[key]
        if not isinstance(value, bool):
            raise self.fail(name, f"必须为 true 或 false (must be a boolean), got {value!r}")
        return value

    def day(self, data: Mapping[str, Any], key: str, where: str) -> date:
        name = f"{where}.{key}"
        if key not in data:
            raise self.fail(name, "缺少必填字段 (required field missing)")
        value = data[key]
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        elif isinstance(value, date) and not isinstance(value, datetime):
            return value
        raise self.fail(
            name, f"必须为日期，如 2026-05-27 (must be a date like 2026-05-27), got {value!r}"
        )

    def int_tuple(self, data: Mapping[str, Any], key: str, where: str) -> tuple[int, ...] | None:
        name = f"{where}.{key}"
        if key not in data:
            return None
        value = data[key]
        if not isinstance(value, list) or not value:
            raise self.fail(name, "必须为非空整数列表 (must be a non-empty list of integers)")
        for index, item in enumerate(value):
            if type(item) is not int or item < 1:
                raise self.fail(
                    f"{name}[{index}]", f"必须为正整数 (must be a positive integer), got {item!r}"
                )
        if len(set(value)) != len(value):
            raise self.fail(name, f"不得重复 (must not repeat a value), got {value!r}")
        return tuple(sorted(value, reverse=True))

    # -- sections

    def edition(self, data: Mapping[str, Any], *, source: str, version: str) -> Edition:
        self.table(data, "", _TOP_KEYS)
        edition_id = self.text(data, "id", "")
        if not _ID.match(edition_id):
            raise self.fail(
                "id", f"'{edition_id}' 不是合法的批次标识 (must look like liangrong-2029)"
            )
        if edition_id != self.stem:
            raise self.fail(
                "id",
                f"'{edition_id}' 与文件名不符 (must match the file name: {self.stem})",
            )
        program = self.text(data, "program", "")
        if not _PROGRAM_ID.match(program):
            raise self.fail(
                "program",
                f"'{program}' 不是合法的项目标识 (must be a lower-case identifier like liangrong)",
            )
        program_name = self.text(data, "program_name", "")
        if not edition_id.startswith(program + "-"):
            raise self.fail(
                "id", f"'{edition_id}' 必须以 '{program}-' 开头 (must start with the program)"
            )
        year = self.integer(data, "year", "", minimum=2000, maximum=2100)
        assert year is not None
        self.year = year

        consortium_allowed = self.boolean(data, "consortium_allowed", "", default=False)
        max_members = self.integer(data, "max_consortium_members", "", required=False)
        if consortium_allowed and max_members is None:
            raise self.fail(
                "max_consortium_members",
                "允许联合体时必须填写成员上限 (required when consortium_allowed = true)",
            )
        if not consortium_allowed and max_members is not None:
            raise self.fail(
                "max_consortium_members",
                "不允许联合体时不得填写 (only with consortium_allowed = true)",
            )
        group_route = self.boolean(data, "group_route", "", default=False)
        departments = self.departments(data)

        application = self.window(data, "application_window")
        screening = self.window(data, "screening_window")
        if application and screening:
            if screening[0].opens < application[0].opens:
                raise self.fail(
                    "screening_window.opens",
                    f"{screening[0].opens} 早于申报开始 {application[0].opens} (must not be before "
                    "application_window.opens)",
                )
            if screening[0].closes < application[0].closes:
                raise self.fail(
                    "screening_window.closes",
                    f"{screening[0].closes} 早于申报截止 {application[0].closes} (must not be "
                    "before application_window.closes)",
                )
        elif screening and not application:
            raise self.fail(
                "application_window",
                "有初筛窗口时必须填写申报窗口；只规定省级截止日期时，申报随之截止 (required with "
                "screening_window; where only the provinces' deadline is named, applications "
                "close with it)",
            )

        quota = self.quota(data, consortium_allowed, group_route)
        notice = self.notice(data)
        annual = self.annual_report(data)
        term = self.term(data)
        clauses = self.clauses(data)
        derived = {
            "application_window": application[1] if application else None,
            "screening_window": screening[1] if screening else None,
            "quota": quota.clause if quota else None,
            "notice": notice[2] if notice else None,
            "annual_report": annual.clause if annual else None,
        }
        for key, clause in derived.items():
            if clause is None:
                continue
            if key in clauses:
                raise self.fail(
                    f"clauses.{key}",
                    f"已在 [{key}] 中给出 (already given as {key}.clause; name it in one place)",
                )
            clauses[key] = clause

        return Edition(
            id=edition_id,
            program=program,
            program_name=program_name,
            year=year,
            title=self.text(data, "title", ""),
            organiser=self.text(data, "organiser", ""),
            title_en=self.text(data, "title_en", "", required=False) or "",
            organiser_en=self.text(data, "organiser_en", "", required=False) or "",
            document_number=self.text(data, "document_number", "", required=False) or None,
            seed=self.seed(data),
            categories=self.categories(data),
            application_window=application[0] if application else None,
            screening_window=screening[0] if screening else None,
            quota=quota,
            notice_working_days=notice[0] if notice else None,
            notice_length_stated=notice[1] if notice else False,
            annual_report=annual,
            recert_cycle_years=self.integer(
                data, "recert_cycle_years", "", required=False, maximum=20, minimum=1
            ),
            min_experts=self.integer(data, "min_experts", "", required=False, maximum=50) or 3,
            consortium_allowed=consortium_allowed,
            max_consortium_members=max_members,
            group_route=group_route,
            reviewing_departments=departments,
            title_name=self.text(data, "title_name", "", required=False),
            reference=self.text(data, "reference", "", required=False),
            term=term,
            reminders=self.reminders(data),
            clauses=MappingProxyType(clauses),
            source=source,
            version=version,
        )

    def seed(self, data: Mapping[str, Any]) -> str:
        seed = self.text(data, "seed", "")
        if "/" in seed or "\\" in seed:
            raise self.fail("seed", f"'{seed}' 必须为文件名 (must be a file name, not a path)")
        return seed

    def term(self, data: Mapping[str, Any]) -> tuple[int, int] | None:
        if "term" not in data:
            return None
        value = data["term"]
        if (
            not isinstance(value, list)
            or len(value) != 2
            or any(type(item) is not int for item in value)
            or value[0] > value[1]
        ):
            raise self.fail(
                "term",
                f"必须为 [首年, 末年]，如 [2026, 2028] (must be [first, last] years), got {value!r}",
            )
        return (value[0], value[1])

    def categories(self, data: Mapping[str, Any]) -> tuple[Category, ...]:
        value = data.get("categories")
        if not isinstance(value, list) or not value:
            raise self.fail(
                "categories", "至少需要一个类别 (at least one [[categories]] entry is required)"
            )
        seen: set[str] = set()
        categories = []
        for index, item in enumerate(value):
            where = f"categories[{index}]"
            self.table(item, where, {"id", "name_zh", "name_en"})
            category_id = self.text(item, "id", where)
            if not _CATEGORY_ID.match(category_id):
                raise self.fail(
                    f"{where}.id",
                    f"'{category_id}' 只能含小写字母、数字和下划线 (lower-case letters, digits, _)",
                )
            if category_id in seen:
                raise self.fail(f"{where}.id", f"类别 '{category_id}' 重复 (duplicate category)")
            seen.add(category_id)
            categories.append(
                Category(
                    category_id,
                    self.text(item, "name_zh", where),
                    self.text(item, "name_en", where, required=False),
                )
            )
        return tuple(categories)

    def window(self, data: Mapping[str, Any], key: str) -> tuple[Window, str] | None:
        if key not in data:
            return None
        section = self.table(data[key], key, {"opens", "closes", "clause"})
        opens = self.day(section, "opens", key)
        closes = self.day(section, "closes", key)
        for name, value in (("opens", opens), ("closes", closes)):
            if abs(value.year - self.year) > 1:
                raise self.fail(
                    f"{key}.{name}",
                    f"{value} 与批次年份 {self.year} 相差超过一年 (must be within a year of the "
                    "edition's year)",
                )
        if closes < opens:
            raise self.fail(
                f"{key}.closes", f"{closes} 早于开始日期 {opens} (must not be before {key}.opens)"
            )
        return Window(opens, closes), self.text(section, "clause", key)

    def quota(
        self, data: Mapping[str, Any], consortium_allowed: bool, group_route: bool
    ) -> QuotaPolicy | None:
        if "quota" not in data:
            return None
        where = "quota"
        section = self.table(
            data[where],
            where,
            {
                "clause",
                "per_category",
                "in_principle",
                "province_default",
                "group",
                "consortium",
                "tiers",
            },
        )
        default = self.integer(section, "province_default", where)
        assert default is not None
        group = self.integer(section, "group", where, required=False)
        if group is not None and not group_route:
            raise self.fail(
                "quota.group",
                "中央企业集团不推荐时不得填写 (only with group_route = true)",
            )
        consortium = self.integer(section, "consortium", where, required=False)
        if consortium is not None and not consortium_allowed:
            raise self.fail(
                "quota.consortium",
                "本批次不接受联合体 (only with consortium_allowed = true)",
            )
        tiers_raw = section.get("tiers", [])
        if not isinstance(tiers_raw, list):
            raise self.fail("quota.tiers", "必须为表数组 (must be an array of [[quota.tiers]])")
        placed: dict[str, int] = {}
        tiers = []
        for index, item in enumerate(tiers_raw):
            tier_where = f"quota.tiers[{index}]"
            self.table(item, tier_where, {"label", "limit", "provinces"})
            limit = self.integer(item, "limit", tier_where)
            assert limit is not None
            provinces_raw = item.get("provinces")
            if not isinstance(provinces_raw, list) or not provinces_raw:
                raise self.fail(
                    f"{tier_where}.provinces",
                    "必须为非空省份列表 (must be a non-empty list of provinces)",
                )
            provinces = []
            for position, name in enumerate(provinces_raw):
                field_name = f"{tier_where}.provinces[{position}]"
                if not isinstance(name, str):
                    raise self.fail(
                        field_name, f"必须为省份名称 (must be a province name), got {name!r}"
                    )
                try:
                    short = normalize_province(name)
                except ProvinceError as exc:
                    raise self.fail(field_name, str(exc).removeprefix("province: ")) from exc
                if short in placed:
                    raise self.fail(
                        field_name,
                        f"{short} 已列入 quota.tiers[{placed[short]}] (a province may be in one "
                        "tier only)",
                    )
                placed[short] = index
                provinces.append(short)
            tiers.append(QuotaTier(self.text(item, "label", tier_where), limit, tuple(provinces)))
        return QuotaPolicy(
            clause=self.text(section, "clause", where),
            per_category=self.boolean(section, "per_category", where),
            in_principle=self.boolean(section, "in_principle", where, default=False),
            province_default=default,
            tiers=tuple(tiers),
            group=group,
            consortium=consortium,
        )

    def notice(self, data: Mapping[str, Any]) -> tuple[int, bool, str] | None:
        if "notice" not in data:
            return None
        section = self.table(data["notice"], "notice", {"working_days", "stated", "clause"})
        days = self.integer(section, "working_days", "notice", maximum=60)
        assert days is not None
        return (
            days,
            self.boolean(section, "stated", "notice"),
            self.text(section, "clause", "notice"),
        )

    def annual_report(self, data: Mapping[str, Any]) -> AnnualReportRule | None:
        if "annual_report" not in data:
            return None
        where = "annual_report"
        section = self.table(
            data[where], where, {"month", "day", "same_year", "first_report_offset", "clause"}
        )
        month = self.integer(section, "month", where, maximum=12)
        day = self.integer(section, "day", where, maximum=31)
        assert month is not None and day is not None
        try:
            date(2001, month, day)  # a common year: 29 February would be missing in most years
        except ValueError as exc:
            raise self.fail(
                f"{where}.day", f"{month}月{day}日不是每年都有的日期 (not a date in every year)"
            ) from exc
        offset = self.integer(section, "first_report_offset", where, minimum=0, maximum=10)
        assert offset is not None
        return AnnualReportRule(
            month=month,
            day=day,
            same_year=self.boolean(section, "same_year", where),
            first_report_offset=offset,
            clause=self.text(section, "clause", where),
        )

    def reminders(self, data: Mapping[str, Any]) -> ReminderPolicy:
        if "reminders" not in data:
            return ReminderPolicy()
        where = "reminders"
        section = self.table(
            data[where],
            where,
            {
                "application_close_days",
                "screening_close_working_days",
                "annual_report_days",
                "overdue_every_days",
            },
        )
        defaults = ReminderPolicy()
        overdue = self.integer(section, "overdue_every_days", where, required=False)
        return ReminderPolicy(
            application_close_days=self.int_tuple(section, "application_close_days", where)
            or defaults.application_close_days,
            screening_close_working_days=self.int_tuple(
                section, "screening_close_working_days", where
            )
            or defaults.screening_close_working_days,
            annual_report_days=self.int_tuple(section, "annual_report_days", where)
            or defaults.annual_report_days,
            overdue_every_days=overdue if overdue is not None else defaults.overdue_every_days,
        )

    def clauses(self, data: Mapping[str, Any]) -> dict[str, str]:
        if "clauses" not in data:
            return {}
        section = data["clauses"]
        if not isinstance(section, Mapping):
            raise self.fail("clauses", "必须为表 (must be a table)")
        result = {}
        for key in section:
            result[key] = self.text(section, key, "clauses")
        return result


__all__ = [
    "programs",
    "AnnualReportRule",
    "Category",
    "Edition",
    "EditionError",
    "QuotaLimit",
    "QuotaPolicy",
    "QuotaTier",
    "ReminderPolicy",
    "all_editions",
    "known_edition_ids",
    "load_edition",
    "load_edition_file",
]
