// Show each field only for the route it belongs to: the esketamine dose and REMS questions
// for esketamine (the mg and the reason only for an "other" dose), mg/kg for IV and IM.
// Without JavaScript every field shows, and the server's rules apply either way.
(function () {
  const form = document.getElementById("session-form");
  if (!form) return;
  const route = form.querySelector("select[name=route]");
  const dose = form.querySelector("select[name=esketamine_dose]");
  function show(selector, visible) {
    form.querySelectorAll(selector).forEach((el) => { el.hidden = !visible; });
  }
  function update() {
    const esketamine = route.value === "intranasal_esketamine";
    const otherDose = esketamine && dose.value === "other";
    show(".esketamine-only", esketamine);
    show(".ketamine-only", route.value === "iv" || route.value === "im");
    show(".dose-in-mg", !esketamine || otherDose);
    show(".other-esketamine-dose", otherDose);
  }
  route.addEventListener("change", update);
  dose.addEventListener("change", update);
  update();
})();
