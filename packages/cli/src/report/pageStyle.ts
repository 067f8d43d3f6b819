/**
 * The report's only stylesheet, inlined. Colours are variables so the page
 * follows the reader's light or dark setting, and the SVG charts take theirs
 * from the same classes rather than from fill attributes.
 */
export const PAGE_STYLE = `
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --panel: #ffffff; --ink: #1d2330; --muted: #687086; --line: #e3e6ec; --track: #eef0f4;
  --local: #2f9e6e; --remote: #3b7dd8; --miss: #e07b39; --pass: #8a93a6; --accent: #6b5bd2;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #14171d; --panel: #1c2028; --ink: #e7eaf0; --muted: #97a0b3; --line: #2c323d; --track: #262b35;
    --local: #3fbf86; --remote: #5b9bf0; --miss: #f0924f; --pass: #8690a4; --accent: #9488f0;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 28px 20px 48px; }
header h1 { margin: 0; font-size: 24px; letter-spacing: -0.01em; }
header .sub { color: var(--muted); margin: 4px 0 18px; overflow-wrap: anywhere; }
header code { font-size: 13px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
.card .k { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; }
.card .v { font-size: 26px; font-weight: 650; margin-top: 2px; font-variant-numeric: tabular-nums; }
.card .d { color: var(--muted); font-size: 12px; }
.lifetime { color: var(--muted); font-size: 13px; margin: 12px 2px 0; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 16px; margin-top: 16px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 12px; padding: 16px 18px; margin-top: 16px; min-width: 0; }
.grid2 .panel { margin-top: 0; }
.panel h2 { font-size: 16px; margin: 0 0 2px; }
.panel .note { color: var(--muted); font-size: 13px; margin: 0 0 10px; }
figure.chart { margin: 0; }
.chart-svg { display: block; max-width: 100%; height: auto; font-size: 12px; }
.legend-inline { display: flex; gap: 16px; color: var(--muted); font-size: 13px; margin-top: 6px; }
.key { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
.key.local { background: var(--local); } .key.remote { background: var(--remote); }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: right; padding: 6px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th:first-child, td:first-child, th:nth-child(2), td:nth-child(2) { text-align: left; }
td:first-child { max-width: 260px; overflow: hidden; text-overflow: ellipsis; }
th { color: var(--muted); font-weight: 600; font-size: 12px; }
.table-wrap { overflow-x: auto; }
.muted { color: var(--muted); fill: var(--muted); }
footer { color: var(--muted); font-size: 12px; margin-top: 20px; }
svg text { fill: var(--ink); }
svg .axis, svg .muted, svg .empty-text, svg .donut-small { fill: var(--muted); }
.grid { stroke: var(--line); stroke-width: 1; }
.axis-line { stroke: var(--muted); stroke-width: 1; }
.col-track, .bar-track { fill: var(--track); }
.fill-local { fill: var(--local); } .fill-remote { fill: var(--remote); } .fill-miss { fill: var(--miss); }
.slice-local { stroke: var(--local); } .slice-remote { stroke: var(--remote); } .slice-miss { stroke: var(--miss); }
.ring-track { stroke: var(--track); }
.bar-saved { fill: var(--local); } .bar-miss { fill: var(--miss); } .bar-pass { fill: var(--pass); }
.rate-dot { fill: var(--accent); }
.rate-line { fill: none; stroke: var(--accent); stroke-width: 2; stroke-linejoin: round; }
.col-value { font-size: 11px; font-weight: 600; }
.bar-value { font-size: 12px; fill: var(--muted); }
.donut-big { font-size: 28px; font-weight: 700; }
.donut-small { font-size: 12px; }
.legend { font-size: 13px; } .legend-num { font-size: 13px; font-weight: 600; }
.empty-frame { fill: none; stroke: var(--line); stroke-width: 2; stroke-dasharray: 6 5; }
.empty-text { font-size: 14px; }
g.bar-row:hover .bar-label, g.session-col:hover .axis { fill: var(--accent); }
`;
