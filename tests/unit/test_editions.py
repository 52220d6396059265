"""Program editions as data: the shipped files, their quotas and due dates, and the loader's checks."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from deadlines import SHANGHAI, annual_report_due
from programs.editions import (
    ENV_DIR,
    EditionError,
    ReminderPolicy,
    all_editions,
    known_edition_ids,
    load_edition,
    load_edition_file,
    programs,
)
from programs.provinces import all_provinces
from tests.fixtures.editions import GOOD_2029, VALID_2029

SHIPPED = {"liangrong-2026", "liangrong-2021", "cciip-2023", "cciip-2018", "szzx-2026-2"}


@pytest.fixture(autouse=True)
def _no_extra_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_DIR, raising=False)


def limits_by_name(edition_id: str, **kwargs: object) -> dict[str, int]:
    limits = load_edition(edition_id).quota_limits(**kwargs)  # type: ignore[arg-type]
    return {limit.name: limit.limit for limit in limits}


class TestShippedEditions:
    def test_every_shipped_edition_loads(self) -> None:
        editions = all_editions()
        assert set(editions) == SHIPPED
        for edition_id, edition in editions.items():
            assert edition.id == edition_id
            assert edition.categories
            assert edition.seed.endswith(".txt")
            assert len(edition.version) == 16
            assert Path(edition.source).name == f"{edition_id}.toml"

    def test_seeds_named_by_the_editions_exist(self) -> None:
        seeds = Path(__file__).resolve().parents[3] / "shared" / "seeds"  # beside the checkout
        if not seeds.is_dir():
            pytest.skip("seed documents not present on this machine")
        for edition in all_editions().values():
            assert (seeds / edition.seed).is_file(), edition.seed

    def test_categories(self) -> None:
        assert load_edition("liangrong-2026").category_ids == ("manufacturing", "ito")
        assert load_edition("liangrong-2021").category_ids == ("manufacturing", "ito")
        assert load_edition("cciip-2023").category_ids == ("supplier", "park", "training")
        assert load_edition("cciip-2018").category_ids == ("supplier", "park", "training")
        assert load_edition("szzx-2026-2").category_ids == ("center",)
        with pytest.raises(ValueError, match="unknown category"):
            load_edition("szzx-2026-2").category("ito")

    def test_szzx_windows(self) -> None:
        edition = load_edition("szzx-2026-2")
        assert edition.application_window is not None and edition.screening_window is not None
        application, screening = edition.application_window, edition.screening_window
        assert (application.opens, application.closes) == (date(2026, 5, 27), date(2026, 6, 20))
        assert (screening.opens, screening.closes) == (date(2026, 6, 21), date(2026, 6, 30))
        last_second = datetime(2026, 6, 20, 23, 59, 59, tzinfo=SHANGHAI)
        assert application.contains(last_second)
        assert not application.contains(last_second + timedelta(seconds=1))
        assert application.closing_label() == "2026-06-20 23:59:59 +08:00"

    def test_liangrong_2021_applications_close_with_the_provinces_deadline(self) -> None:
        edition = load_edition("liangrong-2021")
        assert edition.screening_window is not None
        assert edition.application_window == edition.screening_window
        assert edition.screening_window.closes == date(2021, 12, 10)
        assert edition.clause("late_submission") == "商办服贸函〔2021〕360号 二"

    def test_cciip_deadlines(self) -> None:
        window_2023 = load_edition("cciip-2023").application_window
        window_2018 = load_edition("cciip-2018").application_window
        assert window_2023 is not None and window_2023.closes == date(2023, 9, 28)
        assert window_2018 is not None and window_2018.closes == date(2018, 7, 3)

    def test_liangrong_2026_states_no_window(self) -> None:
        edition = load_edition("liangrong-2026")
        assert edition.application_window is None and edition.screening_window is None
        assert edition.term == (2026, 2028)

    def test_notice_lengths(self) -> None:
        editions = all_editions()
        assert editions["liangrong-2021"].notice_working_days == 5
        assert editions["liangrong-2021"].notice_length_stated
        assert editions["liangrong-2026"].notice_working_days == 5
        assert not editions["liangrong-2026"].notice_length_stated
        assert editions["szzx-2026-2"].notice_working_days == 5
        assert editions["cciip-2023"].notice_working_days is None
        assert not editions["cciip-2018"].has_notice

    def test_recertification_and_consortia(self) -> None:
        editions = all_editions()
        assert editions["liangrong-2026"].recert_cycle_years == 3
        assert editions["liangrong-2021"].recert_cycle_years == 3
        assert editions["szzx-2026-2"].recert_cycle_years is None
        assert editions["szzx-2026-2"].consortium_allowed
        assert editions["szzx-2026-2"].max_consortium_members == 6
        assert not editions["liangrong-2021"].consortium_allowed
        assert editions["liangrong-2021"].max_consortium_members is None

    def test_default_reminders(self) -> None:
        assert load_edition("szzx-2026-2").reminders == ReminderPolicy(
            application_close_days=(7, 3, 1),
            screening_close_working_days=(3, 1),
            annual_report_days=(30, 7, 1),
            overdue_every_days=7,
        )

    def test_clause_falls_back_to_the_reference_document(self) -> None:
        edition = load_edition("szzx-2026-2")
        assert edition.clause("quota") == "工信厅规函〔2026〕238号 三（二）"
        assert edition.clause("no-such-clause") == "工信厅规函〔2026〕238号"


class TestQuotas:
    @pytest.mark.parametrize(
        ("province", "limit"),
        [
            ("江苏", 10),
            ("440000", 10),
            ("北京", 6),
            ("四川省", 6),
            ("天津", 3),
            ("新疆", 3),
            ("内蒙古自治区", 3),
            ("西藏", 1),
            ("海南", 1),
            ("新疆生产建设兵团", 1),
        ],
    )
    def test_liangrong_2021_per_province_per_category_by_gdp_tier(
        self, province: str, limit: int
    ) -> None:
        for category in ("manufacturing", "ito"):
            limits = load_edition("liangrong-2021").quota_limits(
                province=province, group=None, category=category, consortium=False
            )
            assert len(limits) == 1
            (quota,) = limits
            assert (quota.name, quota.limit) == ("province_category", limit)
            assert quota.per_category and not quota.consortium_only
            assert quota.clause == "商办服贸函〔2021〕360号 附件1 七"

    def test_liangrong_2021_group_one_per_category(self) -> None:
        (quota,) = load_edition("liangrong-2021").quota_limits(
            province="北京", group="中国电子信息产业集团", category="ito", consortium=False
        )
        assert (quota.name, quota.limit, quota.per_category) == ("group_category", 1, True)

    def test_liangrong_2021_every_province_has_a_limit(self) -> None:
        edition = load_edition("liangrong-2021")
        counts: dict[int, int] = {}
        for province in all_provinces():
            (quota,) = edition.quota_limits(
                province=province, group=None, category="manufacturing", consortium=False
            )
            counts[quota.limit] = counts.get(quota.limit, 0) + 1
        assert counts == {10: 5, 6: 8, 3: 13, 1: 6}

    def test_liangrong_2026_ten_in_principle_for_provinces_and_groups(self) -> None:
        edition = load_edition("liangrong-2026")
        (province_quota,) = edition.quota_limits(
            province="广东", group=None, category="ito", consortium=False
        )
        assert (province_quota.name, province_quota.limit) == ("province_total", 10)
        assert not province_quota.per_category and province_quota.in_principle
        (group_quota,) = edition.quota_limits(
            province=None, group="中国宝武", category="manufacturing", consortium=False
        )
        assert (group_quota.name, group_quota.limit) == ("group_total", 10)

    @pytest.mark.parametrize(
        ("province", "total"),
        [
            ("江苏", 3),
            ("广东省", 3),
            ("河北", 3),
            ("安徽", 2),
            ("上海", 2),
            ("新疆生产建设兵团", 2),
        ],
    )
    def test_szzx_two_or_three_with_one_consortium(self, province: str, total: int) -> None:
        assert limits_by_name(
            "szzx-2026-2", province=province, group=None, category="center", consortium=False
        ) == {"province_total": total}
        assert limits_by_name(
            "szzx-2026-2", province=province, group=None, category="center", consortium=True
        ) == {"province_total": total, "province_consortium": 1}

    def test_szzx_consortium_limit_counts_consortia_only(self) -> None:
        limits = load_edition("szzx-2026-2").quota_limits(
            province="安徽", group=None, category="center", consortium=True
        )
        consortium = next(limit for limit in limits if limit.name == "province_consortium")
        assert consortium.consortium_only and not consortium.per_category
        assert consortium.clause == "工信厅规函〔2026〕238号 三（二）"

    def test_szzx_plan_listed_city_refused(self) -> None:
        with pytest.raises(ValueError, match="计划单列市不单独推荐"):
            load_edition("szzx-2026-2").quota_limits(
                province="深圳", group=None, category="center", consortium=False
            )

    def test_szzx_has_no_group_route(self) -> None:
        with pytest.raises(ValueError, match="central enterprise groups do not recommend"):
            load_edition("szzx-2026-2").quota_limits(
                province=None, group="中国电子", category="center", consortium=False
            )

    @pytest.mark.parametrize("edition_id", ["cciip-2023", "cciip-2018"])
    def test_cciip_states_no_quota(self, edition_id: str) -> None:
        edition = load_edition(edition_id)
        assert edition.quota is None
        assert (
            edition.quota_limits(province="广东", group=None, category="park", consortium=False)
            == ()
        )
        with pytest.raises(ValueError, match="未知的省级行政区"):
            edition.quota_limits(province="火星", group=None, category="park", consortium=False)

    def test_consortium_refused_where_not_allowed(self) -> None:
        with pytest.raises(ValueError, match="takes no consortium applications"):
            load_edition("liangrong-2021").quota_limits(
                province="广东", group=None, category="ito", consortium=True
            )

    def test_unknown_category_and_missing_recommender(self) -> None:
        edition = load_edition("liangrong-2021")
        with pytest.raises(ValueError, match="unknown category"):
            edition.quota_limits(province="广东", group=None, category="park", consortium=False)
        with pytest.raises(ValueError, match="province or group required"):
            edition.quota_limits(province=None, group=None, category="ito", consortium=False)


class TestAnnualReports:
    def test_edition_a_reports_by_1_february_of_the_next_year(self) -> None:
        rule = load_edition("liangrong-2026").annual_report
        assert rule is not None
        assert rule.due_date(2026) == date(2027, 2, 1)
        assert rule.first_report_year(date(2026, 10, 15)) == 2026
        assert rule.report_year_due_in(2027) == 2026

    def test_edition_b_reports_by_30_november_of_the_same_year(self) -> None:
        rule = load_edition("liangrong-2021").annual_report
        assert rule is not None
        assert rule.due_date(2022) == date(2022, 11, 30)
        assert rule.first_report_year(2021) == 2022
        assert rule.first_report_year(date(2022, 1, 5)) == 2023

    @pytest.mark.parametrize("edition_id", ["liangrong-2026", "liangrong-2021"])
    def test_agrees_with_the_calendar_schedule(self, edition_id: str) -> None:
        rule = load_edition(edition_id).annual_report
        assert rule is not None
        for year in range(2021, 2027):
            expected = annual_report_due(
                year, month=rule.month, day=rule.day, same_year=rule.same_year
            )
            assert rule.due_date(year) == expected.day

    def test_deadline_ends_at_the_end_of_the_due_day(self) -> None:
        rule = load_edition("liangrong-2026").annual_report
        assert rule is not None
        deadline = rule.deadline(2026)
        assert deadline.day == date(2027, 2, 1)
        assert deadline.label() == "2027-02-01 23:59:59 +08:00"
        assert deadline.calendar_version

    def test_recertification_every_three_years(self) -> None:
        due = load_edition("liangrong-2021").recertification_due(date(2022, 3, 1))
        assert due is not None and due.day == date(2025, 3, 1)
        assert load_edition("szzx-2026-2").recertification_due(date(2026, 9, 1)) is None

    @pytest.mark.parametrize("edition_id", ["cciip-2023", "cciip-2018", "szzx-2026-2"])
    def test_no_annual_report_where_none_is_stated(self, edition_id: str) -> None:
        assert load_edition(edition_id).annual_report is None


def write(directory: Path, text: str | bytes, name: str = "liangrong-2029.toml") -> Path:
    path = directory / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


class TestExtraDirectory:
    def test_a_new_edition_is_added_by_a_file(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        write(tmp_path, GOOD_2029)
        with pytest.raises(EditionError):
            load_edition("liangrong-2029")
        monkeypatch.setenv(ENV_DIR, str(tmp_path))
        edition = load_edition("liangrong-2029")
        assert "liangrong-2029" in all_editions()
        assert set(known_edition_ids()) == SHIPPED | {"liangrong-2029"}
        assert edition.year == 2029 and edition.notice_working_days == 7
        assert edition.application_window is not None
        assert edition.application_window.closes == date(2029, 6, 30)
        assert limits_by_name(
            "liangrong-2029", province="广东", group=None, category="ito", consortium=False
        ) == {"province_category": 12}
        assert limits_by_name(
            "liangrong-2029", province="浙江", group=None, category="ito", consortium=False
        ) == {"province_category": 8}
        assert limits_by_name(
            "liangrong-2029", province="云南", group=None, category="ito", consortium=False
        ) == {"province_category": 2}
        assert edition.annual_report is not None
        assert edition.annual_report.due_date(2029) == date(2030, 3, 31)
        assert edition.reminders.application_close_days == (14, 1)
        assert edition.reminders.annual_report_days == (30, 7, 1)
        assert edition.clause("quota") == "商办服贸函〔2029〕1号 七"

    def test_a_file_in_the_directory_replaces_the_shipped_edition(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        shipped = Path(load_edition("liangrong-2026").source).read_text(encoding="utf-8")
        with_window = shipped.replace(
            "[[categories]]",
            '[application_window]\nopens = 2026-06-01\ncloses = 2026-07-31\nclause = "某通知 二"\n\n'
            "[[categories]]",
            1,
        )
        write(tmp_path, with_window, "liangrong-2026.toml")
        monkeypatch.setenv(ENV_DIR, str(tmp_path))
        edition = load_edition("liangrong-2026")
        assert edition.application_window is not None
        assert edition.application_window.closes == date(2026, 7, 31)
        assert Path(edition.source).parent == tmp_path

    def test_a_changed_file_is_read_again(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv(ENV_DIR, str(tmp_path))
        path = write(tmp_path, GOOD_2029)
        first = load_edition("liangrong-2029")
        write(tmp_path, GOOD_2029.replace("working_days = 7", "working_days = 10"))
        second = load_edition_file(path)
        assert (first.notice_working_days, second.notice_working_days) == (7, 10)
        assert first.version != second.version

    def test_a_missing_directory_is_an_error(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv(ENV_DIR, str(tmp_path / "absent"))
        with pytest.raises(EditionError, match=f"^{ENV_DIR}: .*does not exist"):
            load_edition("szzx-2026-2")

    @pytest.mark.parametrize("edition_id", ["../editions/szzx-2026-2", "SZZX-2026-2", "", None])
    def test_malformed_ids_are_unknown(self, edition_id: str) -> None:
        with pytest.raises(EditionError, match="unknown edition"):
            load_edition(edition_id)

    def test_unknown_id_names_it_and_lists_the_known(self) -> None:
        with pytest.raises(EditionError) as caught:
            load_edition("liangrong-2029")
        message = str(caught.value)
        assert message.startswith("edition: 未知的批次 'liangrong-2029' (unknown edition)")
        for edition_id in SHIPPED:
            assert edition_id in message


# Each bad file: (replace this, with that) in GOOD_2029, then the field and part of the rule.
BAD_FILES = [
    (
        "limit = 8",
        "limit = 0",
        "quota.tiers[1].limit",
        "must be a positive integer",
    ),
    ("limit = 8", 'limit = "8"', "quota.tiers[1].limit", "must be a positive integer"),
    ("limit = 12", "limit = 1.5", "quota.tiers[0].limit", "must be a positive integer"),
    (
        '"江苏", "广东省"',
        '"江苏", "火星"',
        "quota.tiers[0].provinces[1]",
        "未知的省级行政区 '火星'",
    ),
    ('"浙江"]', '"江苏"]', "quota.tiers[1].provinces[0]", "江苏 已列入 quota.tiers[0]"),
    ('"浙江"]', '"320000"]', "quota.tiers[1].provinces[0]", "a province may be in one tier only"),
    ('"浙江"]', '"深圳"]', "quota.tiers[1].provinces[0]", "计划单列市不单独推荐"),
    ('provinces = ["浙江"]', "provinces = []", "quota.tiers[1].provinces", "non-empty list"),
    ("province_default = 2\n", "", "quota.province_default", "required field missing"),
    ("group = 1\n", "group = 1\nconsortium = 1\n", "quota.consortium", "consortium_allowed"),
    ("group_route = true\n", "", "quota.group", "only with group_route = true"),
    ("per_category = true", "per_category = 1", "quota.per_category", "must be a boolean"),
    (
        "group_route = true\n",
        'group_route = true\nreviewing_departments = ["commerce", "mayor"]\n',
        "reviewing_departments",
        "distinct departments from commerce, industry",
    ),
    (
        "group_route = true\n",
        "group_route = true\nreviewing_departments = []\n",
        "reviewing_departments",
        "non-empty list",
    ),
    ('id = "liangrong-2029"', 'id = "liangrong-2030"', "id", "must match the file name"),
    ('id = "liangrong-2029"', 'id = "Liangrong 2029"', "id", "must look like liangrong-2029"),
    ('program = "liangrong"', 'program = "Gao Xin"', "program", "lower-case identifier"),
    (
        'program_name = "信息技术外包和制造业融合发展重点企业（两融企业）"\n',
        "",
        "program_name",
        "required",
    ),
    ('program = "liangrong"', 'program = "szzx"', "id", "must start with the program"),
    ("year = 2029", "year = 29", "year", "must be an integer from 2000 to 2100"),
    ("year = 2029", 'year = "2029"', "year", "must be an integer from 2000 to 2100"),
    ('title = "2029-2031年度信息技术外包和制造业融合发展重点企业申报"\n', "", "title", "required"),
    ('organiser = "商务部、工业和信息化部"', 'organiser = "  "', "organiser", "non-empty string"),
    ('seed = "2029.txt"', 'seed = "../seeds/2029.txt"', "seed", "must be a file name"),
    (
        '[[categories]]\nid = "ito"\nname_zh = "信息技术服务外包类"\n',
        '[[categories]]\nid = "manufacturing"\nname_zh = "又一类"\n',
        "categories[1].id",
        "duplicate category",
    ),
    (
        '[[categories]]\nid = "manufacturing"\nname_zh = "制造业类"\n\n'
        '[[categories]]\nid = "ito"\nname_zh = "信息技术服务外包类"\n',
        "categories = []\n",
        "categories",
        "at least one",
    ),
    ('id = "ito"', 'id = "IT-O"', "categories[1].id", "lower-case"),
    (
        "closes = 2029-06-30",
        "closes = 2029-04-30",
        "application_window.closes",
        "must not be before application_window.opens",
    ),
    ("opens = 2029-05-01", 'opens = "2029-02-30"', "application_window.opens", "must be a date"),
    (
        "opens = 2029-05-01",
        "opens = 2029-05-01T09:00:00",
        "application_window.opens",
        "must be a date",
    ),
    ("opens = 2029-05-01", "opens = 2092-05-01", "application_window.opens", "within a year"),
    (
        "opens = 2029-07-01\ncloses = 2029-07-15",
        "opens = 2029-06-10\ncloses = 2029-06-20",
        "screening_window.closes",
        "must not be before application_window.closes",
    ),
    (
        "opens = 2029-07-01",
        "opens = 2029-04-01",
        "screening_window.opens",
        "must not be before application_window.opens",
    ),
    (
        '[application_window]\nopens = 2029-05-01\ncloses = 2029-06-30\nclause = "商办服贸函〔2029〕1号 二"\n',
        "",
        "application_window",
        "applications close with it",
    ),
    (
        'clause = "商办服贸函〔2029〕1号 二"\n\n[screening',
        "\n[screening",
        "application_window.clause",
        "required",
    ),
    ("working_days = 7", "working_day = 7", "notice.working_day", "unknown field"),
    ("recert_cycle_years = 3", "recert_cycle_years = 0", "recert_cycle_years", "from 1 to 20"),
    ("recert_cycle_years = 3", "recert_cycle = 3", "recert_cycle", "unknown field"),
    ("recert_cycle_years = 3", "min_experts = true", "min_experts", "from 1 to 50"),
    ("day = 31", "day = 30\nmonth_ = 1", "annual_report.month_", "unknown field"),
    ("month = 3\nday = 31", "month = 2\nday = 30", "annual_report.day", "not a date in every year"),
    ("month = 3", "month = 13", "annual_report.month", "from 1 to 12"),
    (
        "first_report_offset = 1",
        "first_report_offset = -1",
        "annual_report.first_report_offset",
        "from 0 to 10",
    ),
    ("same_year = false", 'same_year = "no"', "annual_report.same_year", "must be a boolean"),
    ("[1, 14]", "[14, 0]", "reminders.application_close_days[1]", "must be a positive integer"),
    ("[1, 14]", "[7, 7]", "reminders.application_close_days", "must not repeat"),
    ("[1, 14]", "[]", "reminders.application_close_days", "non-empty list"),
    (
        'late_submission = "商办服贸函〔2029〕1号 二"',
        'quota = "商办服贸函〔2029〕1号 七"',
        "clauses.quota",
        "name it in one place",
    ),
    (
        'late_submission = "商办服贸函〔2029〕1号 二"',
        "late_submission = 2",
        "clauses.late_submission",
        "non-empty string",
    ),
    ("group_route = true", "group_route = true\nterm = [2031, 2029]", "term", "[first, last]"),
    (
        "group_route = true",
        "group_route = true\nconsortium_allowed = true",
        "max_consortium_members",
        "required when consortium_allowed",
    ),
    (
        "group_route = true",
        "group_route = true\nmax_consortium_members = 6",
        "max_consortium_members",
        "only with consortium_allowed",
    ),
]


class TestRefusedFiles:
    def test_the_good_file_is_good(self, tmp_path: Path) -> None:
        assert load_edition_file(write(tmp_path, GOOD_2029)).id == "liangrong-2029"

    @pytest.mark.parametrize(("old", "new", "field", "rule"), BAD_FILES)
    def test_refused_with_file_field_and_rule(
        self, tmp_path: Path, old: str, new: str, field: str, rule: str
    ) -> None:
        assert old in GOOD_2029, old
        path = write(tmp_path, GOOD_2029.replace(old, new, 1))
        with pytest.raises(EditionError) as caught:
            load_edition_file(path)
        message = str(caught.value)
        assert message.startswith(f"liangrong-2029.toml: {field}: "), message
        assert rule in message, message

    def test_province_written_wrong_in_a_tier(self, tmp_path: Path) -> None:
        path = write(tmp_path, VALID_2029)
        with pytest.raises(EditionError) as caught:
            load_edition_file(path)
        assert str(caught.value) == (
            "liangrong-2029.toml: quota.tiers[1].provinces[0]: "
            "未知的省级行政区 '320000X' (unknown province)"
        )

    def test_invalid_toml(self, tmp_path: Path) -> None:
        path = write(tmp_path, GOOD_2029.replace("year = 2029", "year = = 2029"))
        with pytest.raises(
            EditionError, match=r"^liangrong-2029\.toml: TOML 语法错误 \(invalid TOML"
        ):
            load_edition_file(path)

    def test_not_utf8(self, tmp_path: Path) -> None:
        path = write(tmp_path, GOOD_2029.encode("gb18030"))
        with pytest.raises(EditionError, match=r"^liangrong-2029\.toml: 文件不是 UTF-8 编码"):
            load_edition_file(path)

    def test_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(EditionError, match=r"^liangrong-2029\.toml: .*cannot read"):
            load_edition_file(tmp_path / "liangrong-2029.toml")

    def test_a_bad_file_in_the_directory_fails_all_editions_loudly(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        write(tmp_path, GOOD_2029.replace("limit = 8", "limit = -8"))
        monkeypatch.setenv(ENV_DIR, str(tmp_path))
        with pytest.raises(EditionError, match=r"quota\.tiers\[1\]\.limit"):
            all_editions()
        assert load_edition("szzx-2026-2").id == "szzx-2026-2"


class TestEditionFactsAsData:
    """Reviewing departments, title names and English category names come from the files."""

    def test_reviewing_departments(self) -> None:
        assert load_edition("liangrong-2021").reviewing_departments == ("commerce", "industry")
        assert load_edition("liangrong-2026").reviewing_departments == ("commerce", "industry")
        assert load_edition("szzx-2026-2").reviewing_departments == ("industry",)
        assert load_edition("cciip-2023").reviewing_departments == ("commerce",)

    def test_every_shipped_edition_names_its_title_and_categories_in_english(self) -> None:
        for edition_id in SHIPPED:
            edition = load_edition(edition_id)
            assert edition.title_name, edition_id
            assert all(c.name_en for c in edition.categories), edition_id
        assert load_edition("szzx-2026-2").title_name == "制造业数字化转型促进中心"

    def test_programs_come_from_the_edition_files(self) -> None:
        assert programs() == {
            "cciip": "服务外包领军企业推介",
            "liangrong": "信息技术外包和制造业融合发展重点企业（两融企业）",
            "szzx": "制造业数字化转型促进中心建设",
        }
        assert {load_edition(e).program for e in SHIPPED} == set(programs())

    def test_a_new_program_is_added_by_an_edition_file(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        text = (
            GOOD_2029.replace('id = "liangrong-2029"', 'id = "gaoxin-2029"')
            .replace('program = "liangrong"', 'program = "gaoxin"')
            .replace("（两融企业）", "（高新）")
        )
        write(tmp_path, text, "gaoxin-2029.toml")
        monkeypatch.setenv(ENV_DIR, str(tmp_path))
        assert programs()["gaoxin"] == "信息技术外包和制造业融合发展重点企业（高新）"

    def test_editions_of_one_program_name_it_alike(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        write(tmp_path, GOOD_2029.replace("（两融企业）", "（另一个名称）"))
        monkeypatch.setenv(ENV_DIR, str(tmp_path))
        assert load_edition("liangrong-2029").program_name.endswith("（另一个名称）")
        with pytest.raises(EditionError, match=r"program_name: .*不一致") as info:
            programs()
        assert "liangrong-2029.toml" in str(info.value) and "program liangrong" in str(info.value)
