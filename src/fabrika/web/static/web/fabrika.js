// Small behaviours shared by all pages. No inline scripts: the CSP forbids them.
(function () {
  "use strict";
  function csrfToken() {
    const m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  document.addEventListener("htmx:configRequest", function (e) {
    e.detail.headers["X-CSRFToken"] = csrfToken();
  });
  // Tom Select's own texts are English: take the translated ones from <body data-tom-*>.
  function tomRender() {
    const texts = document.body.dataset;
    return {
      no_results: function (data, escape) {
        return '<div class="no-results">' + escape(texts.tomNoResults || "No results found") + "</div>";
      },
      option_create: function (data, escape) {
        return '<div class="create">' + escape(texts.tomAdd || "Add") + " <strong>" + escape(data.input) + "</strong>&hellip;</div>";
      },
    };
  }
  function enhance(root) {
    if (window.TomSelect) {
      root.querySelectorAll("select[data-tom]").forEach(function (el) {
        if (!el.tomselect) new TomSelect(el, { plugins: el.multiple ? ["remove_button"] : [], maxOptions: 500, render: tomRender() });
      });
    }
    root.querySelectorAll("[data-confirm]").forEach(function (el) {
      el.addEventListener("click", function (e) {
        if (!window.confirm(el.getAttribute("data-confirm"))) { e.preventDefault(); e.stopPropagation(); }
      });
    });
    root.querySelectorAll("[data-autosubmit]").forEach(function (el) {
      el.addEventListener("change", function () { el.form.submit(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:afterSwap", function (e) { enhance(e.target); });
  // Keyboard: "/" focuses the search box of a list.
  document.addEventListener("keydown", function (e) {
    if (e.key === "/" && !/input|textarea|select/i.test(document.activeElement.tagName)) {
      const box = document.querySelector("input[name=q]");
      if (box) { e.preventDefault(); box.focus(); }
    }
  });
  window.Fabrika = { csrfToken: csrfToken, enhance: enhance, tomRender: tomRender };
})();
