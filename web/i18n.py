"""The words of the pages: zh-CN first, English by the language switch."""

from __future__ import annotations

LANGS = ("zh", "en")

_WORDS: dict[str, tuple[str, str]] = {
    "site": ("申报系统", "Application system"),
    "login": ("登录", "Sign in"),
    "logout": ("退出", "Sign out"),
    "register": ("申报单位注册", "Register an applicant"),
    "email": ("电子邮箱", "E-mail"),
    "password": ("密码", "Password"),
    "uscc": ("统一社会信用代码", "Unified social credit code"),
    "org_name": ("单位名称", "Organisation name"),
    "my_apps": ("我的申报", "My applications"),
    "new_app": ("新建申报", "New application"),
    "messages": ("我的消息", "My messages"),
    "reports": ("年度报告", "Annual reports"),
    "queue": ("待审核申报", "Review queue"),
    "quota": ("推荐名额", "Quota"),
    "campaigns": ("申报批次", "Campaigns"),
    "accounts": ("账户管理", "Accounts"),
    "assigned": ("分配给我的申报", "Assigned to me"),
    "search": ("检索", "Search"),
    "notice": ("公示", "Public notice"),
    "state": ("状态", "State"),
    "edition": ("批次", "Edition"),
    "category": ("类别", "Category"),
    "province": ("省份", "Province"),
    "save": ("保存", "Save"),
    "submit": ("提交申报", "Submit"),
    "withdraw": ("撤回申报", "Withdraw"),
    "closes": ("截止时间", "Closes"),
    "late": ("逾期不予受理", "Closed: late submissions are not accepted"),
    "remaining": ("剩余", "Remaining"),
    "reason": ("理由", "Reason"),
    "recommend": ("推荐", "Recommend"),
    "return": ("退回修改", "Return for revision"),
    "reject": ("不予推荐", "Reject"),
    "history": ("记录", "History"),
    "objection": ("提出异议", "File an objection"),
    "contact": ("联系方式", "Contact"),
    "period": ("公示期", "Notice period"),
    "used": ("已用", "used"),
    "left": ("剩余", "left"),
    "form": ("申报表", "Form"),
    "upload": ("上传Excel申报表", "Upload the Excel form"),
    "download": ("下载Word申报书", "Download the Word form"),
    "return_reasons": ("退回或不予推荐理由", "Reasons given"),
    "score": ("评分", "Score"),
    "declare": ("利益冲突声明", "Conflict-of-interest declaration"),
    "verified": ("记录链完整", "Chain intact"),
    "broken": ("记录链损坏", "Chain broken"),
    "simulated": ("模拟时钟", "Simulated clock"),
    "now": ("当前时间", "Now"),
    "none": ("暂无", "None"),
    "tokens": ("API令牌", "API tokens"),
}


def t(key: str, lang: str = "zh") -> str:
    pair = _WORDS.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]
