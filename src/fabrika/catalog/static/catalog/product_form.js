// Product form: unit conversion rows added on demand (the characteristics section is swapped by htmx).
(function () {
  "use strict";
  function initConversions() {
    const button = document.getElementById("add-conversion");
    const template = document.getElementById("conversion-empty-row");
    const rows = document.getElementById("conversion-rows");
    if (!button || !template || !rows) return;
    const total = rows.querySelector("input[name$='-TOTAL_FORMS']");
    button.addEventListener("click", function () {
      const index = parseInt(total.value, 10);
      rows.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, String(index)));
      total.value = String(index + 1);
      const select = rows.querySelector(".conversion-row:last-child select");
      if (select) select.focus();
    });
  }
  document.addEventListener("DOMContentLoaded", initConversions);
})();
