"""The last seconds of an application window over HTTP, against a baseline route of the same server.

Run: python bench/rush_bench.py [--n 50,200,1000] [--db sqlite,postgresql] [--close-after 25]
     quick: python bench/rush_bench.py --n 50 --db sqlite

Per database and per N (concurrent enterprise sessions):

1. a fresh database; through the command handlers and the account acts: a campaign of
   szzx-2026-2 whose application window ends 2026-06-20 (last second 23:59:59 Asia/Shanghai),
   N enterprise accounts with an open session each, one province account (湖北/industry) with
   a queue of `--queue` (500) submitted applications;
2. `shenbao web` (uvicorn; workers: the machine's cores on PostgreSQL, 1 on SQLite, which refuses
   more) with a simulated clock (SHENBAO_WEB_CLOCK_FILE, SHENBAO_WEB_ALLOW_SIMULATED_CLOCK=1) and
   the baseline route (SHENBAO_WEB_BENCH=1: web/bench_route.py, one authenticated INSERT);
3. baseline: the N sessions post to the baseline route in a closed loop (a load generator in a
   separate process: asyncio, one keep-alive connection per session (a minimal HTTP/1.1 client
   that leaves the cores to the server; `--client httpx` for httpx), its cookie and X-CSRF-Token);
4. drafts, created through the handlers with complete forms, every draft another enterprise with
   its own account and session (one application per organisation), each phase its own: the
   probe's sized from the baseline's rate, the others from the capacity the probe measured;
5. three submission phases through POST /api/v1/applications/{id}/submit, simulated time running
   with real time (the clock file rewritten every 5 ms):
   a. capacity (`--probe-seconds`, window open): the N sessions in a closed loop, no pause;
   b. paced (`--paced-seconds`, window open): the N sessions pausing between requests
      (exponential pauses of mean N / rate), so that submissions arrive as a Poisson stream at
      `--pace` (0.6) of the capacity just measured: the latency a session sees when the server is
      busy but not saturated;
   c. the rush: the closed loop again, the window closing `--close-after` seconds into it, until
      3 s after the close;
6. page loads (10 concurrent sessions): an enterprise's application page and the province's
   queue page;
7. the server stopped, the database read: the audit records of the submissions, their instants
   against the closing instant, the applications' states, against what the clients saw.

Printed: accepted, refused, lost (requests with no audited outcome, or whose outcome disagrees with
the client's answer; must be 0), accepted at or after the close and refused before it (by the
audit records' instants, and by the clients' own send/receive instants; must be 0), throughput
(accepted per second while the window was open) and p50/p99 latency, beside the baseline's, and
their ratios; the load generator's own CPU per request (it shares the cores), and the server's and
PostgreSQL's per phase (from /proc: the server's process tree, every `postgres` process). With
`--spy DIR`, py-spy records the server's workers during each phase (samples holding the GIL) into
DIR/<db>-<n>-<phase>.txt, summed up by package and by our functions. Floors: p99 <= 300 ms at
200 sessions on PostgreSQL, judged on the paced phase and printed for the closed loop beside it
(where, sessions never pausing, latency is about N / throughput whatever the server does);
throughput >= 0.5 of the baseline (the rush against the baseline, both closed loops); page p99
<= 150 ms. Exit 1 when a correctness figure is not 0 (floors are reported).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EDITION = "szzx-2026-2"
OPENS = "2026-06-01"
CLOSES = "2026-06-20"  # last accepted second 2026-06-20 23:59:59 +08:00
END = "2026-06-21T00:00:00+08:00"  # the first refused instant
POST_CLOSE_S = 3.0
OPENED_AT = "2026-06-20T23:50:00"  # the sessions' sign-in (idle limit 2 h, lifetime 8 h)
PAGE_CLIENTS = 10


# ---------------------------------------------------------------------------------------------
# the load generator (run as `python bench/rush_bench.py load SPEC OUT` in its own process)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class HttpError(Exception):
    """A request that got no HTTP answer (refused, reset, timed out, malformed)."""


class RawClient:
    """One keep-alive HTTP/1.1 connection, one request at a time (a slot of the closed loop).

    The load generator shares the server's two cores: a client that costs ~0.1 ms of CPU a
    request leaves them to the server, where httpx takes ~1-2 ms (`--client httpx` keeps it)."""

    def __init__(self, base: str, timeout: float = 60.0) -> None:
        from urllib.parse import urlsplit

        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._used = 0.0  # when the connection last answered (monotonic)
        self.keepalive = 4.0  # s: below the server's keep-alive timeout

    async def request(self, method: str, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        try:
            return await asyncio.wait_for(self._request(method, path, headers), self.timeout)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            await self.aclose()
            raise HttpError(type(exc).__name__) from exc

    async def _request(self, method: str, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        # a connection the server has closed (its keep-alive timeout, 5 s in uvicorn), or one
        # idle long enough that it may be closing, is replaced before the request is written:
        # what every HTTP client does (httpx: keepalive_expiry), so a paused session loses nothing
        stale = self._reader is not None and (
            self._reader.at_eof() or time.monotonic() - self._used > self.keepalive
        )
        if stale:
            await self.aclose()
        if self._writer is None or self._writer.is_closing():
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None and self._writer is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Content-Length: 0"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        head = (await self._reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        fields = {}
        for line in head[1:]:
            if line:
                name, _, value = line.partition(":")
                fields[name.strip().lower()] = value.strip()
        if fields.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunks.append(await self._reader.readexactly(size + 2))
                if size == 0:
                    break
            body = b"".join(c[:-2] for c in chunks)
        else:
            body = await self._reader.readexactly(int(fields.get("content-length", "0")))
        self._used = time.monotonic()
        if fields.get("connection", "").lower() == "close":
            await self.aclose()
        return status, body

    async def aclose(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            self._reader = None


async def _run_load(spec: dict[str, Any]) -> dict[str, Any]:
    """`slots` run concurrently; each does its list of (session, path) in turn (closed loop)."""
    mode = spec["mode"]
    slots: list[list[dict[str, Any]]] = spec["slots"]
    if spec.get("client") == "httpx":
        import ssl

        import httpx

        limits = httpx.Limits(max_connections=2, max_keepalive_connections=2)
        tls = ssl.create_default_context()  # one context: building one per client takes ~30 ms
        clients: list[Any] = [httpx.AsyncClient(base_url=spec["base"], timeout=httpx.Timeout(60.0),
                                                limits=limits, verify=tls) for _ in slots]  # fmt: skip
        errors: tuple[type[Exception], ...] = (httpx.HTTPError,)
    else:
        clients = [RawClient(spec["base"]) for _ in slots]
        errors = (HttpError,)
    records: list[list[Any]] = []  # [slot, app, sent, received, status, accepted, error]
    stop_at = 0.0
    if spec.get("go_file"):  # the driver starts its clock once every client is ready
        Path(spec["ready_file"]).write_text("ready", encoding="utf-8")
        go = Path(spec["go_file"])
        while not go.exists():
            await asyncio.sleep(0.01)
        start_at, stop_at = json.loads(go.read_text(encoding="utf-8"))
        await asyncio.sleep(max(0.0, start_at - time.time()))

    async def one(i: int, client: Any, step: dict[str, Any]) -> None:
        headers = {"Cookie": f"sb_session={step['token']}", "X-CSRF-Token": step["csrf"]}
        method = "GET" if mode == "pages" else "POST"
        sent = time.time()
        try:
            if isinstance(client, RawClient):
                status, body = await client.request(method, step["path"], headers)
            else:
                client.cookies.clear()  # each request carries its own enterprise's session only
                r = await client.request(method, step["path"], headers=headers)
                status, body = r.status_code, r.content
        except errors as exc:
            records.append(
                [i, step.get("app", 0), sent, time.time(), -1, None, str(exc) or type(exc).__name__]
            )
            return
        received = time.time()
        accepted: bool | None = None
        if mode == "rush" and status == 200:
            accepted = bool(json.loads(body).get("accepted"))
        elif mode == "rush" and status == 409:
            accepted = False
        elif mode != "rush" and status in (200, 201):
            accepted = True
        records.append([i, step.get("app", 0), sent, received, status, accepted, ""])

    think = float(spec.get("think", 0.0))  # a session's mean pause before each request, s
    rng = random.Random(spec.get("seed", 0))

    async def slot_loop(i: int, client: Any, steps: list[dict[str, Any]]) -> None:
        for step in steps:
            if think:  # exponential pauses: the sessions' requests arrive as a Poisson stream
                await asyncio.sleep(rng.expovariate(1.0 / think))
            if stop_at and time.time() >= stop_at:
                break
            await one(i, client, step)

    cpu0 = time.process_time()
    t0 = time.time()
    await asyncio.gather(*(slot_loop(i, c, st) for i, (c, st) in enumerate(zip(clients, slots, strict=True))))  # fmt: skip
    t1 = time.time()
    cpu = time.process_time() - cpu0
    for c in clients:
        await c.aclose()
    return {"t0": t0, "t1": t1, "records": records, "client_cpu_s": cpu}


def load_main(spec_path: str, out_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    try:
        import uvloop  # type: ignore[import-not-found]

        uvloop.install()
    except ImportError:
        pass
    result = asyncio.run(_run_load(spec))
    Path(out_path).write_text(json.dumps(result), encoding="utf-8")


def run_load(spec: dict[str, Any], work: Path, client: str = "raw") -> dict[str, Any]:
    spec = {**spec, "client": client}
    tag = uuid.uuid4().hex[:8]
    spec_path, out_path = work / f"spec-{tag}.json", work / f"out-{tag}.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    subprocess.run([sys.executable, __file__, "load", str(spec_path), str(out_path)], check=True)
    return json.loads(out_path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------
# the world, through the handlers


def _at(text: str) -> datetime:
    from deadlines import parse_instant

    return parse_instant(text)


@dataclass
class World:
    url: str
    sessions: list[dict[str, Any]]  # token, csrf, uscc, apps
    province: dict[str, Any]
    queue_size: int


def _center_form(code: str, name: str) -> dict[str, Any]:
    from programs.forms import example_form

    form = example_form(EDITION, "center")
    form["basic"]["uscc"] = code
    form["basic"]["lead_name"] = name
    form.pop("consortium", None)
    form["attachments"].pop("consortium_agreement", None)
    return form


def _open_session(db: Any, email: str, now: str) -> tuple[str, str]:
    from store import accounts

    with db.transaction() as s:
        account = accounts.get_by_email(s, email)
        assert account is not None
        opened = accounts.open_session(s, account, _at(now), replaces=None, client="bench")
    return opened.token, opened.csrf


def prepare(url: str, n: int, queue: int) -> World:
    """Campaign, N enterprise accounts with a session each, a province with `queue` submitted."""
    from argon2 import PasswordHasher

    from deadlines import Window
    from programs.forms import make_uscc
    from services import handlers
    from states.actors import Actor, Role
    from store import accounts
    from store.db import Database
    from store.migrations import upgrade
    from web import acts

    # Passwords are never checked in the run (sessions are opened directly): cheap hashing keeps
    # the preparation of 1,000 accounts short; the server's own hasher is untouched.
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    upgrade(url)
    db = Database(url)
    svc = acts.Services.over(db)
    ministry = Actor(Role.MINISTRY)
    window = Window(_at(OPENS).date(), _at(CLOSES).date())
    handlers.open_campaign(db, ministry, EDITION, now=_at("2026-06-01T09:00:00"),
                           application_window=window)  # fmt: skip
    setup = _at("2026-06-20T20:00:00")
    for k in range(queue):
        code = make_uscc(f"9142010{k:010d}")
        who = Actor(Role.ENTERPRISE, code)
        app_id = handlers.create_application(
            db, who, EDITION, uscc=code, name=f"楚天数智{k}号科技有限公司", province="湖北",
            category="center", now=setup, email=f"q{k}@applicant.example.cn",
            form=_center_form(code, f"楚天数智{k}号科技有限公司"),
        )  # fmt: skip
        handlers.submit(db, who, app_id, now=setup)
    sessions = _enterprises(db, 0, n)
    email = "hb@industry.example.cn"
    _id, tok = acts.invite_as_operator(svc, email=email, role="province", scope="湖北/industry",
                                       name="湖北省经信厅", now=setup, base_url="",
                                       operator="system")  # fmt: skip
    acts.activate(svc, token=tok, password="rush-bench-password", now=setup)
    token, csrf = _open_session(db, email, OPENED_AT)
    db.dispose()
    return World(url, sessions, {"token": token, "csrf": csrf}, queue)


def _enterprises(db: Any, first: int, count: int) -> list[dict[str, Any]]:
    """Enterprise accounts (invited, activated) with one open session each."""
    from programs.forms import make_uscc
    from web import acts

    svc = acts.Services.over(db)
    setup = _at("2026-06-20T20:00:00")
    out: list[dict[str, Any]] = []
    for i in range(first, first + count):
        code = make_uscc(f"9144030{i:010d}")
        email = f"rush{i}@applicant.example.cn"
        _id, tok = acts.invite_as_operator(svc, email=email, role="enterprise", scope=code,
                                           name=f"粤港数创{i}号有限公司", now=setup,
                                           base_url="", operator="system")  # fmt: skip
        acts.activate(svc, token=tok, password="rush-bench-password", now=setup)
        token, csrf = _open_session(db, email, OPENED_AT)
        out.append({"token": token, "csrf": csrf, "uscc": code, "i": i, "app": 0})
    return out


def add_drafts(world: World, total: int) -> float:
    """Enterprises up to `total`, each with its one complete draft; returns seconds taken.

    (One application per organisation per campaign: every draft is another enterprise, with
    its own account and session; a load slot submits for several of them in turn.)"""
    from services import handlers
    from states.actors import Actor, Role
    from store.bulk import NewApplication
    from store.db import Database

    db = Database(world.url)
    t = time.perf_counter()
    if total > len(world.sessions):
        world.sessions += _enterprises(db, len(world.sessions), total - len(world.sessions))
    at = _at("2026-06-20T21:00:00")
    todo = [sess for sess in world.sessions if not sess["app"]]
    for k in range(0, len(todo), 500):  # in batches: one unit of work per 500 drafts
        chunk = todo[k : k + 500]
        items = [
            NewApplication(
                actor=Actor(Role.ENTERPRISE, sess["uscc"]),
                uscc=sess["uscc"],
                name=f"粤港数创{sess['i']}号有限公司",
                province="广东",
                category="center",
                email=f"rush{sess['i']}@applicant.example.cn",
                form=_center_form(sess["uscc"], f"粤港数创{sess['i']}号有限公司"),
            )  # fmt: skip
            for sess in chunk
        ]
        for sess, made in zip(chunk, handlers.create_many(db, EDITION, items, now=at), strict=True):
            assert isinstance(made, int), made
            sess["app"] = made
    db.dispose()
    return time.perf_counter() - t


# ---------------------------------------------------------------------------------------------
# the server and its clock


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Clock:
    """The simulated clock file: fixed, or running with real time from an anchor."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def set(self, instant: datetime) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(instant.isoformat(), encoding="utf-8")
        os.replace(tmp, self.path)

    def run_from(self, epoch: float, instant: datetime) -> None:
        """From real time `epoch` on, simulated time = instant + (now - epoch)."""

        def loop() -> None:
            while not self._stop.is_set():
                self.set(instant + timedelta(seconds=time.time() - epoch))
                time.sleep(0.005)

        self.set(instant + timedelta(seconds=time.time() - epoch))
        self._stop.clear()
        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None


def start_server(
    url: str, work: Path, clock: Path, workers: int
) -> tuple[subprocess.Popen[bytes], str]:
    import httpx

    port = free_port()
    env = {
        **os.environ,
        "SHENBAO_DATABASE_URL": url,
        "SHENBAO_MAIL": f"file:{work / 'outbox'}",
        "SHENBAO_WEB_CLOCK_FILE": str(clock),
        "SHENBAO_WEB_ALLOW_SIMULATED_CLOCK": "1",
        "SHENBAO_WEB_BENCH": "1",
        "SHENBAO_WEB_BASE_URL": f"http://127.0.0.1:{port}",
    }
    log = open(work / f"server-{port}.log", "wb")  # noqa: SIM115 - kept open for the server's life
    proc = subprocess.Popen(
        [sys.executable, "-m", "shenbao.cli", "web", "--port", str(port), "--workers", str(workers)],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"shenbao web exited: see {log.name}")
        try:
            if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError("shenbao web did not answer within 60 s")


def cpu_seconds(server_pid: int) -> dict[str, float]:
    """CPU seconds so far (user + system) of the server's process tree and of PostgreSQL's
    processes on this machine (its exited backends through the postmaster's reaped children)."""
    tick = os.sysconf("SC_CLK_TCK")
    procs: dict[int, tuple[str, int, float, float]] = {}  # pid -> comm, ppid, own, reaped
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            raw = Path(entry.path, "stat").read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        f = raw[raw.rindex(")") + 2 :].split()
        own = (int(f[11]) + int(f[12])) / tick
        reaped = (int(f[13]) + int(f[14])) / tick
        procs[int(entry.name)] = (comm, int(f[1]), own, reaped)
    tree = {server_pid}
    grew = True
    while grew:
        more = {pid for pid, p in procs.items() if p[1] in tree and pid not in tree}
        tree |= more
        grew = bool(more)
    server = sum(procs[p][2] for p in tree if p in procs)
    pg = sum(p[2] for p in procs.values() if p[0] == "postgres")
    pg += sum(p[3] for p in procs.values()
              if p[0] == "postgres" and procs.get(p[1], ("",))[0] != "postgres")  # fmt: skip
    return {"server": server, "postgres": pg}


class Meter:
    """Per phase (baseline, rush, pages): the CPU the server and PostgreSQL spent; with
    `--spy DIR` also py-spy attached to the server (its workers followed, samples holding the
    GIL only), each phase's collapsed stacks written to DIR/<db>-<n>-<phase>.txt."""

    def __init__(self, server_pid: int, directory: Path | None, tag: str) -> None:
        self.pid = server_pid
        self.directory = directory
        self.tag = tag
        self._proc: subprocess.Popen[bytes] | None = None
        self._phase = ""
        self._cpu0: dict[str, float] = {}
        self.cpu: dict[str, dict[str, float]] = {}
        self.files: dict[str, Path] = {}

    def start(self, phase: str) -> None:
        self._phase = phase
        if self.directory is not None:
            import shutil

            bindir = Path(sys.executable).parent
            exe = shutil.which("py-spy", path=f"{bindir}:{os.environ.get('PATH', '')}")
            if exe is None:
                raise RuntimeError("--spy: py-spy is not installed (pip install py-spy)")
            self.directory.mkdir(parents=True, exist_ok=True)
            out = self.directory / f"{self.tag}-{phase}.txt"
            self.files[phase] = out
            self._proc = subprocess.Popen(
                [exe, "record", "--pid", str(self.pid), "--subprocesses", "--nonblocking",
                 "--gil", "--format", "raw", "--full-filenames", "--nolineno",
                 "--rate", str(SPY_RATE), "-o", str(out)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            time.sleep(1.0)  # attached to the workers before the phase's first request
        self._cpu0 = cpu_seconds(self.pid)

    def stop(self) -> None:
        if not self._phase:
            return
        cpu1 = cpu_seconds(self.pid)
        self.cpu[self._phase] = {k: cpu1[k] - self._cpu0.get(k, 0.0) for k in cpu1}
        self._phase = ""
        if self._proc is not None:
            self._proc.send_signal(signal.SIGINT)
            try:
                self._proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None


SPY_RATE = 250


def _frame_owner(frame: str) -> tuple[str, str]:
    """(library or our package, the function) of one collapsed frame `func (path)`."""
    func, _, where = frame.rpartition(" (")
    path = where.rstrip(")")
    root = str(ROOT) + "/"
    if "site-packages/" in path:
        rest = path.split("site-packages/", 1)[1]
        top = rest.split("/", 1)[0].removesuffix(".py")
        if top.startswith("_") and top not in ("_pytest",):
            top = top.lstrip("_")
        return top, f"{rest}:{func}"
    if path.startswith(root):
        rest = path[len(root) :]
        top = rest.split("/", 1)[0] + "/" if "/" in rest else rest
        return top, f"{rest}:{func}"
    if "/lib/python3" in path:
        rest = path.split("/lib/python3", 1)[1].split("/", 1)[-1]
        top = "stdlib:" + rest.split("/", 1)[0].removesuffix(".py")
        return top, f"{rest}:{func}"
    return path or func or "?", frame


def spy_summary(path: Path, requests: int, top: int = 25) -> str:
    """Samples by where the CPU was (the innermost frame's library or package) and, inclusive,
    by each of our packages' functions and each library's entry; ms of CPU per request."""
    from collections import Counter

    own: Counter[str] = Counter()  # innermost frame
    incl_pkg: Counter[str] = Counter()  # any frame of it on the stack
    incl_func: Counter[str] = Counter()
    total = 0
    rate = float(SPY_RATE)
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        total += n
        owners = [_frame_owner(f) for f in frames]
        own[owners[-1][0]] += n
        for pkg in {o[0] for o in owners}:
            incl_pkg[pkg] += n
        for fn in {o[1] for o in owners if o[0] in ("web/", "store/", "services/", "states/", "deadlines/", "programs/")}:  # fmt: skip
            incl_func[fn] += n

    def ms(n: int) -> str:
        return f"{1000 * n / rate / max(1, requests):6.2f} ms/req {100 * n / max(1, total):5.1f}%"

    out = [
        f"  {path.name}: {total} samples holding the GIL ({total / rate:.1f} s), {requests} requests"
    ]
    out.append("    self (innermost frame):")
    out += [f"      {ms(n)}  {k}" for k, n in own.most_common(top)]
    out.append("    inclusive, by package:")
    out += [f"      {ms(n)}  {k}" for k, n in incl_pkg.most_common(top)]
    out.append("    inclusive, our functions:")
    out += [f"      {ms(n)}  {k}" for k, n in incl_func.most_common(top)]
    return "\n".join(out)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------------------------------------
# one run


def latencies(records: list[list[Any]]) -> list[float]:
    return [(r[3] - r[2]) * 1000 for r in records if r[4] > 0]


def audited(url: str, app_ids: set[int]) -> tuple[dict[int, tuple[bool, datetime, str]], int]:
    """The submit records of `app_ids`: app -> (accepted, instant, rule), and how many apps
    have more than one (each was sent once)."""
    from sqlalchemy import select

    from store.db import Database
    from store.models import AuditRecord

    db = Database(url)
    with db.sessions() as s:
        rows = s.execute(
            select(AuditRecord.application_id, AuditRecord.accepted, AuditRecord.at, AuditRecord.rule)
            .where(AuditRecord.trigger == "submit")
            .order_by(AuditRecord.application_id, AuditRecord.seq)
        ).all()  # fmt: skip
    db.dispose()
    out: dict[int, tuple[bool, datetime, str]] = {}
    twice = 0
    for app_id, ok, at, rule in rows:
        if app_id in app_ids:
            twice += app_id in out
            out[app_id] = (bool(ok), at, rule)
    return out, twice


def states_of(url: str, app_ids: set[int]) -> dict[int, str]:
    from sqlalchemy import select

    from store.db import Database
    from store.models import Application

    db = Database(url)
    with db.sessions() as s:
        rows = s.execute(select(Application.id, Application.status)).all()
    db.dispose()
    return {i: st for i, st in rows if i in app_ids}


def one_run(db_kind: str, url: str, n: int, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from deadlines import parse_instant

    end = parse_instant(END)
    workers = 1 if db_kind == "sqlite" else args.workers
    cl = args.client
    t = time.perf_counter()
    world = prepare(url, n, args.queue)
    prep_s = time.perf_counter() - t
    clock = Clock(work / "clock.txt")
    clock.set(end - timedelta(minutes=5))
    proc, base = start_server(url, work, clock.path, workers)
    spy = Meter(proc.pid, args.spy, f"{db_kind}-{n}")
    try:
        # baseline: the same sessions, the same door, one INSERT each
        per = max(4, args.baseline_requests // n)
        base_slots = [[{"token": e["token"], "csrf": e["csrf"], "path": f"/bench/insert/{k + 1}"}]
                      for k, e in enumerate(world.sessions)]  # fmt: skip
        run_load({"base": base, "mode": "baseline", "slots": base_slots}, work, cl)  # warm-up
        spy.start("baseline")
        b = run_load({"base": base, "mode": "baseline", "slots": [x * per for x in base_slots]},
                     work, cl)  # fmt: skip
        spy.stop()
        b_ok = [r for r in b["records"] if r[4] == 201]
        b_tput = len(b_ok) / (b["t1"] - b["t0"])
        b_lat = latencies(b["records"])
        # drafts for the three submission phases, each phase its own enterprises: the probe's
        # sized from the baseline's rate (submissions are slower), the others from the probe's
        rush_s = args.close_after + POST_CLOSE_S
        chunks: dict[str, list[dict[str, Any]]] = {}

        def drafts_for(phase: str, count: int) -> float:
            first = len(world.sessions)
            spent = add_drafts(world, first + max(2 * n, min(args.max_drafts, count)))
            chunks[phase] = [{"token": e["token"], "csrf": e["csrf"], "app": e["app"],
                              "path": f"/api/v1/applications/{e['app']}/submit"}
                             for e in world.sessions[first:]]  # fmt: skip
            return spent

        draft_s = drafts_for("probe", int(b_tput * (args.probe_seconds + 1)))

        def timed(
            phase: str, think: float, sim_start: datetime, seconds: float
        ) -> tuple[dict[str, Any], float]:
            """The phase's sessions from one instant on (simulated time with them), for `seconds`."""
            slots = [chunks[phase][k::n] for k in range(n)]
            ready, go = work / f"ready-{phase}", work / f"go-{phase}"
            spec = {"base": base, "mode": "rush", "slots": slots, "ready_file": str(ready),
                    "go_file": str(go), "think": think, "seed": n}  # fmt: skip
            box: dict[str, Any] = {}
            loader = threading.Thread(target=lambda: box.update(run_load(spec, work, cl)))
            spy.start(phase)
            loader.start()
            while not ready.exists() and loader.is_alive():
                time.sleep(0.01)
            start = time.time() + 0.5  # everyone begins together, the clock with them
            clock.run_from(start, sim_start)
            tmp_go = go.with_suffix(".tmp")
            tmp_go.write_text(json.dumps([start, start + seconds]), encoding="utf-8")
            os.replace(tmp_go, go)
            loader.join()
            spy.stop()
            clock.stop()
            return box, start

        # 1. capacity: a closed loop, no pause, the window open (ten minutes before the close)
        probe, p_start = timed("probe", 0.0, end - timedelta(minutes=10), args.probe_seconds)
        p_ok = [r for r in probe["records"] if r[5] is True]
        probe_tput = len(p_ok) / max(1e-9, min(probe["t1"], p_start + args.probe_seconds) - p_start)
        # 2. sessions that pause between requests (exponential, mean N / rate): submissions
        #    arrive at `--pace` of the capacity just measured, latency is the service's
        margin = args.draft_factor
        draft_s += drafts_for(
            "paced", int(args.pace * probe_tput * (args.paced_seconds + 2) * margin)
        )
        draft_s += drafts_for("rush", int(probe_tput * (rush_s + 2) * margin))
        offered = args.pace * probe_tput
        think = n / offered
        paced, q_start = timed("paced", think, end - timedelta(minutes=8), args.paced_seconds)
        # 3. the rush: a closed loop again, the window closing `--close-after` s into it
        rush, start = timed("rush", 0.0, end - timedelta(seconds=args.close_after), rush_s)
        close_epoch = start + args.close_after
        # page loads, the window closed (reads only)
        clock.set(end + timedelta(minutes=1))
        ent = [[{"token": e["token"], "csrf": e["csrf"], "path": f"/enterprise/applications/{e['app']}"}] * args.page_loads
               for e in world.sessions[:PAGE_CLIENTS]]  # fmt: skip
        pv = world.province
        prov = [[{"token": pv["token"], "csrf": pv["csrf"], "path": "/review"}] * args.page_loads
                for _ in range(PAGE_CLIENTS)]  # fmt: skip
        run_load({"base": base, "mode": "pages", "slots": [x[:2] for x in ent + prov]}, work, cl)
        spy.start("app-page")
        pe = run_load({"base": base, "mode": "pages", "slots": ent}, work, cl)
        spy.stop()
        spy.start("queue-page")
        pq = run_load({"base": base, "mode": "pages", "slots": prov}, work, cl)
        spy.stop()
    finally:
        spy.stop()
        clock.stop()
        stop_server(proc)
    # what the server recorded, against what the clients saw
    recs = rush["records"]
    every = probe["records"] + paced["records"] + recs  # each application sent once, in one phase
    sent_ids = {r[1] for r in every}
    audit, twice = audited(url, sent_ids)
    states = states_of(url, sent_ids)
    accepted = sum(1 for a in sent_ids if a in audit and audit[a][0])
    refused = sum(1 for a in sent_ids if a in audit and not audit[a][0])
    lost = 0
    for r in every:
        got = audit.get(r[1])
        if got is None or r[5] is None or got[0] != r[5]:
            lost += 1
        elif got[0] != (states.get(r[1]) == "submitted"):
            lost += 1
    after = sum(1 for a in sent_ids if a in audit and audit[a][0] and audit[a][1] >= end)
    before = sum(1 for a in sent_ids if a in audit and not audit[a][0] and audit[a][1] < end)
    # the clients' view: answered before the close and refused; sent after it and accepted
    c_before = sum(1 for r in every if r[5] is False and r[3] < close_epoch - 0.05)
    c_after = sum(1 for r in every if r[5] is True and r[2] > close_epoch + 0.05)
    q_ok = [r for r in paced["records"] if r[5] is True]
    q_span = max(1e-9, min(paced["t1"], q_start + args.paced_seconds) - q_start)
    q_lat = latencies(paced["records"])
    open_recs = [r for r in recs if r[5] is True]
    last_ok = max((r[3] for r in open_recs), default=rush["t0"])
    busy_until = min(close_epoch, last_ok) if last_ok < close_epoch - 0.5 else close_epoch
    tput = len(open_recs) / max(1e-9, busy_until - max(rush["t0"], start))
    lat = latencies([r for r in recs if r[2] < close_epoch])
    rules = sorted({audit[a][2] for a in sent_ids if a in audit and not audit[a][0]})
    drafts_left = sum(1 for e in world.sessions if e["app"] not in sent_ids)
    return {
        "db": db_kind, "n": n, "workers": workers, "prep_s": prep_s, "draft_s": draft_s,
        "drafts": len(world.sessions), "drafts_unsent": drafts_left,
        "accepted": accepted, "refused": refused, "lost": lost, "twice": twice,
        "accepted_after": after, "refused_before": before,
        "client_accepted_after": c_after, "client_refused_before": c_before,
        "refusal_rules": rules, "errors": sum(1 for r in every if r[4] <= 0 or r[4] >= 500),
        "error_kinds": sorted({f"{r[4]} {r[6]}".strip() for r in every if r[4] <= 0 or r[4] >= 500}),
        "tput": tput, "p50": _pct(lat, 0.5), "p99": _pct(lat, 0.99),
        "probe_tput": probe_tput, "probe_p99": _pct(latencies(probe["records"]), 0.99),
        "offered": offered, "think": think, "paced_tput": len(q_ok) / q_span,
        "paced_n": len(paced["records"]), "paced_p50": _pct(q_lat, 0.5),
        "paced_p99": _pct(q_lat, 0.99), "paced_max": max(q_lat, default=float("nan")),
        "b_tput": b_tput, "b_p50": _pct(b_lat, 0.5), "b_p99": _pct(b_lat, 0.99),
        "b_errors": sum(1 for r in b["records"] if r[4] != 201),
        "client": cl,
        "client_ms": {k: 1000 * v["client_cpu_s"] / max(1, len(v["records"]))
                      for k, v in (("baseline", b), ("probe", probe), ("paced", paced), ("rush", rush), ("app page", pe), ("queue", pq))},
        "page_app_p50": _pct(latencies(pe["records"]), 0.5),
        "page_app_p99": _pct(latencies(pe["records"]), 0.99),
        "page_queue_p50": _pct(latencies(pq["records"]), 0.5),
        "page_queue_p99": _pct(latencies(pq["records"]), 0.99),
        "page_errors": sum(1 for r in pe["records"] + pq["records"] if r[4] != 200),
        "cpu": {phase: {k: 1000 * v / max(1, len(run["records"])) for k, v in spy.cpu.get(phase, {}).items()}
                for phase, run in (("baseline", b), ("probe", probe), ("paced", paced), ("rush", rush), ("app-page", pe), ("queue-page", pq))},
        "spy": [spy_summary(path, len(run["records"])) for phase, run in
                (("baseline", b), ("probe", probe), ("paced", paced), ("rush", rush), ("app-page", pe), ("queue-page", pq))
                if (path := spy.files.get(phase)) is not None and path.exists()],
    }  # fmt: skip


def report(r: dict[str, Any]) -> bool:
    print(f"\n== {r['db']}, {r['n']} sessions, {r['workers']} worker(s) "
          f"(prepared in {r['prep_s']:.0f} s + {r['drafts']} drafts in {r['draft_s']:.0f} s)")  # fmt: skip
    print(f"  submissions: accepted {r['accepted']}, refused {r['refused']} "
          f"({', '.join(r['refusal_rules']) or '-'}), lost {r['lost']}, audited twice {r['twice']}, "
          f"http errors {r['errors']} ({', '.join(r['error_kinds']) or '-'}), drafts never sent {r['drafts_unsent']}")  # fmt: skip
    print(f"  accepted after the close {r['accepted_after']}, refused before it "
          f"{r['refused_before']} (audit instants); by the clients' clocks "
          f"{r['client_accepted_after']} / {r['client_refused_before']}")  # fmt: skip
    ratio = r["tput"] / r["b_tput"] if r["b_tput"] else float("nan")
    print(f"  submit   {r['tput']:8.1f}/s  p50 {r['p50']:6.1f} ms  p99 {r['p99']:6.1f} ms")
    print(f"  baseline {r['b_tput']:8.1f}/s  p50 {r['b_p50']:6.1f} ms  p99 {r['b_p99']:6.1f} ms"
          f"  (errors {r['b_errors']})")  # fmt: skip
    print(f"  ratio    {ratio:8.2f}x throughput (floor >= 0.5: {'met' if ratio >= 0.5 else 'MISSED'})"
          f"; p99 {r['p99'] / r['b_p99']:.2f}x the baseline's")  # fmt: skip
    if r["db"] == "postgresql" and r["n"] == 200:
        print(f"  closed-loop p99 <= 300 ms at 200 sessions on PostgreSQL: "
              f"{'met' if r['p99'] <= 300 else 'missed'} (in a closed loop without pauses latency"
              f" is about sessions / throughput = {1000 * r['n'] / max(1e-9, r['tput']):.0f} ms)")  # fmt: skip
    print(
        f"  capacity {r['probe_tput']:8.1f}/s  (closed loop, window open, p99 {r['probe_p99']:6.1f} ms)"
    )
    print(f"  paced    {r['paced_tput']:8.1f}/s  p50 {r['paced_p50']:6.1f} ms  p99 {r['paced_p99']:6.1f} ms"
          f"  max {r['paced_max']:6.1f} ms  ({r['paced_n']} requests; offered {r['offered']:.0f}/s ="
          f" {r['offered'] / r['probe_tput']:.2f} of capacity, each session pausing {r['think']:.2f} s on average)")  # fmt: skip
    if r["db"] == "postgresql" and r["n"] == 200:
        print(f"  paced p99 <= 300 ms at 200 sessions on PostgreSQL: "
              f"{'met' if r['paced_p99'] <= 300 else 'MISSED'}")  # fmt: skip
    cpu = ", ".join(f"{k} {v:.2f}" for k, v in r["client_ms"].items())
    print(f"  load generator ({r['client']} client) CPU per request, ms: {cpu}")
    for what, key in (("application page", "page_app"), ("queue of 500", "page_queue")):
        p99 = r[f"{key}_p99"]
        print(f"  page {what:<16} p50 {r[f'{key}_p50']:6.1f} ms  p99 {p99:6.1f} ms "
              f"(floor <= 150 ms: {'met' if p99 <= 150 else 'MISSED'})")  # fmt: skip
    cpu = "; ".join(f"{phase} " + ", ".join(f"{k} {v:.2f}" for k, v in by.items())
                    for phase, by in r["cpu"].items())  # fmt: skip
    print(f"  server / PostgreSQL CPU per request, ms: {cpu}")
    for text in r.get("spy", []):
        print(text)
    return (r["lost"] == 0 and r["accepted_after"] == 0 and r["refused_before"] == 0
            and r["twice"] == 0 and r["client_accepted_after"] == 0
            and r["client_refused_before"] == 0)  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", default="50,200,1000", help="concurrent sessions, comma-separated")
    ap.add_argument("--db", default="sqlite,postgresql", help="sqlite and/or postgresql")
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                    help="uvicorn workers on PostgreSQL (SQLite: 1)")  # fmt: skip
    ap.add_argument("--close-after", type=float, default=25.0, help="seconds until the close")
    ap.add_argument("--queue", type=int, default=500, help="the province queue's applications")
    ap.add_argument("--baseline-requests", type=int, default=3000)
    ap.add_argument("--draft-factor", type=float, default=1.2,
                    help="drafts per submission the measured capacity could take (they must outlast a phase)")  # fmt: skip
    ap.add_argument("--max-drafts", type=int, default=20000, help="per phase")
    ap.add_argument("--probe-seconds", type=float, default=6.0,
                    help="the closed loop that measures the submit route's capacity")  # fmt: skip
    ap.add_argument("--paced-seconds", type=float, default=15.0,
                    help="sessions pausing between requests, at --pace of that capacity")  # fmt: skip
    ap.add_argument("--pace", type=float, default=0.6,
                    help="the paced phase's offered rate, a fraction of the measured capacity")  # fmt: skip
    ap.add_argument("--client", choices=("raw", "httpx"), default="raw",
                    help="the load generator's HTTP client (raw: minimal HTTP/1.1, ~0.1 ms a request)")  # fmt: skip
    ap.add_argument("--page-loads", type=int, default=30, help="per page client")
    ap.add_argument("--spy", type=Path, default=None, metavar="DIR",
                    help="profile the server (py-spy, its workers followed) per phase into DIR")  # fmt: skip
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores; load: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")  # fmt: skip
    ok = True
    for db_kind in [d.strip() for d in args.db.split(",") if d.strip()]:
        for n in [int(x) for x in args.n.split(",") if x.strip()]:
            with tempfile.TemporaryDirectory(prefix="shenbao-rush-") as tmp:
                work = Path(tmp)
                if db_kind == "sqlite":
                    ok &= report(
                        one_run(db_kind, f"sqlite:///{work / 'shenbao.db'}", n, args, work)
                    )
                    continue
                import psycopg

                name = f"shenbao_rush_{uuid.uuid4().hex[:10]}"
                admin = args.pg.replace("postgresql+psycopg://", "postgresql://")
                with psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{name}"')
                try:
                    url = args.pg.rsplit("/", 1)[0] + f"/{name}"
                    ok &= report(one_run(db_kind, url, n, args, work))
                finally:
                    with psycopg.connect(admin, autocommit=True) as conn:
                        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"\nafter: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "load":
        load_main(sys.argv[2], sys.argv[3])
        sys.exit(0)
    sys.exit(main())
