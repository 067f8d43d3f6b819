import { escapeHtml } from './escapeHtml.js';

/**
 * An inline SVG with a fixed coordinate system. The width and height
 * attributes give it a size before CSS applies; CSS then lets it shrink with
 * the page (the viewBox keeps the aspect ratio).
 */
export function svgFrame(width: number, height: number, label: string, body: string): string {
  return (
    `<svg class="chart-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" ` +
    `width="${width}" height="${height}" role="img" aria-label="${escapeHtml(label)}">` +
    `<title>${escapeHtml(label)}</title>${body}</svg>`
  );
}
