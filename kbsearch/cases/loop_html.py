"""The knowledge loop on one self-contained HTML page (``kbsearch report … --format html``).

Inline CSS and inline SVG charts (the funnel per day, the top gaps), no script and nothing
fetched from elsewhere, so a support lead can open it from disk or mail it. The only links
lead to articles. Every text from the store is escaped.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from kbsearch.cases import article_stats

CSS = """
body{font:15px/1.45 system-ui,sans-serif;color:#1d2430;margin:2rem auto;max-width:72rem;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d5dae1;padding-bottom:.3rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}
th,td{padding:.25rem .6rem;border-bottom:1px solid #e6e9ee;text-align:left;vertical-align:top}
td.n,th.n{text-align:right}th{background:#f3f5f8}
.muted{color:#5b6472}.low{color:#a3261b;font-weight:600}svg{max-width:100%;height:auto}
.legend span{display:inline-block;margin-right:1rem}.legend i{display:inline-block;width:.8rem;height:.8rem;
margin-right:.3rem;vertical-align:-.1rem}
"""
SERIES = (("sessions", "#9aa5b5"), ("shown", "#4c78a8"), ("clicked", "#72b7b2"), ("deflected", "#54a24b"),
          ("cases", "#e45756"))
LISTS = (("no_results", "no results", "#e45756"), ("no_clicks", "nothing opened", "#f58518"),
         ("no_suggestion", "panel had nothing", "#b279a2"), ("cases_despite_suggestions", "cases anyway", "#4c78a8"))
ArticleUrl = Callable[[str], str]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def funnel_chart(days: list[dict]) -> str:
    """Grouped bars per day: sessions, shown, clicked, deflected (explicit + implicit), cases."""
    if not days:
        return '<p class="muted">No sessions in this period.</p>'
    height, group, bar = 220, 18 + 12 * len(SERIES), 11
    top = max(max(d["sessions"], d["cases"]) for d in days) or 1
    width = max(320, 40 + group * len(days))
    parts = [f'<svg role="img" aria-label="The funnel per day" viewBox="0 0 {width} {height + 40}" '
             + f'width="{width}" height="{height + 40}">',
             f'<line x1="36" y1="{height}" x2="{width}" y2="{height}" stroke="#9aa5b5"/>',
             f'<text x="32" y="12" font-size="10" text-anchor="end">{top}</text>',
             f'<text x="32" y="{height}" font-size="10" text-anchor="end">0</text>']
    for n, day in enumerate(days):
        x = 40 + n * group
        values = {**day, "deflected": day["explicit"] + day["implicit"]}
        for k, (name, colour) in enumerate(SERIES):
            h = round(values[name] / top * (height - 10))
            parts.append(f'<rect x="{x + k * 12}" y="{height - h}" width="{bar}" height="{h}" fill="{colour}">'
                         f'<title>{escape(day["day"])}: {name} {values[name]}</title></rect>')
        parts.append(f'<text x="{x + group / 2 - 6}" y="{height + 14}" font-size="10" text-anchor="middle">'
                     f'{escape(day["day"][5:])}</text>')
    parts.append("</svg>")
    legend = "".join(f'<span><i style="background:{c}"></i>{n}</span>' for n, c in SERIES)
    return "".join(parts) + f'<p class="legend">{legend}</p>'


def gaps_chart(gaps: dict, most: int = 12) -> str:
    """Horizontal bars: the largest gaps of every list, named by their query or category."""
    bars = []
    for name, label, colour in LISTS:
        for g in gaps[name]:
            count = g.get("searches", g.get("sessions", g.get("cases", 0)))
            what = g.get("query") or f'{g["category"] or "no category"}: {g["examples"][0]["subject"]}'
            bars.append((count, f"{what} — {label}", colour))
    bars = sorted(bars, key=lambda b: -b[0])[:most]
    if not bars:
        return '<p class="muted">No gaps in this period.</p>'
    top, row, width = max(b[0] for b in bars) or 1, 22, 760
    parts = [f'<svg role="img" aria-label="The top gaps" viewBox="0 0 {width} {row * len(bars) + 8}" '
             + f'width="{width}" height="{row * len(bars) + 8}">']
    for n, (count, text, colour) in enumerate(bars):
        y, w = 4 + n * row, max(2, round(count / top * 300))
        short = text if len(text) <= 60 else text[:59] + "…"
        parts.append(f'<text x="0" y="{y + 14}" font-size="12">{escape(short)}</text>'
                     f'<rect x="420" y="{y + 3}" width="{w}" height="14" fill="{colour}"/>'
                     f'<text x="{426 + w}" y="{y + 14}" font-size="12">{count}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _table(headers: list[str], rows: list[list[str]], empty: str) -> str:
    """Cells are HTML already escaped; columns of numbers (or rates) are right-aligned."""
    if not rows:
        return f'<p class="muted">{escape(empty)}</p>'
    numeric = [all(article_stats.NUMBER.match(r[i]) for r in rows) for i in range(len(headers))]
    head = "".join(f'<th{" class=n" if numeric[i] else ""}>{escape(h)}</th>' for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f'<td{" class=n" if numeric[i] else ""}>{cell}</td>' for i, cell in enumerate(r))
                   + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _article(article_id: str | None, url: ArticleUrl, title: str | None = None) -> str:
    if not article_id:
        return "-"
    return f'<a href="{escape(url(article_id))}">{escape(title or article_id)}</a>'


def page(funnel: dict, gaps: dict, articles: dict, period: str, url: ArticleUrl, well_covered: float) -> str:
    """The whole page: funnel (chart and table), gaps (chart and lists), articles with any activity."""
    t = funnel["total"]
    funnel_rows = [[escape(d["day"]), *(str(d[k]) for k in ("sessions", "shown", "clicked", "helpful", "explicit",
                                                             "implicit", "cases", "solved", "linked")),
                    _pct(d["deflection_rate"]), _pct(d["link_rate"])] for d in [*funnel["days"], t]]
    queries = {}
    for name, label, _ in LISTS[:3]:
        queries[name] = _table(["query", "count", "last seen", "wordings"], [
            [escape(g["query"]), str(g.get("searches", g.get("sessions"))),
             escape(g["last_seen"][:16].replace("T", " ")), escape(" | ".join(g["examples"]))] for g in gaps[name]],
            f"No {label} in this period.")
    cases = _table(["category", "cases", "best article", "best score", "cases (newest first)"], [
        [escape(g["category"] or "-"), str(g["cases"]), _article(g["best_article"], url),
         "-" if g["best_score"] is None else (f'<span class="low">{g["best_score"]:.2f}: no article covers it</span>'
                                             if g["best_score"] < well_covered else f'{g["best_score"]:.2f}'),
         escape("; ".join(f"{e['number']} {e['subject']}" for e in g["examples"]))]
        for g in gaps["cases_despite_suggestions"]], "No case was sent after suggestions in this period.")
    review = _table(["article", "dismissed", "voted No", "opened before a case", "reasons given"], [
        [_article(a["id"], url, a["title"]), str(a["dismissed"]), str(a["not_helpful"]), str(a["opened_before_case"]),
         escape(" | ".join(a["reasons"]))] for a in gaps["articles_to_review"]], "No article to review.")
    keys = article_stats.COUNTS
    active = [a for a in articles["articles"] if any(a[k] for k in keys)]
    per_article = _table(["article", "shown", "clicked", "yes", "no", "dismissed", "deflected", "case after",
                          "linked", "deflect%"],
                         [[_article(a["id"], url, a["title"]), *(str(a[k]) for k in keys), _pct(a["deflection_rate"])]
                          for a in active], "No article activity in this period.")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Knowledge loop report · {escape(period)}</title><style>{CSS}</style></head><body>
<h1>Knowledge loop report</h1><p class="muted">Recorded {escape(period)}. Sessions are case-form sessions;
rates as in the kbsearch README ("The knowledge loop").</p>
<h2>The funnel per day</h2>{funnel_chart(funnel["days"])}
{_table(["day", "sessions", "shown", "clicked", "helpful", "explicit", "implicit", "cases", "solved", "linked",
         "deflect%", "link%"], funnel_rows, "No sessions in this period.")}
<p>Deflection rate {_pct(t["deflection_rate"])}; link rate (solved cases naming the article that solved them)
{_pct(funnel["link_rate"])}.</p>
<h2>The top gaps</h2>{gaps_chart(gaps)}
<h2>Searches with no results</h2>{queries["no_results"]}
<h2>Searches with results but nothing opened</h2>{queries["no_clicks"]}
<h2>Case forms the panel had nothing for</h2>{queries["no_suggestion"]}
<h2>Cases sent although articles were suggested</h2>{cases}
<h2>Articles to review</h2>{review}
<h2>Articles</h2>{per_article}
<p class="muted">{len(articles["articles"]) - len(active)} other articles had no activity in this period.</p>
</body></html>
"""
