import { readFile } from 'node:fs/promises';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type Clock, systemClock } from '#lib/clock.ts';
import { ServiceUnavailableError } from '#lib/errors.ts';
import { BOUNDED_CLIENT_CONFIG } from './sdk-config.ts';
import { toServiceError } from './sdk-errors.ts';

/**
 * Where a secret comes from: a Secrets Manager secret in AWS, a plain value locally, or a local
 * file (the key sets `npm start` keeps in .local/), read on every use.
 */
export type SecretSource = { secretId: string } | { value: string } | { file: string };

/** Reads the current value of one secret. */
export type SecretReader = () => Promise<string>;

/** How long a container trusts a secret it fetched before reading it again, by default. */
export const SECRET_MAX_AGE_SECONDS = 3600;

/**
 * How long past its max age a container keeps using the last value it read while every refresh
 * fails (a Secrets Manager outage, a lost permission): an outage shorter than this costs no
 * request, and a value never outlives its max age by more than this.
 */
export const SECRET_STALE_GRACE_SECONDS = 3600;

/**
 * While it serves a stale value, a container tries to refresh it after 5 s, then 10, 20, 40,
 * and every 60 s at most. A failing refresh costs the request that makes it up to the SDK's
 * bounded retries (about 3 s, see sdk-config.ts), so trying on every request would slow every
 * request of the outage and multiply the calls to a service that is struggling; a minute apart,
 * a recovery is noticed within a minute, by one request per container.
 */
export const SECRET_RETRY_BACKOFF_SECONDS = { first: 5, max: 60 } as const;

/** The metric counting refreshes that failed, whether the stale value was still served or not. */
export const SECRET_REFRESH_FAILED_METRIC = 'SecretRefreshFailed';

export interface SecretReaderOptions {
  /** How long a value is used before it is read again. */
  maxAgeSeconds?: number;
  clock?: Clock;
  /** Told of each failed refresh, with the error and never the secret. */
  logger?: Pick<Logger, 'warn'>;
  /**
   * Counts each failed refresh. A single metric is published at once, so functions that record
   * no other metric (and so have no flush middleware) count it too.
   */
  metrics?: Pick<Metrics, 'singleMetric'>;
}

/** One client per container, shared by every secret it reads. */
let sharedClient: SecretsManagerClient | undefined;

/** One read of the secret: its value, a 503 (transient failure, empty or binary secret) or a 500. */
const fetchSecret = async (client: SecretsManagerClient, secretId: string): Promise<string> => {
  let secret: string | undefined;
  try {
    ({ SecretString: secret } = await client.send(new GetSecretValueCommand({ SecretId: secretId })));
  } catch (error) {
    throw toServiceError('Secret read failed', error);
  }
  if (typeof secret !== 'string' || secret === '') {
    throw new ServiceUnavailableError({ cause: new Error('Secret is empty or binary') });
  }
  return secret;
};

/**
 * A reader for one secret. Secrets Manager is read with the SDK's GetSecretValue and the value
 * kept per container for `maxAgeSeconds`: the cache is this reader's own, because the grace
 * below needs the last good value after its max age, which a cache that drops or refetches it
 * (Powertools Parameters') does not keep. When a refresh fails, the last good value is served for
 * up to SECRET_STALE_GRACE_SECONDS more, refreshes back off (SECRET_RETRY_BACKOFF_SECONDS), and
 * each failure is logged and counted. Without a usable value (a cold container, or past the
 * grace) the failure is the answer: 503 when worth a retry, 500 otherwise.
 */
export const createSecretReader = (
  source: SecretSource,
  { maxAgeSeconds = SECRET_MAX_AGE_SECONDS, clock = systemClock, logger, metrics }: SecretReaderOptions = {},
): SecretReader => {
  if ('value' in source) {
    const { value } = source;
    return async () => value;
  }
  if ('file' in source) {
    const { file } = source;
    return () => readFile(file, 'utf8');
  }
  sharedClient ??= new SecretsManagerClient(BOUNDED_CLIENT_CONFIG);
  const client = sharedClient;
  const { secretId } = source;
  let cached: { value: string; fetchedAt: number } | undefined;
  let failures = 0;
  let nextAttemptAt = 0;
  let refreshing: Promise<string> | undefined;

  const ageOf = (now: number) => (cached ? (now - cached.fetchedAt) / 1000 : Number.POSITIVE_INFINITY);

  const refresh = async (now: number): Promise<string> => {
    try {
      const value = await fetchSecret(client, secretId);
      cached = { value, fetchedAt: now };
      failures = 0;
      return value;
    } catch (error) {
      if (!cached) throw error;
      const servingStale = ageOf(now) < maxAgeSeconds + SECRET_STALE_GRACE_SECONDS;
      failures += 1;
      const retryInSeconds = Math.min(
        SECRET_RETRY_BACKOFF_SECONDS.first * 2 ** (failures - 1),
        SECRET_RETRY_BACKOFF_SECONDS.max,
      );
      nextAttemptAt = now + retryInSeconds * 1000;
      logger?.warn('Secret refresh failed', {
        secretId,
        servingStale,
        valueAgeSeconds: Math.floor(ageOf(now)),
        ...(servingStale && { retryInSeconds }),
        error,
      });
      metrics?.singleMetric().addMetric(SECRET_REFRESH_FAILED_METRIC, MetricUnit.Count, 1);
      if (!servingStale) throw error;
      return cached.value;
    }
  };

  return async () => {
    const now = clock().getTime();
    const age = ageOf(now);
    if (cached && age < maxAgeSeconds) return cached.value;
    // Backing off: the stale value is still within its grace, and the next refresh is not due.
    if (cached && now < nextAttemptAt && age < maxAgeSeconds + SECRET_STALE_GRACE_SECONDS) return cached.value;
    // Concurrent readers (the warm-up at init and the first request, the local API) share one refresh.
    refreshing ??= refresh(now).finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  };
};

/**
 * Derives a value from a secret once per secret value: the derivation reruns only when the
 * secret changes (after a rotation), not on every request.
 */
export const deriveFromSecret = <T>(read: SecretReader, derive: (secret: string) => Promise<T>): (() => Promise<T>) => {
  let cached: { secret: string; value: Promise<T> } | undefined;
  return async () => {
    const secret = await read();
    if (cached?.secret !== secret) cached = { secret, value: derive(secret) };
    return cached.value;
  };
};
