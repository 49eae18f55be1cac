import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { createDocumentClient } from '#lib/aws/dynamodb.ts';
import { createSecretReader } from '#lib/aws/secrets.ts';
import { type Clock, systemClock } from '#lib/clock.ts';
import type { Config } from '#lib/config.ts';
import { createDynamoDbLoginAttempts } from '#lib/login/attempts.ts';
import { createIdentifierKeyer } from '#lib/login/identifier-hash.ts';
import { createLogin, type Login } from '#lib/login/login.ts';
import { createLoginTelemetry, type LoginTelemetry } from '#lib/login/telemetry.ts';
import { createSigningKeysProvider, KEY_SET_MAX_AGE_SECONDS } from '#lib/tokens/key-provider.ts';
import { createTokenSigner } from '#lib/tokens/signer.ts';
import { createPasswordVerifier } from '#lib/users/passwords.ts';
import { createDynamoDbUserStore } from '#lib/users/store.ts';

export interface LoginRuntime {
  login: Login;
  telemetry: LoginTelemetry;
}

/** The real adapters for `config`, built once per container. Tests pass their own clock. */
export const createLoginRuntime = (
  config: Config,
  { logger, metrics, clock = systemClock }: { logger: Logger; metrics?: Metrics; clock?: Clock },
): LoginRuntime => {
  const client = createDocumentClient({ endpoint: config.dynamoDbEndpoint });
  const telemetry = createLoginTelemetry(logger, metrics);
  const login = createLogin({
    users: createDynamoDbUserStore(client, config.tableName),
    attempts: createDynamoDbLoginAttempts(client, config.attemptsTableName, config.throttle, clock),
    identifierKey: createIdentifierKeyer(createSecretReader(config.identifierKey)),
    passwords: createPasswordVerifier(config.bcryptCost),
    tokens: createTokenSigner(
      createSigningKeysProvider(createSecretReader(config.token.signingKeys, KEY_SET_MAX_AGE_SECONDS)),
      config.token,
      clock,
    ),
    telemetry,
  });
  return { login, telemetry };
};
