// Small helps over pages that work without them: the phone menu, table cells labelled for the phone
// layout, and focus on what went wrong after a refused form. Loaded from a file: the CSP forbids inline
// script.
(function () {
  "use strict";

  // On a phone the stylesheet folds the menu only once this button exists, so without script the menu
  // simply stays open.
  function setUpMenu() {
    var header = document.querySelector("header.top");
    var toggle = header && header.querySelector(".menu-toggle");
    if (!toggle) return;
    toggle.hidden = false;
    header.classList.add("menu-folds");
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      header.classList.toggle("menu-open", open);
    });
  }

  // The phone layout shows each row as a card: every cell carries its column's header as a label.
  function labelCells(root) {
    var tables = root.querySelectorAll ? root.querySelectorAll("table.list") : [];
    if (root.matches && root.matches("table.list")) tables = [root];
    Array.prototype.forEach.call(tables, function (table) {
      var headerRow = table.tHead && table.tHead.rows[0];
      if (!headerRow) return;
      var labels = [];
      Array.prototype.forEach.call(headerRow.cells, function (cell) {
        for (var i = 0; i < cell.colSpan; i++) labels.push(cell.textContent.trim());
      });
      Array.prototype.forEach.call(table.tBodies, function (body) {
        Array.prototype.forEach.call(body.rows, function (row) {
          var column = 0;
          Array.prototype.forEach.call(row.cells, function (cell) {
            if (cell.colSpan === 1 && labels[column]) cell.setAttribute("data-label", labels[column]);
            column += cell.colSpan;
          });
        });
      });
      table.classList.add("labelled");
    });
  }

  // After a refused submission the page opens on the summary of errors, so that it is read first.
  function focusErrorSummary() {
    var summary = document.querySelector(".error-summary");
    if (summary) summary.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpMenu();
    labelCells(document);
    focusErrorSummary();
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    labelCells(event.target);
  });
})();
