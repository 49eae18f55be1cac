import { createHash } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** Why a passkey sign-in ended as it did, for logs and metrics; the client gets one 401 for every failure. */
export type PasskeySignInOutcome =
  | 'success'
  | 'challenge_refused'
  | 'unknown_credential'
  | 'bad_assertion'
  | 'user_handle_missing'
  | 'user_handle_mismatch'
  | 'backup_eligibility_changed'
  | 'user_gone'
  | 'user_disabled'
  | 'user_changed'
  | 'counter_regressed'
  | 'passkey_gone';

/** The CloudWatch metric each outcome counts towards. */
export const PASSKEY_OUTCOME_METRICS = {
  success: 'PasskeySignInSucceeded',
  challenge_refused: 'PasskeySignInFailed',
  unknown_credential: 'PasskeySignInFailed',
  bad_assertion: 'PasskeySignInFailed',
  user_handle_missing: 'PasskeySignInFailed',
  user_handle_mismatch: 'PasskeySignInFailed',
  backup_eligibility_changed: 'PasskeySignInFailed',
  user_gone: 'PasskeySignInFailed',
  user_disabled: 'PasskeySignInFailed',
  user_changed: 'PasskeySignInFailed',
  passkey_gone: 'PasskeySignInFailed',
  counter_regressed: 'PasskeyPossibleClone',
} as const satisfies Record<PasskeySignInOutcome, string>;

/**
 * A refused backwards counter is the mark of a cloned authenticator, and an assertion of another
 * user or another backup eligibility that verifies is not what an honest authenticator sends:
 * someone should look.
 */
const WARNINGS = new Set<PasskeySignInOutcome>([
  'counter_regressed',
  'user_handle_mismatch',
  'backup_eligibility_changed',
]);

/**
 * A credential id as logs carry it: a short SHA-256 digest, enough to follow one passkey through
 * the logs, not the id an attacker would present.
 */
export const credentialRef = (credentialId: string): string =>
  createHash('sha256').update(credentialId).digest('base64url').slice(0, 16);

export interface PasskeyTelemetry {
  /** One log line and one metric per sign-in. `details` holds ids (user, session, credentialRef), never a credential. */
  signIn(outcome: PasskeySignInOutcome, details: Record<string, unknown>): void;
  /** A synced passkey whose counter did not rise: a signal, never a refusal. */
  counterSignal(details: Record<string, unknown>): void;
  /** A passkey was added or deleted. */
  changed(change: 'registered' | 'deleted', details: Record<string, unknown>): void;
}

export const createPasskeyTelemetry = (
  logger: Pick<Logger, 'info' | 'warn'>,
  metrics?: { addMetric: (name: string, unit: Parameters<Metrics['addMetric']>[1], value: number) => unknown },
): PasskeyTelemetry => ({
  signIn(outcome, details) {
    const line = { outcome, ...details };
    if (WARNINGS.has(outcome)) logger.warn('Passkey sign-in', line);
    else logger.info('Passkey sign-in', line);
    metrics?.addMetric(PASSKEY_OUTCOME_METRICS[outcome], MetricUnit.Count, 1);
  },
  counterSignal(details) {
    logger.warn('Passkey counter did not rise (synced passkey: allowed)', details);
    metrics?.addMetric('PasskeyCounterSignal', MetricUnit.Count, 1);
  },
  changed(change, details) {
    logger.info(`Passkey ${change}`, details);
  },
});
