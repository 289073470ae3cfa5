/**
 * What must be undone when a run is stopped early: the process groups of device tools still
 * running, and report temp files not yet renamed into place. exec.ts and the report writer
 * register them here; the CLI turns SIGINT/SIGTERM into `stopEverything()` and an exit code.
 * Nothing here prints or exits: only cli.ts does.
 */
import { rmSync } from 'node:fs';

/** Leaders of the process groups of running (or still dying) device tools. */
const groups = new Set<number>();
/** Report temp files written but not yet renamed. */
const temps = new Set<string>();
let stopping = false;

/** Time a tool gets between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 1000;

/** Remember a child's process group (its pid: tools run as group leaders); returns a forget function. */
export const trackGroup = (pid: number): (() => void) => {
  groups.add(pid);
  return () => groups.delete(pid);
};

/** Remember a temp file until it is renamed or removed; returns a forget function. */
export const trackTemp = (file: string): (() => void) => {
  temps.add(file);
  return () => temps.delete(file);
};

/** True once `stopEverything` started: no new tool should be started after that. */
export const isStopping = (): boolean => stopping;

const signalGroup = (pid: number, signal: NodeJS.Signals | 0): boolean => {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    // ESRCH: every member of the group is gone (EPERM cannot happen for our own children).
    return false;
  }
};

/**
 * End a tool's whole process group: SIGTERM now, SIGKILL after the grace period for whatever
 * ignored it. Does not wait: the caller has stopped reading and moves on. The group stays tracked
 * until it is gone, so an interrupt or the process exit still kills it.
 */
export const terminateGroup = (pid: number, graceMs = KILL_GRACE_MS): void => {
  if (!signalGroup(pid, 'SIGTERM')) {
    groups.delete(pid);
    return;
  }
  const timer = setTimeout(() => {
    signalGroup(pid, 'SIGKILL');
    groups.delete(pid);
  }, graceMs);
  // The exit hook below covers a run that finishes inside the grace period.
  timer.unref();
};

/** Remove temp files and end every tracked process group (SIGTERM, then SIGKILL after `graceMs`). */
export const stopEverything = async (graceMs = 500): Promise<void> => {
  stopping = true;
  removeTemps();
  const pids = [...groups];
  for (const pid of pids) signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  let alive = pids;
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    alive = alive.filter((pid) => signalGroup(pid, 0));
  }
  for (const pid of alive) signalGroup(pid, 'SIGKILL');
  groups.clear();
  removeTemps();
};

const removeTemps = (): void => {
  for (const file of temps) rmSync(file, { force: true });
  temps.clear();
};

// However the process ends, no tool it started outlives it and no temp file is left behind.
process.on('exit', () => {
  for (const pid of groups) signalGroup(pid, 'SIGKILL');
  removeTemps();
});
