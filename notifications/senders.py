"""Deliver built messages: as .eml files into a folder, or through a pool of SMTP connections.

Both answer every send with a SendResult (sent / temporary / permanent + the server's answer);
neither raises for a delivery problem, and neither ever puts the SMTP password in a detail.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Literal, Protocol

import aiosmtplib

from notifications.settings import DEFAULT_SENDER, MailSettings

Outcome = Literal["sent", "temporary", "permanent"]


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    detail: str = ""  # the server's answer ("550 5.1.1 ...") or what went wrong
    unreachable: bool = False  # no session could be opened: stop this run, nothing was tried

    @property
    def ok(self) -> bool:
        return self.outcome == "sent"


class Sender(Protocol):
    sender_address: str

    async def send(self, msg: EmailMessage) -> SendResult: ...


_ANGLE_ADDR = re.compile(r"(?:[^<>\"]*|\"[^\"]*\")\s*<([^<>\s@]+@[^<>\s@]+)>\Z")


def _addr_spec(header: object) -> str:
    text = str(header or "")
    match = _ANGLE_ADDR.match(text)  # "=?utf-8?b?...?= <a@b.cn>" as build_email writes it
    return match.group(1) if match else parseaddr(text)[1]


def envelope(msg: EmailMessage) -> tuple[str, list[str]]:
    """MAIL FROM and RCPT TO addresses from the From and To headers."""
    mail_from = _addr_spec(msg["From"])
    rcpt_to = _addr_spec(msg["To"])
    if not mail_from or not rcpt_to:
        raise ValueError("From/To: message has no sender or no recipient address")
    return mail_from, [rcpt_to]


def eml_name(message_id: str) -> str:
    """File name of a message: its Message-ID, reduced to safe characters, plus .eml."""
    core = re.sub(r"[^A-Za-z0-9._@-]", "_", message_id.strip().strip("<>"))
    if not core.strip("._"):
        raise ValueError(f"Message-ID: {message_id!r} gives no usable file name")
    return core + ".eml"


class FileSender:
    """Writes each message to ``<directory>/<Message-ID>.eml`` (temporary file + rename).

    The same Message-ID always lands in the same file, so a retried message replaces itself.
    """

    def __init__(self, directory: Path | str, *, sender_address: str = DEFAULT_SENDER) -> None:
        self.directory = Path(directory)
        self.sender_address = sender_address
        self._counter = itertools.count()

    async def __aenter__(self) -> FileSender:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def path_for(self, message_id: str) -> Path:
        return self.directory / eml_name(message_id)

    def _write(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{next(self._counter)}.tmp")
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()

    async def send(self, msg: EmailMessage) -> SendResult:
        message_id = msg["Message-ID"]
        try:
            if not message_id:
                raise ValueError("Message-ID: missing")
            path = self.path_for(str(message_id))
            envelope(msg)
            data = msg.as_bytes()
        except ValueError as exc:
            return SendResult("permanent", str(exc))
        try:
            await asyncio.to_thread(self._write, path, data)
        except OSError as exc:
            return SendResult("temporary", f"write {path}: {exc}")
        return SendResult("sent", str(path))


def _answer(exc: aiosmtplib.SMTPResponseException) -> str:
    return f"{exc.code} {exc.message}".strip()


def _classify(code: int) -> Outcome:
    return "permanent" if 500 <= code < 600 else "temporary"


class SmtpPoolSender:
    """An async context manager keeping up to ``pool_size`` SMTP sessions open.

    At most ``max_concurrency`` messages are in flight; each uses one session (a session carries
    one transaction at a time). STARTTLS or implicit TLS and AUTH come from the settings. A
    dropped session is replaced; a reused session that turns out dead is retried once on a new
    one. 4xx answers and lost connections are temporary, 5xx answers permanent.
    """

    def __init__(
        self,
        settings: MailSettings,
        *,
        tls_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        if settings.scheme not in ("smtp", "smtps") or not settings.host or not settings.port:
            raise ValueError(
                f"SHENBAO_MAIL: {settings.redacted_url()} 不是 SMTP 设置 / is not an SMTP setting"
            )
        self.settings = settings
        self.sender_address = settings.sender
        self.max_concurrency = settings.max_concurrency
        self._tls_context = tls_context
        if tls_context is None and settings.cafile is not None:
            self._tls_context = ssl.create_default_context(cafile=str(settings.cafile))
        self._local_hostname = local_hostname
        self._idle: list[aiosmtplib.SMTP] = []
        self._semaphore = asyncio.Semaphore(settings.max_concurrency)
        self._closed = False
        self._quitting: set[asyncio.Task[None]] = set()
        self.connections_opened = 0

    async def __aenter__(self) -> SmtpPoolSender:
        self._closed = False
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        await asyncio.gather(*(self._quit(client) for client in idle), *self._quitting)

    @staticmethod
    async def _quit(client: aiosmtplib.SMTP) -> None:
        try:
            if client.is_connected:
                await asyncio.wait_for(client.quit(), timeout=2)
        except (TimeoutError, aiosmtplib.SMTPException, OSError):
            pass
        finally:
            if client.is_connected:
                client.close()

    def _where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    async def _connect(self) -> aiosmtplib.SMTP:
        s = self.settings
        client = aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            username=s.username,
            password=s.password,
            use_tls=s.scheme == "smtps",
            start_tls=s.starttls if s.scheme == "smtp" else False,
            timeout=s.timeout,
            tls_context=self._tls_context,
            local_hostname=self._local_hostname,
        )
        await client.connect()
        self.connections_opened += 1
        # socket.getfqdn() (aiosmtplib's default EHLO name) can be a slow DNS lookup: do it once.
        self._local_hostname = self._local_hostname or client.local_hostname
        return client

    def _release(self, client: aiosmtplib.SMTP, keep: bool) -> None:
        if (
            keep
            and not self._closed
            and client.is_connected
            and (len(self._idle) < self.settings.pool_size)
        ):
            self._idle.append(client)
        else:
            task = asyncio.ensure_future(self._quit(client))
            self._quitting.add(task)
            task.add_done_callback(self._quitting.discard)

    async def _open_session(self) -> tuple[aiosmtplib.SMTP | None, bool, SendResult | None]:
        """An idle live session (reused=True) or a new one; on failure a SendResult instead."""
        while self._idle:
            client = self._idle.pop()
            if client.is_connected:
                return client, True, None
            client.close()
        try:
            return await self._connect(), False, None
        except aiosmtplib.SMTPAuthenticationError as exc:
            detail = f"connect {self._where()}: authentication failed: {_answer(exc)}"
        except aiosmtplib.SMTPResponseException as exc:
            detail = f"connect {self._where()}: {_answer(exc)}"
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            detail = f"connect {self._where()}: {type(exc).__name__}: {exc}"
        return None, False, SendResult("temporary", detail, unreachable=True)

    async def _transact(
        self, client: aiosmtplib.SMTP, mail_from: str, rcpt_to: list[str], data: bytes
    ) -> tuple[SendResult, bool]:
        """One MAIL/RCPT/DATA; returns the result and whether the session is still usable."""
        try:
            await client.sendmail(mail_from, rcpt_to, data)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            first = exc.recipients[0]
            return SendResult(_classify(first.code), _answer(first)), client.is_connected
        except aiosmtplib.SMTPServerDisconnected as exc:
            return SendResult("temporary", f"disconnected: {exc}"), False
        except aiosmtplib.SMTPResponseException as exc:
            keep = exc.code != 421 and client.is_connected
            return SendResult(_classify(exc.code), _answer(exc)), keep
        except (TimeoutError, aiosmtplib.SMTPTimeoutError) as exc:
            return SendResult("temporary", f"timeout: {exc}"), False
        except aiosmtplib.SMTPNotSupported as exc:
            return SendResult("permanent", f"not supported by the server: {exc}"), True
        except ValueError as exc:  # an address aiosmtplib will not put on the wire
            return SendResult("permanent", f"address: {exc}"), True
        except (aiosmtplib.SMTPException, OSError) as exc:
            return SendResult("temporary", f"{type(exc).__name__}: {exc}"), False
        return SendResult("sent", ""), True

    async def send(self, msg: EmailMessage) -> SendResult:
        try:
            mail_from, rcpt_to = envelope(msg)
            data = msg.as_bytes()
        except ValueError as exc:
            return SendResult("permanent", str(exc))
        async with self._semaphore:
            client, reused, failure = await self._open_session()
            if client is None:
                assert failure is not None
                return failure
            result, keep = await self._transact(client, mail_from, rcpt_to, data)
            if reused and not keep and result.outcome == "temporary":
                # An idle session the server had already dropped: try once on a fresh one.
                client.close()
                client, _, failure = await self._open_session()
                if client is None:
                    assert failure is not None
                    return failure
                result, keep = await self._transact(client, mail_from, rcpt_to, data)
            self._release(client, keep)
            return result


def open_sender(
    settings: MailSettings, *, tls_context: ssl.SSLContext | None = None
) -> FileSender | SmtpPoolSender:
    """The sender the settings ask for (use it as an async context manager)."""
    if settings.scheme == "file":
        assert settings.directory is not None
        return FileSender(settings.directory, sender_address=settings.sender)
    return SmtpPoolSender(settings, tls_context=tls_context)
