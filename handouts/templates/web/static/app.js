// Search as you type, language list per medicine, and the translation status shown
// before printing. The form works without this script too.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const catalog = JSON.parse(document.getElementById("catalog").textContent);
  const drugSelect = document.getElementById("drug");
  const langSelect = document.getElementById("lang");
  const search = document.getElementById("drug-search");
  const count = document.getElementById("drug-count");
  const status = document.getElementById("status");
  const printButton = document.getElementById("print");
  const byId = Object.fromEntries(catalog.drugs.map((drug) => [drug.id, drug]));
  let shown = drugSelect.options.length;

  // Print only what the nurse can see, in a translation that is up to date.
  function updatePrint() {
    const drug = byId[drugSelect.value];
    const lang = drug.languages.find((l) => l.tag === langSelect.value);
    printButton.disabled = shown === 0 || !lang.complete;
  }

  function showLanguages() {
    const drug = byId[drugSelect.value];
    const current = langSelect.value;
    langSelect.replaceChildren(...drug.languages.map((lang) => {
      const option = new Option(lang.name, lang.tag, false, lang.tag === current);
      option.lang = lang.tag;
      option.dir = lang.dir;
      return option;
    }));
    showStatus();
  }

  function showStatus() {
    const drug = byId[drugSelect.value];
    const lang = drug.languages.find((l) => l.tag === langSelect.value);
    status.className = "status";
    if (!lang.complete) {
      status.textContent = "This translation is behind the English and cannot be printed.";
      status.classList.add("blocked");
    } else if (!lang.reviewed) {
      status.textContent = "Draft translation — not reviewed by a clinician. Every page will say so.";
      status.classList.add("draft");
    } else {
      status.textContent = lang.tag === "en" ? "English master, content version " +
        drug.content_version + "." : "Reviewed translation.";
    }
    updatePrint();
  }

  search.addEventListener("input", () => {
    const words = search.value.toLowerCase().trim();
    shown = 0;
    for (const option of drugSelect.options) {
      const match = option.dataset.search.toLowerCase().includes(words);
      option.hidden = !match;
      option.disabled = !match;
      if (match) shown += 1;
    }
    const first = [...drugSelect.options].find((option) => !option.hidden);
    if (first && drugSelect.selectedOptions[0].hidden) {
      drugSelect.value = first.value;
      showLanguages();
    }
    updatePrint();
    count.textContent = shown === 0 ? "No medicine matches. Clear the search to see them all."
      : shown === 1 ? "1 medicine matches." : shown + " medicines match.";
  });
  drugSelect.addEventListener("change", showLanguages);
  langSelect.addEventListener("change", showStatus);
  showLanguages();
});
