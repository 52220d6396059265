"""Word export: the .docx opened again with python-docx shows the form's fields and blank seals."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document

from programs.forms import (
    FormValidationError,
    available_forms,
    example_form,
    export_docx,
    form_schema,
)

FORMS = [(edition, kind) for edition, kinds in available_forms().items() for kind in kinds]
A, B, E = "liangrong-2026", "liangrong-2021", "szzx-2026-2"


def export(tmp_path: Path, edition: str, kind: str, **overrides: object) -> Document:
    path = tmp_path / f"{edition}-{kind}.docx"
    export_docx(
        edition, kind, example_form(edition, kind, **overrides), path, applicant_name="某某申报单位"
    )
    return Document(str(path))


def pairs(doc: Document) -> dict[str, str]:
    """Label -> value of every label | value pair in the official grid (merged cells once)."""
    result: dict[str, str] = {}
    for table in doc.tables:
        if len(table.columns) != 6 or table.rows[0].cells[0].text in ("序号", "项目"):
            continue
        for row in table.rows:
            cells: list = []
            for cell in row.cells:
                if not cells or cells[-1]._tc is not cell._tc:
                    cells.append(cell)
            for label, value in zip(cells[::2], cells[1::2], strict=False):
                result[label.text] = value.text
    return result


def paragraphs(doc: Document) -> list[str]:
    return [p.text for p in doc.paragraphs]


@pytest.mark.parametrize(("edition", "kind"), FORMS)
def test_every_form_exports_with_title_cover_and_blank_opinion_blocks(
    edition: str, kind: str, tmp_path: Path
) -> None:
    schema = form_schema(edition, kind)
    doc = export(tmp_path, edition, kind)
    texts = paragraphs(doc)
    joined = ["".join(texts[i : i + 2]) for i in range(len(texts))] + texts
    spaced = schema.title_zh.replace(" ", "")
    titles = [t for t in joined if t.replace(" ", "") == spaced]
    assert len(titles) >= 2  # cover and form (a long title in two lines, never inside 申报表)
    assert any("某某申报单位" in text for text in texts)
    boxes = [t.rows[0].cells[0] for t in doc.tables if len(t.rows) == 1 and len(t.columns) == 1]
    assert [box.paragraphs[0].text for box in boxes] == [
        f"{block}：" for block in schema.opinion_blocks()
    ]
    for box in boxes:
        lines = [p.text for p in box.paragraphs]
        assert lines[-3:] == ["（公  章）", "负责人（签字）：", "年    月    日"]
        assert all(line == "" for line in lines[1:-3]), "left blank for the recommender"


def test_liangrong_fields_and_route_blocks(tmp_path: Path) -> None:
    doc = export(tmp_path, A, "ito")
    fields = pairs(doc)
    form = example_form(A, "ito")
    assert fields["企业名称"] == form["basic"]["company_name"]
    assert fields["统一社会信用代码"] == form["basic"]["uscc"]
    assert fields["企业性质"].count("☐") == 4 and "☑4.民营" in fields["企业性质"]
    assert fields["营业收入"] == "86,200 万元"
    assert fields["营业收入比上年增长"] == "8.5%"
    assert fields["利润总额比上年增长"] == "-3.2%"
    assert fields["是否三年连续盈利"] == "☑是  ☐否"
    assert "2024年：7,450.5 万元" in fields["承接ITO执行额"]
    assert fields["数字化解决方案覆盖制造业客户数量"] == "46 个"
    assert fields["通过服务外包认证情况材料（如CSMM认证）"] == "CSMM四级证书.pdf\nISO27001证书.pdf"
    texts = paragraphs(doc)
    assert "申报类别：信息技术外包类重点企业" in texts
    assert (
        texts.index("地方部门推荐意见")
        < texts.index("（或）")
        < texts.index("中央企业集团推荐意见")
    )
    assert form["business"]["cases"] in texts


def test_center_plan_tables_and_recommender(tmp_path: Path) -> None:
    foundation = "<script>alert(1)</script> 场地3,200平方米\n第二段"
    doc = export(tmp_path, E, "center", plan={"foundation": foundation})
    texts = paragraphs(doc)
    assert "推荐单位：________________（省级工业和信息化主管部门盖章）" in texts
    assert "联系人及联系电话：郑凯 027-87659876" in texts
    start = texts.index("（一）基础条件（1000字）")
    assert texts[start + 1 : start + 3] == ["<script>alert(1)</script> 场地3,200平方米", "第二段"]
    (directions,) = [t for t in texts if t.startswith("建设内容方向（八项中至少三项）：")]
    assert directions.count("☑") == 4 and directions.count("☐") == 4  # all eight options shown
    for chosen in ("评估咨询", "方案开发", "人才培养", "供需对接"):
        assert "☑" in directions.split(chosen)[0][-4:]
    finance = next(
        t
        for t in doc.tables
        if t.rows[0].cells[0].text == "项目" and t.rows[1].cells[0].text == "主营业务收入"
    )
    assert [c.text for c in finance.rows[0].cells] == ["项目", "2024年", "2025年"]
    assert [c.text for c in finance.rows[1].cells] == ["主营业务收入", "18,600 万元", "23,400 万元"]
    members = next(
        t
        for t in doc.tables
        if t.rows[0].cells[0].text == "序号" and t.rows[0].cells[1].text == "名称"
    )
    assert [c.text for c in members.rows[1].cells][:3] == [
        "1",
        "江城汽车零部件集团有限公司（示例）",
        "制造业企业",
    ]
    fields = pairs(doc)
    assert fields["服务的主要行业"] == "汽车、机械、电子信息制造"
    assert fields["成立时间"] == "2019-04-12"


def test_consortium_section_left_out_for_a_single_applicant(tmp_path: Path) -> None:
    doc = export(tmp_path, E, "center", consortium=None, attachments={"consortium_agreement": None})
    assert "联合体其他成员单位" not in paragraphs(doc)


def test_years_printed_are_the_editions(tmp_path: Path) -> None:
    fields = pairs(export(tmp_path, B, "manufacturing"))
    years = fields["信息化建设投入占营业收入比例"]
    assert [year for year in ("2018年", "2019年", "2020年") if year in years] == [
        "2018年",
        "2019年",
        "2020年",
    ]
    assert "2021年" not in years


def test_invalid_form_is_not_exported(tmp_path: Path) -> None:
    path = tmp_path / "bad.docx"
    form = example_form(A, "ito", basic={"uscc": "91350100M000100Y44"})
    with pytest.raises(FormValidationError) as caught:
        export_docx(A, "ito", form, path, applicant_name="x")
    assert [issue.code for issue in caught.value.issues] == ["uscc_check"]
    assert not path.exists()
