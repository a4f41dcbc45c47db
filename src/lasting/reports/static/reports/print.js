// The print view of a progress report opens the print dialog once the page is drawn.
window.addEventListener("load", () => window.print());
