// Warehouse document form: lines added on demand, products searched as one types, and the
// units, open lots and reservations of a line refreshed when its product or the warehouse changes.
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
  function warehouseId() {
    const el = document.getElementById("id_warehouse");
    return el ? el.value : "";
  }
  function refresh(row, table) {
    const product = row.querySelector("select[data-product-search]");
    if (!product || !product.value) return;
    const url = table.dataset.optionsUrl + "?product=" + encodeURIComponent(product.value) +
      "&warehouse=" + encodeURIComponent(warehouseId());
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        setOptions(row.querySelector("td.line-unit select"), data.units);
        setOptions(row.querySelector("td.line-lot select"), data.lots);
        setOptions(row.querySelector("td.line-reservation select"), data.reservations);
        const book = row.querySelector("td.line-book");
        if (book) book.textContent = data.book_qty === null ? "" : data.book_qty;
      })
      .catch(function () {});
  }
  function initProduct(select, table) {
    if (window.FabrikaInventory) window.FabrikaInventory.initProductSearch(select.parentNode);
    if (select.dataset.watched) return;
    select.dataset.watched = "1";
    select.addEventListener("change", function () { refresh(select.closest("tr"), table); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    const table = document.getElementById("document-lines");
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
    const warehouse = document.getElementById("id_warehouse");
    if (warehouse) {
      warehouse.addEventListener("change", function () {
        rows.querySelectorAll("tr.line-row").forEach(function (row) { refresh(row, table); });
      });
    }
  });
})();
