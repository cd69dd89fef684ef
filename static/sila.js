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

  /* A charity's own question with a condition (data-show-when: the earlier question's field,
     data-show-value: the answer that shows it) is hidden until that answer is chosen; a question
     hidden in turn hides those that depend on it. The server applies the same condition. */
  function conditionalQuestions() {
    var questions = document.querySelectorAll("[data-show-when]");
    if (!questions.length) { return; }
    function chosen(form, name) {
      var holder = document.getElementById(name + "-question");
      if (holder && holder.hidden) { return []; }
      var values = [];
      Array.prototype.forEach.call(form.querySelectorAll("[name='" + name + "']"), function (input) {
        if ((input.type === "radio" || input.type === "checkbox") ? input.checked : input.value) { values.push(input.value); }
      });
      return values;
    }
    function update() {
      Array.prototype.forEach.call(questions, function (q) {  /* in reading order: a condition looks back */
        var form = q.closest("form");
        q.hidden = !form || chosen(form, q.getAttribute("data-show-when")).indexOf(q.getAttribute("data-show-value")) < 0;
      });
    }
    document.addEventListener("change", update);
    update();
  }

  function start() { setUpMenu(); labelStackedTables(); conditionalQuestions(); }
  confirmations();
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
  document.addEventListener("htmx:afterSwap", labelStackedTables);
})();
