"""schemathesis against a live server: the OpenAPI document is exactly true.

Every check runs (``--checks all``): what the document allows must be accepted, what it forbids
refused, every answer's status, headers and body described, no 5xx, and the links from a new case
(to reading it, commenting on it, the team's view of it) must lead to it. Bounded: a fixed seed and
a fixed number of examples per operation. Rate limits are off for this app; they have their own tests.

The staff operations are exercised for real: schemathesis is given a live staff token made in the
test database for the document's ``bearerAuth`` scheme (and only for the operations that use it), and
``ignored_auth`` then checks that each answers 401 without it or with a wrong one.

The same run from a shell: this module registers the attachment files, so name it as hooks, and
give openCase's ``positive_data_acceptance`` the expected statuses of ``config()`` in a
schemathesis.toml (``[[operations]] include-operation-id = "openCase"``)::

    PYTHONPATH=tests SCHEMATHESIS_HOOKS=test_schemathesis schemathesis run URL/api/openapi.json --checks all \
        -H "Authorization: Bearer $(kbsearch tokens create schemathesis | tail -n 1)"

(``-H`` sends the token with every operation; this test gives it to the bearer scheme only.)
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from conftest import SUMMARY
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis.core.file_samples import FILE_SAMPLES
from schemathesis.engine import Status, events, from_schema
from werkzeug.serving import make_server

from kbsearch import create_app
from kbsearch.cases import tokens
from kbsearch.index.reindex import build
from kbsearch.web import current
from kbsearch.web.limits import SCOPES

SEED = 20261206
MAX_EXAMPLES = 12  # per operation and phase: about 1,000 requests, 25 s on an idle machine
# Valid data may also meet a state the document names: an Idempotency-Key already used for
# another case (422), like the 409 schemathesis expects of any conflict.
# No 401: schemathesis holds a live staff token, so valid data never lacks credentials.
POSITIVE_STATUSES = ["2xx", "3xx", "403", "404", "409", "429", "5xx"]

# The document says which files may be attached (a name ending in .png, .pdf ... and content of that
# type); schemathesis cannot make such files by itself, so its "binary" values are drawn from its own
# sample files, which it names by their content (attachments.png, attachments.pdf ...).
schemathesis.openapi.format("binary", st.sampled_from(
    [FILE_SAMPLES[extension] for extension in ("png", "jpg", "gif", "webp", "pdf", "zip")]))


def config(token: str) -> schemathesis.Config:
    settings = schemathesis.Config.from_dict({
        "seed": SEED,
        "auth": {"openapi": {"bearerAuth": {"bearer": token}}},
        "cache": {"enabled": False},  # what one run learnt must not steer the next
        "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
        "phases": {"stateful": {"max-steps": 6}},
        "operations": [{"include-operation-id": "openCase", "checks": {
            "positive_data_acceptance": {"expected-statuses": POSITIVE_STATUSES + ["422"]}}}],
    })
    settings.projects.override.checks.update(included_check_names=["all"])
    return settings


@pytest.fixture
def server(config, kb: Path, index_dir: Path, tmp_path: Path):
    """The app of tests/conftest.py, rate limits off, served on 127.0.0.1 by a threaded werkzeug.

    Hypothesis keeps its caches under tmp_path, not in the working tree (for the rest of the session:
    its threads may still write after the run).
    """
    set_hypothesis_home_dir(tmp_path / "hypothesis")
    build(kb, index_dir)
    app = create_app({**config, **{name: "off" for name in SCOPES}})
    with app.app_context():
        token = tokens.create(current.get_db(), "schemathesis")
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", token
    httpd.shutdown()
    thread.join()
    httpd.server_close()


def run(url: str, token: str) -> tuple[Counter, Counter, list[str]]:
    """Run every phase; return the statuses answered, those per operation and a line per failure or error."""
    schema = schemathesis.openapi.from_url(f"{url}/api/openapi.json", config=config(token))
    statuses: Counter = Counter()
    by_operation: Counter = Counter()
    problems: list[str] = []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            for case_id, interaction in event.recorder.interactions.items():
                if interaction.response is not None:
                    statuses[interaction.response.status_code] += 1
                    label = event.recorder.cases[case_id].value.operation.label
                    by_operation[label, interaction.response.status_code] += 1
            for case_id, checks in event.recorder.checks.items():
                case = event.recorder.cases[case_id].value
                for check in checks:
                    if check.failure_info is not None:
                        phase = f"{case.meta.phase.name.value}: {case.meta.phase.data.description}" if case.meta else ""
                        problems.append(f"{case.method} {case.path} {check.name} ({phase}): "
                                        f"{check.failure_info.failure.title}\n{check.failure_info.code_sample}")
                    elif check.status == Status.ERROR:
                        problems.append(f"{case.method} {case.path} {check.name}: error")
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            problems.append(f"schemathesis error: {getattr(event, 'value', None) or event.exception}")
    return statuses, by_operation, problems


def test_the_document_is_exactly_true(server):
    statuses, by_operation, problems = run(*server)
    total = sum(statuses.values())
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    SUMMARY.append(f"schemathesis (all checks, seed {SEED}): {total} requests, {server_errors} answered 5xx, "
                   f"{len(problems)} failures; statuses {dict(sorted(statuses.items()))}")
    assert total > 300 and {200, 201, 400, 404, 405} <= set(statuses)  # it really ran, both ways
    staff_answers = {status for (label, status) in by_operation if "/api/staff/" in label}
    assert {200, 201, 400, 401, 404} <= staff_answers, by_operation  # the token was used, and refused when wrong
    assert not problems, "\n\n".join(problems[:10])
