// Production forms: rows added on demand (BOM lines, operations, order materials), product boxes
// searching as one types, and the boxes that depend on a product (a line's units, an order's BOM
// versions and tech cards) refreshed when it changes. No inline scripts: the CSP forbids them.
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
  function options(form, productId, done) {
    const url = form && form.dataset.optionsUrl;
    if (!url || !productId) return;
    fetch(url + "?product=" + encodeURIComponent(productId), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(done)
      .catch(function () {});
  }
  function watchRow(row) {
    if (window.FabrikaInventory) window.FabrikaInventory.initProductSearch(row);
    row.querySelectorAll("select[data-product-search]").forEach(function (select) {
      if (select.dataset.watched) return;
      select.dataset.watched = "1";
      select.addEventListener("change", function () {
        options(select.closest("form"), select.value, function (data) {
          setOptions(row.querySelector("td.row-unit select"), data.units);
        });
      });
    });
  }
  function addRow(button) {
    const rowsId = button.dataset.addRow;
    const rows = document.getElementById(rowsId);
    const template = document.getElementById(rowsId + "-empty");
    const prefix = rows.closest("table").dataset.prefix;
    const total = document.querySelector("input[name='" + prefix + "-TOTAL_FORMS']");
    const index = parseInt(total.value, 10);
    rows.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, String(index)));
    total.value = String(index + 1);
    const row = rows.lastElementChild;
    watchRow(row);
    if (window.Fabrika) window.Fabrika.enhance(row);
    const first = row.querySelector("input:not([type=hidden]):not([type=checkbox]), select");
    if (first && !first.tomselect) first.focus();
  }
  function orderForm(form) {
    const product = form.querySelector("#id_product");
    const kind = form.querySelector("#id_kind");
    const target = form.querySelector("#id_target");
    function showTarget() {
      if (!kind || !target) return;
      const box = target.closest("[class^=col]");
      if (box) box.hidden = kind.value !== "conversion";
    }
    if (kind) kind.addEventListener("change", showTarget);
    showTarget();
    if (product) {
      product.addEventListener("change", function () {
        options(form, product.value, function (data) {
          setOptions(form.querySelector("#id_bom"), data.boms);
          setOptions(form.querySelector("#id_tech_card"), data.tech_cards);
        });
      });
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("tr.fab-row").forEach(watchRow);
    document.querySelectorAll("[data-add-row]").forEach(function (button) {
      button.addEventListener("click", function () { addRow(button); });
    });
    const order = document.getElementById("order-form");
    if (order) orderForm(order);
  });
})();
