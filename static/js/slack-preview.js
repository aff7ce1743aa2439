// The rotation page's Slack section: the preview follows the templates (and the message channel and
// reminder hours, which turn the default texts on) as the admin types. The
// server fills them in (POST to the form's data-slack-preview-url, a moment after the last key), so
// the page and Slack agree on placeholders and the 250-character topic. Without JavaScript the
// preview is rendered by the page after Save. No inline script (CSP).
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-slack-preview-url]");
  const block = document.querySelector("[data-slack-previews]");
  const list = block && block.querySelector("dl");
  if (!form || !list) return;
  let timer = null;
  let asked = 0;

  const show = (previews) => {
    list.replaceChildren();
    previews.forEach((preview) => {
      const term = document.createElement("dt");
      const text = document.createElement("dd");
      term.textContent = preview.label;
      text.textContent = preview.text;
      if (preview.error) text.className = "error";
      list.append(term, text);
    });
    block.hidden = previews.length === 0;
  };

  const refresh = async () => {
    const ticket = ++asked;
    try {
      const response = await fetch(form.dataset.slackPreviewUrl, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) return;
      const data = await response.json();
      if (ticket === asked) show(data.previews || []); // an older answer never replaces a newer one
    } catch (e) {
      // offline or the session ended: the preview stays as it was; Save still shows it
    }
  };

  form.addEventListener("input", (event) => {
    if (!event.target.matches("[data-preview]")) return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  });
});
