// Small helps over pages that work without them: the phone menu, table cells labelled for the phone
// layout, focus on what went wrong after a refused form, and print buttons. Loaded from a file: the CSP forbids inline
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

  // After a refused submission the page opens on the summary of errors, so that it is read first; the
  // summary lists each field marked below ("Label : what is wrong"), each a link that puts the cursor in
  // the field.
  function fieldName(box, control) {
    var label = (control.labels && control.labels[0]) || box.querySelector(".item-label, legend, label");
    var text = label ? label.textContent : control.getAttribute("aria-label") || "";
    return text.replace(/\s+/g, " ").trim();
  }

  function linkTo(control, text) {
    var link = document.createElement("a");
    link.href = "#" + control.id;
    link.textContent = text;
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var label = control.labels && control.labels[0];
      (label || control).scrollIntoView({ block: "center" });
      control.focus({ preventScroll: true });
    });
    var item = document.createElement("li");
    item.appendChild(link);
    return item;
  }

  function summariseErrors() {
    var summary = document.querySelector(".error-summary");
    if (!summary) return;
    var separator = document.documentElement.lang === "fr" ? " : " : ": ";
    var list = document.createElement("ul");
    Array.prototype.forEach.call(document.querySelectorAll("main .invalid"), function (box, index) {
      var control = box.querySelector("input:not([type=hidden]), select, textarea");
      var error = box.querySelector(".error");
      if (!control) return;
      if (!control.id) control.id = "invalid-field-" + index;
      var name = fieldName(box, control);
      var problem = error ? error.textContent.replace(/\s+/g, " ").trim() : "";
      list.appendChild(linkTo(control, [name, problem].filter(Boolean).join(separator)));
    });
    if (list.children.length) summary.appendChild(list);
    summary.focus();
  }

  // A print button ([data-print]) is hidden in the markup: without this script the browser's own Print
  // menu does the same, and a button that does nothing is never shown.
  function enablePrintButtons() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        window.print();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    enablePrintButtons();
    setUpMenu();
    labelCells(document);
    summariseErrors();
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    labelCells(event.target);
  });
})();
