// Every fake tool appends one JSON line per invocation to $AW_HARNESS_LOG, so tests can count
// round-trips and see exactly which argv the scanner used.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';

export function logInvocation(tool, argv) {
  const file = process.env.AW_HARNESS_LOG;
  if (!file) return;
  appendFileSync(file, `${JSON.stringify({ tool, argv, t: Date.now(), pid: process.pid })}\n`);
}

export function readLog(file = process.env.AW_HARNESS_LOG) {
  if (!file || !existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line));
}

/** How many calls so far (this one included) addressed a device with `-s serial`. */
export function callsForSerial(serial) {
  return readLog().filter((e) => e.tool === 'adb' && e.argv[0] === '-s' && e.argv[1] === serial).length;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function hangForever() {
  await new Promise(() => setInterval(() => {}, 1 << 30));
}
