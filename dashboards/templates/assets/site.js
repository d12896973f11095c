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

  // Trace values both languages share are shipped once, in the script element the spec names
  // under "shared"; the spec holds {"$shared": i} in their place. Parsed afresh for every plot,
  // as Plotly may keep and change the arrays it is given.
  function withShared(spec) {
    if (!spec.shared) { return spec; }
    var src = document.getElementById(spec.shared);
    var values = src ? JSON.parse(src.textContent) : [];
    var data = spec.data || [];
    for (var i = 0; i < data.length; i++) {
      var trace = data[i];
      for (var k in trace) {
        if (!Object.prototype.hasOwnProperty.call(trace, k)) { continue; }
        var v = trace[k];
        if (v && typeof v === "object" && Object.prototype.hasOwnProperty.call(v, "$shared")) {
          trace[k] = values[v.$shared];
        }
      }
    }
    return spec;
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
      var spec = withShared(JSON.parse(src.textContent));
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
