"""parse_mail_url: SHENBAO_MAIL forms, refusals naming the rule, the password kept out of sight."""

from __future__ import annotations

from pathlib import Path

import pytest

from notifications.settings import parse_mail_url, settings_from_env

PASSWORD = "s3cr3t-口令"


def test_default_is_a_file_folder() -> None:
    for settings in (parse_mail_url("", {}), settings_from_env({})):
        assert settings.scheme == "file" and settings.directory == Path("./outbox")
        assert settings.sender == "申报系统 <noreply@shenbao.local>"


def test_absolute_file_url() -> None:
    assert parse_mail_url("file:///var/spool/shenbao", {}).directory == Path("/var/spool/shenbao")


def test_smtp_with_starttls_and_user() -> None:
    env = {"SHENBAO_SMTP_PASSWORD": PASSWORD, "SHENBAO_MAIL_FROM": "商务厅 <noreply@gd.gov.cn>"}
    s = parse_mail_url("smtp://notice%40gd.gov.cn@mail.gd.gov.cn:587?starttls=1&pool=6", env)
    assert (s.scheme, s.host, s.port, s.starttls) == ("smtp", "mail.gd.gov.cn", 587, True)
    assert s.username == "notice@gd.gov.cn" and s.password == PASSWORD
    assert s.pool_size == 6 and s.max_concurrency == 6
    assert s.sender == "商务厅 <noreply@gd.gov.cn>"
    assert PASSWORD not in repr(s) and PASSWORD not in str(s)
    assert str(s) == "smtp://notice@gd.gov.cn@mail.gd.gov.cn:587?starttls=1"


def test_smtps_defaults_to_465_and_options() -> None:
    s = parse_mail_url("smtps://mail.example.cn?timeout=5&concurrency=16&cafile=/etc/ca.pem", {})
    assert (s.port, s.timeout, s.max_concurrency, s.cafile) == (465, 5.0, 16, Path("/etc/ca.pem"))
    assert parse_mail_url("smtp://mail.example.cn", {}).port == 25


def test_password_env_without_user_is_not_used() -> None:
    s = parse_mail_url("smtp://127.0.0.1:2525", {"SHENBAO_SMTP_PASSWORD": PASSWORD})
    assert s.password is None and s.username is None


def test_auth_without_tls_is_allowed_only_on_loopback() -> None:
    env = {"SHENBAO_SMTP_PASSWORD": PASSWORD}
    assert parse_mail_url("smtp://u@127.0.0.1:2525", env).username == "u"
    assert parse_mail_url("smtp://u@localhost:2525", env).username == "u"
    with pytest.raises(ValueError, match="SHENBAO_MAIL: .*TLS"):
        parse_mail_url("smtp://u@mail.example.cn:25", env)


@pytest.mark.parametrize(
    "url, env, match",
    [
        ("ftp://host", {}, "SHENBAO_MAIL: .*scheme"),
        ("smtp://user:pw@host:587?starttls=1", {}, "SHENBAO_MAIL: .*SHENBAO_SMTP_PASSWORD"),
        ("smtp://user@host:587?starttls=1", {}, "^SHENBAO_SMTP_PASSWORD:"),
        ("smtps://host:465?starttls=1", {}, "SHENBAO_MAIL: .*implicit TLS"),
        ("smtp://host:99999", {}, "SHENBAO_MAIL: .*port"),
        ("smtp://:25", {}, "SHENBAO_MAIL: .*host"),
        ("smtp://host?starttls=maybe", {}, "SHENBAO_MAIL: .*starttls"),
        ("smtp://host?pool=0", {}, "SHENBAO_MAIL: .*pool"),
        ("smtp://host?pool=x", {}, "SHENBAO_MAIL: .*pool"),
        ("smtp://host?timeout=-1", {}, "SHENBAO_MAIL: .*timeout"),
        ("smtp://host?tls=1", {}, "SHENBAO_MAIL: .*unknown option"),
        ("file:", {}, "SHENBAO_MAIL: .*directory"),
        ("file://server/share", {}, "SHENBAO_MAIL: .*host"),
        ("file:./out?pool=3", {}, "SHENBAO_MAIL: .*file:"),
        ("smtp://host", {"SHENBAO_MAIL_FROM": "nobody"}, "SHENBAO_MAIL: .*sender"),
        ("smtp://host?from=a@b.cn%0D%0ABcc:c@d.cn", {}, "SHENBAO_MAIL: .*sender"),
    ],
)
def test_bad_urls_name_the_variable_and_the_rule(url: str, env: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        parse_mail_url(url, env)


def test_refusal_never_echoes_the_password() -> None:
    with pytest.raises(ValueError) as info:
        parse_mail_url(f"smtp://user:{PASSWORD}@host:587", {})
    assert PASSWORD not in str(info.value)
