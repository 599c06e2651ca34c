// Search as you type, the languages every chosen medicine has, and the translation
// status shown before printing. The form works without this script too.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const catalog = JSON.parse(document.getElementById("catalog").textContent);
  const drugSelect = document.getElementById("drug");
  const langSelect = document.getElementById("lang");
  const search = document.getElementById("drug-search");
  const count = document.getElementById("drug-count");
  const status = document.getElementById("status");
  const printButton = document.getElementById("print");
  const packetNote = document.getElementById("packet-note");
  const kinds = document.querySelectorAll('input[name="kinds"]');
  const byId = Object.fromEntries(catalog.drugs.map((drug) => [drug.id, drug]));
  let shown = drugSelect.options.length;

  const chosen = () => [...drugSelect.selectedOptions].map((option) => byId[option.value]);

  // A language of every chosen medicine: complete only if each is, reviewed only if each is.
  function languages() {
    const drugs = chosen();
    if (drugs.length === 0) return [];
    return drugs[0].languages
      .filter((lang) => drugs.every((drug) => drug.languages.some((l) => l.tag === lang.tag)))
      .map((lang) => {
        const each = drugs.map((drug) => drug.languages.find((l) => l.tag === lang.tag));
        return { ...lang, complete: each.every((l) => l.complete), reviewed: each.every((l) => l.reviewed) };
      });
  }

  // Print only what the nurse can see, in a translation that is up to date.
  function updatePrint() {
    const lang = languages().find((l) => l.tag === langSelect.value);
    printButton.disabled = shown === 0 || chosen().length === 0 || !lang || !lang.complete;
    const packet = chosen().length > 1;
    packetNote.hidden = !packet;
    for (const input of kinds) input.disabled = packet;
  }

  function showLanguages() {
    const current = langSelect.value;
    langSelect.replaceChildren(...languages().map((lang) => {
      const option = new Option(lang.name, lang.tag, false, lang.tag === current);
      option.lang = lang.tag;
      option.dir = lang.dir;
      return option;
    }));
    showStatus();
  }

  function showStatus() {
    const drugs = chosen();
    const lang = languages().find((l) => l.tag === langSelect.value);
    status.className = "status";
    if (!lang) {
      status.textContent = drugs.length ? "" : "Choose a medicine.";
    } else if (!lang.complete) {
      status.textContent = "This translation is behind the English and cannot be printed.";
      status.classList.add("blocked");
    } else if (!lang.reviewed) {
      status.textContent = "Draft translation — not reviewed by a clinician. Every page will say so.";
      status.classList.add("draft");
    } else if (lang.tag === "en") {
      status.textContent = drugs.length === 1 ? "English master, content version " +
        drugs[0].content_version + "." : "English masters.";
    } else {
      status.textContent = "Reviewed translation.";
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
      if (!match) option.selected = false; // never print a medicine the nurse cannot see
      if (match) shown += 1;
    }
    const first = [...drugSelect.options].find((option) => !option.hidden);
    if (first && drugSelect.selectedOptions.length === 0) first.selected = true;
    showLanguages();
    count.textContent = shown === 0 ? "No medicine matches. Clear the search to see them all."
      : shown === 1 ? "1 medicine matches." : shown + " medicines match.";
  });
  drugSelect.addEventListener("change", showLanguages);
  langSelect.addEventListener("change", showStatus);
  showLanguages();
});
