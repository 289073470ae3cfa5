/**
 * Expected errors: the CLI prints their message (and cause) without a stack trace.
 * Anything that is not an AppwardenError is a bug and keeps its stack.
 */
export type ErrorCode =
  | 'USAGE'
  | 'RULES_INVALID'
  | 'WAIVERS_INVALID'
  | 'INPUT_NOT_FOUND'
  | 'TOOL_NOT_FOUND'
  | 'OUTPUT_FAILED';

export class AppwardenError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppwardenError';
  }
}

export const isAppwardenError = (error: unknown): error is AppwardenError => error instanceof AppwardenError;

/** One line describing any thrown value, for per-target error fields. */
export const describeError = (error: unknown): string => {
  if (error instanceof Error) return error.message;
  return String(error);
};
