// A seeded PRNG (mulberry32) with the few draws the fuzzer needs, so every run replays from its seed.

export function prng(seed) {
  let s = seed >>> 0
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1))
  const pick = (xs) => xs[Math.floor(next() * xs.length)]
  const chance = (p) => next() < p
  // Draws one key of an object of weights: { edit: 5, touch: 1 }.
  const weighted = (weights) => {
    const total = Object.values(weights).reduce((a, b) => a + b, 0)
    let r = next() * total
    for (const [k, w] of Object.entries(weights)) {
      if ((r -= w) < 0) return k
    }
    return Object.keys(weights)[0]
  }
  return { next, int, pick, chance, weighted }
}
