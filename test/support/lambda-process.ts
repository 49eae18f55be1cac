import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Template } from 'aws-cdk-lib/assertions';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { assertMatchesContract } from './contract.ts';
import { findFunction } from './synth.ts';

export interface Invocation {
  /** Time to import the bundle (the function's init). */
  initMs: number;
  results: { response: APIGatewayProxyResult; ms: number }[];
  /** What the function wrote to stdout and stderr: its log lines. */
  logs: string;
}

/** What the synthesized template says about a function's code: where it is and how to call it. */
export const functionCode = (template: Template, outdir: string, id: string) => {
  const { resource } = findFunction(template, id);
  return {
    codeDir: join(outdir, resource.Metadata['aws:asset:path']),
    handler: resource.Properties.Handler as string,
    environment: resource.Properties.Environment.Variables as Record<string, unknown>,
  };
};

/**
 * Loads a bundle in a fresh Node process, as the Lambda runtime does, and invokes it once per
 * event in order (cold, then warm). `env` is the process's whole environment. Answers to API
 * Gateway events are checked against openapi.json.
 */
export const invokeBundle = async (
  code: { codeDir: string; handler: string },
  env: Record<string, string>,
  events: unknown[],
): Promise<Invocation> => {
  const dir = mkdtempSync(join(tmpdir(), 'mk-auth-invoke-'));
  writeFileSync(join(dir, 'events.json'), JSON.stringify(events));
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    ['scripts/invoke-bundle.mjs', code.codeDir, code.handler, join(dir, 'events.json'), join(dir, 'results.json')],
    { env: { PATH: process.env.PATH, ...env } },
  );
  const invocation: Invocation = {
    ...JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')),
    logs: stdout + stderr,
  };
  // An HTTP event's answer is checked against the published contract, as invoke does in process.
  invocation.results.forEach(({ response }, index) => {
    const event = events[index] as { httpMethod?: string; resource?: string } | undefined;
    if (event?.httpMethod && event.resource) assertMatchesContract(event.httpMethod, event.resource, response);
  });
  return invocation;
};

/** What CloudFormation resolves the stack's TOKEN_ISSUER (the API's base URL) to, for these runs. */
export const TEMPLATE_TOKEN_ISSUER = 'https://abc123.execute-api.us-east-1.amazonaws.com/prod';

/**
 * What Lambda puts in every function's environment, plus the SDK's own endpoint overrides that
 * send its calls to DynamoDB Local and the loopback Secrets Manager instead of AWS, and the
 * template's issuer resolved.
 */
export const lambdaEnvironment = (
  functionName: string,
  endpoints: { dynamoDb: string; secretsManager: string },
): Record<string, string> => ({
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_SESSION_TOKEN: 'test',
  AWS_LAMBDA_FUNCTION_NAME: functionName,
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
  AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamoDb,
  AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsManager,
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
  TOKEN_ISSUER: TEMPLATE_TOKEN_ISSUER,
});
