// Times commands the way a user runs them: one `sh -c` line under GNU time (wall, user+system CPU
// and peak RSS of the process tree's largest member), median of several runs. Used by every
// benchmark that compares appwarden with a reference tool or a floor, so both sides pay the same
// process start-up and output costs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const TIME = '/usr/bin/time';

/** One run: wall seconds, CPU seconds and peak RSS (MiB) of `command` run by `sh -c`. */
export const timeOnce = (command, env = {}) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'appwarden-time-'));
  const out = path.join(dir, 'time.txt');
  try {
    const r = spawnSync(TIME, ['-o', out, '-f', '%e %U %S %M', 'sh', '-c', command], {
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
      env: { ...process.env, ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    const figures = readFileSync(out, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
    const [wall, user, sys, rssKb] = figures;
    return { wall, cpu: user + sys, rssMb: rssKb / 1024, status: r.status, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

/**
 * Median of `runs` runs for each figure. `okStatus` lists exit codes that are not failures
 * (appwarden exits 1 when it finds something, which is what a benchmark usually makes it do).
 */
export const timeShell = (command, { runs = 3, env = {}, okStatus = [0] } = {}) => {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const s = timeOnce(command, env);
    if (!okStatus.includes(s.status)) {
      throw new Error(`\`${command}\` exited ${s.status}: ${s.stderr.slice(0, 500)}`);
    }
    samples.push(s);
  }
  return {
    wall: median(samples.map((s) => s.wall)),
    cpu: median(samples.map((s) => s.cpu)),
    rssMb: Math.max(...samples.map((s) => s.rssMb)),
    runs,
  };
};

/** Single-quote a path for `sh -c`. */
export const sh = (value) => `'${String(value).replace(/'/g, `'\\''`)}'`;
