import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AppRecord } from '../../src/model.js';
import { parseListing } from '../../src/parsers/listing.js';
import { decodeText } from '../../src/parsers/text.js';
import type { ParsedInventory } from '../../src/parsers/types.js';

export const fixture = (rel: string): string =>
  decodeText(readFileSync(fileURLToPath(new URL(`../../fixtures/${rel}`, import.meta.url))));

export const parseFixture = (rel: string): ParsedInventory =>
  parseListing(fixture(rel), { target: rel, path: rel });

export const app = (inv: ParsedInventory, id: string, user?: number): AppRecord => {
  const found = inv.apps.find((a) => a.id === id && (user === undefined || a.user === user));
  if (!found)
    throw new Error(`no app ${id}${user === undefined ? '' : ` for user ${user}`} in ${inv.format}`);
  return found;
};

export const ids = (inv: ParsedInventory): string[] => inv.apps.map((a) => `${a.id}@${a.user ?? '-'}`).sort();
