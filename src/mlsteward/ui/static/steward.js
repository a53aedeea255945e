// Steward dashboard: sortable and filterable tables, and choosing runs to compare. No framework.
"use strict";

function cellValue(row, index) {
  const cell = row.children[index];
  const raw = cell ? (cell.dataset.sort ?? cell.textContent.trim()) : "";
  const number = Number(raw.replace(/,/g, ""));
  return raw !== "" && raw !== "-" && !Number.isNaN(number) ? number : raw.toLowerCase();
}

function sortTable(table, index, header) {
  const body = table.tBodies[0];
  const ascending = !header.classList.contains("sorted-asc");
  table.querySelectorAll("th").forEach((th) => th.classList.remove("sorted-asc", "sorted-desc"));
  header.classList.add(ascending ? "sorted-asc" : "sorted-desc");
  const rows = Array.from(body.rows);
  rows.sort((a, b) => {
    const x = cellValue(a, index), y = cellValue(b, index);
    if (typeof x === typeof y) return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
    return (typeof x === "number" ? -1 : 1) * (ascending ? 1 : -1);
  });
  rows.forEach((row) => body.appendChild(row));
}

function filterTable(table, text) {
  const needle = text.trim().toLowerCase();
  Array.from(table.tBodies[0].rows).forEach((row) => {
    row.hidden = needle !== "" && !row.textContent.toLowerCase().includes(needle);
  });
}

function updateCompare(form) {
  const chosen = form.querySelectorAll("input[name=id]:checked").length;
  const button = form.querySelector("button[data-compare]");
  if (button) {
    button.disabled = chosen < 2;
    button.textContent = chosen < 2 ? "Compare (choose 2 or more)" : `Compare ${chosen} runs`;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table.sortable").forEach((table) => {
    table.querySelectorAll("thead th").forEach((th, index) => {
      if (th.dataset.nosort !== undefined) return;
      th.classList.add("sortable");
      th.addEventListener("click", () => sortTable(table, index, th));
    });
  });
  document.querySelectorAll("input[data-filter]").forEach((input) => {
    const table = document.getElementById(input.dataset.filter);
    input.addEventListener("input", () => filterTable(table, input.value));
  });
  document.querySelectorAll("form[data-compare-form]").forEach((form) => {
    form.addEventListener("change", () => updateCompare(form));
    updateCompare(form);
  });
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
});

// Labeling: a label's number key, "s" (skip) and "u" (unclear) press the matching button, unless typing a note.
document.addEventListener("keydown", (event) => {
  const form = document.querySelector("form[data-label-form]");
  if (!form || event.ctrlKey || event.metaKey || event.altKey) return;
  if (["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement?.tagName)) return;
  const button = form.querySelector(`button[data-key="${CSS.escape(event.key.toLowerCase())}"]`);
  if (button) {
    event.preventDefault();
    button.click();
  }
});
