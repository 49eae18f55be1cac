import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';

export interface HttpRequest {
  method: string;
  path: string;
  headers?: Record<string, string | string[] | undefined>;
  query?: URLSearchParams;
  body?: string | null;
  /** The resource the route was matched to, as API Gateway reports it. */
  resource?: string;
  /** The values of the resource's `{name}` segments, as API Gateway passes them. */
  pathParameters?: Record<string, string> | undefined;
  sourceIp?: string;
}

const single = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value.join(', ') : value;

/**
 * The event API Gateway's REST API sends a Lambda proxy integration (payload format 1.0), built
 * from a plain HTTP request, so the local server and the tests drive the handler with exactly
 * what it gets in AWS.
 */
export const toApiGatewayEvent = ({
  method,
  path,
  headers = {},
  query = new URLSearchParams(),
  body = null,
  resource = path,
  pathParameters,
  sourceIp = '127.0.0.1',
}: HttpRequest): APIGatewayProxyEvent => {
  const headerEntries = Object.entries(headers).filter(
    (entry): entry is [string, string | string[]] => entry[1] !== undefined,
  );
  const queryKeys = [...new Set(query.keys())];
  const now = new Date();
  return {
    resource,
    path,
    httpMethod: method,
    headers: Object.fromEntries(headerEntries.map(([name, value]) => [name, single(value) ?? ''])),
    multiValueHeaders: Object.fromEntries(
      headerEntries.map(([name, value]) => [name, Array.isArray(value) ? value : [value]]),
    ),
    queryStringParameters: queryKeys.length ? Object.fromEntries(query) : null,
    multiValueQueryStringParameters: queryKeys.length
      ? Object.fromEntries(queryKeys.map((key) => [key, query.getAll(key)]))
      : null,
    pathParameters: pathParameters && Object.keys(pathParameters).length > 0 ? pathParameters : null,
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      authorizer: null,
      domainName: 'localhost',
      httpMethod: method,
      path: `/local${path}`,
      protocol: 'HTTP/1.1',
      requestId: randomUUID(),
      requestTime: now.toUTCString(),
      requestTimeEpoch: now.getTime(),
      resourceId: 'local',
      resourcePath: resource,
      stage: 'local',
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp,
        user: null,
        userAgent: single(headers['user-agent']) ?? null,
        userArn: null,
      },
    },
  };
};

/** A Lambda context for a local invocation, with the time budget the deployed function has. */
export const lambdaContext = (functionName = 'LoginFunction', timeoutMs = 10_000): Context => {
  const deadline = Date.now() + timeoutMs;
  const requestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '1769',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${requestId}`,
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};
