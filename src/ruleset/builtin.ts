/**
 * Rules appwarden applies on its own, whatever rule set is loaded: facts about an app that no
 * rule file can express, but that must fail a scan rather than pass it. Their findings are
 * ordinary findings (severity, fail threshold, waivers by rule id), from the pack `appwarden`.
 */
import type { AppRecord, Finding, TargetResult } from '../model.js';

const BUILTIN_PACK = 'appwarden';

export interface BuiltinRule {
  id: string;
  title: string;
  severity: Finding['severity'];
  message: string;
  references: string[];
  /** The finding's match detail when the rule applies to `app`, undefined when it does not. */
  applies(app: AppRecord): Finding['matchedOn'] | undefined;
}

/**
 * An APK whose v2/v3/v3.1 signature was checked (`--verify-signatures`) and does not verify: its
 * content is not what the named signer signed, so the certificate it shows identifies nobody. A
 * tampered or repackaged app must not pass as its real publisher's.
 */
export const SIGNATURE_INVALID: BuiltinRule = {
  id: 'appwarden.signature-invalid',
  title: 'Signature does not verify',
  severity: 'high',
  message:
    "The signature was checked and does not verify: the file was changed after signing, or its signature is malformed, so the publisher it names is not proven. The target's diagnostics say why.",
  references: ['https://source.android.com/docs/security/features/apksigning'],
  applies: (app) =>
    app.signature === 'invalid'
      ? [{ criterion: 'signature', pattern: 'invalid', value: 'invalid' }]
      : undefined,
};

export const BUILTIN_RULES: readonly BuiltinRule[] = [SIGNATURE_INVALID];

/** Findings of the built-in rules on every app of `target`. */
export const builtinFindings = (target: TargetResult): Finding[] => {
  const findings: Finding[] = [];
  for (const app of target.apps) {
    for (const rule of BUILTIN_RULES) {
      const matchedOn = rule.applies(app);
      if (matchedOn === undefined) continue;
      findings.push({
        ruleId: rule.id,
        severity: rule.severity,
        title: rule.title,
        message: rule.message,
        references: rule.references,
        pack: BUILTIN_PACK,
        target: target.id,
        app,
        matchedOn,
      });
    }
  }
  return findings;
};
