"""What the case form shows besides its fields: the categories in ``categories.yml``'s own order,
the values a link starts it with, and after a failed submission every problem and every file to
choose again (a browser never sends a file input's files back with a re-rendered form).
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import request

from kbsearch.cases.attachments import display_name
from kbsearch.cases.fields import MAX_SUBJECT, Fields


def ordered_taxonomy(manifest: Mapping) -> dict[str, dict]:
    """The build's taxonomy in ``categories.yml``'s order (the manifest's JSON keeps keys sorted).

    The order is the manifest's ``taxonomy_order`` (``[[category, [subcategory, …]], …]``); a
    build made before it was recorded keeps the manifest's own (sorted) order.
    """
    taxonomy = manifest.get("taxonomy") or {}
    order = manifest.get("taxonomy_order")
    shape = {c: sorted(spec.get("subcategories", {})) for c, spec in taxonomy.items()}
    if not order or {c: sorted(subs) for c, subs in order} != shape:
        return taxonomy
    return {c: {**taxonomy[c], "subcategories": {s: taxonomy[c]["subcategories"][s] for s in subs}}
            for c, subs in order}


def prefill(args: Mapping, taxonomy: Mapping) -> dict[str, str]:
    """``?subject=`` and ``?category=`` (and ``?subcategory=``) from a link such as "Contact support"."""
    values = {"subject": " ".join(args.get("subject", "").split())[:MAX_SUBJECT]}
    category = args.get("category", "")
    if category in taxonomy:
        values["category"] = category
        if args.get("subcategory", "") in taxonomy[category].get("subcategories", {}):
            values["subcategory"] = args["subcategory"]
    return values


def all_errors(fields: Fields) -> dict[str, str]:
    """Every message of each field, joined: a form shows each bad file, not only the first."""
    messages: dict[str, list[str]] = {}
    for error in fields.errors:
        messages.setdefault(error["field"], []).append(error["message"])
    return {name: "; ".join(found) for name, found in messages.items()}


def files_to_choose_again(fields: Fields) -> list[str]:
    """The names of the files this request sent that passed: the customer has to choose them again."""
    rejected = [e["message"] for e in fields.errors if e["field"] == "attachments"]
    names = [display_name(f.filename) for f in request.files.getlist("attachments") if f.filename]
    return [n for n in names if n and not any(m.startswith((f"{n} ", f"{n}:")) for m in rejected)]
