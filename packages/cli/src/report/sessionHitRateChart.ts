import { emptyChart } from './emptyChart.js';
import { escapeHtml } from './escapeHtml.js';
import { formatDuration } from './formatDuration.js';
import { formatPercent } from './formatPercent.js';
import { formatTime } from './formatTime.js';
import type { SessionSummary } from './summarizeEvents.js';
import { svgFrame } from './svgFrame.js';
import { truncateLabel } from './truncateLabel.js';

// Matches the full-width panel's inner width, so text is drawn at its nominal size.
const W = 1040;
const H = 280;
const LEFT = 48;
const RIGHT = 12;
const TOP = 20;
const BOTTOM = 64;
/** Beyond this the columns get too thin to read; the oldest sessions drop off. */
export const MAX_SESSION_COLUMNS = 40;

export function sessionName(id: string): string {
  return id === '' ? '(no session)' : id;
}

/**
 * One column per session, oldest on the left, as tall as its hit rate. The
 * column is split into local (lower) and remote hits, so a team sees both how
 * much was served and from where.
 */
export function sessionHitRateChart(all: readonly SessionSummary[]): string {
  const label = 'Hit rate per session, oldest first';
  if (all.length === 0) return emptyChart(W, 140, label, 'No sessions yet: build with splitcache to fill this in');
  const sessions = all.slice(-MAX_SESSION_COLUMNS);
  const plotW = W - LEFT - RIGHT;
  const plotH = H - TOP - BOTTOM;
  const slot = plotW / sessions.length;
  const barW = Math.min(56, slot * 0.7);
  const rotate = sessions.length > 10;
  const y = (rate: number) => TOP + plotH * (1 - rate);

  let body = '';
  for (const pct of [0, 25, 50, 75, 100]) {
    const gy = y(pct / 100).toFixed(1);
    body += `<line class="grid" x1="${LEFT}" x2="${W - RIGHT}" y1="${gy}" y2="${gy}"/>`;
    body += `<text class="axis" x="${LEFT - 6}" y="${gy}" text-anchor="end" dominant-baseline="middle">${pct}%</text>`;
  }
  const points: string[] = [];
  sessions.forEach((s, i) => {
    const cx = LEFT + slot * (i + 0.5);
    const x = (cx - barW / 2).toFixed(1);
    const cacheable = s.hits + s.misses;
    const name = sessionName(s.id);
    const tip =
      `${name} · ${formatTime(s.first)}\n` +
      `hit rate ${formatPercent(s.hits, cacheable)} (${s.hits} of ${cacheable} cacheable calls)\n` +
      `local ${s.localHits}, remote ${s.remoteHits}, missed ${s.misses}, passed through ${s.passthrough}\n` +
      `saved ${formatDuration(s.savedMs)}`;
    body += `<g class="session-col"><title>${escapeHtml(tip)}</title>`;
    body += `<rect class="col-track" x="${x}" y="${TOP}" width="${barW.toFixed(1)}" height="${plotH}" rx="3"/>`;
    if (cacheable > 0) {
      const local = s.localHits / cacheable;
      const remote = s.remoteHits / cacheable;
      const hLocal = plotH * local;
      const hRemote = plotH * remote;
      if (hLocal > 0) body += `<rect class="fill-local" x="${x}" y="${(TOP + plotH - hLocal).toFixed(1)}" width="${barW.toFixed(1)}" height="${hLocal.toFixed(1)}"/>`;
      if (hRemote > 0) body += `<rect class="fill-remote" x="${x}" y="${(TOP + plotH - hLocal - hRemote).toFixed(1)}" width="${barW.toFixed(1)}" height="${hRemote.toFixed(1)}"/>`;
      const top = y(local + remote);
      points.push(`${cx.toFixed(1)},${top.toFixed(1)}`);
      if (slot >= 30) body += `<text class="col-value" x="${cx.toFixed(1)}" y="${(top - 5).toFixed(1)}" text-anchor="middle">${Math.round(100 * (local + remote))}%</text>`;
    } else {
      body += `<text class="col-value muted" x="${cx.toFixed(1)}" y="${(TOP + plotH - 5).toFixed(1)}" text-anchor="middle">n/a</text>`;
    }
    const ly = TOP + plotH + 14;
    if (rotate) {
      body += `<text class="axis" transform="translate(${cx.toFixed(1)} ${ly}) rotate(-35)" text-anchor="end">${escapeHtml(truncateLabel(name, 12))}</text>`;
    } else {
      const chars = Math.max(4, Math.floor(slot / 7));
      body += `<text class="axis" x="${cx.toFixed(1)}" y="${ly}" text-anchor="middle">${escapeHtml(truncateLabel(name, chars))}</text>`;
      body += `<text class="axis muted" x="${cx.toFixed(1)}" y="${ly + 15}" text-anchor="middle">${escapeHtml(formatTime(s.first).slice(5, 16))}</text>`;
    }
    body += '</g>';
  });
  if (points.length > 1) body += `<polyline class="rate-line" points="${points.join(' ')}"/>`;
  for (const p of points) {
    const [px, py] = p.split(',');
    body += `<circle class="rate-dot" cx="${px}" cy="${py}" r="3"/>`;
  }
  body += `<line class="axis-line" x1="${LEFT}" x2="${W - RIGHT}" y1="${TOP + plotH}" y2="${TOP + plotH}"/>`;
  return svgFrame(W, H, label, body);
}
