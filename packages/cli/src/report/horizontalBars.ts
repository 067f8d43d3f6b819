import { emptyChart } from './emptyChart.js';
import { escapeHtml } from './escapeHtml.js';
import { svgFrame } from './svgFrame.js';
import { truncateLabel } from './truncateLabel.js';

export interface Bar {
  label: string;
  value: number;
  /** The number printed after the bar, e.g. `12.3 s`. */
  valueText: string;
  /** Tooltip: the full label and any detail. */
  title: string;
}

export interface BarOptions {
  /** Accessible name of the chart. */
  label: string;
  /** CSS class that colours the bars. */
  barClass: string;
  /** Shown instead of bars when there are none. */
  empty: string;
  width?: number;
  labelChars?: number;
}

const ROW = 26;
const PAD = 8;

/** Horizontal bars, longest first as given, each labelled on the left and valued on the right. */
export function horizontalBars(bars: readonly Bar[], opts: BarOptions): string {
  // The half-width panel's inner width: text is drawn at its nominal size there.
  const width = opts.width ?? 490;
  if (bars.length === 0) return emptyChart(width, 96, opts.label, opts.empty);
  const labelChars = opts.labelChars ?? 26;
  // ~6.6 user units per character at the 12-unit font: room for the longest label shown.
  const labelW = Math.min(width * 0.45, 12 + 6.6 * Math.min(labelChars, Math.max(...bars.map((b) => [...b.label].length))));
  const valueW = 96;
  const barMax = Math.max(20, width - labelW - valueW - PAD);
  const max = Math.max(...bars.map((b) => b.value));
  const height = bars.length * ROW + PAD * 2;
  let body = '';
  bars.forEach((b, i) => {
    const y = PAD + i * ROW;
    const w = max > 0 && b.value > 0 ? Math.max(2, (b.value / max) * barMax) : 0;
    body +=
      `<g class="bar-row"><title>${escapeHtml(b.title)}</title>` +
      `<text class="bar-label" x="${labelW - 8}" y="${y + ROW / 2}" text-anchor="end" dominant-baseline="middle">${escapeHtml(truncateLabel(b.label, labelChars))}</text>` +
      `<rect class="bar-track" x="${labelW}" y="${y + 4}" width="${barMax}" height="${ROW - 8}" rx="3"/>` +
      `<rect class="${opts.barClass}" x="${labelW}" y="${y + 4}" width="${w.toFixed(1)}" height="${ROW - 8}" rx="3"/>` +
      `<text class="bar-value" x="${(labelW + w + 6).toFixed(1)}" y="${y + ROW / 2}" dominant-baseline="middle">${escapeHtml(b.valueText)}</text></g>`;
  });
  return svgFrame(width, height, opts.label, body);
}
