import { Logger } from '@aws-lambda-powertools/logger';
import { readTokenRoutesConfig } from '../../lib/config.ts';
import { createSecretReader } from '../../lib/secrets.ts';
import { SERVICE_NAME } from '../../lib/service.ts';
import { createSigningKeysProvider, KEY_SET_MAX_AGE_SECONDS } from '../../lib/signing-keys.ts';
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
