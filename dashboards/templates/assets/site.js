/* sinkwatch dashboard: language switch + lazy Plotly rendering (offline, file:// safe). */
(function () {
  "use strict";
  var KEY = "sinkwatch.lang";
  var CONFIG = {
    responsive: true,
    displaylogo: false,
    showLink: false,
    showSendToCloud: false,
    showEditInChartStudio: false,
    showTips: false,
    modeBarButtonsToRemove: ["lasso2d", "select2d", "autoScale2d"],
    toImageButtonOptions: { format: "png", scale: 2 }
  };

  function currentLang() {
    return document.documentElement.getAttribute("lang") === "en" ? "en" : "zh";
  }

  // Plot only visible figures (hidden divs have no size); resize ones already drawn.
  function drawVisible() {
    if (typeof Plotly === "undefined") { return; }
    var plots = document.querySelectorAll(".plot[data-fig]");
    for (var i = 0; i < plots.length; i++) {
      var el = plots[i];
      if (el.offsetParent === null) { continue; }
      if (el.getAttribute("data-drawn")) { Plotly.Plots.resize(el); continue; }
      var src = document.getElementById(el.getAttribute("data-fig"));
      if (!src) { continue; }
      var spec = JSON.parse(src.textContent);
      Plotly.newPlot(el, spec.data || [], spec.layout || {}, CONFIG);
      el.setAttribute("data-drawn", "1");
    }
  }

  function setLang(lang) {
    document.documentElement.setAttribute("lang", lang === "en" ? "en" : "zh-CN");
    try { window.localStorage.setItem(KEY, lang); } catch (e) { /* file:// may forbid storage */ }
    drawVisible();
  }

  var saved = null;
  try { saved = window.localStorage.getItem(KEY); } catch (e) { saved = null; }
  if (window.location.hash === "#en" || window.location.hash === "#zh") {
    saved = window.location.hash.slice(1);
  }
  if (saved === "en") { document.documentElement.setAttribute("lang", "en"); }

  var btn = document.getElementById("lang-toggle");
  if (btn) {
    btn.addEventListener("click", function () { setLang(currentLang() === "en" ? "zh" : "en"); });
  }
  drawVisible();
})();
