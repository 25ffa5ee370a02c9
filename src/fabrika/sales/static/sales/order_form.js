// Order form: lines added on demand or from a suggestion (htmx), products searched as one types,
// the units of a product loaded when it is chosen. No inline scripts (CSP).
(function () {
  "use strict";
  function initRow(row) {
    if (window.FabrikaInventory) window.FabrikaInventory.initProductSearch(row);
    if (window.Fabrika) window.Fabrika.enhance(row);
  }
  document.addEventListener("DOMContentLoaded", function () {
    const rows = document.getElementById("line-rows");
    if (!rows) return;
    const template = document.getElementById("line-empty-row");
    const add = document.getElementById("add-line");
    if (add) {
      add.addEventListener("click", function () {
        const total = document.querySelector("input[name='lines-TOTAL_FORMS']");
        const index = parseInt(total.value, 10);
        rows.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, String(index)));
        total.value = String(index + 1);
        initRow(rows.lastElementChild);
      });
    }
    // A suggestion added a row: make its product box searchable and refresh the suggestions.
    document.body.addEventListener("htmx:afterSwap", function (e) {
      if (e.detail.target === rows) {
        initRow(rows.lastElementChild);
        document.body.dispatchEvent(new Event("line-added"));
      }
    });
  });
})();
