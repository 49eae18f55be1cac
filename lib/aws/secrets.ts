import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { ServiceUnavailableError } from '#lib/errors.ts';
import { BOUNDED_CLIENT_CONFIG } from './sdk-config.ts';

/** Where a secret comes from: a Secrets Manager secret in AWS, a plain value locally. */
export type SecretSource = { secretId: string } | { value: string };

/** Reads the current value of one secret. */
export type SecretReader = () => Promise<string>;

/** How long a container trusts a secret it fetched before reading it again, by default. */
export const SECRET_MAX_AGE_SECONDS = 3600;

let provider: SecretsProvider | undefined;

/**
 * A reader for one secret. Secrets Manager is read through Powertools Parameters, which caches
 * the value per container and does not cache a failed read, so the next request tries again.
 * A failure, or a secret that is empty or binary, is a 503.
 */
export const createSecretReader = (source: SecretSource, maxAgeSeconds = SECRET_MAX_AGE_SECONDS): SecretReader => {
  if ('value' in source) {
    const { value } = source;
    return async () => value;
  }
  provider ??= new SecretsProvider({ clientConfig: BOUNDED_CLIENT_CONFIG });
  const secrets = provider;
  return async () => {
    let secret: unknown;
    try {
      secret = await secrets.get(source.secretId, { maxAge: maxAgeSeconds });
    } catch (error) {
      throw new ServiceUnavailableError({ cause: error });
    }
    if (typeof secret !== 'string' || secret === '') {
      throw new ServiceUnavailableError({ cause: new Error('Secret is empty or binary') });
    }
    return secret;
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
