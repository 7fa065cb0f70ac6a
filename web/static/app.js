// newsdesk dashboard: draws the charts whose data the page carries in data-chart attributes.
// No data is ever written into a script; this file is static (Content-Security-Policy: script-src 'self').
(function () {
  "use strict";
  var palette = ["#1f6feb", "#d1242f", "#2da44e", "#bf8700", "#8250df", "#0a7ea4", "#cf222e", "#57606a",
                 "#fb8500", "#6e7781", "#1a7f37", "#953800"];

  function draw(canvas) {
    if (canvas.dataset.drawn || typeof window.Chart === "undefined") { return; }
    var spec = JSON.parse(canvas.dataset.chart);
    canvas.dataset.drawn = "1";
    new window.Chart(canvas, {
      type: spec.type || "bar",
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (s, i) {
          return { label: s.label, data: s.data, backgroundColor: palette[i % palette.length],
                   borderColor: palette[i % palette.length], tension: 0.2 };
        })
      },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
                 plugins: { legend: { position: "bottom" } }, scales: { y: { beginAtZero: true } } }
    });
  }

  function drawAll(root) {
    (root || document).querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSettle", function (e) { drawAll(e.target); });
})();
