// The one dialog pattern (CONTRIBUTING.md, "Pages: dialogs and confirmations"), as progressive
// enhancement of native <dialog>:
// - a link with data-open-dialog="ID" (href="?dialog=ID") opens dialog#ID as a modal (focus kept
//   inside, Esc closes); without JavaScript the link reloads the page with the dialog rendered open;
// - a dialog rendered open (a form that failed, or ?dialog=ID) is re-opened as a modal;
// - on opening, focus goes to the first field with an error (aria-invalid), else the first field;
// - a button with data-copy="ID" copies the value or text of #ID.
(() => {
  const FIELDS = "input:not([type=hidden]), select, textarea";

  const focusFirst = (dialog) => {
    const target =
      dialog.querySelector("[aria-invalid=true]") ||
      dialog.querySelector(`form:not([method=dialog]) :is(${FIELDS})`) ||
      dialog.querySelector(`${FIELDS}, a[href], button:not(.dialog-close)`);
    if (target) target.focus();
  };

  const openModal = (dialog) => {
    if (!dialog || typeof dialog.showModal !== "function") return false;
    if (dialog.open) dialog.close();
    dialog.showModal();
    focusFirst(dialog);
    return true;
  };

  const copy = async (button) => {
    const source = document.getElementById(button.dataset.copy);
    const text = source ? (source.value || source.textContent).trim() : "";
    const label = button.dataset.label || (button.dataset.label = button.textContent);
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    } catch (e) {
      if (source && source.select) source.select();
      button.textContent = "Press Ctrl+C to copy";
    }
    setTimeout(() => { button.textContent = label; }, 2500);
  };

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-open-dialog]").forEach((link) => {
      link.addEventListener("click", (event) => {
        const from = link.closest("dialog[open]"); // a choice inside a dialog replaces it
        const to = document.getElementById(link.dataset.openDialog);
        if (from && to && from !== to) from.close();
        if (openModal(to)) event.preventDefault();
      });
    });
    document.querySelectorAll("dialog[open]").forEach(openModal);
    document.querySelectorAll("[data-copy]").forEach((button) => {
      button.addEventListener("click", () => copy(button));
    });
  });
})();
