"""Email: the mails a case causes, and sending one through SMTP (stdlib smtplib and email only).

A mail is composed when it is queued, so every attempt sends the same text under the same
Message-ID. Each has a plain-text and an HTML part built from the same blocks; in the HTML
everything is escaped. Addresses go through the email package's parser, so a customer's
address can never add a recipient or a header.
"""

from __future__ import annotations

import html
import json
import smtplib
import ssl
from collections.abc import Mapping
from datetime import datetime, timezone
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any

# A mail is a list of blocks: ("p", text), ("link", text, url), ("pre", text), ("ul", [(text, url | None)])
Block = tuple[Any, ...]
Queued = tuple[str, str, str, str, str]  # delivery id, event, case number, recipient, payload (JSON)
SMTP_TIMEOUT_SECONDS = 30.0  # for each exchange with the server


def address(name: str, addr: str) -> Address | None:
    """``addr`` as one valid address with ``name`` shown, or ``None`` when it is not one."""
    try:
        parsed = Address(display_name=" ".join(name.split()), addr_spec=addr)
    except (ValueError, MessageError):
        return None
    return parsed if parsed.username and parsed.domain else None


def customer_mail(case: Mapping[str, Any], sender: str, reply_to: str | None, link: str | None,
                  delivery_id: str) -> Queued | None:
    """The customer's receipt: the number, the subject and the status link (which holds the secret).

    ``None`` when the customer's address cannot be mailed.
    """
    to = address(case["name"], case["email"])
    if to is None:
        return None
    received = f"we received your case {case['number']}, \u201c{case['subject']}\u201d. Our support team will answer."
    blocks: list[Block] = [("p", f"Hello {case['name']},"), ("p", received)]
    if link:
        follow = "Follow it, and read the answer when there is one, at this address. Keep it private: it is the key."
        blocks.append(("link", follow, link))
    else:
        blocks.append(("p", "Keep the link to your case that was shown when you sent it: it is the key to it."))
    if reply_to:
        blocks.append(("p", f"To add something, reply to this email and keep {case['number']} in the subject."))
    return _queued(case, delivery_id, sender, to, reply_to,
                   f"[{case['number']}] We received your case: {case['subject']}", blocks)


def team_mail(case: Mapping[str, Any], sender: str, team: str, titles: Mapping[str, str],
              base_url: str | None, delivery_id: str) -> Queued:
    """The support team's copy: the whole case and what the customer already tried; never the secret."""
    customer = address(case["name"], case["email"])
    tried = case["tried"]
    where = case["category"] + (f" / {case['subcategory']}" if case["subcategory"] else "")
    opened = f"{case['name']} <{case['email']}> opened case {case['number']} on {case['created']}, in {where}."
    blocks: list[Block] = [("p", opened), ("pre", case["description"])]
    if case["attachments"]:
        blocks.append(("p", "Attachments: " + ", ".join(f"{a['name']} ({a['size']:,} bytes)"
                                                        for a in case["attachments"])))
    ids = list(dict.fromkeys([*tried["shown"], *tried["opened"], *tried["dismissed"]]))
    items = [(titles.get(i, i) + (" (opened)" if i in tried["opened"] else "")
              + (" (marked not relevant)" if i in tried["dismissed"] else ""),
              f"{base_url}/articles/{i}" if base_url else None) for i in ids]
    blocks.append(("p", "What the customer already tried: the articles the suggestions panel showed."
                   if items else "The suggestions panel showed the customer no article."))
    if items:
        blocks.append(("ul", items))
    if customer is not None:
        blocks.append(("p", "Reply to this email to answer the customer."))
    return _queued(case, delivery_id, sender, address("", team) or team,
                   str(customer) if customer else None, f"[{case['number']}] New case: {case['subject']}", blocks)


STATUS_WORDS = {"new": "new", "open": "open: the team is working on it", "waiting": "waiting for your reply",
                "solved": "solved", "closed": "closed"}


def follow_blocks(number: str, base_url: str | None) -> list[Block]:
    """How a customer gets back to the case: the page (its key is in their browser) or finding it by email."""
    if not base_url:
        return [("p", f"Open {number} from the link in the first email about it.")]
    return [("link", "Read it and reply on your case's page (from the browser you opened it in):",
             f"{base_url}/cases/{number}"),
            ("link", "On another device, ask for a link to your cases here:", f"{base_url}/cases/find")]


def answer_mail(case: Mapping[str, Any], event: str, text: str, sender: str, reply_to: str | None,
                base_url: str | None, delivery_id: str, quoted: str | None = None) -> Queued | None:
    """To the customer: the team's comment (``quoted``) or a change of status; never a secret.

    ``None`` when the customer's address cannot be mailed.
    """
    to = address(case["name"], case["email"])
    if to is None:
        return None
    blocks: list[Block] = [("p", f"Hello {case['name']},"), ("p", text)]
    if quoted:
        blocks.append(("pre", quoted))
    blocks += follow_blocks(case["number"], base_url)
    status = STATUS_WORDS.get(case["status"], case["status"])
    return _queued(case, delivery_id, sender, to, reply_to,
                   f"[{case['number']}] {case['subject']} ({status})", blocks, event)


def team_note(case: Mapping[str, Any], event: str, text: str, sender: str, team: str, base_url: str | None,
              delivery_id: str, quoted: str | None = None) -> Queued:
    """To the team: the customer's reply (``quoted``) or their own status change; never a secret."""
    customer = address(case["name"], case["email"])
    blocks: list[Block] = [("p", text)]
    if quoted:
        blocks.append(("pre", quoted))
    blocks.append(("p", f"The case is now {case['status']}. Answer with: kbsearch cases comment {case['number']} TEXT"))
    return _queued(case, delivery_id, sender, address("", team) or team, str(customer) if customer else None,
                   f"[{case['number']}] {case['subject']}", blocks, event)


def find_mail(email: str, numbers: list[str], sender: str, link: str, delivery_id: str) -> Queued | None:
    """The answer to "find my cases": a signed link to the list of this address's cases."""
    to = address("", email)
    if to is None:
        return None
    blocks: list[Block] = [("p", "Hello,"),
                           ("p", f"someone asked for the support cases opened with this address ({len(numbers)})."),
                           ("link", "Open them within 24 hours at:", link),
                           ("p", "If that was not you, ignore this email: nothing changes.")]
    return _queued({"number": None}, delivery_id, sender, to, None, "Your support cases", blocks, "cases.find")


def _queued(case: Mapping[str, Any], delivery_id: str, sender: str, to: Address | str, reply_to: str | None,
            subject: str, blocks: list[Block], event: str = "case.created") -> Queued:
    recipient = to.addr_spec if isinstance(to, Address) else parseaddr(to)[1]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "kbsearch"
    payload = {"from": sender, "to": str(to), "to_addr": recipient, "reply_to": reply_to,
               "subject": " ".join(subject.split()), "message_id": f"<{delivery_id}@{domain}>",
               "date": format_datetime(datetime.now(timezone.utc)), "text": _text(blocks), "html": _html(blocks)}
    return delivery_id, event, case["number"], recipient, json.dumps(payload, ensure_ascii=False)


def _text(blocks: list[Block]) -> str:
    parts = []
    for kind, *rest in blocks:
        if kind == "link":
            parts.append(f"{rest[0]}\n{rest[1]}")
        elif kind == "ul":
            parts.append("\n".join(f"- {text}" + (f"\n  {url}" if url else "") for text, url in rest[0]))
        else:
            parts.append(rest[0])
    return "\n\n".join(parts) + "\n"


def _html(blocks: list[Block]) -> str:
    e = html.escape
    parts = []
    for kind, *rest in blocks:
        if kind == "link":
            parts.append(f'<p>{e(rest[0])}<br><a href="{e(rest[1])}">{e(rest[1])}</a></p>')
        elif kind == "ul":
            parts.append("<ul>" + "".join(f'<li><a href="{e(url)}">{e(text)}</a></li>' if url
                                          else f"<li>{e(text)}</li>" for text, url in rest[0]) + "</ul>")
        elif kind == "pre":
            parts.append(f'<pre style="white-space: pre-wrap">{e(rest[0])}</pre>')
        else:
            parts.append(f"<p>{e(rest[0])}</p>")
    return "<!doctype html>\n<html><body>\n" + "\n".join(parts) + "\n</body></html>\n"


def build(payload: str) -> tuple[EmailMessage, str]:
    """The mail a queued payload describes, and its one recipient."""
    data = json.loads(payload)
    message = EmailMessage()
    message["From"] = data["from"]
    message["To"] = data["to"]
    if data["reply_to"]:
        message["Reply-To"] = data["reply_to"]
    message["Subject"] = data["subject"]
    message["Date"] = data["date"]
    message["Message-ID"] = data["message_id"]
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a robot
    message.set_content(data["text"])
    message.add_alternative(data["html"], subtype="html")
    return message, data["to_addr"]


def send(payload: str, host: str, port: int, user: str | None, password: str | None, starttls: bool,
         timeout: float) -> None:
    """Send one queued mail; any SMTP or network error raises (the deliverer retries it)."""
    message, recipient = build(payload)
    with smtplib.SMTP(host, port, timeout=min(timeout, SMTP_TIMEOUT_SECONDS)) as smtp:
        if starttls:
            smtp.starttls(context=ssl.create_default_context())  # the default checks the certificate
        if user:
            smtp.login(user, password or "")
        smtp.send_message(message, to_addrs=[recipient])
