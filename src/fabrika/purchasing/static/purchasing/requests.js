// Supplier request form: lines added on demand, products searched as one types (products.js),
// and the units of a line refreshed when its product changes.
(function () {
  "use strict";
  function setOptions(select, options) {
    if (!select) return;
    const keep = select.value;
    const first = select.options.length && select.options[0].value === "" ? select.options[0].cloneNode(true) : null;
    select.innerHTML = "";
    if (first) select.appendChild(first);
    (options || []).forEach(function (o) {
      const opt = document.createElement("option");
      opt.value = o.value;
      opt.textContent = o.text;
      if (String(o.value) === keep) opt.selected = true;
      select.appendChild(opt);
    });
  }
  function refresh(row, table) {
    const product = row.querySelector("select[data-product-search]");
    if (!product || !product.value) return;
    fetch(table.dataset.optionsUrl + "?product=" + encodeURIComponent(product.value), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) { setOptions(row.querySelector("td.line-unit select"), data.units); })
      .catch(function () {});
  }
  function initProduct(select, table) {
    if (window.FabrikaInventory) window.FabrikaInventory.initProductSearch(select.parentNode);
    if (select.dataset.watched) return;
    select.dataset.watched = "1";
    select.addEventListener("change", function () { refresh(select.closest("tr"), table); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    const table = document.getElementById("request-lines");
    if (!table) return;
    const rows = document.getElementById("line-rows");
    const template = document.getElementById("line-empty-row");
    const total = document.querySelector("input[name='lines-TOTAL_FORMS']");
    rows.querySelectorAll("select[data-product-search]").forEach(function (s) { initProduct(s, table); });
    const add = document.getElementById("add-line");
    if (add) {
      add.addEventListener("click", function () {
        const index = parseInt(total.value, 10);
        rows.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, String(index)));
        total.value = String(index + 1);
        const row = rows.lastElementChild;
        row.querySelectorAll("select[data-product-search]").forEach(function (s) { initProduct(s, table); });
        if (window.Fabrika) window.Fabrika.enhance(row);
      });
    }
  });
})();
