"""Provincial-level divisions: names, GB/T 2260 codes and the refusal of plan-listed cities."""

from __future__ import annotations

import pytest

from programs.provinces import (
    PlanListedCityError,
    ProvinceError,
    all_provinces,
    is_province,
    normalize_province,
    province_code,
    province_full_name,
    province_info,
)


class TestNormalizeProvince:
    @pytest.mark.parametrize(
        ("text", "short"),
        [
            ("广东", "广东"),
            ("广东省", "广东"),
            ("440000", "广东"),
            ("４４００００", "广东"),
            (" 广东省 ", "广东"),
            ("内蒙古自治区", "内蒙古"),
            ("150000", "内蒙古"),
            ("广西壮族自治区", "广西"),
            ("西藏自治区", "西藏"),
            ("宁夏回族自治区", "宁夏"),
            ("新疆维吾尔自治区", "新疆"),
            ("650000", "新疆"),
            ("北京市", "北京"),
            ("110000", "北京"),
            ("重庆市", "重庆"),
            ("新疆生产建设兵团", "新疆生产建设兵团"),
            ("兵团", "新疆生产建设兵团"),
            ("660000", "新疆生产建设兵团"),
        ],
    )
    def test_accepts_short_full_and_code(self, text: str, short: str) -> None:
        assert normalize_province(text) == short

    @pytest.mark.parametrize("text", ["广州", "440100", "44", "台湾x", "", "Guangdong", "香港特区"])
    def test_unknown_is_refused_with_the_rule(self, text: str) -> None:
        with pytest.raises(ProvinceError) as caught:
            normalize_province(text)
        assert str(caught.value) == (f"province: 未知的省级行政区 '{text}' (unknown province)")
        assert isinstance(caught.value, ValueError)

    @pytest.mark.parametrize(
        ("text", "parent"),
        [
            ("深圳", "广东"),
            ("深圳市", "广东"),
            ("440300", "广东"),
            ("大连", "辽宁"),
            ("青岛市", "山东"),
            ("宁波", "浙江"),
            ("厦门", "福建"),
        ],
    )
    def test_plan_listed_cities_do_not_recommend(self, text: str, parent: str) -> None:
        with pytest.raises(PlanListedCityError) as caught:
            normalize_province(text)
        message = str(caught.value)
        assert message.startswith("province: 计划单列市不单独推荐")
        assert f"由{parent}推荐" in message
        assert "工信厅规函〔2026〕238号" in message
        assert "plan-listed cities do not recommend on their own" in message
        assert isinstance(caught.value, ValueError)

    def test_non_string_is_refused(self) -> None:
        with pytest.raises(ProvinceError, match="must be a string"):
            normalize_province(440000)  # type: ignore[arg-type]


class TestProvinceTable:
    def test_thirty_one_divisions_and_the_corps(self) -> None:
        names = all_provinces()
        assert len(names) == len(set(names)) == 32
        assert names[0] == "北京"
        assert names[-1] == "新疆生产建设兵团"

    def test_every_name_round_trips_through_code_and_full_name(self) -> None:
        codes = set()
        for short in all_provinces():
            code = province_code(short)
            assert len(code) == 6 and code.isdigit() and code.endswith("0000")
            codes.add(code)
            assert normalize_province(code) == short
            assert normalize_province(province_full_name(short)) == short
        assert len(codes) == 32

    def test_codes_follow_gb_t_2260(self) -> None:
        assert province_code("广东") == "440000"
        assert province_code("内蒙古") == "150000"
        assert province_code("海南省") == "460000"
        assert province_code("新疆生产建设兵团") == "660000"
        assert province_full_name("宁夏") == "宁夏回族自治区"
        assert str(province_info("440000")) == "广东"

    def test_is_province(self) -> None:
        assert is_province("江苏省")
        assert not is_province("深圳")
        assert not is_province("苏州")
