/**
 * The shared state of one pass over a saved text listing. A saved file is often several tool
 * outputs pasted together, so each format's parser picks the lines it understands and marks
 * them claimed; whatever nobody claims is reported (or ignored, for bugreports) at the end.
 */
import type { AppRecord, Diagnostic, Origin } from '../model.js';
import type { ParseContext } from './types.js';

/** Past this many warnings a listing is mostly noise: one summary line replaces the rest. */
const MAX_WARNINGS = 100;

export class LineScan {
  readonly claimed: Uint8Array;
  readonly diagnostics: Diagnostic[] = [];
  private warnings = 0;
  private suppressed = 0;

  constructor(
    readonly lines: readonly string[],
    readonly ctx: ParseContext,
  ) {
    this.claimed = new Uint8Array(lines.length);
  }

  claim(index: number): void {
    this.claimed[index] = 1;
  }

  isClaimed(index: number): boolean {
    return this.claimed[index] === 1;
  }

  /** A warning tied to a 0-based line index (reported 1-based). */
  warn(index: number, message: string): void {
    if (this.warnings >= MAX_WARNINGS) {
      this.suppressed++;
      return;
    }
    this.warnings++;
    this.diagnostics.push({ level: 'warning', message, ...this.where(index) });
  }

  info(index: number | undefined, message: string): void {
    this.diagnostics.push({
      level: 'info',
      message,
      ...(index === undefined ? this.where() : this.where(index)),
    });
  }

  /** Adds the "N more warnings" line; call once when the pass is over. */
  finish(): Diagnostic[] {
    if (this.suppressed > 0) {
      this.diagnostics.push({
        level: 'warning',
        message: `${this.suppressed} more unparseable lines not listed`,
        ...this.where(),
      });
      this.suppressed = 0;
    }
    return this.diagnostics;
  }

  origin(parser: string, index: number): Origin {
    const { target, path } = this.ctx;
    return path === undefined
      ? { target, parser, line: index + 1 }
      : { target, parser, path, line: index + 1 };
  }

  private where(index?: number): { path?: string; line?: number } {
    return {
      ...(this.ctx.path === undefined ? {} : { path: this.ctx.path }),
      ...(index === undefined ? {} : { line: index + 1 }),
    };
  }
}

/** Record identity within one listing: the same package for another user is another record. */
export const appKey = (app: Pick<AppRecord, 'id' | 'user'>): string => `${app.id}\u0000${app.user ?? ''}`;

/**
 * Fill the fields `into` lacks from `from` (two listings of the same install, e.g. `pm list -f`
 * and `pm list -i` saved in one file). Values `into` already has win.
 */
export function mergeInto(into: AppRecord, from: AppRecord): void {
  const target = into as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(from)) {
    if (value === undefined || key === 'origin') continue;
    if (key === 'publisher') {
      into.publisher = { ...from.publisher, ...into.publisher };
    } else if (key === 'extra') {
      into.extra = { ...from.extra, ...into.extra };
    } else if (target[key] === undefined) {
      target[key] = value;
    }
  }
}

/** Android packs the user into the uid: uid = userId × 100000 + appId. */
export const PER_USER_RANGE = 100000;

/** `2021-09-21 14:10:13` → `2021-09-21T14:10:13`: local device time, no zone invented. */
export function isoLocalTime(value: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})$/.exec(value.trim());
  return m ? `${m[1]}T${m[2]}` : undefined;
}
