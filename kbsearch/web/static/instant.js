// The search page's script (progressive: without it the page is a plain GET form).
//
// Instant results: as the customer types, up to five matching titles appear under the search box,
// from GET /api/search?per_page=5 without a session, so they are never recorded as searches.
// Requests wait for a 200 ms pause in typing, and an answer older than the one shown is dropped
// (sequence numbers), so a slow answer never replaces a newer one.
// The box follows the ARIA 1.2 combobox pattern: role=combobox with aria-expanded, aria-controls and
// aria-activedescendant; the listbox's options are chosen with the arrow keys; Escape closes it;
// Enter opens the active option, or else submits the form as always.
//
// Filters: on a wide screen the "Filters" disclosure starts open (on a phone it stays one button,
// so the first result is above the fold).
(function () {
  "use strict";

  var DELAY_MS = 200;
  var MIN_CHARS = 2;
  var WIDE = "(min-width: 721px)";

  var refine = document.querySelector("details.refine");
  if (refine && window.matchMedia && window.matchMedia(WIDE).matches) {
    refine.open = true;
  }

  var input = document.getElementById("q");
  var list = document.getElementById("instant-results");
  var status = document.getElementById("instant-status");
  var form = input && input.form;
  if (!input || !list || !form || !window.fetch) {
    return;
  }

  var sent = 0; // sequence number of the latest request
  var shown = 0; // sequence number of the answer on screen
  var timer = null;
  var options = [];
  var active = -1;

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("autocomplete", "off");

  function isOpen() {
    return !list.hidden;
  }

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    setActive(-1);
  }

  function open() {
    if (options.length) {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }
  }

  function setActive(index) {
    if (active >= 0 && options[active]) {
      options[active].classList.remove("active");
      options[active].setAttribute("aria-selected", "false");
    }
    active = index;
    if (active >= 0 && options[active]) {
      options[active].classList.add("active");
      options[active].setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", options[active].id);
      options[active].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function go(option) {
    window.location.assign(option.getAttribute("data-url"));
  }

  function show(results) {
    setActive(-1);
    list.textContent = "";
    options = results.map(function (result, i) {
      var option = document.createElement("li");
      option.id = "instant-option-" + i;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.setAttribute("data-url", result.url);
      option.textContent = result.title;
      option.addEventListener("mousedown", function (event) {
        event.preventDefault(); // keep focus in the box
      });
      option.addEventListener("click", function () {
        go(option);
      });
      list.appendChild(option);
      return option;
    });
    if (options.length) {
      status.textContent = options.length + (options.length === 1 ? " matching article" : " matching articles") +
        ": up and down arrows to choose, Enter to open.";
      open();
    } else {
      status.textContent = "";
      close();
    }
  }

  function params(q) {
    var query = new URLSearchParams();
    query.set("q", q);
    query.set("per_page", "5");
    ["type", "category", "subcategory"].forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (field && field.value) {
        query.set(name, field.value);
      }
    });
    return query;
  }

  function lookUp() {
    var q = input.value.trim();
    var seq = ++sent;
    if (q.length < MIN_CHARS) {
      shown = seq;
      show([]);
      return;
    }
    fetch("/api/search?" + params(q).toString(), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (body) {
        if (!body || seq <= shown) {
          return; // an older answer than the one on screen: drop it
        }
        shown = seq;
        show(body.results || []);
      })
      .catch(function () {
        /* instant results are optional: the form still submits */
      });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(lookUp, DELAY_MS);
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!options.length) {
        return;
      }
      event.preventDefault();
      var down = event.key === "ArrowDown";
      if (!isOpen()) {
        open();
        setActive(down ? 0 : options.length - 1);
      } else if (down) {
        setActive(active + 1 < options.length ? active + 1 : 0);
      } else {
        setActive(active > 0 ? active - 1 : options.length - 1);
      }
    } else if (event.key === "Escape") {
      if (isOpen()) {
        event.preventDefault(); // close only; a second Escape clears the box as usual
        close();
      }
    } else if (event.key === "Enter") {
      if (isOpen() && active >= 0) {
        event.preventDefault();
        go(options[active]);
      } else {
        close(); // the form submits
      }
    }
  });

  input.addEventListener("blur", function () {
    close();
  });
})();
