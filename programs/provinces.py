"""China's provincial-level divisions (GB/T 2260) and 新疆生产建设兵团, as the recommending units of
every edition: normalise a short name, full name or 6-digit code to the short name."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

PLAN_LISTED_CLAUSE = "工信厅规函〔2026〕238号 三（二）"


class ProvinceError(ValueError):
    """A text that names no provincial-level division, or names one that may not recommend."""


class PlanListedCityError(ProvinceError):
    """A 计划单列市 named where a province is required: it recommends through its province."""


@dataclass(frozen=True)
class Province:
    code: str  # GB/T 2260, six digits
    short: str  # 广东, 内蒙古, 新疆生产建设兵团
    full: str  # 广东省, 内蒙古自治区
    aliases: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.short


PROVINCES: tuple[Province, ...] = (
    Province("110000", "北京", "北京市"),
    Province("120000", "天津", "天津市"),
    Province("130000", "河北", "河北省"),
    Province("140000", "山西", "山西省"),
    Province("150000", "内蒙古", "内蒙古自治区"),
    Province("210000", "辽宁", "辽宁省"),
    Province("220000", "吉林", "吉林省"),
    Province("230000", "黑龙江", "黑龙江省"),
    Province("310000", "上海", "上海市"),
    Province("320000", "江苏", "江苏省"),
    Province("330000", "浙江", "浙江省"),
    Province("340000", "安徽", "安徽省"),
    Province("350000", "福建", "福建省"),
    Province("360000", "江西", "江西省"),
    Province("370000", "山东", "山东省"),
    Province("410000", "河南", "河南省"),
    Province("420000", "湖北", "湖北省"),
    Province("430000", "湖南", "湖南省"),
    Province("440000", "广东", "广东省"),
    Province("450000", "广西", "广西壮族自治区", ("广西自治区",)),
    Province("460000", "海南", "海南省"),
    Province("500000", "重庆", "重庆市"),
    Province("510000", "四川", "四川省"),
    Province("520000", "贵州", "贵州省"),
    Province("530000", "云南", "云南省"),
    Province("540000", "西藏", "西藏自治区"),
    Province("610000", "陕西", "陕西省"),
    Province("620000", "甘肃", "甘肃省"),
    Province("630000", "青海", "青海省"),
    Province("640000", "宁夏", "宁夏回族自治区", ("宁夏自治区",)),
    Province("650000", "新疆", "新疆维吾尔自治区", ("新疆自治区",)),
    # Not a GB/T 2260 province, but addressed by the notices alongside them; 660000 is the code
    # commonly used for it in national statistics and ministry systems.
    Province("660000", "新疆生产建设兵团", "新疆生产建设兵团", ("兵团",)),
)


@dataclass(frozen=True)
class PlanListedCity:
    code: str
    short: str
    full: str
    province: str  # short name of the province it belongs to


PLAN_LISTED_CITIES: tuple[PlanListedCity, ...] = (
    PlanListedCity("210200", "大连", "大连市", "辽宁"),
    PlanListedCity("370200", "青岛", "青岛市", "山东"),
    PlanListedCity("330200", "宁波", "宁波市", "浙江"),
    PlanListedCity("350200", "厦门", "厦门市", "福建"),
    PlanListedCity("440300", "深圳", "深圳市", "广东"),
)


def _index() -> tuple[dict[str, Province], dict[str, PlanListedCity]]:
    provinces: dict[str, Province] = {}
    for province in PROVINCES:
        for key in (province.code, province.short, province.full, *province.aliases):
            provinces[key] = province
    cities: dict[str, PlanListedCity] = {}
    for city in PLAN_LISTED_CITIES:
        for key in (city.code, city.short, city.full):
            cities[key] = city
    return provinces, cities


_BY_KEY, _CITY_BY_KEY = _index()
_BY_SHORT = {province.short: province for province in PROVINCES}


def _clean(text: str) -> str:
    # NFKC folds full-width digits (４４００００) and compatibility forms; spaces are not part of names.
    return "".join(unicodedata.normalize("NFKC", text).split())


def province_info(text: str) -> Province:
    """The division named by a short name (广东), full name (广东省) or GB/T 2260 code (440000)."""
    if not isinstance(text, str):
        raise ProvinceError(f"province: 省级行政区必须为文本 {text!r} (province must be a string)")
    key = _clean(text)
    found = _BY_KEY.get(key)
    if found is not None:
        return found
    city = _CITY_BY_KEY.get(key)
    if city is not None:
        raise PlanListedCityError(
            f"province: 计划单列市不单独推荐: '{text}' 由{city.province}推荐 "
            f"(plan-listed cities do not recommend on their own; {city.short} belongs to "
            f"{city.province}; {PLAN_LISTED_CLAUSE})"
        )
    raise ProvinceError(f"province: 未知的省级行政区 '{text}' (unknown province)")


def normalize_province(text: str) -> str:
    """The short name (广东) for a short name, full name or 6-digit GB/T 2260 code.

    Unknown text raises ProvinceError; a 计划单列市 (大连 青岛 宁波 厦门 深圳) raises
    PlanListedCityError, both ValueErrors.
    """
    return province_info(text).short


def province_code(name: str) -> str:
    """The six-digit GB/T 2260 code of a province given by any accepted form of its name."""
    return province_info(name).code


def province_full_name(name: str) -> str:
    """The full name (广东省, 内蒙古自治区) of a province given by any accepted form of its name."""
    return province_info(name).full


def all_provinces() -> tuple[str, ...]:
    """Short names of the 31 provincial-level divisions and 新疆生产建设兵团, in code order."""
    return tuple(_BY_SHORT)


def is_province(text: str) -> bool:
    """True when `text` names a province that may recommend (plan-listed cities do not)."""
    try:
        province_info(text)
    except ProvinceError:
        return False
    return True
