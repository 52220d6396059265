"""Unit tests for the expert scoring rules in states.scoring."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from states.scoring import (
    ApplicationFacts,
    Assignment,
    Criterion,
    ExpertFacts,
    RankEntry,
    ScoringError,
    ScoringSheet,
    Tie,
    aggregate,
    check_conflict,
    rank,
    resolve_tie,
    scoring_complete,
    shortlist,
    total,
    validate_scores,
)

D = Decimal

SHEET_DATA = {
    "aggregation": "trimmed_mean",
    "conflict_same_province": True,
    "criteria": [
        {"id": "innovation", "label_zh": "创新能力", "max_points": "40", "weight": "2"},
        {"id": "scale", "label_zh": "规模效益", "max_points": 30, "weight": 1},
        {"id": "cases", "label_zh": "典型案例", "max_points": "30"},
    ],
}


@pytest.fixture
def sheet() -> ScoringSheet:
    return ScoringSheet.from_mapping(SHEET_DATA)


class TestScoringSheet:
    def test_from_mapping_reads_criteria_as_decimals(self, sheet: ScoringSheet) -> None:
        assert [c.id for c in sheet.criteria] == ["innovation", "scale", "cases"]
        assert sheet.criterion("innovation").max_points == D("40")
        assert sheet.criterion("scale").max_points == D("30")
        assert isinstance(sheet.criterion("scale").max_points, Decimal)
        assert sheet.criterion("cases").weight == D("1")
        assert sheet.aggregation == "trimmed_mean"
        assert sheet.conflict_same_province is True

    def test_round_trip(self, sheet: ScoringSheet) -> None:
        assert ScoringSheet.from_mapping(sheet.to_mapping()) == sheet

    def test_non_positive_max_points_named_by_index(self) -> None:
        data = {
            "criteria": [
                {"id": "a", "max_points": 10},
                {"id": "b", "max_points": 10},
                {"id": "c", "max_points": 0},
            ]
        }
        with pytest.raises(ScoringError) as info:
            ScoringSheet.from_mapping(data)
        assert info.value.errors == ("criteria[2].max_points: 必须大于0 (must be > 0)",)

    def test_all_problems_reported_together(self) -> None:
        data = {
            "aggregation": "median",
            "criteria": [
                {"id": "a", "max_points": "x", "weight": -1},
                {"id": "a", "max_points": 5},
                {"max_points": 5},
            ],
        }
        with pytest.raises(ScoringError) as info:
            ScoringSheet.from_mapping(data)
        fields = [e.split(":")[0] for e in info.value.errors]
        assert fields == [
            "aggregation",
            "criteria[0].max_points",
            "criteria[0].weight",
            "criteria[1].id",
            "criteria[2].id",
        ]
        assert "duplicate id 'a'" in str(info.value)

    def test_at_least_one_criterion(self) -> None:
        with pytest.raises(ScoringError, match=r"^criteria: .*at least one criterion"):
            ScoringSheet.from_mapping({"criteria": []})
        with pytest.raises(ScoringError, match="at least one criterion"):
            ScoringSheet(criteria=())

    def test_zero_weight_refused(self) -> None:
        with pytest.raises(ScoringError, match=r"criteria\[0\]\.weight: 必须大于0"):
            ScoringSheet.from_mapping({"criteria": [{"id": "a", "max_points": 5, "weight": 0}]})

    def test_unknown_field_refused(self) -> None:
        with pytest.raises(ScoringError, match=r"criteria\[0\]\.points: 未知字段"):
            ScoringSheet.from_mapping({"criteria": [{"id": "a", "points": 5, "max_points": 5}]})

    def test_direct_construction_is_validated(self) -> None:
        with pytest.raises(ScoringError, match=r"criteria\[1\]\.id: .*duplicate"):
            ScoringSheet(
                criteria=(Criterion("a", "甲", D(5), D(1)), Criterion("a", "乙", D(5), D(1)))
            )

    @given(
        st.lists(
            st.tuples(
                st.decimals(min_value=D("0.5"), max_value=D(1000), places=2),
                st.decimals(min_value=D("0.1"), max_value=D(10), places=1),
            ),
            min_size=1,
            max_size=6,
        ),
        st.sampled_from(["mean", "trimmed_mean"]),
        st.booleans(),
    )
    def test_round_trip_property(
        self, rows: list[tuple[Decimal, Decimal]], aggregation: str, same_province: bool
    ) -> None:
        sheet = ScoringSheet.from_mapping(
            {
                "aggregation": aggregation,
                "conflict_same_province": same_province,
                "criteria": [
                    {"id": f"c{i}", "label_zh": f"项{i}", "max_points": m, "weight": w}
                    for i, (m, w) in enumerate(rows)
                ],
            }
        )
        assert ScoringSheet.from_mapping(sheet.to_mapping()) == sheet


class TestValidateScores:
    def test_valid_scores_become_decimals_in_sheet_order(self, sheet: ScoringSheet) -> None:
        result = validate_scores(sheet, {"cases": 30, "innovation": "35.5", "scale": 12.3})
        assert list(result) == ["innovation", "scale", "cases"]
        assert result == {"innovation": D("35.5"), "scale": D("12.3"), "cases": D(30)}

    def test_bounds_are_inclusive(self, sheet: ScoringSheet) -> None:
        assert validate_scores(sheet, {"innovation": 0, "scale": "30", "cases": "30.00"})

    def test_every_problem_listed(self, sheet: ScoringSheet) -> None:
        with pytest.raises(ScoringError) as info:
            validate_scores(sheet, {"innovation": "40.01", "scale": -1, "design": 5})
        fields = [e.split(":")[0] for e in info.value.errors]
        assert fields == ["scores.innovation", "scores.scale", "scores.cases", "scores.design"]
        assert "must be between 0 and 40" in info.value.errors[0]
        assert "missing score" in info.value.errors[2]
        assert "unknown criterion" in info.value.errors[3]

    def test_non_numbers_refused(self, sheet: ScoringSheet) -> None:
        with pytest.raises(ScoringError) as info:
            validate_scores(sheet, {"innovation": "很好", "scale": True, "cases": "NaN"})
        assert [e.split(":")[0] for e in info.value.errors] == [
            "scores.innovation",
            "scores.scale",
            "scores.cases",
        ]


class TestTotal:
    def test_weighted_total_normalised_to_100(self, sheet: ScoringSheet) -> None:
        # (40/40*2 + 15/30*1 + 30/30*1) / 4 * 100 = 3.5 / 4 * 100 = 87.5
        assert total(sheet, {"innovation": 40, "scale": 15, "cases": 30}) == D("87.50")

    def test_rounds_half_up_to_cents(self) -> None:
        sheet = ScoringSheet.from_mapping({"criteria": [{"id": "a", "max_points": 3}]})
        assert total(sheet, {"a": 1}) == D("33.33")
        assert total(sheet, {"a": 2}) == D("66.67")
        half = ScoringSheet.from_mapping({"criteria": [{"id": "a", "max_points": 200}]})
        assert total(half, {"a": "0.01"}) == D("0.01")  # 0.005 rounds up

    def test_invalid_scores_raise(self, sheet: ScoringSheet) -> None:
        with pytest.raises(ScoringError, match="scores.cases"):
            total(sheet, {"innovation": 40, "scale": 15})

    @given(st.data())
    def test_total_between_0_and_100(self, data: st.DataObject) -> None:
        sheet = ScoringSheet.from_mapping(SHEET_DATA)
        scores = {
            c.id: data.draw(st.decimals(min_value=0, max_value=c.max_points, places=2))
            for c in sheet.criteria
        }
        assert D(0) <= total(sheet, scores) <= D(100)


class TestAggregate:
    def test_mean(self) -> None:
        assert aggregate([D("80"), D("90"), D("85.5")], "mean") == D("85.17")

    def test_trimmed_mean_with_exactly_five_drops_extremes(self) -> None:
        scores = [D(60), D(80), D(82), D(84), D(100)]
        assert aggregate(scores, "trimmed_mean") == D("82.00")
        assert aggregate(scores, "mean") == D("81.20")

    def test_trimmed_mean_with_four_is_plain_mean(self) -> None:
        scores = [D(60), D(80), D(84), D(100)]
        assert aggregate(scores, "trimmed_mean") == D("81.00")

    def test_trimmed_mean_drops_only_one_of_equal_extremes(self) -> None:
        assert aggregate([D(50), D(50), D(70), D(90), D(90)], "trimmed_mean") == D("70.00")

    def test_empty_and_unknown_method_refused(self) -> None:
        with pytest.raises(ScoringError, match="no scores"):
            aggregate([], "mean")
        with pytest.raises(ScoringError, match="^aggregation:"):
            aggregate([D(1)], "median")

    @given(
        st.lists(st.decimals(min_value=0, max_value=100, places=2), min_size=1, max_size=12),
        st.sampled_from(["mean", "trimmed_mean"]),
    )
    def test_within_min_and_max(self, totals: list[Decimal], method: str) -> None:
        assert min(totals) <= aggregate(totals, method) <= max(totals)


class TestCheckConflict:
    APPLICATION = ApplicationFacts("91440300MA5FAAAAAA", "广东")

    def test_own_organisation_refused(self) -> None:
        expert = ExpertFacts("E1", "91440300ma5faaaaaa", "北京")
        reason = check_conflict(expert, self.APPLICATION, same_province_rule=False)
        assert reason is not None
        assert "自身单位" in reason and "E1" in reason

    def test_same_province_refused_when_campaign_says_so(self) -> None:
        expert = ExpertFacts("E2", "91110000100000000X", "广东")
        reason = check_conflict(expert, self.APPLICATION, same_province_rule=True)
        assert reason is not None
        assert "同省" in reason and "广东" in reason

    def test_same_province_allowed_otherwise(self) -> None:
        expert = ExpertFacts("E2", "91110000100000000X", "广东")
        assert check_conflict(expert, self.APPLICATION, same_province_rule=False) is None

    def test_plain_tuple_and_no_conflict(self) -> None:
        expert = ExpertFacts("E3", None, None)
        assert check_conflict(expert, ("91440300MA5FAAAAAA", "广东"), True) is None
        other = ExpertFacts("E4", "91110000100000000X", "北京")
        assert check_conflict(other, ("91440300MA5FAAAAAA", "广东"), True) is None


class TestScoringComplete:
    def test_complete_when_min_experts_scored(self) -> None:
        done, reason = scoring_complete([Assignment(f"E{i}", scored=True) for i in range(3)], 3)
        assert done, reason

    def test_one_pending_expert_blocks(self) -> None:
        assigned = [Assignment("E1", True), Assignment("E2", True), Assignment("E3", False)]
        done, reason = scoring_complete(assigned, 2)
        assert not done
        assert "E3" in reason

    def test_replaced_expert_does_not_block(self) -> None:
        assigned = [
            Assignment("E1", True),
            Assignment("E2", True),
            Assignment("E3", False, replaced=True, replacement_reason="回避: 同单位"),
            Assignment("E4", True),
        ]
        assert scoring_complete(assigned, 3)[0]

    def test_too_few_scored_experts(self) -> None:
        assigned = [
            Assignment("E1", True),
            Assignment("E2", True),
            Assignment("E3", True, replaced=True, replacement_reason="因病"),
        ]
        done, reason = scoring_complete(assigned, 3)
        assert not done
        assert "至少需要3名" in reason and "2" in reason

    def test_replacement_needs_reason(self) -> None:
        with pytest.raises(ScoringError, match="replacement_reason"):
            Assignment("E1", replaced=True, replacement_reason="  ")

    def test_min_experts_must_be_positive(self) -> None:
        with pytest.raises(ScoringError, match="min_experts"):
            scoring_complete([Assignment("E1", True)], 0)


def _entries(category: str, scores: dict[str, str]) -> list[RankEntry]:
    return [RankEntry(app, category, D(score)) for app, score in scores.items()]


class TestRank:
    def test_competition_ranking_per_category(self) -> None:
        entries = _entries("ito", {"a": "90", "b": "85", "c": "85", "d": "80"}) + _entries(
            "manufacturing", {"m1": "70", "m2": "75"}
        )
        ranked = rank(entries)
        assert [(r.app_id, r.rank) for r in ranked["ito"]] == [
            ("a", 1),
            ("b", 2),
            ("c", 2),
            ("d", 4),
        ]
        assert [(r.app_id, r.rank) for r in ranked["manufacturing"]] == [("m2", 1), ("m1", 2)]

    def test_duplicate_application_refused(self) -> None:
        with pytest.raises(ScoringError, match="listed twice: a"):
            rank(_entries("ito", {"a": "1"}) + _entries("manufacturing", {"a": "2"}))

    @given(
        st.lists(
            st.tuples(
                st.sampled_from(["ito", "manufacturing"]),
                st.decimals(min_value=0, max_value=100, places=0),
            ),
            max_size=30,
        )
    )
    def test_ranking_is_a_permutation(self, rows: list[tuple[str, Decimal]]) -> None:
        entries = [RankEntry(f"app{i}", cat, score) for i, (cat, score) in enumerate(rows)]
        ranked = rank(entries)
        for category, items in ranked.items():
            expected = sorted(e.app_id for e in entries if e.category == category)
            assert sorted(r.app_id for r in items) == expected
            for position, item in enumerate(items, start=1):
                higher = sum(1 for other in items if other.score > item.score)
                assert item.rank == higher + 1 <= position
        assert sum(len(v) for v in ranked.values()) == len(entries)


class TestShortlist:
    def test_top_k_clear_cut(self) -> None:
        decision = shortlist(
            _entries("ito", {"a": "90", "b": "85", "c": "80"}), top_k=2, min_score=None
        )
        assert decision.selected == {"ito": ["a", "b"]}
        assert decision.not_selected == {"ito": ["c"]}
        assert decision.ties == []
        assert decision.is_final

    def test_tie_at_the_cut_is_reported_not_broken(self) -> None:
        entries = _entries("ito", {"a": "90", "b": "85", "c": "85", "d": "85", "e": "70"})
        decision = shortlist(entries, top_k=2, min_score=None)
        assert decision.selected == {"ito": ["a"]}
        assert decision.not_selected == {"ito": ["e"]}
        assert decision.ties == [Tie("ito", D("85"), ("b", "c", "d"), slots_left=1)]
        assert not decision.is_final

    def test_equal_scores_inside_the_cut_are_not_a_tie(self) -> None:
        entries = _entries("ito", {"a": "90", "b": "85", "c": "85", "d": "80"})
        decision = shortlist(entries, top_k=3, min_score=None)
        assert decision.selected == {"ito": ["a", "b", "c"]}
        assert decision.ties == []

    def test_group_after_the_tie_is_not_selected(self) -> None:
        entries = _entries("ito", {"a": "90", "b": "85", "c": "85", "d": "80"})
        decision = shortlist(entries, top_k=3, min_score=None)
        assert decision.not_selected == {"ito": ["d"]}
        decision = shortlist(entries, top_k=2, min_score=None)
        assert decision.selected == {"ito": ["a"]}
        assert decision.not_selected == {"ito": ["d"]}

    def test_min_score_is_inclusive(self) -> None:
        entries = _entries("ito", {"a": "90", "b": "75", "c": "74.99"})
        decision = shortlist(entries, top_k=None, min_score=D("75"))
        assert decision.selected == {"ito": ["a", "b"]}
        assert decision.not_selected == {"ito": ["c"]}

    def test_top_k_and_min_score_per_category(self) -> None:
        entries = _entries("ito", {"a": "90", "b": "88", "c": "60"}) + _entries(
            "manufacturing", {"m1": "95", "m2": "65", "m3": "50"}
        )
        decision = shortlist(entries, top_k=2, min_score=D("70"))
        assert decision.selected == {"ito": ["a", "b"], "manufacturing": ["m1"]}
        assert decision.not_selected == {"ito": ["c"], "manufacturing": ["m2", "m3"]}

    def test_needs_a_criterion(self) -> None:
        with pytest.raises(ScoringError, match="top_k and/or min_score"):
            shortlist([], top_k=None, min_score=None)
        with pytest.raises(ScoringError, match="top_k"):
            shortlist([], top_k=0, min_score=None)

    @given(
        st.lists(st.decimals(min_value=0, max_value=10, places=0), max_size=20),
        st.integers(min_value=1, max_value=8),
    )
    def test_every_application_accounted_for_once(self, scores: list[Decimal], k: int) -> None:
        entries = [RankEntry(f"app{i}", "ito", s) for i, s in enumerate(scores)]
        decision = shortlist(entries, top_k=k, min_score=None)
        chosen = decision.selected.get("ito", [])
        tied = [a for t in decision.ties for a in t.app_ids]
        rest = decision.not_selected.get("ito", [])
        assert sorted(chosen + tied + rest) == sorted(e.app_id for e in entries)
        assert len(chosen) + sum(t.slots_left for t in decision.ties) == min(k, len(entries))
        score_of = {e.app_id: e.score for e in entries}
        if chosen and rest:
            assert min(score_of[a] for a in chosen) > max(score_of[a] for a in rest)


class TestResolveTie:
    ENTRIES = _entries("ito", {"a": "90", "b": "85", "c": "85", "d": "85", "e": "70"}) + _entries(
        "manufacturing", {"m1": "80", "m2": "80"}
    )

    def test_choice_completes_the_decision(self) -> None:
        decision = shortlist(self.ENTRIES, top_k=2, min_score=None)
        assert len(decision.ties) == 1  # manufacturing: both fit
        final = resolve_tie(decision, ["c"])
        assert final.is_final
        assert final.selected == {"ito": ["a", "c"], "manufacturing": ["m1", "m2"]}
        assert final.not_selected == {"ito": ["b", "d", "e"], "manufacturing": []}

    def test_wrong_count_refused(self) -> None:
        decision = shortlist(self.ENTRIES, top_k=2, min_score=None)
        with pytest.raises(ScoringError, match=r"choose exactly 1 .* got 2"):
            resolve_tie(decision, ["b", "c"])
        with pytest.raises(ScoringError, match=r"got 0"):
            resolve_tie(decision, [])

    def test_choice_outside_the_tie_refused(self) -> None:
        decision = shortlist(self.ENTRIES, top_k=2, min_score=None)
        with pytest.raises(ScoringError, match="not in the tied group: e"):
            resolve_tie(decision, ["e"])

    def test_one_category_at_a_time(self) -> None:
        entries = self.ENTRIES + _entries("manufacturing", {"m3": "80"})
        decision = shortlist(entries, top_k=2, min_score=None)
        assert [(t.category, t.slots_left) for t in decision.ties] == [
            ("ito", 1),
            ("manufacturing", 2),
        ]
        with pytest.raises(ScoringError, match=r"chosen\[manufacturing\]: .*got 0"):
            resolve_tie(decision, ["b"])
        partial = resolve_tie(decision, ["m3", "m1"], category="manufacturing")
        assert [t.category for t in partial.ties] == ["ito"]
        assert partial.selected["manufacturing"] == ["m1", "m3"]
        assert partial.not_selected["manufacturing"] == ["m2"]
        final = resolve_tie(partial, ["d"])
        assert final.is_final
        assert final.selected == {"ito": ["a", "d"], "manufacturing": ["m1", "m3"]}

    def test_nothing_to_resolve(self) -> None:
        decision = shortlist(self.ENTRIES, top_k=5, min_score=None)
        with pytest.raises(ScoringError, match="no open tie"):
            resolve_tie(decision, [])
