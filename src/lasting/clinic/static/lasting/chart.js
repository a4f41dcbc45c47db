// Render every Vega-Lite chart on the page from its JSON spec (no inline scripts, no CDN).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-spec-id]").forEach(function (element) {
    var source = document.getElementById(element.dataset.specId);
    if (!source || typeof vegaEmbed !== "function") return;
    vegaEmbed(element, JSON.parse(source.textContent), { actions: false, renderer: "svg" })
      .then(function () { element.dataset.rendered = "true"; })
      .catch(function (error) {
        // A page may say this in its own language (data-error-text); the details stay in the console.
        if (element.dataset.errorText) { element.textContent = element.dataset.errorText; console.error(error); }
        else { element.textContent = "The chart could not be drawn: " + error.message; }
      });
  });
});
