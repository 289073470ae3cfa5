/**
 * Issue 9, "Files": an IPA holding several apps in `Payload/` gives one record per app, not the
 * first only; apps inside an app (Watch apps, extensions) stay parts of it; an app that cannot be
 * read leaves the target partial, and a repeated entry never decides an identity.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeBinaryPlist, writeXmlPlist } from '../../scripts/bplist-writer.mjs';
import { findApps } from '../../src/parsers/ipa.js';
import { readIpa } from '../../src/sources/ipa.js';
import { buildZip } from './zip-builder.js';

const scratch = mkdtempSync(join(tmpdir(), 'appwarden-ipa-multi-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let counter = 0;
const ipaFile = (bytes: Uint8Array): string => {
  const file = join(scratch, `${counter++}.ipa`);
  writeFileSync(file, bytes);
  return file;
};

const plist = (id: string, name: string): Uint8Array =>
  writeBinaryPlist({ CFBundleIdentifier: id, CFBundleName: name, CFBundleShortVersionString: '1.0' });

describe('findApps', () => {
  it('lists every top-level Payload/*.app, sorted, and none of the apps inside them', () => {
    const apps = findApps([
      'Payload/',
      'Payload/B.app/Info.plist',
      'Payload/B.app/Watch/W.app/Info.plist',
      'Payload/B.app/PlugIns/Share.appex/Info.plist',
      'Payload/B.app/Payload/Inner.app/Info.plist',
      'Payload/A.app/Info.plist',
      'Payload/A.app/embedded.mobileprovision',
      '__MACOSX/Payload/C.app/Info.plist',
      'Payload/._D.app/Info.plist',
    ]);
    expect(apps).toEqual([
      {
        appDir: 'Payload/A.app',
        infoPlist: 'Payload/A.app/Info.plist',
        provision: 'Payload/A.app/embedded.mobileprovision',
      },
      { appDir: 'Payload/B.app', infoPlist: 'Payload/B.app/Info.plist' },
    ]);
  });

  it('counts apps of every Payload folder, and bare .app folders only when no Payload holds one', () => {
    expect(
      findApps(['Build/Payload/X.app/Info.plist', 'Payload/Y.app/Info.plist']).map((a) => a.appDir),
    ).toEqual(['Build/Payload/X.app', 'Payload/Y.app']);
    expect(
      findApps(['One.app/Info.plist', 'Two.app/Info.plist', 'Two.app/W.app/Info.plist']).map((a) => a.appDir),
    ).toEqual(['One.app', 'Two.app']);
    expect(findApps(['Payload/P.app/Info.plist', 'Loose.app/Info.plist']).map((a) => a.appDir)).toEqual([
      'Payload/P.app',
    ]);
    expect(findApps(['readme.txt'])).toEqual([]);
  });
});

describe('readIpa with several apps', () => {
  it('reads both apps of Payload/A.app + Payload/B.app into one target, one record each', async () => {
    const target = await readIpa(
      ipaFile(
        buildZip([
          { name: 'Payload/A.app/Info.plist', data: plist('com.example.notes', 'Notes') },
          {
            name: 'Payload/B.app/Info.plist',
            data: Buffer.from(
              writeXmlPlist({ CFBundleIdentifier: 'com.zhiliaoapp.musically', CFBundleName: 'TikTok' }),
            ),
          },
          {
            name: 'Payload/B.app/PlugIns/Share.appex/Info.plist',
            data: plist('com.zhiliaoapp.musically.share', 'Share'),
          },
        ]),
      ),
    );
    expect(target.status).toBe('scanned');
    expect(target.apps.map((a) => [a.id, a.paths])).toEqual([
      ['com.example.notes', ['Payload/A.app']],
      ['com.zhiliaoapp.musically', ['Payload/B.app']],
    ]);
    expect(target.diagnostics.map((d) => d.message)).toContain(
      'archive holds 2 apps: Payload/A.app, Payload/B.app',
    );
  });

  it('keeps the readable apps and leaves the target partial when one app cannot be read', async () => {
    const target = await readIpa(
      ipaFile(
        buildZip([
          { name: 'Payload/A.app/Info.plist', data: Buffer.from('not a plist') },
          { name: 'Payload/B.app/Info.plist', data: plist('com.zhiliaoapp.musically', 'TikTok') },
        ]),
      ),
    );
    expect(target.status).toBe('partial');
    expect(target.apps.map((a) => a.id)).toEqual(['com.zhiliaoapp.musically']);
    expect(target.error).toMatch(/^Payload\/A\.app: Payload\/A\.app\/Info\.plist: /);
    expect(target.diagnostics.some((d) => d.level === 'error' && d.path === 'Payload/A.app')).toBe(true);
  });

  it('fails when no app can be read, naming each', async () => {
    const target = await readIpa(
      ipaFile(
        buildZip([
          { name: 'Payload/A.app/Info.plist', data: writeBinaryPlist({ CFBundleName: 'no id' }) },
          { name: 'Payload/B.app/Info.plist', data: Buffer.from('junk') },
        ]),
      ),
    );
    expect(target.status).toBe('failed');
    expect(target.apps).toEqual([]);
    expect(target.error).toMatch(/^Payload\/A\.app: .*no CFBundleIdentifier; Payload\/B\.app: /);
  });

  it('gives no identity for an app whose Info.plist is in the archive twice', async () => {
    const target = await readIpa(
      ipaFile(
        buildZip([
          { name: 'Payload/A.app/Info.plist', data: plist('com.example.harmless', 'Harmless') },
          { name: 'Payload/A.app/Info.plist', data: plist('com.zhiliaoapp.musically', 'TikTok') },
        ]),
      ),
    );
    expect(target.status).toBe('failed');
    expect(target.error).toBe('duplicate ZIP entry Payload/A.app/Info.plist');
  });
});
