import { escapeHtml } from './escapeHtml.js';
import { svgFrame } from './svgFrame.js';

/** The chart's place when there is nothing to draw: a dashed frame that says so, never an empty box. */
export function emptyChart(width: number, height: number, label: string, message: string): string {
  return svgFrame(
    width,
    height,
    label,
    `<rect class="empty-frame" x="1" y="1" width="${width - 2}" height="${height - 2}" rx="8"/>` +
      `<text class="empty-text" x="${width / 2}" y="${height / 2}" text-anchor="middle" dominant-baseline="middle">${escapeHtml(message)}</text>`,
  );
}
