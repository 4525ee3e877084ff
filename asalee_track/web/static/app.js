// Small enhancements on top of pages that work without JavaScript (the CSP allows no inline script).

// A print button ([data-print]) is hidden in the markup: without this script the browser's own Print
// menu does the same, and a button that does nothing is never shown.
function enablePrintButtons() {
  for (const button of document.querySelectorAll("[data-print]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", enablePrintButtons);
} else {
  enablePrintButtons();
}
