import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { readConfig } from '../../lib/config.ts';
import { createDocumentClient } from '../../lib/dynamodb.ts';
import { httpErrorEnvelope } from '../../lib/http-error-envelope.ts';
import { success } from '../../lib/http-response.ts';
import { createLogin } from '../../lib/login.ts';
import { parseLoginRequest } from '../../lib/login-request.ts';
import { createPasswordVerifier } from '../../lib/passwords.ts';
import { createSigningKeyProvider } from '../../lib/signing-key.ts';
import { createTokenSigner } from '../../lib/tokens.ts';
import { createDynamoDbUserStore } from '../../lib/user-store.ts';

// Built once per container and reused by every warm invocation.
const config = readConfig();
const logger = new Logger({ serviceName: 'movie-knight-auth' });
const login = createLogin({
  users: createDynamoDbUserStore(createDocumentClient({ endpoint: config.dynamoDbEndpoint }), config.tableName),
  passwords: createPasswordVerifier(config.bcryptCost),
  tokens: createTokenSigner(createSigningKeyProvider(config.signingKey), config.token),
  logger,
});

/** `POST /api/auth/login` behind API Gateway (REST API, proxy integration). */
export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(httpHeaderNormalizer())
  .use(httpJsonBodyParser())
  .use(httpErrorEnvelope({ logger }))
  .handler(async (event) => {
    logger.appendKeys({ apiRequestId: event.requestContext?.requestId });
    return success(await login(parseLoginRequest(event.body)));
  });
