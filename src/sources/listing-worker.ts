/**
 * A listing worker thread (see listing-pool.ts): reads the files it is sent with the readers that
 * take bytes (saved listings and inventories), merges duplicate apps and checks the rules, exactly
 * as the main thread would, and answers with what the scan keeps.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { describeError } from '../errors.js';
import { failedTarget } from '../model.js';
import { compileRuleSet } from '../ruleset/compile.js';
import { checkTarget, mergeDuplicateApps, packFindings } from '../target-findings.js';
import { readFolderFile } from './files.js';
import { fileRegistry } from './index.js';
import { takesBytes } from './listing.js';
import type {
  ListingJob,
  ListingReply,
  ListingWorkerInit,
  ListingWorkerReady,
  PooledTarget,
} from './listing-pool.js';
import type { SourceContext } from './types.js';

const { ruleSet, keepApps } = workerData as ListingWorkerInit;
const matcher = compileRuleSet(ruleSet);
const packs = new Map(ruleSet.packs.map((p) => [p.name, p]));
const rules = new Map(ruleSet.rules.map((rule, index) => [rule.id, { rule, index }]));
// Readers that take bytes use no tools or timeouts; the context only has to be well formed.
const ctx: SourceContext = {
  timeoutMs: 30_000,
  tools: {
    adb: 'adb',
    ideviceId: 'idevice_id',
    ideviceInfo: 'ideviceinfo',
    ideviceInstaller: 'ideviceinstaller',
  },
  env: process.env,
};

const handle = async ({ id, file }: ListingJob): Promise<ListingReply> => {
  try {
    const read = await readFolderFile(file, fileRegistry, ctx, takesBytes);
    if (read.kind === 'skip') return { id, kind: 'skip', skip: read.skip };
    if (read.kind === 'declined') return { id, kind: 'main' };
    const targets = read.targets.map((t): PooledTarget => {
      const appsRead = t.apps.length;
      // APK targets wait for their splits in the main thread; a bytes reader never returns one.
      if (t.kind === 'apk') return { target: t, appsRead };
      const target = mergeDuplicateApps(t);
      return {
        target,
        appsRead,
        checked: packFindings(target, checkTarget(target, matcher, packs, keepApps), rules),
      };
    });
    return { id, kind: 'read', started: read.started, targets };
  } catch (error) {
    const reason = `listing worker failed: ${describeError(error)}`;
    return {
      id,
      kind: 'read',
      started: false,
      targets: [{ target: failedTarget(file, 'listing', reason), appsRead: 0 }],
    };
  }
};

parentPort?.on('message', (job: ListingJob) => {
  void handle(job).then((reply) => parentPort?.postMessage(reply));
});
const ready: ListingWorkerReady = { kind: 'ready' };
parentPort?.postMessage(ready);
