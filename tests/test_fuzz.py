"""Hostile input on every route gets a deliberate answer: never a 5xx, and on /api/ always the error shape.

Bounded and seeded: a few hundred requests drawn by ``random.Random(SEED)`` from hand-made hostile
values (odd Unicode, numbers in other scripts, huge and negative numbers, deep JSON, wrong types and
content types, broken multipart, long headers, bad CSRF tokens, path traversal), through Flask's test
client. The run's summary prints how many requests were sent.
"""

from __future__ import annotations

import io
import json
import random
from collections import Counter
from urllib.parse import quote

import pytest
from conftest import SUMMARY

SEED = 1206
ROUNDS = 20  # each round sends one request per route below with freshly drawn values

# -- hostile values ------------------------------------------------------------------------------------------

TEXT = [
    "", " ", "\u200f\u202eevil\u202c", "\x00", "a\x00b", "\u4e2d\u6587" * 500, "\U0001F600" * 50, "\ufeff",
    "x" * 1001, "\u0000" * 10, "'; drop table cases; --", "<script>alert(1)</script>", "{{7*7}}", "%s%n",
    "\r\n\r\nInjected: 1", "\\u0000", "ＡＢＣ", "İı", "ß" * 300, "\t\n\x0b\x0c\r\x1c\x85\xa0\u2028\u3000",
]
NUMBERS = ["²", "٣", "١٢", "0", "-1", "1e3", "1.5", "99999999999999999999", "-99999999999", "0x10", " 7 ",
           "+1", "NaN", "inf", "", "⑦", "٣٣٣٣٣٣٣٣٣٣"]
JSON_VALUES = [None, True, 0, -1, 2**70, -(2**70), 1.5, 1e308, "", "x" * 20_001, [], {}, ["a"] * 100,
               {"a": {"b": [1, {"c": None}]}}, "\u202e", "\x00", [None], 2.0]
# Raw JSON texts: lone surrogates, depth, numbers Python reads oddly, not JSON at all
RAW_JSON = [
    '{"subject": "\\ud800", "description": "\\udfff x"}', '{"subject": "\\ud83d"}', "[" * 100_000 + "]" * 100_000,
    '{"subject": ' + "[" * 50_000 + "]" * 50_000 + "}", '{"limit": 1e999, "seq": NaN}', '{"seq": Infinity}',
    '{"limit": ' + "9" * 5000 + "}", "{", "", "null", "[]", '"string"', "\xff\xfe", '{"a":1,"a":2}',
    '{"session": "form-session-1", "kind": "shown", "articles": ["\\ud800"]}',
]
IDS = ["locked-account", "../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%2e%2e", "a%00b", "%ED%A0%80",
       "x" * 5000, "CS-000001", "CS-" + "9" * 40, "%E2%80%AE", "\u4e2d", ".", "..", "~", "access", "billing"]
TOKENS = ["", "x", "é" * 40, "\u4e2d\u6587", "\x00", "a" * 10_000, "\udcff".encode("utf-8", "surrogatepass").hex()]
CONTENT_TYPES = ["application/json", "text/plain", "application/json; charset=latin-1", "multipart/form-data",
                 "multipart/form-data; boundary=", "multipart/form-data; boundary=x", "application/xml", "",
                 "application/x-www-form-urlencoded", "application/json; charset=utf-16", "*/*",
                 "application/vnd.api+json"]
PART = b"--x\r\nContent-Disposition: form-data; name=\"%s\"%s\r\n\r\n%s\r\n"
MULTIPART = [
    PART % (b"subject", b"", b"hi"),  # never closed
    PART % (b"attachments", b'; filename="../../a.png"', b"\x89PNG") + b"--x--\r\n",
    PART % (b"subject", b"", b"x") * 3000 + b"--x--\r\n",  # more parts than werkzeug reads
    b"garbage without any boundary", b"--x--\r\n", b"--x\r\n\r\n\r\n--x--\r\n",
    b"--x\r\nContent-Disposition: form-data; name=\"" + "\u4e2d".encode() + b"\"\r\n\r\n\xff\xfe\r\n--x--\r\n",
    b"--x\r\nContent-Disposition: form-data; filename=\"a.txt\"\r\n\r\nno name\r\n--x--\r\n",
]


def latin1(text: str) -> str:
    """A header value as a WSGI server hands it over: the bytes sent, read as Latin-1; HTTP has no line breaks."""
    return text.encode("utf-8", "surrogatepass").decode("latin-1").replace("\r", "").replace("\n", "")


def hostile_headers(rng: random.Random) -> dict[str, str]:
    headers = {}
    if rng.random() < 0.3:
        headers["X-Long"] = "a" * rng.choice([8_000, 64_000])
    if rng.random() < 0.3:
        name = rng.choice(["X-Case-Secret", "Idempotency-Key", "Accept-Language", "Cookie", "Sec-Fetch-Site"])
        headers[name] = latin1(rng.choice(TEXT))
    if rng.random() < 0.1:
        headers["Origin"] = rng.choice(["null", "https://elsewhere.example", latin1("http://\u4e2d")])
    return headers


CSRF = "the-real-token-of-this-browser"  # put in the test client's session, so half the forms get past it
VALID = {  # a good request per body, so one or two hostile fields reach the code behind the checks
    "suggest": {"subject": "locked out", "description": "cannot sign in", "category": "access", "limit": 5, "seq": 1},
    "case": {"subject": "Locked", "category": "access", "description": "locked out", "name": "Ada",
             "email": "ada@example.com", "session": "form-session-1", "shown": ["locked-account"]},
    "event": {"session": "form-session-1", "kind": "clicked", "article_id": "locked-account", "query": "locked"},
}


def body(rng: random.Random, valid: dict) -> dict:
    """Keyword arguments for a POST: a good body with hostile fields, raw text, or a hostile form."""
    choice = rng.random()
    mutated = dict(valid)
    for name in rng.sample(sorted(valid) + ["unknown"], rng.randint(0, 3)):
        mutated[name] = rng.choice(JSON_VALUES + TEXT)
    if choice < 0.45:
        return {"data": json.dumps(mutated), "content_type": "application/json"}
    if choice < 0.65:
        return {"data": rng.choice(RAW_JSON).encode("utf-8", "surrogatepass"),
                "content_type": rng.choice(["application/json", "application/json; charset=utf-8"])}
    if choice < 0.8:
        return {"data": rng.choice(MULTIPART), "content_type": rng.choice(CONTENT_TYPES)}
    form = {name: value if isinstance(value, str) else json.dumps(value) for name, value in mutated.items()}
    form["csrf_token"] = rng.choice([CSRF, CSRF, *TOKENS])
    if rng.random() < 0.3:
        form["attachments"] = (io.BytesIO(rng.choice([b"\x89PNG\r\n\x1a\n", b"", b"\x00" * 10, b"text"])),
                               rng.choice(["a.png", "../../a.txt", "", "\u202egnp.exe", "a" * 300 + ".txt", "a.log"]))
    return {"data": form, "content_type": rng.choice(["multipart/form-data", "application/x-www-form-urlencoded"])}


def query(rng: random.Random, names: list[str]) -> str:
    """A query string: a good one with a few hostile values (invalid UTF-8, bad escapes), or a name twice."""
    values = TEXT + NUMBERS + IDS + ["%ED%A0%80", "%FF", "%", "%%", "%E2%80%AE"]
    given = {name: GOOD_QUERY.get(name, "") for name in names}
    for name in rng.sample(names, min(len(names), rng.randint(0, 2))):
        given[name] = rng.choice(values)
    pairs = [f"{name}={value}" for name, value in given.items() if value != ""]
    if pairs and rng.random() < 0.2:
        pairs.append(rng.choice(pairs))
    return quote("&".join(pairs).encode("utf-8", "surrogatepass"), safe="=&%+")


SEARCH = ["q", "type", "category", "subcategory", "page", "per_page"]
GOOD_QUERY = {"q": "locked password", "type": "knowledge", "category": "access", "page": "1", "per_page": "5"}
ROUTES = [  # method (None: one the route does not allow), path, query parameters, body
    ("GET", lambda rng: "/", SEARCH[:-1], None),
    ("GET", lambda rng: f"/articles/{rng.choice(IDS)}", ["session"], None),
    ("GET", lambda rng: "/categories", [], None),
    ("GET", lambda rng: f"/categories/{rng.choice(IDS)}", [], None),
    ("GET", lambda rng: f"/categories/{rng.choice(IDS)}/{rng.choice(IDS)}", [], None),
    ("GET", lambda rng: "/cases/new", [], None),
    ("POST", lambda rng: "/cases/new", [], "case"),
    ("GET", lambda rng: f"/cases/{rng.choice(IDS)}", ["secret"], None),
    ("GET", lambda rng: "/api/status", [], None),
    ("GET", lambda rng: "/api/openapi.json", [], None),
    ("GET", lambda rng: "/api/search", SEARCH, None),
    ("POST", lambda rng: "/api/suggest", [], "suggest"),
    ("POST", lambda rng: "/api/cases", [], "case"),
    ("GET", lambda rng: f"/api/cases/{rng.choice(IDS)}", ["secret"], None),
    ("POST", lambda rng: "/api/events", [], "event"),
    ("GET", lambda rng: f"/api/{rng.choice(IDS)}", [], None),
    (None, lambda rng: rng.choice(["/api/cases", "/api/suggest", "/", "/cases/new", "/api/status"]), [], None),
]


def requests(rng: random.Random):
    """Every route, ROUNDS times, each with freshly drawn hostile values."""
    for _ in range(ROUNDS):
        for method, path, names, valid in ROUTES:
            method = method or rng.choice(["PUT", "DELETE", "PATCH", "TRACE", "HEAD", "OPTIONS"])
            kwargs: dict = {"headers": hostile_headers(rng), "query_string": query(rng, names)}
            if valid is not None:
                kwargs.update(body(rng, VALID[valid]))
                if rng.random() < 0.1:  # a length that lies, or is not a number
                    kwargs["environ_overrides"] = {"CONTENT_LENGTH": rng.choice(["abc", "-1", str(2**40)])}
            yield method, path(rng), kwargs


def assert_api_error_shape(response) -> None:
    body = response.get_json(silent=True)
    assert isinstance(body, dict) and set(body) == {"error", "errors", "status"}, response.get_data()[:300]
    assert body["status"] == response.status_code and isinstance(body["error"], str) and body["error"]
    assert isinstance(body["errors"], list)
    assert all(isinstance(e, dict) and set(e) == {"field", "message"} and all(isinstance(v, str) for v in e.values())
               for e in body["errors"])


@pytest.fixture
def client(app, config):
    """The test app with its rate limits off, so every request reaches the checks (limits have their own tests)."""
    from kbsearch import create_app
    from kbsearch.web.limits import SCOPES
    return create_app({**config, **{name: "off" for name in SCOPES}}).test_client()


def test_hostile_input_never_gets_a_5xx(client):
    rng = random.Random(SEED)
    statuses: Counter = Counter()
    failures = []
    with client.session_transaction() as session:  # a form session, so CSRF tokens are compared, not missing
        session["csrf"] = CSRF
    for method, path, kwargs in requests(rng):
        where = f"{method} {path[:80]} {str(kwargs)[:300]}"
        try:  # TESTING propagates a view's exception instead of answering 500
            response = client.open(path, method=method, **kwargs)
        except Exception as exc:
            statuses[500] += 1
            failures.append(f"raised {exc!r}: {where}")
            continue
        statuses[response.status_code] += 1
        if response.status_code >= 500:
            failures.append(f"{response.status_code} {where}")
        elif response.status_code == 405 and "Allow" not in response.headers:
            failures.append(f"405 without Allow: {where}")
        elif path.startswith("/api/") and response.status_code >= 400 and method != "HEAD":
            try:
                assert_api_error_shape(response)
            except AssertionError as exc:
                failures.append(f"not the error shape: {where}: {exc}")
    total = sum(statuses.values())
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    SUMMARY.append(f"fuzz (seed {SEED}): {total} hostile requests, {server_errors} answered 5xx; "
                   f"statuses {dict(sorted(statuses.items()))}")
    assert total >= 100
    assert not failures, "\n".join(failures[:20])


@pytest.mark.parametrize("raw, field", [
    ('{"subject": "\\ud800", "description": "\\udfff x"}', "subject"),  # UTF-8 cannot hold a lone surrogate
    ('{"subject": ' + "[" * 50_000 + "]" * 50_000 + "}", "body"),  # deeper than the parser goes
    ('{"limit": 1e999, "seq": NaN}', "limit"),  # Python reads these as inf and nan
    ('{"limit": ' + "9" * 5000 + "}", "body"),  # more digits than Python converts
])
def test_odd_json_is_a_400_naming_the_field(client, raw, field):
    response = client.post("/api/suggest", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert_api_error_shape(response)
    assert field in [e["field"] for e in response.get_json()["errors"]]
