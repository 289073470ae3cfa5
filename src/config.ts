/**
 * Project configuration: `./.appwarden.yaml` (or `--config FILE`), then `$XDG_CONFIG_HOME/appwarden/
 * config.yaml`. The first file found is used whole (no merging, as syft does). Precedence is
 * flags > APPWARDEN_* environment > this file > defaults.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppwardenError } from './errors.js';
import { type FailOn, SEVERITIES } from './model.js';
import type { ObjectSpec } from './ruleset/schema.js';
import { formatProblem, parseAndValidate, type Value } from './ruleset/validate.js';

export interface Config {
  /** File the settings came from. */
  file?: string;
  rules?: string[];
  waivers?: string;
  failOn?: FailOn;
  timeoutSeconds?: number;
  /** Globs left out of folder scans, added to any `--exclude` flags. */
  exclude?: string[];
}

const configSpec: ObjectSpec = {
  type: 'object',
  description: 'appwarden settings',
  fields: {
    rules: { type: 'strings', description: 'rule files (relative to this file) or shipped pack names' },
    waivers: { type: 'string', description: 'waiver file (relative to this file)' },
    'fail-on': { type: 'enum', description: 'fail threshold', values: [...SEVERITIES, 'none'] },
    exclude: {
      type: 'strings',
      description: 'globs of paths left out of folder scans (listed as skipped in every report)',
    },
    timeout: {
      type: 'string',
      description: 'seconds for each device command',
      check: (v) => (/^\d+(\.\d+)?$/.test(v) && Number(v) > 0 ? undefined : 'must be a number of seconds'),
    },
  },
};

const configCandidates = (cwd: string, env: NodeJS.ProcessEnv): string[] => [
  path.join(cwd, '.appwarden.yaml'),
  path.join(cwd, '.appwarden.yml'),
  path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'appwarden', 'config.yaml'),
];

/** Load the config file; `explicit` (from --config) must exist. Relative paths resolve against the file. */
export const loadConfig = (cwd: string, env: NodeJS.ProcessEnv, explicit?: string): Config => {
  const file = explicit ? path.resolve(cwd, explicit) : configCandidates(cwd, env).find((f) => existsSync(f));
  if (!file) return {};
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new AppwardenError('USAGE', `cannot read config ${file}: ${(error as Error).message}`);
  }
  const parsed = parseAndValidate(text, file, configSpec, 'config');
  if (parsed.problems.length > 0) {
    throw new AppwardenError('USAGE', `invalid config:\n${parsed.problems.map(formatProblem).join('\n')}`);
  }
  const raw = (parsed.value ?? {}) as Record<string, Value>;
  const dir = path.dirname(file);
  // A shipped pack name stays a name; anything that exists next to the config file becomes a path.
  const resolve = (p: string) => (existsSync(path.resolve(dir, p)) ? path.resolve(dir, p) : p);
  const config: Config = { file };
  if (Array.isArray(raw.rules)) config.rules = (raw.rules as string[]).map(resolve);
  if (typeof raw.waivers === 'string') config.waivers = path.resolve(dir, raw.waivers);
  if (typeof raw['fail-on'] === 'string') config.failOn = raw['fail-on'] as FailOn;
  if (typeof raw.timeout === 'string') config.timeoutSeconds = Number(raw.timeout);
  if (Array.isArray(raw.exclude)) config.exclude = raw.exclude as string[];
  return config;
};
