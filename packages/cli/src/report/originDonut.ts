import { emptyChart } from './emptyChart.js';
import { escapeHtml } from './escapeHtml.js';
import { formatPercent } from './formatPercent.js';
import type { Tally } from './summarizeEvents.js';
import { svgFrame } from './svgFrame.js';

const W = 460;
const H = 220;
const R = 76;
const STROKE = 30;
const CX = 110;
const CY = 110;

/**
 * Local hits, remote hits and misses as a donut with the hit rate in the
 * middle. Each slice is a circle whose dash covers its share of the ring: no
 * arc maths, and a 100 % slice is just a full circle.
 */
export function originDonut(t: Tally): string {
  const label = 'Local hits, remote hits and misses';
  const total = t.hits + t.misses;
  if (total === 0) return emptyChart(W, H, label, 'No cacheable calls yet');
  const slices = [
    { cls: 'local', name: 'local hits', n: t.localHits },
    { cls: 'remote', name: 'remote hits', n: t.remoteHits },
    { cls: 'miss', name: 'misses', n: t.misses },
  ];
  const c = 2 * Math.PI * R;
  let body = `<circle class="ring-track" cx="${CX}" cy="${CY}" r="${R}" stroke-width="${STROKE}" fill="none"/>`;
  let offset = 0;
  for (const s of slices) {
    if (s.n === 0) continue;
    const len = (s.n / total) * c;
    body +=
      `<circle class="slice-${s.cls}" cx="${CX}" cy="${CY}" r="${R}" fill="none" stroke-width="${STROKE}" ` +
      `stroke-dasharray="${len.toFixed(2)} ${(c - len).toFixed(2)}" stroke-dashoffset="${(-offset).toFixed(2)}" ` +
      `transform="rotate(-90 ${CX} ${CY})"><title>${escapeHtml(`${s.name}: ${s.n} (${formatPercent(s.n, total)})`)}</title></circle>`;
    offset += len;
  }
  body += `<text class="donut-big" x="${CX}" y="${CY - 4}" text-anchor="middle">${escapeHtml(formatPercent(t.hits, total))}</text>`;
  body += `<text class="donut-small" x="${CX}" y="${CY + 18}" text-anchor="middle">hit rate</text>`;
  slices.forEach((s, i) => {
    const ly = 58 + i * 34;
    body +=
      `<rect class="fill-${s.cls}" x="232" y="${ly - 11}" width="14" height="14" rx="3"/>` +
      `<text class="legend" x="254" y="${ly}">${escapeHtml(s.name)}</text>` +
      `<text class="legend-num" x="${W - 8}" y="${ly}" text-anchor="end">${s.n} · ${escapeHtml(formatPercent(s.n, total))}</text>`;
  });
  body += `<text class="legend muted" x="232" y="${58 + 3 * 34}">+ ${t.passthrough} passed through</text>`;
  return svgFrame(W, H, label, body);
}
