import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readApkFile } from '../../src/sources/apk.js';
import { hasShared, sharedPath } from '../shared.js';

/**
 * Differential test: for every fixture APK, appwarden agrees with `aapt dump badging` and
 * `apksigner verify --print-certs` (run live when installed; Debian packages aapt and apksigner),
 * and always with expected.json, which scripts/make-apk-fixtures.sh recorded from those tools.
 */

const dir = join(import.meta.dirname, '../../fixtures/apk');
const apks = readdirSync(dir).filter((f) => f.endsWith('.apk'));
interface Expected {
  package: string;
  versionCode: string;
  versionName: string;
  label: string;
  labelFr: string;
  schemes: string[];
  certSha256: string[];
}
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<
  string,
  Expected & string[]
>;

const has = (tool: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const haveTools = has('aapt') && has('apksigner');

const run = (cmd: string, args: string[]): string => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? '');
  }
};

function reference(path: string): Expected {
  const badging = run('aapt', ['dump', 'badging', path]);
  const pick = (re: RegExp): string => re.exec(badging)?.[1] ?? '';
  let verify = run('apksigner', ['verify', '-v', '--print-certs', path]);
  if (!verify.startsWith('Verifies'))
    verify = run('apksigner', ['verify', '-v', '--min-sdk-version', '24', '--print-certs', path]);
  return {
    package: pick(/^package: name='([^']*)'/m),
    versionCode: pick(/^package: .*versionCode='([^']*)'/m),
    versionName: pick(/^package: .*versionName='([^']*)'/m),
    label: pick(/^application-label:'(.*)'$/m),
    labelFr: pick(/^application-label-fr:'(.*)'$/m),
    schemes: [...verify.matchAll(/^Verified using (v[\d.]+) scheme.*: true$/gm)].map((m) => m[1] ?? ''),
    certSha256: [...verify.matchAll(/^Signer #\d+ certificate SHA-256 digest: ([0-9a-f]+)$/gm)].map(
      (m) => m[1] ?? '',
    ),
  };
}

async function ours(path: string): Promise<Expected & { lineage: string[] }> {
  const { target } = await readApkFile(path);
  const app = target.apps[0];
  if (!app) throw new Error(`${path}: ${target.error}`);
  // aapt (Android 10) prints only the low 32 bits of a versionCode with versionCodeMajor.
  const code = typeof app.versionCode === 'number' ? app.versionCode % 2 ** 32 : app.versionCode;
  return {
    package: app.id,
    versionCode: String(code),
    versionName: app.versionName ?? '',
    label: app.name ?? '',
    labelFr: app.labels?.fr ?? app.name ?? '',
    schemes: app.signingSchemes ?? [],
    certSha256: app.publisher.certSha256 ?? [],
    lineage: app.publisher.certLineage ?? [],
  };
}

describe('fixture APKs vs recorded aapt/apksigner output', () => {
  it('has fixtures', () => expect(apks.length).toBeGreaterThanOrEqual(8));
  for (const apk of apks) {
    it(apk, async () => {
      const { lineage, ...mine } = await ours(join(dir, apk));
      expect(mine).toEqual(expected[apk]);
      expect(lineage).toEqual(apk === 'rotated.apk' ? expected['rotated.apk#lineage'] : []);
    });
  }
  it('reads versionCodeMajor into the full 64-bit version code', async () => {
    const { target } = await readApkFile(join(dir, 'major-v2.apk'));
    expect(target.apps[0]?.versionCode).toBe(3 * 2 ** 32 + 7);
  });
  it('records the split name and base package of a split APK', async () => {
    const { target } = await readApkFile(join(dir, 'split-v2.apk'));
    expect(target.apps[0]?.extra).toMatchObject({ split: 'config.fr', basePackage: 'org.appwarden.fixture' });
  });
});

describe.skipIf(!haveTools)(
  'fixture APKs vs live aapt/apksigner (skipped without Debian aapt + apksigner)',
  () => {
    for (const apk of apks) {
      it(apk, async () => {
        const { lineage: _lineage, ...mine } = await ours(join(dir, apk));
        expect(mine).toEqual(reference(join(dir, apk)));
      });
    }
  },
);

const corpus = sharedPath('corpus');
const groundTruthPath = join(corpus, 'ground-truth/apk.json');

interface Truth {
  aapt_dump_badging: {
    package: string;
    versionCode: string;
    versionName: string;
    label: string;
    error: string | null;
  };
  apksigner_verify_print_certs: {
    verifies: boolean;
    schemes: string;
    signers: Array<{ dn: string; certSha256: string }>;
  };
}

describe.skipIf(!hasShared('corpus', 'ground-truth', 'apk.json'))(
  'conformance with the shared APK corpus',
  () => {
    const truth = existsSync(groundTruthPath)
      ? (JSON.parse(readFileSync(groundTruthPath, 'utf8')) as Record<string, Truth>)
      : {};
    for (const [file, t] of Object.entries(truth)) {
      it(file, async () => {
        const { target } = await readApkFile(join(corpus, file));
        const app = target.apps[0];
        if (!t.aapt_dump_badging.package) {
          expect(target.status).toBe('failed');
          expect(target.error).toMatch(/AndroidManifest/);
          return;
        }
        expect(app).toBeDefined();
        expect(app?.id).toBe(t.aapt_dump_badging.package);
        expect(String(app?.versionCode)).toBe(t.aapt_dump_badging.versionCode);
        expect(app?.versionName).toBe(t.aapt_dump_badging.versionName);
        expect(app?.name ?? '').toBe(t.aapt_dump_badging.label);
        const signer = t.apksigner_verify_print_certs;
        expect(app?.publisher.certSha256 ?? []).toEqual(signer.signers.map((s) => s.certSha256));
        expect(app?.publisher.certSubjects ?? []).toEqual(signer.signers.map((s) => s.dn));
        if (signer.verifies) expect((app?.signingSchemes ?? []).join('+')).toBe(signer.schemes);
      });
    }
  },
);
