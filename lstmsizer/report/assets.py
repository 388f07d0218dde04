"""The report page's stylesheet and script, inlined so the page works offline from disk."""

from __future__ import annotations

CSS = """
:root {
  --ink: #1f2328; --muted: #59636e; --line: #d0d7de; --soft: #f6f8fa; --accent: #1f6feb;
  --good: #1a7f37; --good-bg: #dafbe1; --warn: #9a6700; --warn-bg: #fff8c5;
  --sans: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans",
    "Liberation Sans", sans-serif;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", "DejaVu Sans Mono",
    monospace;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 16px/1.55 var(--sans); color: var(--ink); background: #fff; }
.page { max-width: 1240px; margin: 0 auto; padding: 2rem 1.5rem 4rem; }
h1 { font-size: 2rem; line-height: 1.2; margin: 0.2rem 0 1rem; letter-spacing: -0.01em; }
h2 { font-size: 1.4rem; margin: 3rem 0 0.4rem; padding-bottom: 0.3rem;
  border-bottom: 1px solid var(--line); }
h3 { font-size: 1.02rem; margin: 1.6rem 0 0.4rem; }
.figs h3, .two h3 { margin-top: 0; }
p { margin: 0.4rem 0 0.8rem; }
a { color: var(--accent); }
code, pre { font-family: var(--mono); font-size: 0.86rem; }
.kicker { color: var(--muted); text-transform: uppercase; letter-spacing: 0.06em;
  font-size: 0.8rem; margin: 0; }
.lead { color: var(--muted); max-width: 62rem; }
.verdict { font-size: 1.3rem; line-height: 1.45; font-weight: 600; margin: 0 0 1.2rem;
  padding: 1rem 1.2rem; border-left: 6px solid var(--good); background: var(--good-bg);
  border-radius: 6px; }
.verdict.no-lstm { border-color: var(--warn); background: var(--warn-bg); }
.stats { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr));
  gap: 0.8rem; margin: 0 0 1rem; }
.stat { border: 1px solid var(--line); border-radius: 6px; padding: 0.6rem 0.8rem; }
.stat dt { color: var(--muted); font-size: 0.8rem; }
.stat dd { margin: 0.1rem 0 0; font-size: 1.1rem; font-weight: 600;
  font-variant-numeric: tabular-nums; }
nav.toc { display: flex; flex-wrap: wrap; gap: 0.3rem 1.2rem; font-size: 0.92rem;
  padding: 0.6rem 0; border-top: 1px solid var(--line); border-bottom: 1px solid var(--line); }
nav.toc a { text-decoration: none; }
.code-grid, .two { display: grid; grid-template-columns: 1fr; gap: 1.2rem; }
.code { border: 1px solid var(--line); border-radius: 6px; overflow: hidden; min-width: 0; }
.code-head { display: flex; justify-content: space-between; align-items: center;
  background: var(--soft); border-bottom: 1px solid var(--line); padding: 0.35rem 0.8rem;
  font-size: 0.88rem; font-weight: 600; }
.code pre { margin: 0; padding: 0.8rem; overflow-x: auto; line-height: 1.45; tab-size: 4; }
button.copy { font: inherit; font-weight: 500; font-size: 0.8rem; cursor: pointer;
  border: 1px solid var(--line); background: #fff; border-radius: 4px; padding: 0.1rem 0.6rem; }
button.copy:hover { border-color: var(--accent); color: var(--accent); }
table { border-collapse: collapse; font-size: 0.9rem; font-variant-numeric: tabular-nums; }
th, td { padding: 0.3rem 0.6rem; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top; }
td.n, th.n { text-align: right; }
table.sortable td { white-space: nowrap; }
table#claims td { white-space: normal; }
table.facts th { color: var(--muted); font-weight: 500; white-space: nowrap; }
.scroll { overflow-x: auto; max-width: 100%; }
table.sortable th { cursor: pointer; user-select: none; white-space: nowrap;
  background: var(--soft); }
table.sortable th::after { content: " \\2195"; color: #afb8c1; font-size: 0.8em; }
table.sortable th[aria-sort="ascending"]::after { content: " \\2191"; color: var(--ink); }
table.sortable th[aria-sort="descending"]::after { content: " \\2193"; color: var(--ink); }
tr.rec td { background: var(--good-bg); font-weight: 600; }
tr.unhealthy td { background: var(--warn-bg); }
.stability { font-size: 1.05rem; margin: -0.6rem 0 0.8rem; }
ul.warnings { border-left: 4px solid var(--warn); background: var(--warn-bg); border-radius: 4px;
  margin: 0 0 1rem; padding: 0.5rem 1rem 0.5rem 2rem; }
details { margin: 0.8rem 0; }
details summary { cursor: pointer; color: var(--accent); }
tr.best td:first-child::after { content: " (best)"; color: var(--muted); font-weight: 400; }
.figs { display: grid; grid-template-columns: 1fr; gap: 1.6rem 2rem; margin-top: 1rem; }
figure.fig { margin: 0; min-width: 0; break-inside: avoid; page-break-inside: avoid; }
figure.fig svg { display: block; width: 100%; height: auto; }
figure.fig svg text { font-family: var(--sans) !important; }
figcaption { color: var(--muted); font-size: 0.9rem; margin-top: 0.3rem; }
figcaption a { font-size: 0.8rem; }
.missing { border: 1px dashed #afb8c1; border-radius: 6px; padding: 1rem 1.2rem;
  color: var(--muted); background: var(--soft); align-self: start; }
.missing h3 { color: var(--ink); margin-top: 0; }
.notes { border-left: 4px solid var(--warn); background: var(--warn-bg); padding: 0.6rem 1rem;
  border-radius: 4px; }
ul.files { columns: 2 14rem; padding-left: 1.2rem; }
footer { margin-top: 3rem; color: var(--muted); font-size: 0.85rem; }
@media (max-width: 600px) {
  .page { padding: 1.2rem 1rem 3rem; }
  h1 { font-size: 1.6rem; }
  .verdict { font-size: 1.1rem; }
}
@media (min-width: 980px) {
  .figs, .two { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); }
  .code-grid { grid-template-columns: minmax(0, 2fr) minmax(0, 3fr); align-items: start; }
  .fig.wide { grid-column: 1 / -1; }
}
@media print {
  body { font-size: 10pt; }
  .page { max-width: none; padding: 0; }
  nav.toc, button.copy { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; margin-top: 1.5rem; }
  .figs, .two { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); }
  .code-grid { grid-template-columns: 1fr; }
  .fig.wide { grid-column: 1 / -1; }
  .code pre { white-space: pre-wrap; overflow: visible; font-size: 7.5pt; }
  .scroll { overflow: visible; }
  table { font-size: 8pt; }
  tr, .code, .missing, .verdict { break-inside: avoid; page-break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""

JS = """
(function () {
  "use strict";
  function cellValue(row, index) {
    var cell = row.cells[index];
    var raw = cell.getAttribute("data-v");
    if (raw !== null && raw !== "" && !isNaN(Number(raw))) { return Number(raw); }
    return cell.textContent.trim().toLowerCase();
  }
  function sortBy(table, th) {
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index), y = cellValue(b, index);
      if (typeof x !== typeof y) { x = String(x); y = String(y); }
      var order = x < y ? -1 : x > y ? 1 : 0;
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(th.parentNode.children, function (other) {
      other.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("thead th").forEach(function (th) {
      th.tabIndex = 0;
      th.addEventListener("click", function () { sortBy(table, th); });
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          sortBy(table, th);
        }
      });
    });
  });
  function selectText(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
  document.querySelectorAll("button.copy").forEach(function (button) {
    button.addEventListener("click", function () {
      var code = document.getElementById(button.getAttribute("data-target"));
      function done(text) {
        button.textContent = text;
        setTimeout(function () { button.textContent = "Copy"; }, 1500);
      }
      function fallback() {
        selectText(code);
        var ok = false;
        try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
        done(ok ? "Copied" : "Selected: press Ctrl+C");
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(code.textContent).then(function () {
          done("Copied");
        }, fallback);
      } else {
        fallback();
      }
    });
  });
})();
"""
