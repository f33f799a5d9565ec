// The suggestions panel beside the case form. Without this script the form still works:
// the panel stays hidden and the case is sent as a plain form.
(() => {
  "use strict";
  const form = document.getElementById("case-form");
  const panel = document.getElementById("suggest-panel");
  if (!form || !panel || !window.fetch) return;

  const DELAY_MS = 250;       // wait this long after the last keystroke before asking
  const MAX_SHOWN_IDS = 50;   // the server keeps at most this many ids with a case
  const list = document.getElementById("suggestions");
  const status = document.getElementById("panel-status");
  const solved = document.getElementById("solved");
  const { subject, description, category, subcategory, shown, session } = form.elements;
  const allGroups = Array.from(subcategory.querySelectorAll("optgroup")).map((g) => g.cloneNode(true));
  const everShown = new Set(shown.value ? shown.value.split(",") : []);
  let timer = 0;
  let sentSeq = 0;     // sequence number of the newest request sent
  let shownSeq = 0;    // sequence number of the answer on screen; older answers are dropped
  let lastShownKey = "";

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
    const body = { subject: subject.value, description: description.value, seq };
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
    render(answer.suggestions);
  }

  function render(suggestions) {
    list.replaceChildren(...suggestions.map(item));
    status.textContent = suggestions.length
      ? `${suggestions.length} article${suggestions.length === 1 ? "" : "s"} may solve this.`
      : "No matching articles yet. Keep describing the problem, or send the case.";
    const ids = suggestions.map((s) => s.id);
    const key = ids.join(",");
    if (ids.length && key !== lastShownKey) {
      lastShownKey = key;
      record("shown", { articles: ids, query: subject.value });
      ids.forEach((id) => everShown.add(id));
      shown.value = Array.from(everShown).slice(0, MAX_SHOWN_IDS).join(",");
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
    const clicked = () => record("clicked", { article_id: suggestion.id, query: subject.value });
    link.addEventListener("click", clicked);
    link.addEventListener("auxclick", (event) => { if (event.button === 1) clicked(); });  // middle-click: new tab

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

    const solvedButton = document.createElement("button");
    solvedButton.type = "button";
    solvedButton.className = "solved-button";
    solvedButton.textContent = "This solved my problem";
    solvedButton.setAttribute("aria-label", `This solved my problem: ${suggestion.title}`);
    solvedButton.addEventListener("click", () => finish(suggestion));

    const notButton = document.createElement("button");
    notButton.type = "button";
    notButton.className = "secondary";
    notButton.textContent = "Not relevant";
    notButton.setAttribute("aria-label", `Not relevant: ${suggestion.title}`);
    notButton.addEventListener("click", () => {
      record("not_helpful", { article_id: suggestion.id, query: subject.value });
      li.classList.add("dismissed");
      notButton.disabled = true;
    });

    const actions = document.createElement("div");
    actions.className = "actions";
    actions.append(solvedButton, notButton);
    li.append(link, badge, snippet, matched, actions);
    return li;
  }

  async function finish(suggestion) {
    // Recorded before the form goes away, so the deflection is stored when the message shows.
    clearTimeout(timer);
    await record("deflected", { article_id: suggestion.id, query: subject.value });
    const link = document.getElementById("solved-article");
    link.href = suggestion.url;
    link.textContent = suggestion.title;
    form.hidden = true;
    panel.hidden = true;
    solved.hidden = false;
    solved.focus();
  }

  panel.hidden = false;
  fillSubcategories();
  subject.addEventListener("input", schedule);
  description.addEventListener("input", schedule);
  category.addEventListener("change", () => { fillSubcategories(); schedule(); });
  subcategory.addEventListener("change", schedule);
  if (subject.value || description.value) schedule();  // the form came back with errors: fill the panel again
})();
