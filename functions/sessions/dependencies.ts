import { createDocumentClient } from '#lib/aws/dynamodb.ts';
import type { SessionsConfig } from '#lib/function-config.ts';
import { type FunctionRuntime, withServiceDefaults } from '#lib/function-runtime.ts';
import { createSessionAccess } from '#lib/sessions/access.ts';
import { createDynamoDbSessionControl } from '#lib/sessions/control.ts';
import { createSessionManagement } from '#lib/sessions/manage.ts';
import { createDynamoDbSessionStore } from '#lib/sessions/store.ts';
import { createSessionTelemetry } from '#lib/sessions/telemetry.ts';
import { createPublicKeyProvider, verificationKeys } from '#lib/tokens/public-key-provider.ts';
import { createPolicyTokenVerifier } from '#lib/tokens/verifier.ts';
import { createDynamoDbUserStore } from '#lib/users/store.ts';
import type { SessionsHandlerDependencies } from './create-handler.ts';

/**
 * Everything the sessions handler uses, the real adapters for `config`: built once per container by
 * the handler, and by the tests with their own runtime.
 */
export const createSessionsHandlerDependencies = (
  config: SessionsConfig,
  runtime?: FunctionRuntime,
): SessionsHandlerDependencies => {
  const { logger, metrics, clock } = withServiceDefaults(runtime);
  const client = createDocumentClient({ endpoint: config.dynamoDbEndpoint });
  const sessions = createDynamoDbSessionStore(client, config.sessionsTableName, config.usersTableName);
  const users = createDynamoDbUserStore(client, config.usersTableName);
  const policy = config.sessionPolicy;
  const control = createDynamoDbSessionControl(client, config.sessionsTableName);
  const secretOptions = { clock, logger, metrics };
  return {
    logger,
    corsAllowedOrigins: config.corsAllowedOrigins,
    manage: createSessionManagement({
      sessions,
      control,
      users,
      policy,
      telemetry: createSessionTelemetry(logger),
      clock,
    }),
    access: createSessionAccess({ sessions, control, readUser: users.findSessionStateById, policy, clock }),
    verify: createPolicyTokenVerifier(
      verificationKeys(createPublicKeyProvider(config.publicKeys, secretOptions)),
      config.tokenPolicy,
      clock,
    ),
  };
};
