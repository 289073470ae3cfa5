/** The report's only stylesheet, inlined so the file opens anywhere without network access. */
export const HTML_STYLE = `
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --panel: #ffffff; --text: #1b1f24; --muted: #5b6470; --border: #d8dde3;
  --accent: #1f5fbf; --code-bg: #eef1f4;
  --fail: #b42318; --fail-bg: #fdecea; --pass: #1a7f37; --pass-bg: #e8f5ec;
  --incomplete: #9a6700; --incomplete-bg: #fff6db;
  --critical: #7a0916; --high: #c4320a; --medium: #9a6700; --low: #1f5fbf; --info: #5b6470;
  --bar: #6e7781;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1216; --panel: #171b21; --text: #e6e9ed; --muted: #9aa4b1; --border: #2d343d;
    --accent: #6ea8fe; --code-bg: #222831;
    --fail: #ff7b72; --fail-bg: #3a1514; --pass: #56d364; --pass-bg: #12301b;
    --incomplete: #e3b341; --incomplete-bg: #33290c;
    --critical: #ff6b7d; --high: #ff8c5a; --medium: #e3b341; --low: #6ea8fe; --info: #9aa4b1;
    --bar: #8b949e;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--text);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", sans-serif; }
header.top, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 20px; }
header.top { padding-top: 24px; }
h1 { font-size: 1.5rem; margin: 0 0 4px; }
h2 { font-size: 1.2rem; margin: 32px 0 12px; }
h3 { font-size: 1rem; margin: 0; overflow-wrap: anywhere; }
.meta, .muted { color: var(--muted); }
.meta { margin: 0; font-size: 0.9rem; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  font-size: 0.85em; overflow-wrap: break-word; }
code { background: var(--code-bg); padding: 1px 4px; border-radius: 4px; }
.verdict { margin: 20px 0; padding: 16px 20px; border-radius: 10px; border: 2px solid; display: flex;
  gap: 16px; align-items: center; flex-wrap: wrap; }
.verdict p { margin: 0; }
.verdict-word { font-size: 1.9rem; font-weight: 800; letter-spacing: 0.04em; }
.verdict-fail { color: var(--fail); background: var(--fail-bg); border-color: var(--fail); }
.verdict-pass { color: var(--pass); background: var(--pass-bg); border-color: var(--pass); }
.verdict-incomplete { color: var(--incomplete); background: var(--incomplete-bg); border-color: var(--incomplete); }
.verdict-detail { color: var(--text); font-size: 1.05rem; }
.stats { display: grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr)); gap: 10px; }
.stat { background: var(--panel); border: 1px solid var(--border); border-radius: 8px; padding: 10px 14px; }
.stat b { display: block; font-size: 1.5rem; }
.stat span { color: var(--muted); font-size: 0.85rem; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 12px; }
.chart { margin: 0; background: var(--panel); border: 1px solid var(--border); border-radius: 8px; padding: 12px; }
.chart figcaption { font-weight: 600; margin-bottom: 6px; }
.chart svg { display: block; max-width: 480px; }
.chart-label, .chart-value { fill: var(--text); font-size: 11px; font-family: inherit; }
.bar-default { fill: var(--bar); } .bar-fail { fill: var(--fail); } .bar-pass { fill: var(--pass); }
.bar-incomplete { fill: var(--incomplete); } .bar-failed { fill: var(--critical); }
.bar-critical { fill: var(--critical); } .bar-high { fill: var(--high); } .bar-medium { fill: var(--medium); }
.bar-low { fill: var(--low); } .bar-info { fill: var(--info); }
[hidden] { display: none !important; }
.filters { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; margin: 24px 0 0; padding: 10px 14px;
  background: var(--panel); border: 1px solid var(--border); border-radius: 8px; }
.filters label { font-size: 0.9rem; color: var(--muted); }
.filters select, .filters input { font: inherit; color: var(--text); background: var(--bg);
  border: 1px solid var(--border); border-radius: 6px; padding: 3px 6px; margin-left: 4px; }
.filters output { font-size: 0.85rem; color: var(--muted); }
table.targets td.num { text-align: right; }
table.targets tr td:first-child { border-left: 4px solid var(--border); min-width: 14em; }
table.targets tr.v-fail td:first-child { border-left-color: var(--fail); }
table.targets tr.v-pass td:first-child { border-left-color: var(--pass); }
table.targets tr.v-incomplete td:first-child, table.targets tr.v-failed td:first-child { border-left-color: var(--incomplete); }
table.targets td:nth-child(4) { min-width: 14em; overflow-wrap: anywhere; }
ul.profiles { margin: 4px 0 0; padding-left: 18px; font-size: 0.85em; }
.problem-text { color: var(--incomplete); }
details.group { margin-top: 10px; }
details.group > summary { color: var(--muted); }
.problem { margin: 10px 0 0; padding: 8px 10px; border-radius: 6px; background: var(--incomplete-bg);
  color: var(--text); border: 1px solid var(--incomplete); overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 0.75rem; font-weight: 700;
  text-transform: uppercase; letter-spacing: 0.03em; border: 1px solid currentColor; white-space: nowrap; }
.b-fail, .b-failed { color: var(--fail); } .b-pass { color: var(--pass); } .b-incomplete { color: var(--incomplete); }
.b-new { color: var(--fail); border: 1px solid currentColor; }
.refs { overflow-wrap: anywhere; }
.sev-critical { color: var(--critical); } .sev-high { color: var(--high); } .sev-medium { color: var(--medium); }
.sev-low { color: var(--low); } .sev-info { color: var(--info); }
.b-waived { color: var(--pass); } .b-expired { color: var(--fail); }
.table-wrap { overflow-x: auto; background: var(--panel); border: 1px solid var(--border); border-radius: 8px; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { text-align: left; vertical-align: top; padding: 8px 10px; border-bottom: 1px solid var(--border); }
th { font-size: 0.8rem; color: var(--muted); text-transform: uppercase; letter-spacing: 0.03em; }
tbody tr:last-child td { border-bottom: 0; }
td { overflow-wrap: break-word; }
table.findings td:nth-child(2) { min-width: 9em; }
table.findings td:nth-child(3) { min-width: 12em; }
table.findings td:nth-child(4) { min-width: 11em; }
table.findings td:nth-child(6) { overflow-wrap: anywhere; min-width: 12em; }
tr.waived td { opacity: 0.62; }
tr.waived td:last-child { opacity: 1; }
.sub { display: block; color: var(--muted); font-size: 0.85em; }
ul.plain { margin: 0; padding-left: 18px; }
footer { color: var(--muted); font-size: 0.85rem; padding-top: 24px; padding-bottom: 32px; }
details summary { cursor: pointer; font-weight: 600; margin: 8px 0; }
@media screen and (max-width: 760px) {
  body { font-size: 14px; }
  header.top, main, footer { padding: 0 12px; }
  header.top { padding-top: 16px; }
  .verdict-word { font-size: 1.5rem; }
  .table-wrap { overflow: visible; background: transparent; border: 0; }
  table.stack thead { display: none; }
  table.stack, table.stack tbody, table.stack tr, table.stack td { display: block; width: 100%; }
  table.stack tr { background: var(--panel); border: 1px solid var(--border); border-radius: 8px;
    margin-bottom: 10px; padding: 6px 0; }
  table.stack td { border: 0; padding: 3px 12px 3px calc(12px + 8em); position: relative; min-width: 0;
    overflow-wrap: anywhere; }
  table.stack td:empty { display: none; }
  table.targets td.num { text-align: left; }
  table.stack td::before { content: attr(data-label); position: absolute; left: 12px; width: 7.5em;
    color: var(--muted); font-size: 0.75rem; line-height: 1.9; text-transform: uppercase; letter-spacing: 0.03em; }
}
@media print {
  :root { --bg: #fff; --panel: #fff; --text: #000; --muted: #444; --border: #999; --code-bg: #f2f2f2; }
  @page { margin: 12mm; }
  body { font-size: 9.5pt; }
  table { font-size: 8.5pt; }
  th, td { padding: 4px 6px; }
  .charts { grid-template-columns: repeat(3, 1fr); }
  header.top, main, footer { max-width: none; padding: 0; }
  .verdict { border-width: 3px; }
  .table-wrap { overflow: visible; border: 0; }
  tr, .chart, .stat { break-inside: avoid; }
  .filters { display: none !important; }
  thead { display: table-header-group; }
  h2 { break-after: avoid; }
  tr.waived td { opacity: 1; font-style: italic; }
  details > *:not(summary) { display: block; }
}
`;
