// Reservation form: the lot list follows the product and the warehouse (products.js runs the product box).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    const box = document.getElementById("reservation-form");
    const product = document.getElementById("id_product");
    const warehouse = document.getElementById("id_warehouse");
    const lot = document.getElementById("id_lot");
    if (!box || !product) return;
    function refresh() {
      if (!product.value || !warehouse || !warehouse.value || !lot) return;
      fetch(box.dataset.optionsUrl + "?product=" + encodeURIComponent(product.value) +
        "&warehouse=" + encodeURIComponent(warehouse.value), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          const keep = lot.value;
          const first = lot.options[0].cloneNode(true);
          lot.innerHTML = "";
          lot.appendChild(first);
          data.lots.forEach(function (o) {
            const opt = document.createElement("option");
            opt.value = o.value; opt.textContent = o.text; opt.selected = String(o.value) === keep;
            lot.appendChild(opt);
          });
        })
        .catch(function () {});
    }
    product.addEventListener("change", refresh);
    if (warehouse) warehouse.addEventListener("change", refresh);
  });
})();
