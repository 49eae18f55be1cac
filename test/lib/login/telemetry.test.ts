import type { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import {
  createPasswordChangeTelemetry,
  PASSWORD_CHANGE_METRICS,
  PWNED_PASSWORDS_UNAVAILABLE_METRIC,
} from '#lib/login/password-change-telemetry.ts';
import { createLoginTelemetry, OUTCOME_METRICS } from '#lib/login/telemetry.ts';
import { recordingLogger } from '#test/support/recording-logger.ts';

/** A metrics stand-in that keeps each metric added, with its unit and value. */
const recordingMetrics = () => {
  const added: [string, string, number][] = [];
  const metrics = {
    added,
    addMetric(name: string, unit: string, value: number) {
      added.push([name, unit, value]);
      return metrics as unknown as Metrics;
    },
  };
  return metrics;
};

// What an operator sees: the level decides who is paged (errors: an item or a dependency to fix),
// the metric what the dashboards count.
describe('login telemetry', () => {
  it.each([
    ['success', 'info'],
    ['bad_password', 'info'],
    ['throttled', 'info'],
    ['account_capped', 'info'],
    ['ambiguous_identifier', 'error'],
    ['invalid_user_record', 'error'],
    ['hash_cost_refused', 'error'],
    ['error', 'error'],
  ] as const)('logs a %s attempt at %s, with its metric', (outcome, level) => {
    const logger = recordingLogger();
    const metrics = recordingMetrics();
    createLoginTelemetry(logger, metrics).record(outcome, { userId: 'u' });
    expect(logger.lines).toEqual([{ level, message: 'Login attempt', details: { outcome, userId: 'u' } }]);
    expect(metrics.added).toEqual([[OUTCOME_METRICS[outcome], 'Count', 1]]);
  });
});

describe('password change telemetry', () => {
  it.each([
    ['changed', 'info'],
    ['rejected', 'info'],
    ['raced', 'info'],
    ['bad_input', 'info'],
    ['bad_password', 'warn'],
    ['throttled', 'warn'],
    ['account_capped', 'warn'],
    ['error', 'error'],
  ] as const)('logs a %s change at %s, with its metric', (outcome, level) => {
    const logger = recordingLogger();
    const metrics = recordingMetrics();
    createPasswordChangeTelemetry(logger, metrics).record(outcome, { userId: 'u' });
    expect(logger.lines).toEqual([{ level, message: 'Password change', details: { outcome, userId: 'u' } }]);
    expect(metrics.added).toEqual([[PASSWORD_CHANGE_METRICS[outcome], 'Count', 1]]);
  });

  it('warns and counts when the breach check was skipped, and passes other warnings on', () => {
    const logger = recordingLogger();
    const metrics = recordingMetrics();
    const telemetry = createPasswordChangeTelemetry(logger, metrics);
    telemetry.pwnedUnavailable({ reason: 'timeout' });
    telemetry.warn('Attempt settling failed', { userId: 'u' });
    expect(logger.lines).toEqual([
      {
        level: 'warn',
        message: 'Pwned Passwords unavailable: the breach check was skipped',
        details: { reason: 'timeout' },
      },
      { level: 'warn', message: 'Attempt settling failed', details: { userId: 'u' } },
    ]);
    expect(metrics.added).toEqual([[PWNED_PASSWORDS_UNAVAILABLE_METRIC, 'Count', 1]]);
  });

  it('logs without metrics when none are given', () => {
    const logger = recordingLogger();
    createPasswordChangeTelemetry(logger).pwnedUnavailable({ reason: 'timeout' });
    createPasswordChangeTelemetry(logger).record('changed', {});
    createLoginTelemetry(logger).record('success', {});
    expect(logger.lines).toHaveLength(3);
  });
});
