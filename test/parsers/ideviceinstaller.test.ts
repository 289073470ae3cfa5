import { describe, expect, it } from 'vitest';
import { parseTextRow, signerPublisher } from '../../src/parsers/ideviceinstaller.js';
import { parseListing } from '../../src/parsers/listing.js';
import { app, parseFixture } from './listing-helpers.js';

describe('ideviceinstaller text', () => {
  it('raw row grammar (1.1.x, 1.2 development builds): last column runs to the last quote', () => {
    expect(parseTextRow('a.b, "1.0", "Notes, Lists, and "Things""')).toEqual({
      id: 'a.b',
      values: ['1.0', 'Notes, Lists, and "Things"'],
      notes: [],
    });
    expect(parseTextRow('a.b, "1.0", ""')).toEqual({ id: 'a.b', values: ['1.0', ''], notes: [] });
    expect(parseTextRow('a.b, "1.0", ')).toEqual({ id: 'a.b', values: ['1.0', undefined], notes: [] });
    expect(parseTextRow('a.b, , "Name"')).toEqual({ id: 'a.b', values: [undefined, 'Name'], notes: [] });
    expect(parseTextRow('a.b, "1.0"')).toMatchObject({ id: 'a.b', values: ['1.0'] });
    expect(parseTextRow('a.b, "1.0", "Cut')).toMatchObject({ unterminated: true });
    expect(parseTextRow('no separator')).toMatch(/invalid bundle identifier/);
    expect(parseTextRow(', "1.0", "x"')).toMatch(/invalid bundle identifier/);
  });

  it('escaped row grammar (1.2.0, libplist PLIST_FORMAT_PRINT): \\" and control escapes, backslash as is', () => {
    const row = (line: string) => parseTextRow(line, 3, 'print');
    expect(row('a.b, "1.0", "Notes, Lists, and \\"Things\\""')).toMatchObject({
      values: ['1.0', 'Notes, Lists, and "Things"'],
      notes: [],
    });
    expect(row('a.b, "2.3.1", "Red \\u001b[31mALERT\\u001b[0m\\tApp\\n"')).toMatchObject({
      values: ['2.3.1', 'Red \u001b[31mALERT\u001b[0m\tApp\n'],
    });
    // A backslash is not escaped, so a name ending in one prints `\"` before the closing quote.
    expect(row('a.b, "1", "C:\\dir\\"')).toMatchObject({ values: ['1', 'C:\\dir\\'] });
    expect(row('com.tencent.xin, "8.0.49", ')).toEqual({
      id: 'com.tencent.xin',
      values: ['8.0.49', undefined],
      notes: [],
    });
    expect(row('a.b, 42, true')).toMatchObject({ values: ['42', 'true'] });
  });

  it('1.2.0 listing: escaped names unescaped, an app with no display name kept', () => {
    const inv = parseListing(
      [
        'CFBundleIdentifier, CFBundleShortVersionString, CFBundleDisplayName',
        'com.example.commas, "1.0", "Notes, Lists, and \\"Things\\""',
        'com.example.ansi, "2.3.1", "Red \\u001b[31mALERT\\u001b[0m App"',
        'com.tencent.xin, "8.0.49", ',
        'com.example.noversion, , "No Version"',
        'com.example.emoji, "10.2", "Pizza 🍕 Finder 👩\u200d👩\u200d👧"',
        '',
      ].join('\n'),
      { target: 't' },
    );
    expect(inv.partial).toBeUndefined();
    expect(inv.diagnostics).toEqual([]);
    expect(inv.apps.map((a) => [a.id, a.name, a.versionName])).toEqual([
      ['com.example.commas', 'Notes, Lists, and "Things"', '1.0'],
      ['com.example.ansi', 'Red \u001b[31mALERT\u001b[0m App', '2.3.1'],
      ['com.tencent.xin', undefined, '8.0.49'],
      ['com.example.noversion', 'No Version', undefined],
      ['com.example.emoji', 'Pizza 🍕 Finder 👩\u200d👩\u200d👧', '10.2'],
    ]);
  });

  it('1.1.1 rows: an app with no version prints `id, "Name"`', () => {
    const inv = parseListing(
      'CFBundleIdentifier, CFBundleVersion, CFBundleDisplayName\ncom.a, "12", "A"\ncom.b, "B"\n',
      { target: 't' },
    );
    expect(inv.apps.map((a) => [a.id, a.name, a.versionCode])).toEqual([
      ['com.a', 'A', 12],
      ['com.b', 'B', undefined],
    ]);
    expect(inv.diagnostics).toEqual([]);
  });

  it('`-a` headers map their columns; a row with no readable id makes the listing partial', () => {
    const inv = parseListing(
      'CFBundleIdentifier, CFBundleVersion, CFBundleName\ncom.a, "7", "A"\n  com.b\u200b, "8", "B" # note\n"broken, "1", "x"\n',
      { target: 't' },
    );
    expect(inv.apps.map((a) => [a.id, a.name, a.versionCode])).toEqual([
      ['com.a', 'A', 7],
      ['com.b', 'B', 8],
    ]);
    expect(inv.partial).toMatch(/line 4/);
    expect(inv.diagnostics.map((d) => d.line)).toEqual([3, 4]);
  });

  it('1.2.0 `-a` with an array attribute: the value printed over several lines is not rows', () => {
    const inv = parseListing(
      [
        'CFBundleIdentifier, UIDeviceFamily, CFBundleDisplayName',
        'com.a, [',
        '  1,',
        '  2',
        '], "A"',
        'com.b, [], "B"',
        'com.c, {',
        '  "k": "v [x"',
        '}, "C"',
        '',
      ].join('\n'),
      { target: 't' },
    );
    expect(inv.apps.map((a) => a.id)).toEqual(['com.a', 'com.b', 'com.c']);
    expect(inv.partial).toBeUndefined();
    // An array that never closes swallows no rows.
    const open = parseListing('CFBundleIdentifier, UIDeviceFamily\ncom.a, [\ncom.zhiliaoapp.musically, 1\n', {
      target: 't',
    });
    expect(open.apps.map((a) => a.id)).toEqual(['com.a', 'com.zhiliaoapp.musically']);
  });

  it('a row cut short at the end of the file makes the listing partial', () => {
    const inv = parseListing(
      'CFBundleIdentifier, CFBundleShortVersionString, CFBundleDisplayName\ncom.a, "1", "A"\ncom.zhiliao',
      { target: 't' },
    );
    expect(inv.partial).toMatch(/line 3 \(the file ends in the middle of this row/);
  });

  it.each([
    ['listings/ideviceinstaller/v1.2-hostile.txt', 'versionName'],
    ['listings/ideviceinstaller/v1.1-hostile.txt', 'versionCode'],
  ] as const)('%s keeps hostile names byte-exact and reads the version column', (rel, field) => {
    const inv = parseFixture(rel);
    expect(inv.format).toBe('ideviceinstaller-text');
    expect(inv.device).toEqual({ platform: 'ios' });
    expect(inv.apps).toHaveLength(8);
    expect(app(inv, 'com.example.commas').name).toBe('Notes, Lists, and "Things"');
    expect(app(inv, 'com.example.ansi').name).toBe('Red \u001b[31mALERT\u001b[0m App');
    expect(app(inv, 'com.example.rtl').name).toBe('Invoice \u202Egpj.exe');
    expect(app(inv, 'com.example.emoji').name).toBe('Pizza 🍕 Finder 👩‍👩‍👧');
    expect(app(inv, 'com.example.quote').name).toBe('"');
    expect(app(inv, 'com.example.trailing').name).toBe('Ends with a quote"');
    expect(app(inv, 'com.example.empty').name).toBeUndefined();
    expect(app(inv, 'ru.example.wallet').name).toBe('Кошелёк');
    const ansi = app(inv, 'com.example.ansi');
    expect(field === 'versionName' ? ansi.versionName : ansi.versionCode).toBe(
      field === 'versionName' ? '2.3.1' : '2024.05.1',
    );
    expect(
      app(inv, 'com.example.commas')[field === 'versionName' ? 'versionCode' : 'versionName'],
    ).toBeUndefined();
    expect(inv.apps.every((a) => a.platform === 'ios' && a.origin.parser === 'ideviceinstaller-text')).toBe(
      true,
    );
  });

  it('1.1 build column: numeric builds become numbers, dotted ones stay strings', () => {
    const inv = parseFixture('listings/ideviceinstaller/v1.1-list-all.txt');
    expect(app(inv, 'com.apple.Preferences').versionCode).toBe(1);
    expect(app(inv, 'com.tencent.xin').versionCode).toBe('8.0.49.33');
  });

  it('header only is a device with no apps, with an info diagnostic', () => {
    const inv = parseFixture('listings/ideviceinstaller/v1.2-header-only.txt');
    expect(inv.apps).toEqual([]);
    expect(inv.partial).toBeUndefined();
    expect(inv.diagnostics).toEqual([expect.objectContaining({ level: 'info' })]);
  });

  // Issue 9: the legacy form prints CFBundleVersion (the build); it was stored as versionName.
  it('legacy `Total: N apps` output: the build is the versionCode', () => {
    const inv = parseFixture('listings/ideviceinstaller/legacy-total.txt');
    expect(inv.apps.map((a) => [a.id, a.name, a.versionCode, a.versionName])).toEqual([
      ['com.google.Gmail', 'Gmail', '6.0.240512', undefined],
      ['com.tencent.xin', 'WeChat', '8.0.49', undefined],
      ['com.example.two.words', 'Two Words', '1.0', undefined],
    ]);
    expect(inv.partial).toBeUndefined();
  });

  it('legacy output with fewer rows than `Total:` announces is partial', () => {
    const inv = parseListing('Total: 3 apps\ncom.a - A 1\ncom.b - B 20\n', { target: 't' });
    expect(inv.apps.map((a) => [a.id, a.versionCode])).toEqual([
      ['com.a', 1],
      ['com.b', 20],
    ]);
    expect(inv.partial).toMatch(/announced 3 apps at line 1 but the listing holds 2/);
  });

  it('ideviceinfo pasted before the listing gives the device facts', () => {
    const inv = parseFixture('listings/misc/ideviceinfo-and-apps.txt');
    expect(inv.format).toBe('ideviceinstaller-text');
    expect(inv.device).toMatchObject({
      platform: 'ios',
      name: 'Travel iPad',
      model: 'iPad13,18',
      osVersion: '17.4',
    });
    expect(inv.apps.map((a) => a.id)).toEqual(['com.tencent.xin', 'com.google.Gmail']);
    expect(inv.diagnostics).toEqual([]);
  });
});

describe('ideviceinstaller XML', () => {
  it('1.1 `-o xml`: team from application-identifier, distribution signer names the company', () => {
    const inv = parseFixture('listings/ideviceinstaller/v1.1-xml.plist');
    expect(inv.format).toBe('ideviceinstaller-xml');
    expect(app(inv, 'com.tencent.xin')).toMatchObject({
      name: 'WeChat',
      versionName: '8.0.49',
      versionCode: '8.0.49.33',
      system: false,
      publisher: { teamId: '88L2Q4487U' },
      paths: ['/private/var/containers/Bundle/Application/0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9/WeChat.app'],
      origin: { parser: 'ideviceinstaller-xml', line: 5 },
    });
    expect(app(inv, 'com.example.inhouse')).toMatchObject({
      name: 'Field & Ops 🛠️',
      versionCode: 412,
      minOs: '15.0',
      publisher: { name: 'Example Field Services Ltd', teamId: 'A1B2C3D4E5' },
    });
    expect(app(inv, 'com.apple.mobilesafari')).toMatchObject({ system: true, publisher: {} });
    expect(inv.diagnostics).toEqual([expect.objectContaining({ level: 'warning', line: 72 })]);
    // Issue 9: an entry with no bundle id used to be skipped with a warning only; it is an app not read.
    expect(inv.partial).toBe('1 app entry could not be read: app #4 has no CFBundleIdentifier (line 72)');
  });

  it('1.2 `list --xml`: explicit team identifier and app-clip flag', () => {
    const inv = parseFixture('listings/ideviceinstaller/v1.2-xml.plist');
    expect(app(inv, 'com.example.shop.Clip')).toMatchObject({
      publisher: { teamId: 'Z9Y8X7W6V5' },
      extra: { isAppClip: true, applicationType: 'User' },
    });
    expect(app(inv, 'com.kaspersky.passwordmanager')).toMatchObject({ name: 'KPM', publisher: {} });
  });

  it('signer identities: only distribution certificates name a publisher', () => {
    expect(signerPublisher('iPhone Distribution: Foo Ltd (ABCDE12345)')).toEqual({
      name: 'Foo Ltd',
      teamId: 'ABCDE12345',
    });
    expect(signerPublisher('Apple Distribution: Bar Inc.')).toEqual({ name: 'Bar Inc.' });
    expect(signerPublisher('Apple iPhone OS Application Signing')).toEqual({});
    expect(signerPublisher('iPhone Developer: Jane Doe (54P9L43M84)')).toEqual({});
  });

  it('a truncated or entity-declaring plist is refused with a clear error', () => {
    expect(() => parseFixture('listings/misc/truncated.plist')).toThrow(/truncated XML plist at line 12/);
    expect(() => parseFixture('listings/misc/entity-bomb.plist')).toThrow(/ENTITY/);
  });
});
