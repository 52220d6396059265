"""Problems found in a form: one FormIssue per problem (field path, rule code, Chinese and English)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class FormIssue:
    """One problem: `path` like "basic.uscc", "finance[2024].main_revenue", "plan.contents";
    `code` the rule broken (e.g. "uscc_check", "percent_range", "formula")."""

    path: str
    code: str
    message_zh: str
    message_en: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message_zh} ({self.message_en})"

    def to_dict(self) -> dict[str, str]:
        return {
            "path": self.path,
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


class FormLoadError(ValueError):
    """A form file that cannot be read at all (encoding, syntax, formulas, foreign template)."""

    def __init__(self, issues: Iterable[FormIssue]) -> None:
        self.issues: list[FormIssue] = list(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))


class FormValidationError(ValueError):
    """A form with validation errors where a valid one is needed (export, submission)."""

    def __init__(self, issues: Iterable[FormIssue]) -> None:
        self.issues: list[FormIssue] = list(issues)
        count = len(self.issues)
        lines = [f"表单有{count}处错误 (the form has {count} error(s))"]
        lines += [str(issue) for issue in self.issues]
        super().__init__("\n".join(lines))


# Every rule a FormIssue can name, with what it refuses.
ISSUE_CODES: dict[str, str] = {
    # validation of the form's content
    "type": "类型错误（应为数值、日期、是/否、文字、映射等）",
    "unknown_section": "表单含有本表没有的部分",
    "section_missing": "缺少必需的部分",
    "unknown_field": "含有本部分没有的填写项",
    "required": "必填项未填写",
    "required_if": "在特定情形下必填的项未填写（如联合体合作协议）",
    "year_format": "年度不是四位年份",
    "year_span": "年份超出本批次要求的年份",
    "year_missing": "缺少要求的年度",
    "magnitude": "数值大得不合常理",
    "precision": "小数位数过多（含浮点误差）",
    "percent_range": "百分比不在0—100之间",
    "negative": "金额或数量为负数",
    "out_of_range": "数值或日期超出允许范围",
    "control_char": "文字含有不可见的控制字符",
    "max_chars": "文字超过字数上限",
    "pattern": "格式不符（如邮编）",
    "mobile": "手机号码格式错误",
    "phone": "电话号码格式错误",
    "email": "电子邮箱格式错误",
    "uscc_format": "统一社会信用代码不是18位代码字符",
    "uscc_check": "统一社会信用代码校验码错误（GB 32100-2015）",
    "choice": "选项不在可选范围内",
    "duplicate_choice": "重复选择同一选项",
    "max_choices": "选择的项数超过上限（如主要行业不超过3个）",
    "min_choices": "选择的项数不足（如建设内容至少3项）",
    "attachment_name": "附件文件名不合法",
    "max_rows": "表格行数超过上限（如联合体成员不超过6家）",
    "min_rows": "表格行数不足",
    "part_exceeds_total": "分项大于总数（“其中”项）",
    # reading the file
    "format": "不支持的文件类型",
    "too_large": "文件过大",
    "encoding": "文件不是UTF-8编码",
    "syntax": "JSON/YAML格式错误",
    "duplicate_key": "键重复",
    "yaml_alias": "YAML使用了锚点别名",
    "yaml_tag": "YAML使用了标签",
    "yaml_merge": "YAML使用了合并键",
    "too_deep": "嵌套层数过多",
    "unreadable": "文件不存在或无法读取",
    "xlsx_limit": "Excel文件的解压大小、表格范围或单元格数超过上限",
    "external_link": "Excel文件含有外部链接",
    "xlsx_unreadable": "无法读取的Excel文件",
    "template_mismatch": "不是本表的模板",
    "formula": "Excel单元格含有公式",
}
