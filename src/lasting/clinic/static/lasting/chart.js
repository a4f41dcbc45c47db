// Render every Vega-Lite chart on the page from its JSON spec (no inline scripts, no CDN).
// The Content Security Policy forbids eval and inline styles, so Vega parses its expressions
// to syntax trees run by its interpreter (ast: true; the bundle's vega-embed carries the
// interpreter) instead of compiling them with `new Function`, and neither vega-embed nor
// vega-tooltip injects a <style> element: their rules are in lasting.css.
var CHART_OPTIONS = {
  actions: false,
  renderer: "svg",
  ast: true,
  defaultStyle: false,
  tooltip: { disableDefaultStyle: true },
};

document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-spec-id]").forEach(function (element) {
    var source = document.getElementById(element.dataset.specId);
    if (!source || typeof vegaEmbed !== "function") return;
    vegaEmbed(element, JSON.parse(source.textContent), CHART_OPTIONS)
      .then(function () { element.dataset.rendered = "true"; })
      .catch(function (error) {
        // A page may say this in its own language (data-error-text); the details stay in the console.
        if (element.dataset.errorText) { element.textContent = element.dataset.errorText; console.error(error); }
        else { element.textContent = "The chart could not be drawn: " + error.message; }
      });
  });
});
