"""A real aiosmtpd server on 127.0.0.1 that records what it accepted, and a self-signed cert."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

_HEADERS = BytesHeaderParser(policy=policy.compat32)


@dataclass(frozen=True)
class Received:
    message_id: str
    rcpt_tos: tuple[str, ...]
    subject: str
    date: str
    tls: bool
    login: str | None
    content: bytes


class Recorder:
    """aiosmtpd handler: answers by ``answer(message_id)`` (default 250) and keeps accepted mail."""

    def __init__(self) -> None:
        self.accepted: list[Received] = []
        self.tries: Counter[str] = Counter()
        self.answer: Callable[[str], str] | None = None
        self.refuse_rcpt: dict[str, str] = {}
        self.delay = 0.0  # seconds spent in DATA, to observe concurrency
        self.in_data = 0
        self.max_in_data = 0
        self._lock = threading.Lock()

    async def handle_RCPT(  # noqa: N802 - aiosmtpd hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        headers = _HEADERS.parsebytes(envelope.content)
        message_id = str(headers["Message-ID"])
        with self._lock:
            self.tries[message_id] += 1
        if self.delay:
            with self._lock:
                self.in_data += 1
                self.max_in_data = max(self.max_in_data, self.in_data)
            await asyncio.sleep(self.delay)
            with self._lock:
                self.in_data -= 1
        answer = self.answer(message_id) if self.answer else "250 2.0.0 OK"
        if answer.startswith("250"):
            login = session.auth_data.login.decode() if session.authenticated else None
            with self._lock:
                self.accepted.append(
                    Received(
                        message_id=message_id,
                        rcpt_tos=tuple(envelope.rcpt_tos),
                        subject=str(headers["Subject"]),
                        date=str(headers["Date"]),
                        tls=session.ssl is not None,
                        login=login,
                        content=envelope.content,
                    )
                )
        return answer

    def ids(self) -> list[str]:
        with self._lock:
            return [r.message_id for r in self.accepted]

    def count(self) -> int:
        with self._lock:
            return len(self.accepted)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(handler: Recorder, port: int, **kwargs: Any) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return controller


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 / localhost (its own CA) and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shenbao-test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx
