// Progressive enhancement for native <dialog>: links with data-open-dialog open the dialog as a
// modal (focus trapped, Esc closes); without JavaScript the same links reload the page with the
// dialog rendered open. A dialog rendered open (an error to show) is re-opened as a modal.
document.addEventListener("DOMContentLoaded", () => {
  const openModal = (dialog) => {
    if (!dialog || typeof dialog.showModal !== "function") return false;
    if (dialog.open) dialog.close();
    dialog.showModal();
    const first = dialog.querySelector("input:not([type=hidden]), select, textarea, button");
    if (first) first.focus();
    return true;
  };
  document.querySelectorAll("[data-open-dialog]").forEach((link) => {
    link.addEventListener("click", (event) => {
      if (openModal(document.getElementById(link.dataset.openDialog))) event.preventDefault();
    });
  });
  document.querySelectorAll("dialog[open]").forEach(openModal);
  document.querySelectorAll("[data-copy]").forEach((button) => {
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copy);
      const text = source ? (source.value || source.textContent).trim() : "";
      try {
        await navigator.clipboard.writeText(text);
        button.textContent = "Copied";
      } catch (e) {
        if (source && source.select) source.select();
        button.textContent = "Press Ctrl+C to copy";
      }
      setTimeout(() => { button.textContent = "Copy"; }, 2500);
    });
  });
});
