/**
 * Option parsing shared by the commands of the CLI (src/cli.ts and src/commands/*): one parser per
 * kind of value, so every command accepts and rejects the same spellings with the same message.
 */
import { InvalidArgumentError } from 'commander';
import { type FailOn, SEVERITIES } from './model.js';
import type { SourceContext } from './sources/types.js';

/** Repeatable options (`-r a -r b`) collect into a list. */
export const collectList = (value: string, previous: string[] = []): string[] => [...previous, value];

export const parseSeconds = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 86_400)
    throw new InvalidArgumentError('expected seconds between 0 and 86400');
  return n;
};

export const parseFailOn = (value: string): FailOn => {
  if (value === 'none' || (SEVERITIES as readonly string[]).includes(value)) return value as FailOn;
  throw new InvalidArgumentError(`expected one of ${[...SEVERITIES, 'none'].join(', ')}`);
};

/** Device tool paths from APPWARDEN_ADB … APPWARDEN_IDEVICEINSTALLER; unset ones are left out. */
export const toolsFromEnv = (env: NodeJS.ProcessEnv): Partial<SourceContext['tools']> => {
  const tools: Partial<SourceContext['tools']> = {};
  if (env.APPWARDEN_ADB) tools.adb = env.APPWARDEN_ADB;
  if (env.APPWARDEN_IDEVICE_ID) tools.ideviceId = env.APPWARDEN_IDEVICE_ID;
  if (env.APPWARDEN_IDEVICEINFO) tools.ideviceInfo = env.APPWARDEN_IDEVICEINFO;
  if (env.APPWARDEN_IDEVICEINSTALLER) tools.ideviceInstaller = env.APPWARDEN_IDEVICEINSTALLER;
  return tools;
};
