import { createDocumentClient } from '#lib/aws/dynamodb.ts';
import type { MeConfig } from '#lib/function-config.ts';
import { type FunctionRuntime, withServiceDefaults } from '#lib/function-runtime.ts';
import { createSessionAccess } from '#lib/sessions/access.ts';
import { createDynamoDbSessionControl } from '#lib/sessions/control.ts';
import { createDynamoDbSessionStore } from '#lib/sessions/store.ts';
import { createPublicKeyProvider, verificationKeys } from '#lib/tokens/public-key-provider.ts';
import { createPolicyTokenVerifier } from '#lib/tokens/verifier.ts';
import { createDynamoDbUserStore } from '#lib/users/store.ts';
import type { MeHandlerDependencies } from './create-handler.ts';

/**
 * Everything the me handler uses, the real adapters for `config`: built once per container by
 * the handler, and by the tests with their own runtime.
 */
export const createMeHandlerDependencies = (config: MeConfig, runtime?: FunctionRuntime): MeHandlerDependencies => {
  const { logger, metrics, clock } = withServiceDefaults(runtime);
  const client = createDocumentClient({ endpoint: config.dynamoDbEndpoint });
  return {
    logger,
    corsAllowedOrigins: config.corsAllowedOrigins,
    access: createSessionAccess({
      sessions: createDynamoDbSessionStore(client, config.sessionsTableName, config.usersTableName),
      control: createDynamoDbSessionControl(client, config.sessionsTableName),
      // The profile only: the role may read no other attribute (never the password hash).
      readUser: createDynamoDbUserStore(client, config.usersTableName).findProfileById,
      policy: config.sessionPolicy,
      clock,
    }),
    verify: createPolicyTokenVerifier(
      verificationKeys(createPublicKeyProvider(config.publicKeys, { logger, metrics })),
      config.tokenPolicy,
      clock,
    ),
  };
};
