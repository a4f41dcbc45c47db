// Show the esketamine (REMS) fields only for esketamine sessions, and mg/kg only for
// IV/IM. Without JavaScript every field shows, and the server's rules still apply.
(function () {
  const form = document.getElementById("session-form");
  if (!form) return;
  const route = form.querySelector("select[name=route]");
  function update() {
    const esketamine = route.value === "intranasal_esketamine";
    const ketamine = route.value === "iv" || route.value === "im";
    form.querySelectorAll(".esketamine-only").forEach((el) => { el.hidden = !esketamine; });
    form.querySelectorAll(".ketamine-only").forEach((el) => { el.hidden = !ketamine; });
  }
  route.addEventListener("change", update);
  update();
})();
