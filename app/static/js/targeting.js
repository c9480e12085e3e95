// Targeting scenarios: while a scenario runs, ask for its progress every two seconds and show
// it; reload the page when it has finished.  Without JavaScript the page has a "Refresh this
// page" link instead.
const box = document.querySelector("[data-targeting-status]");
if (box) {
  const url = box.getAttribute("data-targeting-status");
  const text = box.querySelector("[data-targeting-text]");
  let failures = 0;
  const poll = async () => {
    try {
      const response = await fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) {
        throw new Error(`status ${response.status}`);
      }
      const state = await response.json();
      failures = 0;
      if (text) {
        text.textContent = `${state.progress}% done: ${state.text}`;
      }
      if (state.finished) {
        window.location.reload();
        return;
      }
    } catch (error) {
      failures += 1;
      if (failures >= 5) {
        if (text) {
          text.textContent = "Progress cannot be checked just now: refresh this page to try again.";
        }
        return;
      }
    }
    window.setTimeout(poll, 2000);
  };
  window.setTimeout(poll, 1000);
}
