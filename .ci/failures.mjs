#!/usr/bin/env node
// Prints every failed test recorded by tap under .tap/test-results, with its
// diagnostics, so that the last lines of a CI log name what failed. CI often
// keeps only the tail of a long TAP stream; the failures are in the middle.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const root = ".tap/test-results";

function* tapFiles(dir) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* tapFiles(path);
    else if (name.endsWith(".tap")) yield path;
  }
}

/**
 * `lines` with a run of repeats of one line, or of a block of two or three (a
 * long diff line folds in two), shown once with its count: CI keeps only the
 * log's last few kilobytes, and 14 copies of one fault's line filled them.
 */
function squeezed(lines) {
  const out = [];
  for (let i = 0; i < lines.length; ) {
    let best = { k: 1, times: 1 };
    for (let k = 1; k <= 3 && i + k <= lines.length; k++) {
      const block = lines.slice(i, i + k).join("\n");
      let times = 1;
      while (i + (times + 1) * k <= lines.length && lines.slice(i + times * k, i + (times + 1) * k).join("\n") === block) times++;
      if (times > 1 && times * k > best.times * best.k) best = { k, times };
    }
    out.push(...lines.slice(i, i + best.k));
    const pad = /^\s*/.exec(lines[i])[0];
    if (best.times > 1) out.push(`${pad}(${best.k === 1 ? "the line" : `the ${best.k} lines`} above ${best.times - 1} more time${best.times === 2 ? "" : "s"})`);
    i += best.k * best.times;
  }
  return out;
}

let failures = 0;
for (const file of tapFiles(root)) {
  const lines = readFileSync(file, "utf8").split("\n");
  const names = []; // open subtests' names, by depth (4 spaces a level)
  const failedUnder = []; // whether a failure was already listed inside each
  for (let i = 0; i < lines.length; i++) {
    const sub = /^(\s*)# Subtest: (.*)$/.exec(lines[i]);
    if (sub) {
      const depth = sub[1].length / 4;
      names.length = failedUnder.length = depth;
      names[depth] = sub[2];
      failedUnder[depth] = false;
      continue;
    }
    const bad = /^(\s*)not ok \d+ - (.*?)(?:\s+# time=.*)?$/.exec(lines[i]);
    if (!bad) continue;
    const depth = bad[1].length / 4;
    const closes = names[depth] === bad[2];
    // A subtest's own "not ok" repeats what its children said: list it only
    // when nothing inside it failed (a timeout, a throw, a wrong plan).
    if (closes && failedUnder[depth]) continue;
    for (let k = 0; k < depth; k++) failedUnder[k] = true;
    failures++;
    const path = names.slice(0, depth).concat(bad[2]);
    console.log(`FAILED ${file.slice(root.length + 1)}: ${path.join(" > ")}`);
    // The YAML diagnostic block follows until its closing "...".
    if (/^\s*---\s*$/.test(lines[i + 1] ?? "")) {
      const base = lines[i + 1].indexOf("-");
      let skipping = false; // the echoed test source (long, and in the repo), the stack
      const kept = [];
      let at = "";
      let key = ""; // the top-level key the line is under
      for (let j = i + 2; j < lines.length; j++) {
        const text = lines[j];
        if (/^\s*\.\.\.\s*$/.test(text)) break;
        const indent = text.length - text.trimStart().length;
        if (indent <= base && text.trim() !== "") {
          key = text.trim().split(":")[0];
          skipping = /^(source|stack|compare|tapCaught|at)$/.test(key);
        }
        const where = /^\s*(fileName|lineNumber): (.*)$/.exec(text);
        if (where && key === "at" && !at.includes(":")) at += where[1] === "fileName" ? where[2] : `:${where[2]}`;
        if (skipping || text.trim() === "") continue;
        kept.push(`  ${text.slice(Math.min(base, indent))}`);
      }
      if (at) kept.unshift(`  at: ${at}`);
      for (const line of squeezed(kept).slice(0, 30)) console.log(line);
    }
  }
}
console.log(failures === 0 ? "no failed tests recorded" : `${failures} failed test(s) listed above`);
