import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { createDocumentClient } from '#lib/aws/dynamodb.ts';
import { createSecretReader } from '#lib/aws/secrets.ts';
import { type Clock, systemClock } from '#lib/clock.ts';
import type { LoginConfig } from '#lib/config.ts';
import { createDynamoDbLoginAttempts } from '#lib/login/attempts.ts';
import { createIdentifierHash } from '#lib/login/identifier-hash.ts';
import { createLogin } from '#lib/login/login.ts';
import { createLoginTelemetry } from '#lib/login/telemetry.ts';
import { createKeyProvider } from '#lib/tokens/key-provider.ts';
import { createTokenSigner } from '#lib/tokens/signer.ts';
import { createPasswordVerifier } from '#lib/users/passwords.ts';
import { createDynamoDbUserStore } from '#lib/users/store.ts';
import type { LoginHandlerOptions } from './create-handler.ts';

/** The real adapters for `config`, built once per container. Tests pass their own clock. */
export const createLoginDependencies = (
  config: LoginConfig,
  { logger, metrics, clock = systemClock }: { logger: Logger; metrics: Metrics; clock?: Clock },
): Omit<LoginHandlerOptions, 'corsAllowedOrigins'> => {
  const client = createDocumentClient({ endpoint: config.dynamoDbEndpoint });
  const telemetry = createLoginTelemetry(logger, metrics);
  const secretOptions = { clock, logger, metrics };
  const login = createLogin({
    users: createDynamoDbUserStore(client, config.tableName),
    attempts: createDynamoDbLoginAttempts(client, config.attemptsTableName, config.throttle, clock),
    identifierHash: createIdentifierHash(createSecretReader(config.identifierKey, secretOptions)),
    passwords: createPasswordVerifier(config.bcryptCost),
    tokens: createTokenSigner(createKeyProvider(config.token.signingKeys, secretOptions), config.token, clock),
    telemetry,
  });
  return { login, telemetry, logger, metrics };
};
