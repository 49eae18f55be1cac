/** What the sections drive the login with: its events, its environment, the calls it makes. */
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { createDocumentClient } from '#lib/aws/dynamodb.ts';
import { createDynamoDbLoginAttempts } from '#lib/login/attempts.ts';
import { DEFAULTS } from '#lib/settings.ts';
import { USERS_TABLE } from '#lib/users/table.ts';
import { toApiGatewayEvent } from '#scripts/local/api-gateway-event.ts';
import { DEMO_USER } from '#scripts/local/tables.ts';
import { lambdaEnvironment } from '#test/support/lambda-process.ts';

export type DocumentClient = ReturnType<typeof createDocumentClient>;
export type BenchEnv = Record<string, string>;

export const LOGIN_BODY = { emailOrUsername: DEMO_USER.username, password: DEMO_USER.password };

/** An API Gateway event for the login route with this body. */
export const loginEventFor = (body: unknown) =>
  toApiGatewayEvent({
    method: 'POST',
    path: '/api/auth/login',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

export const SECRET_ARNS = {
  signingKeys: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench-signing-keys',
  identifierKey: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench-identifier-key',
  refreshKey: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench-refresh-key',
};

/** The environment Lambda gives the deployed login function, with its calls sent to `endpoints`. */
export const bundleEnvironment = (
  env: BenchEnv,
  endpoints: { dynamoDb: string; secretsManager: string },
): Record<string, string> => ({
  USERS_TABLE_NAME: env.USERS_TABLE_NAME ?? '',
  ATTEMPTS_TABLE_NAME: env.ATTEMPTS_TABLE_NAME ?? '',
  THROTTLE_MAX_FAILURES: env.THROTTLE_MAX_FAILURES ?? '',
  SIGNING_KEYS_SECRET_ARN: SECRET_ARNS.signingKeys,
  IDENTIFIER_KEY_SECRET_ARN: SECRET_ARNS.identifierKey,
  SESSIONS_TABLE_NAME: env.SESSIONS_TABLE_NAME ?? '',
  TOKEN_ISSUER: env.TOKEN_ISSUER ?? '',
  REFRESH_KEY_SECRET_ARN: SECRET_ARNS.refreshKey,
  ...lambdaEnvironment('LoginFunction', endpoints),
});

/**
 * The two calls every login makes before bcrypt, as it makes them: a Query on an index and the
 * attempt's claim (never settled: a budget of 100 outlasts the rounds).
 */
export const runtimeReads = async (client: DocumentClient, env: BenchEnv) => {
  const attempts = createDynamoDbLoginAttempts(client, env.ATTEMPTS_TABLE_NAME as string, {
    ...DEFAULTS.throttle,
    maxFailures: 100,
  });
  await Promise.all([
    attempts.claim('bench'),
    client.send(
      new QueryCommand({
        TableName: env.USERS_TABLE_NAME,
        IndexName: USERS_TABLE.indexes.username.indexName,
        KeyConditionExpression: '#k = :v',
        ExpressionAttributeNames: { '#k': USERS_TABLE.indexes.username.partitionKey },
        ExpressionAttributeValues: { ':v': DEMO_USER.username },
        Limit: 2,
      }),
    ),
  ]);
};

/** One conditional write, as an attempt claim or a session write makes it. */
export const oneWrite = (client: DocumentClient, env: BenchEnv) =>
  client.send(
    new UpdateCommand({
      TableName: env.ATTEMPTS_TABLE_NAME,
      Key: { key: 'bench-write' },
      UpdateExpression: 'ADD #n :one',
      ConditionExpression: 'attribute_not_exists(#n) OR #n < :max',
      ExpressionAttributeNames: { '#n': 'n' },
      ExpressionAttributeValues: { ':one': 1, ':max': Number.MAX_SAFE_INTEGER },
    }),
  );
