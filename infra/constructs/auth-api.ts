import { Annotations, Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  type IResource,
  LambdaIntegration,
  LogGroupLogDestination,
  type Method,
  MethodLoggingLevel,
  MockIntegration,
  ResponseType,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { corsAllowedMethods, corsResponseHeaders, preflightAnswerHeaders } from '#lib/http/cors.ts';
import { API_RESPONSE_HEADERS } from '#lib/http/headers.ts';
import { httpError } from '#lib/http/messages.ts';
import { HTTP_PATHS, HTTP_ROUTES } from '#lib/http/routes.ts';

export interface AuthApiProps {
  stageName: string;
  /** Steady-state requests per second, for the stage and for the login method. */
  throttlingRateLimit: number;
  /** Requests absorbed at once above the rate. */
  throttlingBurstLimit: number;
  /** Browser origins allowed to call the API; none means no CORS preflight. */
  corsAllowedOrigins: string[];
  /** How long access logs are kept. */
  logRetention: RetentionDays;
}

/**
 * API Gateway's own answers (throttling, unknown routes, oversized bodies, integration
 * failures) in the service's envelope, with the same words and codes as the functions and the
 * local API (lib/http/messages.ts), so no client ever sees a gateway-shaped body. A status of `undefined`
 * keeps API Gateway's.
 */
export const GATEWAY_RESPONSES: [ResponseType, number | undefined, ReturnType<typeof httpError>][] = [
  [ResponseType.DEFAULT_4XX, undefined, httpError('requestRejected')],
  [ResponseType.DEFAULT_5XX, undefined, httpError('unavailable')],
  [ResponseType.THROTTLED, 429, httpError('throttled')],
  [ResponseType.QUOTA_EXCEEDED, 429, httpError('throttled')],
  // What a REST API answers for a path or method it does not route.
  [ResponseType.MISSING_AUTHENTICATION_TOKEN, 404, httpError('notFound')],
  [ResponseType.RESOURCE_NOT_FOUND, 404, httpError('notFound')],
  [ResponseType.ACCESS_DENIED, 403, httpError('forbidden')],
  [ResponseType.WAF_FILTERED, 403, httpError('forbidden')],
  [ResponseType.REQUEST_TOO_LARGE, 413, httpError('bodyTooLarge')],
  [ResponseType.UNSUPPORTED_MEDIA_TYPE, 415, httpError('unsupportedMediaType')],
  [ResponseType.BAD_REQUEST_BODY, 400, httpError('invalidJson')],
  [ResponseType.INTEGRATION_TIMEOUT, 504, httpError('unavailable')],
  [ResponseType.INTEGRATION_FAILURE, 502, httpError('unavailable')],
];

/** A header value in API Gateway's mapping syntax: a static value is single-quoted, quotes escaped. */
const staticValue = (value: string): string => `'${value.replaceAll("'", "\\'")}'`;

/**
 * The headers of every gateway response: the functions' header map (lib/http/headers.ts) and,
 * when exactly one origin is allowed, its CORS headers. A gateway response can only carry static
 * values (or echo a request header unchecked), so with several origins it cannot name the right
 * one without also allowing every other: it then carries no Access-Control-Allow-Origin, and a
 * browser sees the gateway's 429 or 403 as a network error (docs/browser.md).
 */
export const gatewayResponseHeaders = (corsAllowedOrigins: readonly string[]): Record<string, string> => {
  const [only] = corsAllowedOrigins;
  const cors = corsAllowedOrigins.length === 1 && only ? corsResponseHeaders(only, [only]) : {};
  return Object.fromEntries(
    Object.entries({ ...API_RESPONSE_HEADERS, ...cors }).map(([name, value]) => [name, staticValue(value)]),
  );
};

/** The REST API of the service, throttled at stage and method; routes are added with `addRoute`. */
export class AuthApi extends Construct {
  readonly api: RestApi;
  private readonly corsAllowedOrigins: string[];

  constructor(scope: Construct, id: string, props: AuthApiProps) {
    super(scope, id);
    this.corsAllowedOrigins = props.corsAllowedOrigins;
    const throttle = {
      throttlingRateLimit: props.throttlingRateLimit,
      throttlingBurstLimit: props.throttlingBurstLimit,
    };
    this.api = new RestApi(this, 'Api', {
      description: 'Movie Knight Auth',
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      deployOptions: {
        stageName: props.stageName,
        ...throttle,
        // The login method gets the same limits explicitly, so a future route cannot eat its budget.
        methodOptions: { [`${HTTP_PATHS.login}/POST`]: throttle },
        metricsEnabled: true,
        // One JSON line per request: caller IP, status, latency. Never bodies: they hold passwords.
        accessLogDestination: new LogGroupLogDestination(
          new LogGroup(this, 'AccessLogs', { retention: props.logRetention }),
        ),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
      },
    });
    const acknowledge = (id: string, reason: string) => Validations.of(this.api).acknowledge({ id, reason });
    acknowledge(
      'AwsSolutions-APIG2',
      'The function validates the body itself, to answer each bad field with a precise message in the contract envelope.',
    );
    const noAuthorizer =
      'Login is how a caller gets credentials (the contract says Auth: None), the JWKS and discovery documents are public by nature, refresh and logout take a refresh token in the body, and /api/auth/me, logout-all and the session routes verify the bearer token in the function (with a consistent read of its session, which an authorizer could not do).';
    acknowledge('AwsSolutions-APIG4', noAuthorizer);
    acknowledge('AwsSolutions-COG4', noAuthorizer);
    acknowledge(
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'CDK makes this role for the account-wide API Gateway logging setting with the AWS-managed policy AWS documents for it.',
    );
    if (props.corsAllowedOrigins.length > 1) {
      Annotations.of(this).addWarningV2(
        'movie-knight:cors-gateway-responses',
        "Several CORS origins: API Gateway's own errors (429, 403, 413, 404) carry no Access-Control-Allow-Origin, so browsers cannot read them. See docs/browser.md.",
      );
    }
    for (const [type, statusCode, { error, code }] of GATEWAY_RESPONSES) {
      this.api.addGatewayResponse(`Response${type.responseType}`, {
        type,
        ...(statusCode && { statusCode: String(statusCode) }),
        responseHeaders: gatewayResponseHeaders(props.corsAllowedOrigins),
        templates: { 'application/json': JSON.stringify({ ok: false, error, code }) },
      });
    }
  }

  /**
   * The stage's base URL built from the API id and the stage name alone, so that a function's
   * environment can hold it (`api.url` would make the function depend on the stage, which
   * depends on the function's own routes: a cycle).
   */
  baseUrl(stageName: string): string {
    const { region, urlSuffix } = Stack.of(this);
    return `https://${this.api.restApiId}.execute-api.${region}.${urlSuffix}/${stageName}`;
  }

  /** Routes `method path` to `fn` (proxy integration), with a CORS preflight when origins are set. */
  addRoute(method: string, path: string, fn: IFunction): Method {
    const resource: IResource = this.api.root.resourceForPath(path);
    if (this.corsAllowedOrigins.length > 0 && !resource.node.tryFindChild('OPTIONS')) this.addPreflight(resource);
    return resource.addMethod(method, new LambdaIntegration(fn));
  }

  /**
   * The CORS preflight of a path, as `addCorsPreflight` makes it (a mock integration answering 204,
   * the same construct id `OPTIONS`, so the deployed methods stay), but with every header of
   * `preflightAnswerHeaders`: the security headers too, which `addCorsPreflight` cannot add. The
   * first allowed origin is static; the others are echoed by the response template when the
   * request's Origin is one of them.
   */
  private addPreflight(resource: IResource): Method {
    const [first, ...others] = this.corsAllowedOrigins;
    const headers = Object.entries(
      preflightAnswerHeaders(first, this.corsAllowedOrigins, corsAllowedMethods(HTTP_ROUTES)),
    );
    const parameter = (name: string) => `method.response.header.${name}`;
    const originOverride = [
      '#set($origin = $input.params().header.get("Origin"))',
      '#if($origin == "")',
      '  #set($origin = $input.params().header.get("origin"))',
      '#end',
      `#if(${others.map((origin) => `$origin == "${origin}"`).join(' || ')})`,
      '  #set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)',
      '#end',
    ].join('\n');
    return resource.addMethod(
      'OPTIONS',
      new MockIntegration({
        requestTemplates: { 'application/json': '{ statusCode: 200 }' },
        integrationResponses: [
          {
            statusCode: '204',
            responseParameters: Object.fromEntries(
              headers.map(([name, value]) => [parameter(name), staticValue(value)]),
            ),
            ...(others.length > 0 && { responseTemplates: { 'application/json': originOverride } }),
          },
        ],
      }),
      {
        authorizer: { authorizerId: '', authorizationType: AuthorizationType.NONE },
        authorizationType: AuthorizationType.NONE,
        apiKeyRequired: false,
        methodResponses: [
          {
            statusCode: '204',
            responseParameters: Object.fromEntries(headers.map(([name]) => [parameter(name), true])),
          },
        ],
      },
    );
  }
}
