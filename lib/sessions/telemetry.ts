import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** Why a refresh ended as it did, for logs and metrics; the client gets one 401 for every failure. */
export type RefreshOutcome =
  | 'rotated'
  | 'retried'
  | 'malformed'
  | 'unknown_session'
  | 'bad_mac'
  | 'client_mismatch'
  | 'session_ended'
  | 'expired'
  | 'refresh_token_reused'
  | 'user_gone'
  | 'bad_input'
  | 'error';

/** The CloudWatch metric each outcome counts towards. */
export const REFRESH_OUTCOME_METRICS = {
  rotated: 'RefreshSucceeded',
  retried: 'RefreshSucceeded',
  malformed: 'RefreshFailed',
  unknown_session: 'RefreshFailed',
  bad_mac: 'RefreshFailed',
  client_mismatch: 'RefreshFailed',
  session_ended: 'RefreshFailed',
  expired: 'RefreshFailed',
  user_gone: 'RefreshFailed',
  refresh_token_reused: 'RefreshTokenReused',
  bad_input: 'RefreshRejected',
  error: 'RefreshErrored',
} as const satisfies Record<RefreshOutcome, string>;

/** Reuse is the mark of a stolen token: someone should look. */
const WARNINGS = new Set<RefreshOutcome>(['refresh_token_reused']);

export interface SessionTelemetry {
  /**
   * One log line and one metric per refresh. `details` must hold no token or MAC: the session id
   * and the user id are what may be logged.
   */
  refresh(outcome: RefreshOutcome, details: Record<string, unknown>): void;
  /** A session, or all of a user's, ended (logout, logout everywhere, the cap). */
  ended(reason: string, details: Record<string, unknown>): void;
}

export const createSessionTelemetry = (
  logger: Pick<Logger, 'info' | 'warn' | 'error'>,
  metrics?: { addMetric: (name: string, unit: Parameters<Metrics['addMetric']>[1], value: number) => unknown },
): SessionTelemetry => ({
  refresh(outcome, details) {
    const line = { outcome, ...details };
    if (outcome === 'error') logger.error('Refresh', line);
    else if (WARNINGS.has(outcome)) logger.warn('Refresh', line);
    else logger.info('Refresh', line);
    metrics?.addMetric(REFRESH_OUTCOME_METRICS[outcome], MetricUnit.Count, 1);
  },
  ended(reason, details) {
    logger.info('Session ended', { reason, ...details });
  },
});
