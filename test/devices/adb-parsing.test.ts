import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TargetResult } from '../../src/model.js';
import { readDumpsysInto } from '../../src/sources/adb.js';
import { readCertificates } from '../../src/sources/adb-certs.js';
import { parseAdbDevices } from '../../src/sources/adb-devices.js';
import { newMarker, splitChunks, splitSections } from '../../src/sources/adb-script.js';
import { hasShared, sharedPath } from '../shared.js';

describe('adb devices -l', () => {
  it('reads states with spaces, properties and the short form', () => {
    const text =
      'List of devices attached\r\n' +
      'a0737173               device usb:1-1 product:dipper model:MI_8 device:dipper transport_id:2\r\n' +
      'R3CT40KXYZ             unauthorized usb:1-2 transport_id:3\n' +
      '0a1b2c3d               no permissions (missing udev rules? user is in the plugdev group); see [http://developer.android.com/tools/device.html] usb:1-4 transport_id:4\n' +
      'emulator-5554\toffline\n\n';
    const devices = parseAdbDevices(text);
    expect(devices.map((d) => [d.id, d.state])).toEqual([
      ['a0737173', 'device'],
      ['R3CT40KXYZ', 'unauthorized'],
      ['0a1b2c3d', 'no permissions'],
      ['emulator-5554', 'offline'],
    ]);
    expect(devices[0]?.facts.model).toBe('MI 8');
    expect(devices[0]?.problem).toBeUndefined();
    expect(devices[1]?.problem).toMatch(/Allow USB debugging/);
  });
});

describe('script output framing', () => {
  it('splits sections with exit codes and ignores forged-looking text without the nonce', () => {
    const m = newMarker(() => 0.5);
    const out = `${m}:users\nUsers:\n@@AW0000:end:0\n${m}:end:0\n${m}:packages:10:full\npackage:a\n${m}:end:255\n`;
    const sections = splitSections(out, m);
    expect(sections.map((s) => [s.name.join(':'), s.exitCode])).toEqual([
      ['users', 0],
      ['packages:10:full', 255],
    ]);
    expect(sections[0]?.body).toBe('Users:\n@@AW0000:end:0');
  });

  it('recovers arbitrary binary chunks exactly', () => {
    const m = newMarker();
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 5 }), (blobs) => {
        const enc = new TextEncoder();
        const parts: Uint8Array[] = [];
        blobs.forEach((b, i) => {
          parts.push(
            enc.encode(`${m}:file:${b.length + 7}:${b.length}:/data/app/p${i}/base.apk\n`),
            b,
            enc.encode(`\n${m}:end\n`),
          );
        });
        const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let o = 0;
        for (const p of parts) {
          all.set(p, o);
          o += p.length;
        }
        const { chunks, bad } = splitChunks(all, m);
        expect(bad).toEqual([]);
        expect(chunks.map((c) => Array.from(c.bytes))).toEqual(blobs.map((b) => Array.from(b)));
      }),
    );
  });

  it('ends a body-less file:-1 chunk at its own fence: the next APK keeps its bytes', () => {
    const m = newMarker();
    const enc = new TextEncoder();
    const body = Uint8Array.from([0x50, 0x4b, 0x05, 0x06, 0x0a, 0x00, 0x0a]);
    const text = (s: string) => enc.encode(s);
    const parts = [
      text(`${m}:file:-1:0:/data/app/a/base.apk\n${m}:end\n`),
      text(`${m}:file:999:${body.length}:/data/app/b/base.apk\n`),
      body,
      text(`\n${m}:end\n`),
      text(`${m}:file:-1:0:/data/app/c/base.apk\n${m}:end\n`),
      text(`${m}:file:-1:0:/data/app/d/base.apk\n${m}:end\n`),
      // stat worked but tail read nothing: announced 5 bytes, none came.
      text(`${m}:file:50:5:/data/app/e/base.apk\n\n${m}:end\n`),
      text(`${m}:file:999:${body.length}:/data/app/f/base.apk\n`),
      body,
      text(`\n${m}:end\n`),
    ];
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    const { chunks, bad } = splitChunks(all, m);
    expect(chunks.map((c) => [c.path.split('/')[3], c.a, c.bytes.length])).toEqual([
      ['a', -1, 0],
      ['b', 999, body.length],
      ['c', -1, 0],
      ['d', -1, 0],
      ['f', 999, body.length],
    ]);
    expect(Array.from(chunks[1]?.bytes ?? [])).toEqual(Array.from(body));
    expect(bad).toEqual(['/data/app/e/base.apk']);
  });
});

describe('certificate passes', () => {
  it('names every APK the device answered nothing for, instead of leaving it without an outcome', async () => {
    const m = newMarker();
    const enc = new TextEncoder();
    const paths = ['/data/app/a/base.apk', '/data/app/b/base.apk', '/data/app/c/base.apk'];
    const scripts: string[] = [];
    // The device only ever reports /data/app/a as unreadable and says nothing about the others.
    const result = await readCertificates(paths, [0], 34, m, async (script) => {
      scripts.push(script);
      return { ok: true, data: enc.encode(`${m}:file:-1:0:/data/app/a/base.apk\n${m}:end\n`) };
    });
    expect(result.failure).toBeUndefined();
    expect(Object.fromEntries(result.byPath)).toEqual({
      '/data/app/a/base.apk': { kind: 'unreadable', reason: 'the shell user cannot read the APK' },
      '/data/app/b/base.apk': { kind: 'unreadable', reason: 'the device sent nothing for this APK' },
      '/data/app/c/base.apk': { kind: 'unreadable', reason: 'the device sent nothing for this APK' },
    });
    expect(scripts.length).toBeGreaterThan(1);
  });
});

describe('apps seen only in dumpsys package, on real per-user line shapes', () => {
  const device = (profiles: TargetResult['profiles']): TargetResult => ({
    id: 'android:T',
    kind: 'device',
    status: 'scanned',
    profiles,
    apps: [],
    diagnostics: [],
  });
  const samples = [
    // Android 14 Samsung, two users: installed for user 0, installed=false for user 10.
    ['other/dumpsys_package_android14_samsung_multiuser_excerpt.txt', 'com.bitchat.droid', [0]],
    // Samsung, Android 10/11 layout: negative ceDataInode, no distractionFlags.
    ['mvt/android_data_dumpsys_packages.txt', 'com.samsung.android.provider.filterprovider', [0]],
    ['spytrap-adb/dumpsys_package_contacts.txt', 'com.android.contacts', [0]],
    ['other/dumpsys_package_youtube_android14_blog_excerpt_elided.txt', 'com.google.android.youtube', [0]],
  ] as const;
  for (const [file, id, users] of samples) {
    it.runIf(hasShared('device-samples', 'android', file))(
      `${file}: ${id} reported for an unlisted profile`,
      () => {
        const text = readFileSync(sharedPath('device-samples', 'android', file), 'utf8');
        const t = device([{ user: 0, kind: 'primary', scanned: false, reason: 'denied' }]);
        const notes = readDumpsysInto(t, text);
        const found = t.apps.filter((a) => a.id === id);
        expect(found.map((a) => a.user)).toEqual([...users]);
        for (const a of t.apps) {
          expect(a.origin.parser).toBe('dumpsys-package');
          expect(a.extra?.evidence).toBe('dumpsys');
        }
        // Only user 0 holds installed apps in these captures: no unknown profile appears.
        expect(t.profiles?.map((p) => p.user)).toEqual([0]);
        expect(notes).toEqual([]);

        // The same capture adds nothing to a profile pm listed in full.
        const listed = device([{ user: 0, kind: 'primary', scanned: true }]);
        expect(readDumpsysInto(listed, text)).toEqual([]);
        expect(listed.apps).toEqual([]);
      },
    );
  }
});
