/**
 * `pm list users`: `Users:` then one `\tUserInfo{id:name:hexflags} running` line per user.
 * The flags tell a work profile (FLAG_MANAGED_PROFILE 0x20) from a secondary user; Samsung's
 * Secure Folder is a managed profile too, so it is recognised first, by name or its 1xxxxxxx flags.
 */
import type { ProfileInfo, ProfileKind } from '../model.js';
import type { LineScan } from './listing-context.js';

const USER_INFO = /UserInfo\{(-?\d+):(.*):([0-9a-fA-F]+)\}/;
const FLAG_MANAGED_PROFILE = 0x20;
const FLAG_PROFILE = 0x1000;
const SAMSUNG_SECURE_FOLDER_BIT = 0x10000000;

function profileKind(id: number, name: string, flags: number): ProfileKind {
  if (id === 0) return 'primary';
  if (/secure\s*folder/i.test(name) || (flags & SAMSUNG_SECURE_FOLDER_BIT && id >= 150 && id <= 160)) {
    return 'secure-folder';
  }
  if (flags & FLAG_MANAGED_PROFILE) return 'work';
  if (/private/i.test(name)) return 'private';
  if (/clone|dual|xspace|parallel|twin/i.test(name) || id === 999) return 'clone';
  if (flags & FLAG_PROFILE) return 'unknown';
  return 'secondary';
}

/** Parse one `UserInfo{…}` line, or undefined when the line is not one. */
function parseUserInfoLine(line: string): ProfileInfo | undefined {
  const m = USER_INFO.exec(line);
  if (!m?.[1] || m[3] === undefined) return undefined;
  const user = Number(m[1]);
  const name = m[2] ?? '';
  const flags = Number.parseInt(m[3], 16);
  const profile: ProfileInfo = { user, kind: profileKind(user, name, flags), scanned: true };
  if (name !== '') profile.name = name;
  return profile;
}

/** Every `UserInfo{…}` line (and the `Users:` headers) not claimed yet. */
export function parsePmUsersLines(scan: LineScan): ProfileInfo[] | undefined {
  const profiles = new Map<number, ProfileInfo>();
  scan.lines.forEach((line, i) => {
    if (scan.isClaimed(i)) return;
    const trimmed = line.trim();
    if (trimmed === 'Users:') {
      scan.claim(i);
      return;
    }
    if (!trimmed.startsWith('UserInfo{')) return;
    const profile = parseUserInfoLine(trimmed);
    if (profile === undefined) {
      scan.warn(i, `unparseable pm list users line: ${trimmed.slice(0, 80)}`);
      scan.claim(i);
      return;
    }
    scan.claim(i);
    profiles.set(profile.user, profile);
  });
  return profiles.size > 0 ? [...profiles.values()] : undefined;
}
