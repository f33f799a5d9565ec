// "Did this article help?" on an article opened from the case form's suggestions panel.
(() => {
  "use strict";
  const box = document.getElementById("feedback");
  if (!box || !window.fetch) return;
  const thanks = document.getElementById("feedback-thanks");
  box.hidden = false;
  for (const button of box.querySelectorAll("button[data-kind]")) {
    button.addEventListener("click", async () => {
      box.querySelectorAll("button").forEach((b) => { b.disabled = true; });
      const body = { session: box.dataset.session, kind: button.dataset.kind, article_id: box.dataset.articleId };
      try {
        const response = await fetch(box.dataset.eventsUrl, {
          method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
        });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        thanks.textContent = button.dataset.kind === "helpful"
          ? "Thank you. If it solved your problem, you can close this tab; no case is needed."
          : "Thank you. Back on the form you can send your case and we will help.";
      } catch (err) {
        thanks.textContent = "Sorry, your answer could not be saved.";
      }
    });
  }
})();
