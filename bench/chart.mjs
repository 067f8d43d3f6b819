// Draws the results as one SVG (bars per scenario, then the scaling curves) and converts it to
// PNG with rsvg-convert (Debian package librsvg2-bin).

import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { SCENARIOS } from './scenarios.mjs'

const COLORS = { plain: '#8c8c8c', sccache: '#e08a1e', splitcache: '#2f6fbf' }
const TOOLS = Object.keys(COLORS)
const W = 1000
const LABEL_W = 190
const BAR_W = W - LABEL_W - 110
const BAR_H = 11
const svgOut = path.join(path.dirname(fileURLToPath(import.meta.url)), 'out', 'benchmarks.svg')

/** Writes bench/out/benchmarks.svg and `pngFile`; returns false when no PNG could be made. */
export function renderChart(results, pngFile) {
  const svg = chartSvg(results)
  fs.mkdirSync(path.dirname(svgOut), { recursive: true })
  fs.writeFileSync(svgOut, svg)
  const res = spawnSync('rsvg-convert', ['--format', 'png', '--background-color', 'white', '--output', pngFile, svgOut], { encoding: 'utf8' })
  return res.status === 0
}

export function chartSvg(results) {
  const parts = []
  let y = 40
  parts.push(text(20, 28, `Wall time (median of ${results.options.runs}, whiskers min–max) · ${results.versions.rustc} · ${results.machine.cores} cores`, 16, 'bold'))
  y = legend(parts, y)
  for (const w of results.workloads.filter((w) => w.kind !== 'synthetic' && w.scenarios)) y = workloadBars(parts, w, y)
  const synth = results.workloads.filter((w) => w.kind === 'synthetic' && w.scenarios)
  if (synth.length > 1) y = scalingPlot(parts, synth, y + 10)
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y + 20}" viewBox="0 0 ${W} ${y + 20}" font-family="DejaVu Sans, sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`
}

function legend(parts, y) {
  TOOLS.forEach((t, i) => {
    const x = 20 + i * 150
    parts.push(`<rect x="${x}" y="${y}" width="14" height="14" fill="${COLORS[t]}"/>`, text(x + 20, y + 12, t === 'plain' ? 'plain cargo' : t, 13))
  })
  return y + 30
}

function workloadBars(parts, w, y) {
  const scenarios = SCENARIOS.filter((s) => w.scenarios[s.id])
  const max = Math.max(0.001, ...scenarios.flatMap((s) => TOOLS.map((t) => w.scenarios[s.id].tools[t]?.seconds.max ?? 0)))
  const scale = (v) => (v / max) * BAR_W
  parts.push(text(20, y + 14, `${w.id}: ${w.title}`, 14, 'bold'))
  y += 24
  for (const s of scenarios) {
    parts.push(text(20, y + 22, s.title, 12))
    TOOLS.forEach((t, i) => {
      const f = w.scenarios[s.id].tools[t]
      const by = y + i * (BAR_H + 3)
      if (!f || f.attempts === 0) return
      if (f.seconds.median == null) {
        parts.push(text(LABEL_W + 4, by + BAR_H - 1, `${t}: failed`, 11, 'normal', '#b00020'))
        return
      }
      const len = scale(f.seconds.median)
      parts.push(`<rect x="${LABEL_W}" y="${by}" width="${len.toFixed(1)}" height="${BAR_H}" fill="${COLORS[t]}"/>`)
      if (f.seconds.n > 1) {
        const x1 = LABEL_W + scale(f.seconds.min)
        const x2 = LABEL_W + scale(f.seconds.max)
        const cy = by + BAR_H / 2
        parts.push(`<path d="M${x1.toFixed(1)} ${cy}H${x2.toFixed(1)}M${x1.toFixed(1)} ${by + 2}V${by + BAR_H - 2}M${x2.toFixed(1)} ${by + 2}V${by + BAR_H - 2}" stroke="#222" stroke-width="1"/>`)
      }
      parts.push(text(LABEL_W + Math.max(len, scale(f.seconds.max ?? 0)) + 6, by + BAR_H - 1, `${f.seconds.median.toFixed(2)} s`, 10))
    })
    y += 3 * (BAR_H + 3) + 10
  }
  return y + 10
}

function scalingPlot(parts, synth, y) {
  const H = 260
  const x0 = 80
  const x1 = W - 200
  const top = y + 30
  const bottom = top + H
  const crates = synth.map((w) => w.shape.libs + w.shape.bins + w.shape.procMacros)
  const values = synth.flatMap((w) => ['cold', 'warm-clean'].flatMap((sc) => TOOLS.map((t) => w.scenarios[sc]?.tools[t]?.seconds.median ?? 0)))
  const ymax = niceMax(Math.max(0.001, ...values))
  const xmax = Math.max(...crates)
  const px = (c) => x0 + (c / xmax) * (x1 - x0)
  const py = (v) => bottom - (v / ymax) * H
  parts.push(text(20, y + 14, 'Scaling: synthetic workspaces, wall time against crate count (solid: cold, dashed: warm clean)', 14, 'bold'))
  parts.push(`<path d="M${x0} ${top}V${bottom}H${x1}" stroke="#444" fill="none"/>`)
  for (let i = 0; i <= 4; i++) {
    const v = (ymax * i) / 4
    parts.push(`<path d="M${x0 - 4} ${py(v)}H${x1}" stroke="#ddd"/>`, text(x0 - 8, py(v) + 4, v.toFixed(v < 10 ? 1 : 0), 10, 'normal', '#444', 'end'))
  }
  for (const c of crates) parts.push(text(px(c), bottom + 16, String(c), 10, 'normal', '#444', 'middle'))
  parts.push(text((x0 + x1) / 2, bottom + 34, 'crates', 11, 'normal', '#444', 'middle'), text(20, top - 8, 'seconds', 11, 'normal', '#444'))
  for (const t of TOOLS)
    for (const sc of ['cold', 'warm-clean']) {
      const pts = synth.map((w, i) => [crates[i], w.scenarios[sc]?.tools[t]?.seconds.median]).filter(([, v]) => v != null)
      if (pts.length === 0) continue
      const d = pts.map(([c, v], i) => `${i ? 'L' : 'M'}${px(c).toFixed(1)} ${py(v).toFixed(1)}`).join('')
      parts.push(`<path d="${d}" stroke="${COLORS[t]}" stroke-width="2.5" fill="none"${sc === 'cold' ? '' : ' stroke-dasharray="6 4"'}/>`)
      for (const [c, v] of pts) parts.push(`<circle cx="${px(c).toFixed(1)}" cy="${py(v).toFixed(1)}" r="3" fill="${COLORS[t]}"/>`)
      const [lc, lv] = pts[pts.length - 1]
      parts.push(text(px(lc) + 8, py(lv) + 4, `${t} ${sc === 'cold' ? 'cold' : 'warm'}`, 10, 'normal', COLORS[t]))
    }
  return bottom + 44
}

function niceMax(v) {
  const step = 10 ** Math.floor(Math.log10(v))
  return Math.ceil(v / step) * step
}

function text(x, y, s, size, weight = 'normal', fill = '#111', anchor = 'start') {
  const esc = String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
  return `<text x="${Number(x).toFixed(1)}" y="${Number(y).toFixed(1)}" font-size="${size}" font-weight="${weight}" fill="${fill}" text-anchor="${anchor}">${esc}</text>`
}
