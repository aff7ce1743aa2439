// Rotation forms: suggest the browser's own time zone beside a time zone field (a button that fills
// it in), when the zone is one the field offers and is not already chosen. No inline script (CSP).
document.addEventListener("DOMContentLoaded", () => {
  let zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) {
    return;
  }
  document.querySelectorAll("button[data-zone-for]").forEach((button) => {
    const input = document.getElementById(button.dataset.zoneFor);
    const list = input && input.list;
    const offered = list && Array.from(list.options).some((option) => option.value === zone);
    if (!offered || input.value === zone) return;
    button.textContent = `Use my time zone (${zone})`;
    button.parentElement.hidden = false;
    button.addEventListener("click", () => {
      input.value = zone;
      button.parentElement.hidden = true;
      input.focus();
    });
  });
});
