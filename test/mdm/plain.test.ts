import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectMdm, parseMdm } from '../../src/parsers/mdm/index.js';
import { parseIdCsv, parsePlainList } from '../../src/parsers/mdm/plain.js';

describe('plain id lists', () => {
  it('reads one id per line with comments and blank lines', () => {
    const text = readFileSync('fixtures/mdm/plain-list.txt', 'utf8');
    expect(detectMdm(text)).toBe('plain-list');
    const t = parsePlainList(text, 'list.txt', 'list.txt');
    expect(t.apps.map((a) => [a.id, a.origin.line])).toEqual([
      ['com.whatsapp', 2],
      ['com.zhiliaoapp.musically', 3],
      ['org.mozilla.firefox', 4],
    ]);
    expect(t.status).toBe('scanned');
    expect(t.evidence).toEqual({ publisher: 'none' });
  });

  it('makes the target partial and names the line of anything that is not an id', () => {
    const t = parsePlainList('com.whatsapp\n\ncom.tencent.mm\nWeChat for work\n', 'l.txt', 'l.txt');
    expect(t.status).toBe('partial');
    expect(t.error).toMatch(/1 line\(s\) are not package or bundle ids \(line 4\)/);
    expect(t.diagnostics.find((d) => d.line === 4)?.message).toMatch(/WeChat for work/);
  });

  it('does not claim prose, CSV or listings', () => {
    expect(detectMdm('# Fleet notes\n\nPhones collected on Monday.\n')).toBeUndefined();
    expect(detectMdm('hello\nworld\n')).toBeUndefined();
    expect(
      detectMdm('id,name,publisher,rule,severity\ncom.tencent.mm,WeChat,,x.wechat,high\n'),
    ).toBeUndefined();
    expect(parseMdm('row_type,target,app_id\napp,t,com.x.y\n', 'r.csv', 'r.csv', 'listing')).toBeUndefined();
  });
});

describe('id CSV', () => {
  it('reads one target per device value with the documented columns', () => {
    const text = readFileSync('fixtures/mdm/ids.csv', 'utf8');
    expect(detectMdm(text)).toBe('id-csv');
    const targets = parseIdCsv(text, 'ids.csv') ?? [];
    expect(targets.map((t) => [t.id, t.device?.platform, t.apps.map((a) => a.id)])).toEqual([
      ['pixel-anna', 'android', ['com.zhiliaoapp.musically', 'org.mozilla.firefox']],
      ['iphone-lee', 'ios', ['com.apple.Pages']],
    ]);
    expect(targets[0]?.apps[0]).toMatchObject({ versionName: '37.4.3', versionCode: 2023704030 });
    // A cert column that is empty everywhere still says the source could carry certificates.
    expect(targets[0]?.evidence).toEqual({ publisher: 'none' });
  });

  it('matches header names case-insensitively and carries digests', () => {
    const sha1 = '00112233445566778899aabbccddeeff00112233';
    const md5 = '00112233445566778899aabbccddeeff';
    const text = `PackageName;Cert_SHA1;CERT-MD5;Team ID\ncom.example.app;${sha1.toUpperCase()};${md5};ABCDE12345\nnot an id;;;\n`;
    const [t] = parseIdCsv(text, 'x.csv') ?? [];
    expect(t?.id).toBe('x.csv');
    expect(t?.apps[0]?.publisher).toEqual({ certSha1: [sha1], certMd5: [md5], teamId: 'ABCDE12345' });
    expect(t?.evidence).toEqual({ publisher: 'mixed' });
    expect(t?.status).toBe('partial');
    expect(t?.error).toMatch(/line 3/);
  });
});
