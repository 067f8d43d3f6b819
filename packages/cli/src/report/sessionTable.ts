import { escapeHtml } from './escapeHtml.js';
import { formatBytes } from '@splitcache/store/gc';
import { formatDuration } from './formatDuration.js';
import { formatPercent } from './formatPercent.js';
import { formatTime } from './formatTime.js';
import { sessionName } from './sessionHitRateChart.js';
import type { SessionSummary } from './summarizeEvents.js';

/** The latest sessions, newest first, as a plain table: the numbers behind the charts. */
export function sessionTable(sessions: readonly SessionSummary[], limit = 15): string {
  if (sessions.length === 0) return '<p class="note">No sessions yet.</p>';
  const rows = sessions
    .slice(-limit)
    .reverse()
    .map((s) => {
      const cells = [
        escapeHtml(sessionName(s.id)),
        escapeHtml(formatTime(s.first)),
        escapeHtml(formatDuration(s.last - s.first)),
        String(s.hits + s.misses + s.passthrough),
        `${s.hits} <span class="muted">(${s.localHits} / ${s.remoteHits})</span>`,
        String(s.misses),
        String(s.passthrough),
        escapeHtml(formatPercent(s.hits, s.hits + s.misses)),
        escapeHtml(formatDuration(s.savedMs)),
        escapeHtml(formatBytes(s.bytes)),
      ];
      return `<tr><td title="${escapeHtml(sessionName(s.id))}">${cells[0]}</td><td>${cells.slice(1).join('</td><td>')}</td></tr>`;
    });
  const head = ['session', 'started', 'duration', 'calls', 'hits (local / remote)', 'misses', 'passed through', 'hit rate', 'time saved', 'restored'];
  return (
    `<div class="table-wrap"><table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table></div>`
  );
}
