// Product boxes of the warehouse pages: Tom Select loading matches from the box's
// data-product-search URL as one types (a large catalog is not sent with the page).
(function () {
  "use strict";
  function initProductSearch(root) {
    if (!window.TomSelect) return;
    (root || document).querySelectorAll("select[data-product-search]").forEach(function (select) {
      if (select.tomselect) return;
      const url = select.dataset.productSearch;
      new TomSelect(select, {
        valueField: "value",
        labelField: "text",
        searchField: ["text"],
        maxOptions: 30,
        loadThrottle: 250,
        load: function (query, callback) {
          fetch(url + "?q=" + encodeURIComponent(query), { credentials: "same-origin" })
            .then(function (r) { return r.json(); })
            .then(function (data) { callback(data.results); })
            .catch(function () { callback(); });
        },
      });
    });
  }
  window.FabrikaInventory = { initProductSearch: initProductSearch };
  document.addEventListener("DOMContentLoaded", function () { initProductSearch(document); });
})();
