"""Webhooks: an event as a signed JSON POST (stdlib urllib and hmac only), GitHub's scheme.

The body is written once, when the event is queued, and sent byte for byte on every attempt,
with the same ``X-Kbsearch-Delivery`` id; ``X-Kbsearch-Signature-256`` is
``sha256=<hex HMAC-SHA256 of the body under WEBHOOK_SECRET>``, computed at send time so the
secret is never stored. A receiver checks it over the raw body before parsing it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

TIMEOUT_SECONDS = 10.0  # then the attempt failed and is retried
USER_AGENT = "kbsearch-webhook/1"


class WebhookFailed(Exception):
    """The receiver answered something other than 2xx (a redirect included)."""


def message(url: str, delivery_id: str, event: str, case: Mapping[str, Any], created: str | None = None,
            **extra: Any) -> tuple[str, str, str, str, str]:
    """(delivery id, event, case number, url, body) for the outbox; the body names its delivery id.

    ``created`` is when the event happened (the case's creation by default); ``extra`` adds
    top-level keys: ``comment`` for ``case.comment``, ``changes`` for ``case.updated``.
    """
    event_body = {"id": delivery_id, "event": event, "created": created or case["created"], "case": dict(case)}
    body = json.dumps(dict(event_body, **extra), ensure_ascii=False, separators=(",", ":"))
    return delivery_id, event, case["number"], url, body


def signature(secret: str, body: bytes) -> str:
    """The ``X-Kbsearch-Signature-256`` value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # urllib would follow a 302 with a GET and no body, and call that a success
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post(url: str, body: str, delivery_id: str, event: str, secret: str | None,
         timeout: float = TIMEOUT_SECONDS) -> int:
    """POST ``body`` to ``url``; return the 2xx status.

    :raise WebhookFailed: any other answer. Network errors and timeouts raise ``OSError``.
    """
    data = body.encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, "X-Kbsearch-Event": event,
               "X-Kbsearch-Delivery": delivery_id}
    if secret:
        headers["X-Kbsearch-Signature-256"] = signature(secret, data)
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=min(timeout, TIMEOUT_SECONDS)) as response:
            response.read(65536)
            status = response.status
    except urllib.error.HTTPError as exc:
        answer = exc.read(200).decode("utf-8", "replace")
        exc.close()
        raise WebhookFailed(f"HTTP {exc.code} from {url}: {answer}".strip()) from None
    if not 200 <= status < 300:
        raise WebhookFailed(f"HTTP {status} from {url}")
    return status
