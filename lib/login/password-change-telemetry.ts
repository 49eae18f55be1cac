import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** Why a password change ended as it did, for logs and metrics; never shown to the client. */
export type PasswordChangeOutcome =
  | 'changed'
  | 'bad_password'
  | 'throttled'
  /** The account's cap refused the check, or this failure reached it (as at login). */
  | 'account_capped'
  /** The new password broke the policy (the rule is logged, never the password). */
  | 'rejected'
  /** Another change, a logout everywhere or the end of the caller's session came first. */
  | 'raced'
  | 'bad_input'
  | 'error';

/** The CloudWatch metric each outcome counts towards. */
export const PASSWORD_CHANGE_METRICS = {
  changed: 'PasswordChanged',
  bad_password: 'PasswordChangeFailed',
  throttled: 'PasswordChangeThrottled',
  account_capped: 'PasswordChangeThrottled',
  rejected: 'PasswordRejected',
  raced: 'PasswordChangeRaced',
  bad_input: 'PasswordChangeRejected',
  error: 'PasswordChangeErrored',
} as const satisfies Record<PasswordChangeOutcome, string>;

/** Counted each time the breach corpus could not be asked, so failing open is seen. */
export const PWNED_PASSWORDS_UNAVAILABLE_METRIC = 'PwnedPasswordsUnavailable';

export interface PasswordChangeTelemetry {
  /** One log line and one metric per change. `details` hold ids and rules only: never a password or hash. */
  record(outcome: PasswordChangeOutcome, details: Record<string, unknown>): void;
  /** The breach corpus could not be asked: the check failed open. */
  pwnedUnavailable(details: { reason: string }): void;
  warn(message: string, details: Record<string, unknown>): void;
}

export const createPasswordChangeTelemetry = (
  logger: Pick<Logger, 'info' | 'warn' | 'error'>,
  metrics?: Pick<Metrics, 'addMetric'>,
): PasswordChangeTelemetry => ({
  record(outcome, details) {
    const line = { outcome, ...details };
    if (outcome === 'error') logger.error('Password change', line);
    else if (outcome === 'bad_password' || outcome === 'throttled' || outcome === 'account_capped')
      logger.warn('Password change', line);
    else logger.info('Password change', line);
    metrics?.addMetric(PASSWORD_CHANGE_METRICS[outcome], MetricUnit.Count, 1);
  },
  pwnedUnavailable(details) {
    logger.warn('Pwned Passwords unavailable: the breach check was skipped', details);
    metrics?.addMetric(PWNED_PASSWORDS_UNAVAILABLE_METRIC, MetricUnit.Count, 1);
  },
  warn(message, details) {
    logger.warn(message, details);
  },
});
