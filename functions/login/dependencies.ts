import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { type Clock, systemClock } from '../../lib/clock.ts';
import type { Config } from '../../lib/config.ts';
import { createDocumentClient } from '../../lib/dynamodb.ts';
import { createIdentifierKeyer } from '../../lib/identifier-key.ts';
import { createLogin, type Login } from '../../lib/login.ts';
import { createDynamoDbLoginAttempts } from '../../lib/login-attempts.ts';
import { createLoginTelemetry, type LoginTelemetry } from '../../lib/login-telemetry.ts';
import { createPasswordVerifier } from '../../lib/passwords.ts';
import { createSecretReader } from '../../lib/secrets.ts';
import { createSigningKeysProvider, KEY_SET_MAX_AGE_SECONDS } from '../../lib/signing-keys.ts';
import { createTokenSigner } from '../../lib/tokens.ts';
import { createDynamoDbUserStore } from '../../lib/user-store.ts';

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
