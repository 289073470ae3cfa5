/** Public API: everything the CLI does is available as data. */
export * from './errors.js';
export * from './model.js';
export { type FormatName, reporters } from './reporters/index.js';
export { renderInventory, toJsonDocument } from './reporters/json.js';
export type { Reporter, ReporterContext } from './reporters/types.js';
export { compileRuleSet, type Matcher, type RuleMatch } from './ruleset/compile.js';
export { DEFAULT_PACK, listShippedPacks, loadRuleSet, PACKS_DIR } from './ruleset/load.js';
export { ruleFileJsonSchema } from './ruleset/schema.js';
export type { Pack, PublisherDef, Rule, RuleSet } from './ruleset/types.js';
export { collect, discoverDevices, evaluate, failsAt, type ScanOptions, scan } from './scan.js';
export { VERSION } from './version.js';
export { applyWaivers, loadWaivers, parseWaivers, type Waiver } from './waivers.js';
