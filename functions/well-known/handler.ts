import { Logger } from '@aws-lambda-powertools/logger';
import { createSecretReader } from '#lib/aws/secrets.ts';
import { readTokenRoutesConfig } from '#lib/config.ts';
import { SERVICE_NAME } from '#lib/service.ts';
import { createSigningKeysProvider, KEY_SET_MAX_AGE_SECONDS } from '#lib/tokens/key-provider.ts';
import { createWellKnownHandler } from './create-handler.ts';

// Built once per container, at init, and reused by every warm invocation.
const config = readTokenRoutesConfig();

/** The Lambda entry point: the JWKS and the OpenID discovery document. */
export const handler = createWellKnownHandler({
  logger: new Logger({ serviceName: SERVICE_NAME }),
  keys: createSigningKeysProvider(createSecretReader(config.token.signingKeys, KEY_SET_MAX_AGE_SECONDS)),
  issuer: config.token.issuer,
  corsAllowedOrigins: config.corsAllowedOrigins,
});
