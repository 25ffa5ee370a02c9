// Counterparty form: tags with free-text creation, address rows added on demand.
(function () {
  "use strict";
  function initTags(root) {
    if (!window.TomSelect) return;
    root.querySelectorAll("select[data-tom-create]").forEach(function (el) {
      if (el.tomselect) return;
      new TomSelect(el, {
        plugins: ["remove_button"],
        create: true,
        createOnBlur: true,
        persist: false,
        maxOptions: 500,
        render: window.Fabrika ? window.Fabrika.tomRender() : {},
      });
    });
  }
  function initAddresses() {
    const button = document.getElementById("add-address");
    const template = document.getElementById("address-empty-row");
    const rows = document.getElementById("address-rows");
    if (!button || !template || !rows) return;
    const total = rows.querySelector("input[name$='-TOTAL_FORMS']");
    button.addEventListener("click", function () {
      const index = parseInt(total.value, 10);
      const html = template.innerHTML.replace(/__prefix__/g, String(index));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      const inputs = rows.querySelectorAll(".address-row:last-child input, .address-row:last-child textarea");
      if (inputs.length) inputs[inputs.length - 1].focus();
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    initTags(document);
    initAddresses();
  });
})();
