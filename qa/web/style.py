"""How the page looks and the little script it runs: CSS, theme colours, page JavaScript."""

from __future__ import annotations

import gradio as gr

CSS = """
.qa-source, .qa-context { border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 8px 12px; margin-bottom: 8px; }
.qa-chosen { outline: 3px solid var(--color-accent); }
.qa-related { border-style: dashed; }
.qa-meta { color: var(--body-text-color-subdued); font-size: 0.85em; }
.qa-pnum { color: var(--body-text-color-subdued); font-size: 0.85em; }
.qa-focus { border-left: 3px solid var(--color-accent); padding-left: 8px; }
mark { background: #fff3a3; color: #111827; }
mark.qa-near { background: none; color: inherit; text-decoration: underline dotted; }
#chat a[href^="#cite-"] { text-decoration: none; }
"""
"""Highlighted quotes are dark on pale yellow in both themes (15:1). Dark-mode rules are
left to the theme's variables (THEME): Gradio rewrites `.dark` selectors in custom CSS,
and a rule in a selector list can come out unmatched."""
THEME = gr.themes.Default().set(
    body_text_color_subdued="#4b5563",
    body_text_color_subdued_dark="#d1d5db",
    button_primary_background_fill="#b45309",
    button_primary_background_fill_dark="#b45309",
    button_primary_background_fill_hover="#92400e",
    button_primary_background_fill_hover_dark="#92400e",
    button_primary_text_color="#ffffff",
    button_primary_text_color_dark="#ffffff",
    button_cancel_background_fill="#b91c1c",
    button_cancel_background_fill_dark="#b91c1c",
    button_cancel_background_fill_hover="#991b1b",
    button_cancel_background_fill_hover_dark="#991b1b",
    button_cancel_text_color="#ffffff",
    button_cancel_text_color_dark="#ffffff",
)
"""Colours with at least 4.5:1 contrast (WCAG AA) in light and dark mode, as the browser
tests check with axe-core: grey labels, the primary (orange) and stop (red) buttons."""
PAGE_JS = """
() => {
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest('a[href^="#cite-"]');
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const box = document.querySelector("#cite-target textarea");
    if (!box) return;
    box.value = link.getAttribute("href").slice(6) + "-" + Date.now();
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }, true);
  const name = () => document.querySelectorAll("button.upload-container[aria-label]").forEach((b) => {
    const text = b.innerText.replace(/\\s+/g, " ").trim();
    if (text && b.getAttribute("aria-label") !== text) b.setAttribute("aria-label", text);
  });
  new MutationObserver(name).observe(document.body, { childList: true, subtree: true });
}
"""
"""A click on a citation marker in the chat opens that source: the marker links to
#cite-<turn>-<n>, and this writes that into a hidden box whose change event shows it.
The upload area's accessible name is set to the words it shows, as screen-reader users
who speak what they see need ("Drop File Here - or - Click to Upload")."""
CONFIRM_DELETE_JS = (
    "(chosen, current) => (chosen && confirm('Delete this saved conversation?')) ? [chosen, current] : [null, current]"
)
"""Deleting asks first in the browser; a cancelled or empty choice reaches the handler as null."""
CONFIRM_REMOVE_JS = (
    "(chosen, password) => (chosen && confirm('Remove ' + chosen + ' from the corpus? Its file is kept and can be "
    "restored.')) ? [chosen, password] : [null, password]"
)
COPY_JS = "(text) => { if (text && navigator.clipboard) { navigator.clipboard.writeText(text); } }"
