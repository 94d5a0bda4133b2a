// @ts-check
/**
 * @module web/theme
 * Light or dark: the system's choice (prefers-color-scheme) unless the user picked one, kept in localStorage.
 * The stylesheet reads `data-theme` on <html>; without it, its media query decides.
 */
import { h } from "./h.js";

const KEY = "certwatch.theme";
const CHOICES = /** @type {const} */ ([
  ["auto", "System"],
  ["light", "Light"],
  ["dark", "Dark"],
]);

/** @typedef {"auto" | "light" | "dark"} Theme */

/** @returns {Theme} */
export function storedTheme() {
  try {
    const t = localStorage.getItem(KEY);
    return t === "light" || t === "dark" ? t : "auto";
  } catch {
    return "auto"; // storage disabled: follow the system
  }
}

/** @param {Theme} theme */
export function applyTheme(theme) {
  const root = document.documentElement;
  if (theme === "auto") delete root.dataset.theme;
  else root.dataset.theme = theme;
}

/** @param {Theme} theme */
function saveTheme(theme) {
  try {
    if (theme === "auto") localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, theme);
  } catch {
    // storage disabled: the choice lasts for this page only
  }
}

/** The theme picker of the top bar. */
export function themePicker() {
  const current = storedTheme();
  const select = h(
    "select",
    {
      id: "theme",
      on: {
        change: () => {
          const theme = /** @type {Theme} */ (select.value);
          saveTheme(theme);
          applyTheme(theme);
        },
      },
    },
    CHOICES.map(([value, label]) => h("option", { value, selected: value === current }, label)),
  );
  return h("span", { class: "theme-picker" }, h("label", { for: "theme" }, "Theme"), select);
}
