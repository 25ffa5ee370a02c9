// The funnel board: drag a deal card to another stage column.
// The drop posts JSON {stage, lost_reason, owner, counterparty} to the card's move URL; the server
// answers {ok, deal, stage, totals} or a 400 {ok: false, error}. A refused move puts the card
// back where it was. Dropping onto a "lost" column first asks for the reason in a modal.
(function () {
  "use strict";
  var board = document.getElementById("funnel-board");
  if (!board || !window.Sortable) return;
  var canMove = board.getAttribute("data-can-move") === "1";
  var genericError = board.getAttribute("data-error-text") || "Error";
  var alertBox = document.getElementById("board-alert");
  var modalEl = document.getElementById("lost-modal");
  var lostForm = document.getElementById("lost-form");
  var reasonBox = document.getElementById("lost-reason");
  var modal = modalEl && window.bootstrap ? window.bootstrap.Modal.getOrCreateInstance(modalEl) : null;
  var pending = null; // the drop waiting for a lost reason

  function showError(message) {
    if (!alertBox) return;
    alertBox.textContent = message || genericError;
    alertBox.classList.remove("d-none");
  }

  function hideError() {
    if (alertBox) alertBox.classList.add("d-none");
  }

  function snapBack(evt) {
    var ref = evt.from.children[evt.oldIndex] || null;
    evt.from.insertBefore(evt.item, ref);
  }

  function updateTotals(totals) {
    Object.keys(totals || {}).forEach(function (stageId) {
      var column = board.querySelector('.board-column[data-stage="' + stageId + '"]');
      if (!column) return;
      var count = column.querySelector("[data-count]");
      var total = column.querySelector("[data-total]");
      if (count) count.textContent = totals[stageId].count;
      if (total) total.textContent = totals[stageId].amount_display;
    });
  }

  function move(evt, stageId, reason) {
    var card = evt.item;
    card.classList.add("board-saving");
    var body = {
      stage: stageId,
      lost_reason: reason || "",
      owner: board.getAttribute("data-owner") || "",
      counterparty: board.getAttribute("data-counterparty") || ""
    };
    fetch(card.getAttribute("data-move-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": window.Fabrika.csrfToken()
      },
      body: JSON.stringify(body)
    })
      .then(function (response) {
        return response.json()
          .catch(function () { return { ok: false, error: genericError }; })
          .then(function (data) { return { status: response.status, data: data }; });
      })
      .then(function (result) {
        card.classList.remove("board-saving");
        if (result.status === 200 && result.data.ok) {
          hideError();
          updateTotals(result.data.totals);
          card.classList.add("board-saved");
          window.setTimeout(function () { card.classList.remove("board-saved"); }, 1200);
        } else {
          snapBack(evt);
          showError(result.data.error);
        }
      })
      .catch(function () {
        card.classList.remove("board-saving");
        snapBack(evt);
        showError(genericError);
      });
  }

  function askReason(evt) {
    if (!modal) { snapBack(evt); return; }
    pending = evt;
    reasonBox.value = "";
    reasonBox.classList.remove("is-invalid");
    modal.show();
  }

  if (modalEl) {
    modalEl.addEventListener("shown.bs.modal", function () { reasonBox.focus(); });
    modalEl.addEventListener("hide.bs.modal", function () {
      if (pending) { snapBack(pending); pending = null; } // cancelled: the card goes back
    });
  }
  if (lostForm) {
    lostForm.addEventListener("submit", function (e) {
      e.preventDefault();
      var reason = reasonBox.value.trim();
      if (!reason) { reasonBox.classList.add("is-invalid"); reasonBox.focus(); return; }
      var evt = pending;
      pending = null;
      modal.hide();
      if (evt) move(evt, evt.to.getAttribute("data-stage"), reason);
    });
  }

  board.querySelectorAll(".cards").forEach(function (list) {
    window.Sortable.create(list, {
      group: "deals",
      sort: false,
      disabled: !canMove,
      animation: 150,
      draggable: ".deal-card",
      filter: "a, select, button, input",
      preventOnFilter: false,
      ghostClass: "board-ghost",
      onEnd: function (evt) {
        if (evt.from === evt.to) return;
        if (evt.to.getAttribute("data-kind") === "lost") askReason(evt);
        else move(evt, evt.to.getAttribute("data-stage"), "");
      }
    });
  });
})();
