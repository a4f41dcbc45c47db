// Render every Vega-Lite chart on the page from its JSON spec (no inline scripts, no CDN).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-spec-id]").forEach(function (element) {
    var source = document.getElementById(element.dataset.specId);
    if (!source || typeof vegaEmbed !== "function") return;
    vegaEmbed(element, JSON.parse(source.textContent), { actions: false, renderer: "svg" })
      .then(function () { element.dataset.rendered = "true"; })
      .catch(function (error) { element.textContent = "The chart could not be drawn: " + error.message; });
  });
});
