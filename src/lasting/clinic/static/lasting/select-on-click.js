// A click on a field marked data-select-on-click selects its whole text (a check-in link to
// copy). Listening on the document covers fields that HTMX swaps in later.
document.addEventListener("click", function (event) {
  var field = event.target.closest && event.target.closest("[data-select-on-click]");
  if (field && typeof field.select === "function") field.select();
});
