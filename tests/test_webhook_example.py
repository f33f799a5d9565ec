"""README's webhook receiver (examples/webhook_receiver.py), run for real against kbsearch's deliverer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from kbsearch import create_app
from kbsearch.cases import webhook
from test_delivery import deliver, free_port

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "webhook_receiver.py"
CASE = {"subject": "Locked out", "category": "access", "subcategory": "passwords",
        "description": "It says my account is locked.", "name": "Ada", "email": "ada@example.com"}


@pytest.fixture
def example():
    """The example receiver in its own process on a free loopback port; yields (url, process)."""
    port = free_port()
    process = subprocess.Popen([sys.executable, str(EXAMPLE)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env={**os.environ, "WEBHOOK_SECRET": "s3cret", "PORT": str(port)})
    url = f"http://127.0.0.1:{port}/hook"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # bounded: until it listens
        try:
            urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=1)
            break
        except urllib.error.HTTPError:
            break  # it answers (501 for HEAD): it is listening
        except OSError:
            time.sleep(0.05)
    else:
        process.kill()
        pytest.fail(f"the example receiver never listened: {process.communicate(timeout=10)[1]}")
    yield url, process
    process.kill()
    process.communicate(timeout=10)


def test_the_readme_receiver_verifies_signatures_and_drops_repeats(app, config, example):  # app: builds the index
    url, process = example
    app = create_app({**config, "WEBHOOK_URL": url, "WEBHOOK_SECRET": "s3cret"})
    number = app.test_client().post("/api/cases", json=CASE).get_json()["number"]
    deliver(app, "--once")
    body = json.dumps({"id": "repeat-1", "event": "case.created", "created": "now",
                       "case": {"number": number, "subject": "Locked out"}}).encode()
    for _ in range(2):  # the same delivery twice, as a retry after a lost answer would send it
        assert webhook.post(url, body.decode(), "repeat-1", "case.created", "s3cret") == 204
    with pytest.raises(webhook.WebhookFailed, match="401"):
        webhook.post(url, body.decode(), "forged-1", "case.created", "not-the-secret")
    process.kill()
    lines = process.stdout.read().splitlines()
    assert lines == [f"case.created {number} Locked out", f"case.created {number} Locked out"]
