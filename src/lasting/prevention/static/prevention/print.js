// The print view of a relapse-prevention plan opens the print dialog once the page is drawn.
window.addEventListener("load", () => window.print());
