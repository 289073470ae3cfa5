/**
 * A few worker threads that read, parse and check saved listings of a big folder, so a scan of
 * thousands of listings uses every core. Each worker compiles the rule set itself (a compiled
 * matcher holds functions and cannot be sent) and sends back only what the scan keeps: the target
 * summary, its findings and notes with their app records, and the apps only when the scan keeps
 * them. Files a worker does not read (APKs, IPAs, packages.xml…) go back to the main thread.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describeError } from '../errors.js';
import { failedTarget, type SkippedInput, type TargetResult } from '../model.js';
import type { RuleSet } from '../ruleset/types.js';
import type { PackedTargetFindings } from '../target-findings.js';

/** What a worker is started with. */
export interface ListingWorkerInit {
  ruleSet: RuleSet;
  keepApps: boolean;
}

export interface ListingJob {
  id: number;
  file: string;
}

/** One target a worker read: checked unless the worker could not check it (then the scan does). */
export interface PooledTarget {
  target: TargetResult;
  /** Apps the reader returned before duplicates were merged and the list was dropped. */
  appsRead: number;
  checked?: PackedTargetFindings;
}

export type ListingReply =
  /** Content known to hold no apps: skipped and listed, as a folder scan skips it. */
  | { id: number; kind: 'skip'; skip: SkippedInput }
  /** A reader the workers do not run claims it: read it in the main thread. */
  | { id: number; kind: 'main' }
  /** `started`: a reader claimed the file (the scan reports it as started). */
  | { id: number; kind: 'read'; started: boolean; targets: PooledTarget[] };

/** What a worker posts once it has compiled the rules and can take files. */
export interface ListingWorkerReady {
  kind: 'ready';
}

interface Pending {
  job: ListingJob;
  resolve: (reply: ListingReply) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  alive: boolean;
  ready: boolean;
}

const WORKER_URL = new URL('./listing-worker.js', import.meta.url);

/** Young generation per worker: a listing's records die young and small, so a small nursery keeps the worker's memory low at no cost in time. */
const YOUNG_GENERATION_MB = 8;

export class ListingPool {
  private readonly slots: Slot[] = [];
  private nextId = 0;
  private closed = false;

  private constructor(size: number, init: ListingWorkerInit) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(WORKER_URL, {
        workerData: init,
        resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
      });
      const slot: Slot = { worker, pending: new Map(), alive: true, ready: false };
      worker.on('message', (reply: ListingReply | ListingWorkerReady) => {
        if (reply.kind === 'ready') {
          slot.ready = true;
          return;
        }
        const pending = slot.pending.get(reply.id);
        if (!pending) return;
        slot.pending.delete(reply.id);
        pending.resolve(reply);
        if (slot.pending.size === 0) worker.unref();
      });
      worker.on('error', (error) => this.fail(slot, `listing worker failed: ${describeError(error)}`));
      worker.on('exit', (code) => this.fail(slot, `listing worker stopped (exit code ${code})`));
      worker.unref();
      this.slots.push(slot);
    }
  }

  /**
   * A pool of `size` workers, or undefined when workers cannot run here (the worker module is not
   * built next to this one, as when the sources run untranspiled, or the rule set cannot be sent).
   */
  static create(size: number, init: ListingWorkerInit): ListingPool | undefined {
    if (size < 1 || !existsSync(fileURLToPath(WORKER_URL))) return undefined;
    try {
      return new ListingPool(size, init);
    } catch {
      return undefined;
    }
  }

  get size(): number {
    return this.slots.length;
  }

  /** True once a live worker can take files (until then the caller had better read them itself). */
  get ready(): boolean {
    return this.slots.some((s) => s.alive && s.ready);
  }

  /** Files sent and not yet answered. */
  get pending(): number {
    let n = 0;
    for (const slot of this.slots) n += slot.pending.size;
    return n;
  }

  /** Read one file in the least busy worker; never rejects. */
  read(file: string): Promise<ListingReply> {
    const id = this.nextId++;
    let slot: Slot | undefined;
    // Ready workers first, then the least busy.
    for (const s of this.slots) {
      if (!s.alive) continue;
      if (
        slot === undefined ||
        (s.ready && !slot.ready) ||
        (s.ready === slot.ready && s.pending.size < slot.pending.size)
      )
        slot = s;
    }
    if (this.closed || slot === undefined) return Promise.resolve({ id, kind: 'main' });
    const job: ListingJob = { id, file };
    const chosen = slot;
    return new Promise((resolve) => {
      chosen.pending.set(id, { job, resolve });
      if (chosen.pending.size === 1) chosen.worker.ref();
      chosen.worker.postMessage(job);
    });
  }

  /** Stop every worker; files still in flight come back for the main thread. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        slot.alive = false;
        for (const { job, resolve } of slot.pending.values()) resolve({ id: job.id, kind: 'main' });
        slot.pending.clear();
        await slot.worker.terminate();
      }),
    );
  }

  /** A worker that died fails the files it held; later files go to the others. */
  private fail(slot: Slot, reason: string): void {
    if (!slot.alive) return;
    slot.alive = false;
    for (const { job, resolve } of slot.pending.values()) {
      resolve({
        id: job.id,
        kind: 'read',
        started: false,
        targets: [{ target: failedTarget(job.file, 'listing', reason), appsRead: 0 }],
      });
    }
    slot.pending.clear();
    void slot.worker.terminate();
  }
}
