// Opened with ?print=1 (the print is audited by the server): open the print dialog.
window.addEventListener("load", () => window.print());
