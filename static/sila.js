/* Sila's own small script (CSP: script-src 'self', no inline scripts). Everything works without it:
   it only folds the main menu behind a button on a phone, labels stacked table cells, and asks
   before a form marked data-confirm is sent. */
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");

  function setUpMenu() {
    var button = document.querySelector(".menu-button");
    var menu = document.getElementById("main-menu");
    if (!button || !menu) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") === "true";
      button.setAttribute("aria-expanded", open ? "false" : "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        button.setAttribute("aria-expanded", "false");
        button.focus();
      }
    });
  }

  /* A table.stacked shows each row as a card on a phone; a cell without its own data-label
     gets its column header's text, so every value keeps its name. */
  function labelStackedTables() {
    var tables = document.querySelectorAll("table.stacked");
    Array.prototype.forEach.call(tables, function (table) {
      var heads = table.querySelectorAll("thead th");
      if (!heads.length) { return; }
      Array.prototype.forEach.call(table.querySelectorAll("tbody tr"), function (tr) {
        Array.prototype.forEach.call(tr.children, function (cell, i) {
          if (!cell.hasAttribute("data-label") && heads[i]) {
            var text = heads[i].textContent.trim();
            if (text) { cell.setAttribute("data-label", text); }
          }
        });
      });
    });
  }

  /* Publishing, approving and closing ask first: a form (or a button) with data-confirm. */
  function confirmations() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      var button = event.submitter;
      var question = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
      if (question && !window.confirm(question)) { event.preventDefault(); }
    }, true);
  }

  function start() { setUpMenu(); labelStackedTables(); }
  confirmations();
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
  document.addEventListener("htmx:afterSwap", labelStackedTables);
})();
