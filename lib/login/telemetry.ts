import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** Why a login ended as it did, for logs and metrics; never shown to the client. */
export type LoginOutcome =
  | 'success'
  | 'unknown_identifier'
  | 'bad_password'
  | 'hash_cost_refused'
  | 'disabled_user'
  /** The password matched the hash the index showed, but the user item had a new one by the time the session would start. */
  | 'password_changed'
  | 'ambiguous_identifier'
  | 'invalid_user_record'
  | 'throttled'
  | 'account_capped'
  | 'bad_input'
  | 'error';

/** The CloudWatch metric each outcome counts towards. */
export const OUTCOME_METRICS = {
  success: 'LoginSucceeded',
  unknown_identifier: 'LoginFailed',
  bad_password: 'LoginFailed',
  hash_cost_refused: 'LoginFailed',
  disabled_user: 'LoginFailed',
  password_changed: 'LoginFailed',
  ambiguous_identifier: 'LoginFailed',
  invalid_user_record: 'LoginFailed',
  throttled: 'LoginThrottled',
  // Someone keeps guessing at one account: an operator may want to look (and `users unlock-account`).
  account_capped: 'LoginAccountCapped',
  bad_input: 'LoginRejected',
  error: 'LoginErrored',
} as const satisfies Record<LoginOutcome, string>;

/**
 * Outcomes someone has to act on: an item to fix (a hash of a cost the service refuses needs a new
 * password: users CLI), or a failure of ours (logged with its cause too).
 */
const ERRORS = new Set<LoginOutcome>(['ambiguous_identifier', 'invalid_user_record', 'hash_cost_refused', 'error']);

export interface LoginTelemetry {
  /**
   * One log line and one metric per attempt. `details` must hold no identifier, password, hash
   * or token: the identifier's keyed hash and the user id are what may be logged.
   */
  record(outcome: LoginOutcome, details: Record<string, unknown>): void;
  /** Something went wrong that did not change the answer (a failed rehash). Same rules for `details`. */
  warn(message: string, details: Record<string, unknown>): void;
}

export const createLoginTelemetry = (
  logger: Pick<Logger, 'info' | 'warn' | 'error'>,
  metrics?: Pick<Metrics, 'addMetric'>,
): LoginTelemetry => ({
  record(outcome, details) {
    const line = { outcome, ...details };
    if (ERRORS.has(outcome)) logger.error('Login attempt', line);
    else logger.info('Login attempt', line);
    metrics?.addMetric(OUTCOME_METRICS[outcome], MetricUnit.Count, 1);
  },
  warn(message, details) {
    logger.warn(message, details);
  },
});
