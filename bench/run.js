// `npm run bench`: every benchmark, each in its own process so one's heap never skews another's.
// `npm run bench -- listings` runs one. Figures are printed; nothing here asserts a time.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const all = {
  listings: ['listings.js', '10000'],
  apk: ['apk.js'],
  devices: ['devices.js'],
  verify: ['apk-verify.js', '5', '100'],
};
const wanted = process.argv.slice(2).filter((a) => a in all);
let failed = 0;
for (const name of wanted.length > 0 ? wanted : Object.keys(all)) {
  const [file, ...args] = all[name];
  console.log(`\n=== ${name} (bench/${file}) ===`);
  const r = spawnSync(process.execPath, ['--expose-gc', path.join(here, file), ...args], {
    stdio: 'inherit',
  });
  if (r.status !== 0) {
    failed++;
    console.log(`${name}: exited with ${r.status}`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
