"""Building blocks of the OpenAPI document: field schemas that say exactly what ``cases.fields`` accepts.

The document must be exactly true (schemathesis checks both ways: what it allows is accepted,
what it forbids is refused), so each schema mirrors one check of the server:

* text is counted in code points before anything is stripped (``maxLength``);
* a required field is stripped of Python's white space (``str.isspace``) first, so "required" is
  "holds one character outside that set" — spelled out as ``\\uXXXX`` ranges, which ECMA-262,
  Python and Rust regular expressions all read alike (their ``\\s`` differ);
* ``null`` in a JSON body means "not sent" wherever the server treats it so.
"""

from __future__ import annotations

from typing import Any

STRING_OR_NULL: dict[str, Any] = {"type": ["string", "null"]}


def _ranges(chars: list[int]) -> str:
    parts, start = [], chars[0]
    for previous, current in zip(chars, chars[1:] + [-1]):
        if current != previous + 1:
            parts.append(f"\\u{start:04x}" if start == previous else f"\\u{start:04x}-\\u{previous:04x}")
            start = current
    return "".join(parts)


WS = _ranges([c for c in range(0x3001) if chr(c).isspace()])  # none above U+3000
NOT_BLANK = f"[^{WS}]"
NON_EMPTY = {"type": "string", "minLength": 1}


def text(limit: int, nullable: bool = True) -> dict[str, Any]:
    """An optional text field: ``Fields.text`` (``null`` is "not sent")."""
    return {"type": ["string", "null"] if nullable else "string", "maxLength": limit}


def required_text(limit: int) -> dict[str, Any]:
    """``Fields.required``: more than white space, at most ``limit`` characters before stripping."""
    return {"type": "string", "maxLength": limit, "pattern": NOT_BLANK}


def email() -> dict[str, Any]:
    """``Fields.email``: the server's EMAIL pattern once stripped."""
    part = f"[^@{WS}]+"
    return {"type": "string", "maxLength": 254, "pattern": f"^[{WS}]*{part}@{part}\\.{part}[{WS}]*$",
            "description": "an email address such as name@example.com"}


def token(required: bool, nullable: bool = True) -> dict[str, Any]:
    """``Fields.token``: a form session id, 8-64 letters, digits, ``-`` or ``_`` (white space around is stripped)."""
    inner = "[A-Za-z0-9_-]{8,64}" if required else "(?:[A-Za-z0-9_-]{8,64})?"
    kind = ["string", "null"] if nullable and not required else "string"
    return {"type": kind, "maxLength": 64, "pattern": f"^[{WS}]*{inner}[{WS}]*$",
            "description": "the form session id: 8 to 64 letters, digits, '-' or '_'"}


def comma_separated_ids(most: int, longest: int) -> dict[str, Any]:
    """``Fields.id_list`` on a form field: ids separated by commas, blank ones skipped, each stripped.

    Said as what is refused (an id too long, too many ids), which keeps the patterns small and linear.
    """
    blank, edge = f"[{WS}]*", f"[^,{WS}]"
    too_long = f"{edge}[^,]{{{longest - 1},}}{edge}"
    too_many = f"^(?:{blank},)*(?:{blank}{edge}[^,]*,(?:{blank},)*){{{most}}}{blank}{edge}"
    return {"type": "string", "not": {"anyOf": [{"pattern": too_long}, {"pattern": too_many}]},
            "description": f"article ids separated by commas: at most {most}, each at most {longest} characters"}


def taxonomy(categories: dict | None, required: bool, nullable: bool) -> dict[str, Any]:
    """``taxonomy_filters``: the ``category`` and ``subcategory`` properties and the rule tying them.

    With a taxonomy (``categories.yml``), each is an ``enum`` of the served build's ids and an
    ``anyOf`` branch per category names the subcategories it has; without one, any text.
    Returns ``{"properties": ..., "anyOf": [...]}`` (``anyOf`` only with a taxonomy).
    """
    absent: list[Any] = [None, ""] if nullable else [""]
    if categories is None:
        category = {**NON_EMPTY, "maxLength": 100} if required else text(100, nullable)
        return {"properties": {"category": category, "subcategory": text(100, nullable)}}
    every_sub = sorted({s for c in categories.values() for s in c["subcategories"]})
    branches: list[dict[str, Any]] = [] if required else [
        {"properties": {"category": {"enum": absent}, "subcategory": {"enum": absent}}}]
    branches += [{"required": ["category"], "properties": {
        "category": {"const": c}, "subcategory": {"enum": absent + sorted(categories[c]["subcategories"])}}}
        for c in sorted(categories)]
    return {"properties": {
        "category": {"enum": ([] if required else absent) + sorted(categories),
                     "description": "a category id of categories.yml"},
        "subcategory": {"enum": absent + every_sub, "description": "a subcategory id of the chosen category"}},
        "anyOf": branches}


def strict(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """An object with exactly these properties: the server names any other field (400)."""
    schema: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": properties}
    if required:
        schema["required"] = required
    return schema


# -- responses --------------------------------------------------------------------------------------------

ERROR = {
    "type": "object",
    "required": ["error", "errors", "status"],
    "additionalProperties": False,
    "properties": {
        "error": {"type": "string"},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "message"], "additionalProperties": False,
            "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}},
        "status": {"type": "integer"},
    },
}

MEANING = {
    400: "invalid fields, all named in errors (unknown fields too)",
    401: "no staff token, or one that is wrong or revoked (Authorization: Bearer <token>)",
    403: "a cross-site request from a browser",
    404: "not found (for a case's owner: no such case, or no or a wrong secret, which look alike)",
    409: "the case is closed: open a new case instead",
    405: "method not allowed; the Allow header lists those that are",
    413: "request body too large",
    415: "the body is not of a type this operation reads",
    422: "this Idempotency-Key already made a case with other content: nothing was stored",
    429: "too many requests from this address: try again after Retry-After seconds",
    503: "no usable index (the message names the command to run), or the case database is busy "
         "(then with Retry-After)",
    507: "the server's disk is full: nothing was stored",
}
HEADERS = {
    401: {"WWW-Authenticate": {"required": True, "schema": {"type": "string", "pattern": "^Bearer "},
                               "description": "the scheme to use"}},
    405: {"Allow": {"required": True, "schema": {"type": "string"}, "description": "the methods allowed"}},
    429: {"Retry-After": {"required": True, "schema": {"type": "string", "pattern": "^[0-9]+$"},
                          "description": "seconds"}},
    503: {"Retry-After": {"required": False, "schema": {"type": "string", "pattern": "^[0-9]+$"},
                          "description": "seconds; sent when the database is busy"}},
}


def json_response(schema: dict, description: str, headers: dict | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def errors(*statuses: int) -> dict[str, dict]:
    """The error answers an operation can give, in the one error shape."""
    return {str(s): json_response(ERROR, MEANING[s], HEADERS.get(s)) for s in statuses}


def query(name: str, schema: dict, description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}
