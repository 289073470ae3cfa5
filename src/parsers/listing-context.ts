/**
 * The shared state of one pass over a saved text listing. A saved file is often several tool
 * outputs pasted together, so each format's parser picks the lines it understands and marks
 * them claimed; whatever nobody claims is reported (or ignored, for bugreports) at the end.
 */
import type { AppRecord, Diagnostic, Origin } from '../model.js';
import type { ParseContext } from './types.js';

/**
 * Past this many warnings a listing is mostly noise: one summary line with the count and the line
 * range replaces the rest. Apps lost on those lines are never only in the summary: see lostReason.
 */
const MAX_WARNINGS = 100;
/** How many lost lines the partial reason names one by one before it counts the rest. */
const LOST_NAMED = 5;

export class LineScan {
  readonly claimed: Uint8Array;
  readonly diagnostics: Diagnostic[] = [];
  private warnings = 0;
  private suppressed = 0;
  private suppressedFirst = 0;
  private suppressedLast = 0;
  private readonly lost: Array<{ line: number; reason: string }> = [];

  /**
   * `unterminated`: the text did not end with a line end, so its last line may have been cut
   * short (an interrupted capture); parsers check that line against the ones before it.
   */
  constructor(
    readonly lines: readonly string[],
    readonly ctx: ParseContext,
    readonly unterminated = false,
  ) {
    this.claimed = new Uint8Array(lines.length);
  }

  claim(index: number): void {
    this.claimed[index] = 1;
  }

  isClaimed(index: number): boolean {
    return this.claimed[index] === 1;
  }

  /** True for the last line of a text that does not end with a line end. */
  isCutShort(index: number): boolean {
    return this.unterminated && index === this.lines.length - 1;
  }

  /** A warning tied to a 0-based line index (reported 1-based). */
  warn(index: number, message: string): void {
    if (this.warnings >= MAX_WARNINGS) {
      if (this.suppressed === 0) this.suppressedFirst = index + 1;
      this.suppressed++;
      this.suppressedLast = Math.max(this.suppressedLast, index + 1);
      return;
    }
    this.warnings++;
    this.diagnostics.push({ level: 'warning', message, ...this.where(index) });
  }

  /**
   * A line that is recognisably an app line but whose app could not be read (or not in full: a
   * line cut short): the listing is incomplete (see lostReason), and the line gets a warning.
   */
  lose(index: number, reason: string): void {
    this.lost.push({ line: index + 1, reason });
    this.warn(index, `line ${index + 1}: ${reason}`);
  }

  /** How many app lines could not be read. */
  get lostCount(): number {
    return this.lost.length;
  }

  /**
   * Why the listing is incomplete because of unreadable app lines, naming the first few lines and
   * counting the rest; undefined when every app line was read.
   */
  lostReason(): string | undefined {
    const n = this.lost.length;
    if (n === 0) return undefined;
    const named = this.lost.slice(0, LOST_NAMED).map((l) => `line ${l.line} (${l.reason})`);
    const more =
      n > LOST_NAMED ? ` and ${n - LOST_NAMED} more line(s) up to line ${this.lost[n - 1]?.line}` : '';
    return `${n} app line(s) could not be read in full: ${named.join(', ')}${more}`;
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
      const range =
        this.suppressedFirst === this.suppressedLast
          ? `line ${this.suppressedFirst}`
          : `lines ${this.suppressedFirst}–${this.suppressedLast}`;
      this.diagnostics.push({
        level: 'warning',
        message: `${this.suppressed} more warnings not listed (${range})${this.lost.length > 0 ? `; ${this.lost.length} app line(s) in all could not be read` : ''}`,
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
