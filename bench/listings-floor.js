// The floor for the listings benchmark: what any scanner must do at least, written plainly. Read
// every listing, split lines, take the package id with a regex, check it against a Set of exact ids
// and a Map of glob prefixes compiled from the same rules, and write the findings as JSON to stdout.
// Usage: node bench/listings-floor.js DIR RULES.json
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const [dir, rulesFile] = process.argv.slice(2);
const { exact, globs } = JSON.parse(readFileSync(rulesFile, 'utf8'));
const ids = new Map(exact.map(([id, rule]) => [id, rule]));
// Trailing-`*` globs (`com.vendor7.*`, `com.vendor7.app1*`) are prefixes: one Map lookup per
// distinct prefix length.
const prefixes = new Map(globs.map(([glob, rule]) => [glob.slice(0, glob.indexOf('*')), rule]));
const lengths = [...new Set([...prefixes.keys()].map((p) => p.length))];
const ID = /^package:(?:.*=)?([A-Za-z0-9_.]+) versionCode:/;
const out = process.stdout;
out.write('{"findings":[');
let first = true;
let apps = 0;
for (const name of readdirSync(dir).sort()) {
  const text = readFileSync(path.join(dir, name), 'utf8');
  for (const line of text.split('\n')) {
    const m = ID.exec(line);
    if (!m) continue;
    apps++;
    const id = m[1];
    const hits = [];
    const exactRule = ids.get(id);
    if (exactRule) hits.push(exactRule);
    for (const length of lengths) {
      if (id.length <= length) continue;
      const rule = prefixes.get(id.slice(0, length));
      if (rule) hits.push(rule);
    }
    for (const rule of hits) {
      out.write(`${first ? '' : ','}${JSON.stringify({ ruleId: rule, target: name, app: { id } })}`);
      first = false;
    }
  }
}
out.write(`],"apps":${apps}}\n`);
