"""``kbsearch serve`` as deployed: the real command on a free loopback port, over real sockets.

Fifty clients trickling their request headers must not starve anyone else, the access log
never holds a query string (case secrets travel in one), and a 1,000-character query in any
script reaches the app. Every loop is bounded in count and time, and the server's whole
process group is killed at the end.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from conftest import DATA

from kbsearch.index.reindex import build

HOST = "127.0.0.1"  # loopback only
SLOW_CLIENTS = 50  # trickling headers
SLOW_BODIES = 10  # and a few trickling a request body, for good measure
SLOW_SECONDS = 6.0  # how long they trickle; the whole test is bounded by this and PROBE_TIMEOUT
ANSWER_SECONDS = 1.0  # what an ordinary request may take meanwhile
PROBE_TIMEOUT = 3.0
SUGGEST_BODY = json.dumps({"subject": "password", "description": "I forgot my password"})


@dataclass
class Server:
    port: int
    access_log: Path
    error_log: Path
    home: Path
    cwd: Path
    database: Path
    mailbox: list = field(default_factory=list)  # what the local SMTP server received


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def request(port: int, method: str, path: str, body: str | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, float]:
    """One request on a fresh connection: its status and seconds taken (status 0: no answer in time)."""
    start = time.monotonic()
    conn = http.client.HTTPConnection(HOST, port, timeout=PROBE_TIMEOUT)
    try:
        conn.request(method, path, body, {"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        response.read()
        status = response.status
    except OSError:
        status = 0
    finally:
        conn.close()
    return status, time.monotonic() - start


ORDINARY = [("GET", "/api/status", None), ("GET", "/?q=password", None), ("POST", "/api/suggest", SUGGEST_BODY)]


def stop(process: subprocess.Popen) -> bool:
    """Stop the server as Ctrl-C in its terminal does (SIGINT to its process group), then kill what is left.

    :return: whether Ctrl-C alone stopped it within 10 s.
    """
    group = process.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGINT)
    try:
        process.wait(timeout=10)
        by_ctrl_c = True
    except subprocess.TimeoutExpired:
        by_ctrl_c = False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)
    process.wait(timeout=10)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return by_ctrl_c
        time.sleep(0.1)
    raise AssertionError(f"processes of kbsearch serve's group {group} outlived SIGKILL")


class Collect:
    """aiosmtpd's handler: keeps each mail's recipients and text."""

    def __init__(self, mailbox: list):
        self.mailbox = mailbox

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.mailbox.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("serve")
    index = tmp / "index"
    build(DATA, index, audience="public")
    home, cwd = tmp / "home", tmp / "cwd"
    home.mkdir()
    cwd.mkdir()
    env = {**os.environ, "KBSEARCH_ARTICLES_DIR": str(DATA), "KBSEARCH_INDEX_DIR": str(index),
           "KBSEARCH_DATABASE": str(tmp / "instance" / "kbsearch.sqlite"), "KBSEARCH_AUDIENCE": "public",
           "HOME": str(home)}
    env.pop("XDG_RUNTIME_DIR", None)  # gunicorn's control socket would go there; it must go nowhere
    env.pop("GUNICORN_CMD_ARGS", None)
    mailbox: list = []
    smtp = Controller(Collect(mailbox), hostname=HOST, port=free_port())
    smtp.start()
    env.update({"KBSEARCH_SMTP_HOST": HOST, "KBSEARCH_SMTP_PORT": str(smtp.port),
                "KBSEARCH_SUPPORT_EMAIL": "support@example.com", "KBSEARCH_PUBLIC_URL": "https://help.example.com"})
    port = free_port()
    served = Server(port, tmp / "access.log", tmp / "error.log", home, cwd, tmp / "instance" / "kbsearch.sqlite",
                    mailbox)
    with served.access_log.open("wb") as out, served.error_log.open("wb") as err:
        process = subprocess.Popen([str(Path(sys.executable).with_name("kbsearch")), "serve", "--host", HOST,
                                    "--port", str(port)], env=env, cwd=cwd, stdout=out, stderr=err,
                                   start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while request(port, "GET", "/api/status")[0] != 200:
            assert process.poll() is None and time.monotonic() < deadline, served.error_log.read_text()
            time.sleep(0.2)
        for _ in range(4):  # every worker opens the build before anything is timed
            for method, path, body in ORDINARY:
                request(port, method, path, body)
        yield served
    finally:
        by_ctrl_c = stop(process)
        smtp.stop()
    assert by_ctrl_c, "Ctrl-C did not stop kbsearch serve within 10 s"
    assert "Traceback" not in served.error_log.read_text(), served.error_log.read_text()


def trickle(port: int, stop_at: float, opened: list[int], body: bool) -> None:
    """Send a request's headers (or, with ``body``, its body) a byte a second and never finish.

    Cut off by the server, it connects again, as an attacker would; it gives up at ``stop_at``.
    """
    head = b"GET /api/status HTTP/1.1\r\nHost: kbsearch\r\n"
    if body:
        head = (b"POST /api/suggest HTTP/1.1\r\nHost: kbsearch\r\nContent-Type: application/json\r\n"
                b"Content-Length: 100000\r\n\r\n")
    while time.monotonic() < stop_at:
        try:
            with socket.create_connection((HOST, port), timeout=1) as sock:
                opened.append(1)
                sock.sendall(head)
                while time.monotonic() < stop_at:
                    sock.sendall(b"{" if body else b"X")
                    try:
                        sock.recv(1024)  # an answer (408, 400) or the end: connect again
                        break
                    except TimeoutError:  # the second between two bytes
                        pass
        except OSError:
            time.sleep(0.2)


def test_fifty_clients_trickling_headers_do_not_starve_ordinary_requests(server: Server):
    stop_at = time.monotonic() + SLOW_SECONDS
    opened: list[int] = []
    clients = [threading.Thread(target=trickle, args=(server.port, stop_at, opened, n >= SLOW_CLIENTS), daemon=True)
               for n in range(SLOW_CLIENTS + SLOW_BODIES)]
    for client in clients:
        client.start()
    time.sleep(1.5)  # every slow client is connected and has sent something
    answers = []
    while time.monotonic() < stop_at - PROBE_TIMEOUT / 2:
        for method, path, body in ORDINARY:
            answers.append((method, path, *request(server.port, method, path, body)))
        time.sleep(0.1)
    for client in clients:
        client.join(timeout=5)
    assert len(opened) >= SLOW_CLIENTS + SLOW_BODIES
    slow = [f"{method} {path}: HTTP {status or 'none'} after {seconds:.2f} s"
            for method, path, status, seconds in answers if status != 200 or seconds > ANSWER_SECONDS]
    assert len(answers) >= 3 * 5 and not slow, f"{len(slow)} of {len(answers)}: {slow[:6]}"


def test_requests_waiting_for_the_database_lock_do_not_hold_up_the_others(server: Server):
    """A write waits for SQLite's lock with Python sleeps, which a gevent worker turns into switches."""
    event = json.dumps({"session": "serve-test", "kind": "clicked", "article_id": "locked-account"})
    assert request(server.port, "POST", "/api/events", event)[0] == 201  # the database exists, migrated
    written: list[int] = []
    writers = [threading.Thread(target=lambda: written.append(request(server.port, "POST", "/api/events", event)[0]))
               for _ in range(6)]  # in both workers, most likely
    holder = sqlite3.connect(server.database, isolation_level=None, timeout=0)
    try:
        holder.execute("BEGIN IMMEDIATE")  # as another process writing
        for writer in writers:
            writer.start()
        time.sleep(0.3)
        answers = [request(server.port, "GET", "/api/status") for _ in range(6)]
        time.sleep(max(0.0, 1.5 - 0.3 - sum(seconds for _, seconds in answers)))
    finally:
        holder.close()  # rolls back: the waiting writes go on
    for writer in writers:
        writer.join(timeout=PROBE_TIMEOUT)
    assert all(status == 200 and seconds < 0.5 for status, seconds in answers), answers
    assert written == [201] * len(writers)


def test_the_access_log_holds_no_query_string(server: Server):
    page = f"/cases/CS-000001?secret=s3cr3t-{server.port}"
    referer = f"http://{HOST}:{server.port}{page}-referer"  # the same-origin Referer of the page's links
    assert request(server.port, "GET", page, headers={"Referer": referer})[0] == 404
    deadline = time.monotonic() + 5
    while '"GET /cases/CS-000001 HTTP/1.1" 404' not in server.access_log.read_text():
        assert time.monotonic() < deadline, server.access_log.read_text()
        time.sleep(0.1)
    for log in (server.access_log, server.error_log):
        text = log.read_text()
        assert "s3cr3t" not in text and "secret=" not in text, text


@pytest.mark.parametrize("character", ["密", "😀"])  # 3 and 4 bytes in UTF-8: 9,000 and 12,000 encoded
def test_a_1000_character_query_in_any_script_reaches_the_app(server: Server, character: str):
    q = urllib.parse.quote(character * 1000)
    for path in (f"/?q={q}&type=knowledge", f"/api/search?q={q}&type=knowledge&per_page=50"):
        status, _ = request(server.port, "GET", path)
        assert status == 200, (status, len(path))


def test_the_request_line_stays_bounded(server: Server):
    assert request(server.port, "GET", "/?q=" + "a" * 16_500)[0] == 414


def test_no_control_socket_is_opened_at_a_shared_path(server: Server):
    assert not list(server.home.rglob("gunicorn.ctl")) and not list(server.cwd.rglob("gunicorn.ctl"))


def test_serve_runs_delivery_so_a_new_case_is_mailed_to_customer_and_team(server: Server):
    case = {"subject": "Locked out", "category": "access", "description": "It says locked.", "name": "Ada",
            "email": "ada@example.com"}
    status, _ = request(server.port, "POST", "/api/cases", json.dumps(case), {"Content-Type": "application/json"})
    assert status == 201
    deadline = time.monotonic() + 20
    while len(server.mailbox) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    recipients = sorted(to[0] for to, _ in server.mailbox)
    assert recipients == ["ada@example.com", "support@example.com"], server.mailbox
