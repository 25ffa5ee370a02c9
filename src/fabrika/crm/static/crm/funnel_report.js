// The funnel report's bar chart: amount and weighted amount per stage, in the stages' colours.
// Data comes from {{ chart|json_script:"funnel-data" }}; amounts arrive as decimal strings.
(function () {
  "use strict";
  var source = document.getElementById("funnel-data");
  var canvas = document.getElementById("funnel-chart");
  if (!source || !canvas || !window.Chart) return;
  var data = JSON.parse(source.textContent);
  var styles = getComputedStyle(document.documentElement);

  function colour(name, alpha) {
    var rgb = styles.getPropertyValue("--bs-" + name + "-rgb").trim() || "108, 117, 125";
    return "rgba(" + rgb + ", " + alpha + ")";
  }

  var numberFormat = new Intl.NumberFormat(document.documentElement.lang || undefined, {
    minimumFractionDigits: 2, maximumFractionDigits: 2
  });

  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        {
          label: data.series.amount,
          data: data.amount.map(Number),
          backgroundColor: data.colors.map(function (c) { return colour(c, 0.35); }),
          borderColor: data.colors.map(function (c) { return colour(c, 0.9); }),
          borderWidth: 1
        },
        {
          label: data.series.weighted,
          data: data.weighted.map(Number),
          backgroundColor: data.colors.map(function (c) { return colour(c, 0.85); })
        }
      ]
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { position: "bottom" },
        tooltip: {
          callbacks: {
            label: function (ctx) { return ctx.dataset.label + ": " + numberFormat.format(ctx.parsed.y); },
            afterBody: function (items) {
              return items.length ? data.series.count + ": " + data.count[items[0].dataIndex] : "";
            }
          }
        }
      },
      scales: { y: { beginAtZero: true, ticks: { callback: function (v) { return numberFormat.format(v); } } } }
    }
  });
})();
