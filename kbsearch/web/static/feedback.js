// "Did this article help?" on every article page. Without this script the form posts and the page
// comes back thanking the reader; with it, the vote is sent in place and "No" then asks, optionally, why
// (sent as the same vote with its reason: one vote per article and session, the latest kept).
(() => {
  "use strict";
  const box = document.getElementById("feedback");
  const form = document.getElementById("feedback-form");
  if (!box || !form || form.hidden || !window.fetch || !window.URLSearchParams) return;
  const thanks = document.getElementById("feedback-thanks");
  const reasonBox = document.getElementById("feedback-reason-box");
  const reason = document.getElementById("feedback-reason");
  const send = document.getElementById("feedback-send");
  const fromPanel = box.dataset.fromPanel === "yes";
  const buttons = Array.from(form.querySelectorAll("button[name=kind]"));
  reasonBox.hidden = true;  // asked after "No"

  async function post(kind, why) {
    const body = new URLSearchParams({ kind });
    if (why) body.set("reason", why);
    if (form.elements.session) body.set("session", form.elements.session.value);
    const response = await fetch(form.action, {
      method: "POST", body, credentials: "same-origin", headers: { Accept: "application/json" },
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
  }

  async function vote(button) {
    const kind = button.value;
    const withReason = button === send;
    buttons.forEach((b) => { b.disabled = true; });
    try {
      await post(kind, withReason ? reason.value.trim() : "");
    } catch (err) {
      thanks.textContent = "Sorry, your answer could not be saved.";
      buttons.forEach((b) => { b.disabled = false; });
      return;
    }
    if (kind === "helpful") {
      form.hidden = true;
      thanks.textContent = fromPanel
        ? "Thank you. If it solved your problem, you can close this tab; no case is needed."
        : "Thank you.";
    } else if (!withReason) {
      thanks.textContent = fromPanel
        ? "Thank you. Back on the form you can send your case and we will help."
        : "Thank you.";
      buttons.filter((b) => b !== send).forEach((b) => { b.hidden = true; });
      reasonBox.hidden = false;
      send.hidden = false;
      send.disabled = false;
      reason.focus();
    } else {
      form.hidden = true;
      thanks.textContent = "Thank you: the team that writes the articles will read it.";
    }
  }

  for (const button of buttons) {
    button.addEventListener("click", (event) => {
      event.preventDefault();
      vote(button);
    });
  }
})();
