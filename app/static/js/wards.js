// Ward profiles: a "Print this page" button (it needs JavaScript, so it starts hidden).
for (const button of document.querySelectorAll("[data-app-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
