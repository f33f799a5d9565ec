// The suggestions panel of the case form. Without this script the form still works:
// the panel stays hidden and the case is sent as a plain form.
(() => {
  "use strict";
  const form = document.getElementById("case-form");
  const panel = document.getElementById("suggest-panel");
  const errorSummary = document.getElementById("form-errors");
  if (errorSummary) errorSummary.focus();  // the form came back with errors: say what to fix first
  if (!form || !panel || !window.fetch) return;

  const DELAY_MS = 250;       // wait this long after the last keystroke before asking
  const MAX_SHOWN_IDS = 50;   // the server keeps at most this many ids with a case
  const SHOWN = Number(form.dataset.shown) || 5;  // articles on screen; more are asked for, to fill dismissed ones' places
  const MAX_LIMIT = 20;       // the most /api/suggest gives at once
  const list = document.getElementById("suggestions");
  const status = document.getElementById("panel-status");
  const heading = document.getElementById("panel-title");
  const solved = document.getElementById("solved");
  const { subject, description, category, subcategory, shown, session } = form.elements;
  const allGroups = Array.from(subcategory.querySelectorAll("optgroup")).map((g) => g.cloneNode(true));
  const everShown = new Set(shown.value ? shown.value.split(",") : []);
  const dismissed = new Set();  // "Not relevant" holds for this form session, whatever is typed next
  const opened = new Set();     // articles opened from the panel: only these offer "This solved my problem"
  let onScreen = [];            // the suggestions in the list, in order
  let timer = 0;
  let sentSeq = 0;     // sequence number of the newest request sent
  let shownSeq = 0;    // sequence number of the answer on screen; older answers are dropped
  let lastShownKey = null;  // the set of articles last recorded as shown; "" = nothing to suggest
  let deflection = null;    // "This solved my problem" pressed and not undone: recorded when the page is left
  let removedNote = "";     // "Removed: …", said again with the answer that fills its place

  function postJSON(url, body) {
    // keepalive: a click that opens a tab or leaves the page is still recorded
    return fetch(url, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body), keepalive: true, credentials: "same-origin",
    });
  }

  function record(kind, extra) {
    return postJSON(form.dataset.eventsUrl, { session: session.value, kind, ...extra }).catch(() => null);
  }

  function fillSubcategories() {
    // Only the chosen category's subcategories; the no-script form lists all of them in groups.
    const keep = subcategory.value;
    subcategory.replaceChildren(subcategory.options[0]);
    const group = allGroups.find((g) => g.dataset.category === category.value);
    if (group) {
      for (const option of group.querySelectorAll("option")) subcategory.append(option.cloneNode(true));
    }
    subcategory.value = Array.from(subcategory.options).some((o) => o.value === keep) ? keep : "";
    subcategory.disabled = !group;
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(ask, DELAY_MS);
  }

  async function ask() {
    const seq = ++sentSeq;
    if (!subject.value.trim() && !description.value.trim()) {
      shownSeq = seq;
      render([]);
      status.textContent = "Type a subject and we will suggest articles as you go.";
      return;
    }
    const limit = Math.min(MAX_LIMIT, SHOWN + dismissed.size);
    const body = { subject: subject.value, description: description.value, seq, limit };
    if (category.value) body.category = category.value;
    if (subcategory.value) body.subcategory = subcategory.value;
    let answer;
    try {
      const response = await fetch(form.dataset.suggestUrl, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      answer = await response.json();
    } catch (err) {
      if (seq > shownSeq) {
        shownSeq = seq;  // an older answer arriving later must not stand in for this text
        status.textContent = "Suggestions are unavailable just now; you can still send your case.";
      }
      return;
    }
    if (seq <= shownSeq) return;  // a newer answer is already on screen
    shownSeq = seq;
    const kept = answer.suggestions.filter((s) => !dismissed.has(s.id)).slice(0, SHOWN);
    render(kept, removedNote);
    removedNote = "";
    recordShown(kept.map((s) => s.id));
  }

  function recordShown(ids) {
    // Only when the set of articles on screen changes, not on every keystroke; an empty set is
    // recorded too: the text typed had nothing to suggest (the gaps report lists those subjects).
    const key = ids.slice().sort().join(",");
    if (key === lastShownKey) return;
    lastShownKey = key;
    record("shown", { articles: ids, query: subject.value });
    ids.forEach((id) => everShown.add(id));
    shown.value = Array.from(everShown).slice(0, MAX_SHOWN_IDS).join(",");
  }

  function plural(n, word) {
    return `${n} ${word}${n === 1 ? "" : "s"}`;
  }

  function render(suggestions, said = "") {
    // Items already on screen are kept (not rebuilt), so keyboard focus inside one survives an update.
    const items = new Map(Array.from(list.children).map((li) => [li.dataset.articleId, li]));
    const before = new Set(onScreen.map((s) => s.id));
    const active = document.activeElement;
    list.replaceChildren(...suggestions.map((s) => items.get(s.id) || item(s)));
    if (active && active !== document.activeElement && list.contains(active)) active.focus({ preventScroll: true });
    const added = suggestions.filter((s) => !before.has(s.id));
    const gone = onScreen.filter((s) => !suggestions.some((n) => n.id === s.id)).length;
    onScreen = suggestions;
    // The live region says what changed, and only when something did.
    if (!suggestions.length) {
      status.textContent = `${said} No suggestions for this text yet. Keep describing the problem, or send the case.`.trim();
    } else if (added.length || gone || said) {
      const news = added.length
        ? `${plural(added.length, "new suggestion")}: ${added.map((s) => s.title).join("; ")}.`
        : (gone && !said ? `${plural(gone, "suggestion")} no longer ${gone === 1 ? "matches" : "match"}.` : "");
      status.textContent = `${said} ${news} ${plural(suggestions.length, "article")} may solve this.`.replace(/\s+/g, " ").trim();
    }
  }

  function item(suggestion) {
    const li = document.createElement("li");
    li.className = "suggestion";
    li.dataset.articleId = suggestion.id;

    const link = document.createElement("a");
    link.className = "title";
    // the session lets the article page ask "did this help?" for this form
    link.href = `${suggestion.url}?session=${encodeURIComponent(session.value)}`;
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = suggestion.title;

    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = suggestion.type === "knowledge" ? "Solution" : "Product help";

    const snippet = document.createElement("p");
    snippet.className = "snippet";
    snippet.innerHTML = suggestion.snippet;  // escaped by the server, with <mark> around matched words

    const words = Array.from(new Set([...suggestion.matched.subject, ...suggestion.matched.description]));
    const matched = document.createElement("p");
    matched.className = "matched";
    matched.textContent = words.length ? `Matches: ${words.join(", ")}` : "";

    const notButton = document.createElement("button");
    notButton.type = "button";
    notButton.className = "secondary";
    notButton.textContent = "Not relevant";
    notButton.setAttribute("aria-label", `Not relevant: ${suggestion.title}`);
    notButton.addEventListener("click", () => dismiss(suggestion, li));

    const actions = document.createElement("div");
    actions.className = "actions";
    actions.append(notButton);
    const clicked = () => {
      record("clicked", { article_id: suggestion.id, query: subject.value });
      opened.add(suggestion.id);
      offerSolved(suggestion, actions);
    };
    link.addEventListener("click", clicked);
    link.addEventListener("auxclick", (event) => { if (event.button === 1) clicked(); });  // middle-click: new tab
    li.append(link, badge, snippet, matched, actions);
    if (opened.has(suggestion.id)) offerSolved(suggestion, actions);
    return li;
  }

  function offerSolved(suggestion, actions) {
    // Offered once the article was opened, so a deflection counts a customer who saw the answer.
    if (actions.querySelector(".solved-button")) return;
    const solvedButton = document.createElement("button");
    solvedButton.type = "button";
    solvedButton.className = "solved-button";
    solvedButton.textContent = "This solved my problem";
    solvedButton.setAttribute("aria-label", `This solved my problem: ${suggestion.title}`);
    solvedButton.addEventListener("click", () => finish(suggestion));
    actions.prepend(solvedButton);
  }

  function dismiss(suggestion, li) {
    dismissed.add(suggestion.id);
    record("dismissed", { article_id: suggestion.id, query: subject.value });
    const next = li.nextElementSibling || li.previousElementSibling;
    removedNote = `Removed: ${suggestion.title}.`;
    render(onScreen.filter((s) => s.id !== suggestion.id), removedNote);
    (next ? next.querySelector("a.title") : heading).focus();
    clearTimeout(timer);
    ask();  // the next article takes its place
  }

  function finish(suggestion) {
    // Only hidden, never cleared: "Undo" brings the form back exactly as it was, files included.
    clearTimeout(timer);
    deflection = suggestion;
    const link = document.getElementById("solved-article");
    link.href = suggestion.url;
    link.textContent = suggestion.title;
    form.hidden = true;
    solved.hidden = false;
    solved.focus();
  }

  function undo() {
    const suggestion = deflection;
    deflection = null;
    solved.hidden = true;
    form.hidden = false;
    const again = list.querySelector(`li[data-article-id="${CSS.escape(suggestion.id)}"] .solved-button`);
    (again || heading).focus();
  }

  function leave() {
    // The deflection counts once the customer leaves without undoing it (closing, or going elsewhere).
    if (!deflection) return;
    record("deflected", { article_id: deflection.id, query: subject.value });
    deflection = null;
  }

  panel.hidden = false;
  fillSubcategories();
  subject.addEventListener("input", schedule);
  description.addEventListener("input", schedule);
  category.addEventListener("change", () => { fillSubcategories(); schedule(); });
  subcategory.addEventListener("change", schedule);
  document.getElementById("solved-undo").addEventListener("click", undo);
  window.addEventListener("pagehide", leave);
  if (subject.value || description.value) schedule();  // a prefilled form, or one back with errors
})();
