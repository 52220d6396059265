"""One mapping from what the acts raise to HTTP: status, rule and the one-line message."""

from __future__ import annotations

from dataclasses import dataclass

from programs.forms import FormLoadError, FormValidationError
from states.rules import Refusal
from store.accounts import AccountError
from store.transitions import Conflict, NotFound
from web.acts import Forbidden
from web.queries import NotVisible

ROLE_RULES = {"EnforceActorRole", "OnlyApplicantActs", "OnlyOwnScope", "EnforceReviewerScope"} | {
    "EnforceEventRole", "OnlyApplicantCreates", "OnlyTitleHolderReports", "ScoreOnlyAsOwnExpert"
}  # fmt: skip


@dataclass(frozen=True)
class Problem:
    status: int
    rule: str
    message: str
    title: str

    def as_json(self, instance: str) -> dict[str, object]:
        return {
            "type": f"https://shenbao.local/problems/{self.rule}",
            "title": self.title,
            "status": self.status,
            "detail": self.message,
            "rule": self.rule,
            "instance": instance,
        }


def problem_of(exc: BaseException) -> Problem | None:
    """The problem an exception stands for; None for an unexpected one (a bug: 500)."""
    if isinstance(exc, Forbidden):
        return Problem(403, exc.rule, exc.message, "Forbidden")
    if isinstance(exc, Refusal):
        if exc.rule in ROLE_RULES:
            return Problem(403, exc.rule, exc.message, "Forbidden")
        return Problem(409, exc.rule, exc.message, "Refused")
    if isinstance(exc, NotVisible | NotFound):
        return Problem(404, "NotFound", str(exc), "Not Found")
    if isinstance(exc, Conflict):
        return Problem(409, "Conflict", str(exc), "Conflict")
    if isinstance(exc, AccountError):
        status = 429 if exc.rule == "LoginThrottled" else 422
        if exc.rule in ("LoginFailed", "AccountLocked", "AccountNotActive"):
            status = 401 if exc.rule == "LoginFailed" else 403
        return Problem(status, exc.rule, exc.message, "Refused")
    if isinstance(exc, FormValidationError | FormLoadError):
        first = exc.issues[0] if exc.issues else None
        rule = first.code if first else "FormInvalid"
        return Problem(422, rule, str(exc).splitlines()[0] if first is None else str(first),
                       "Invalid form")  # fmt: skip
    if isinstance(exc, ValueError | LookupError):
        rule = type(exc).__name__
        errors = getattr(exc, "errors", None)
        text = "; ".join(errors) if isinstance(errors, list) and errors else str(exc)
        return Problem(422, rule, text.splitlines()[0] if text else rule, "Invalid input")
    return None
