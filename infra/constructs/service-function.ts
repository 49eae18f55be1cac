import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { BUNDLING } from '#infra/bundling.ts';
import { METRICS_NAMESPACE, SERVICE_NAME } from '#lib/service.ts';

export interface ServiceFunctionProps {
  /** The entry point, relative to the repository: `functions/<name>/handler.ts`. */
  entry: string;
  /** Environment the handler reads at start (see lib/function-config.ts). */
  environment: Record<string, string>;
  memorySize: number;
  logRetention: RetentionDays;
  logLevel: string;
}

const repositoryPath = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

/**
 * A Lambda of this service with its defaults fixed in one place. `sam local invoke <id>` finds
 * a function by its construct id (LoginFunction, MeFunction, ...).
 */
export class ServiceFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, { retention: props.logRetention });
    // A role of our own instead of AWSLambdaBasicExecutionRole (logs:* on every log group):
    // writing to this function's log group is all it gets besides what the stack grants.
    const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    super(scope, id, {
      entry: repositoryPath(props.entry),
      role,
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      // Graviton: about 20% cheaper per GB-second than x86 for the same work.
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      // Well under API Gateway's 29 s; the SDK's own timeouts give up long before this.
      timeout: Duration.seconds(10),
      // Our own log group, with a retention, rather than the one Lambda makes that keeps logs forever.
      logGroup,
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: props.logLevel,
        // No NODE_OPTIONS=--enable-source-maps by default: it costs about 30 ms on every cold
        // start (npm run bench). Set it on the function while chasing a stack trace.
      },
      // One definition for the construct and the bench (infra/bundling.ts), in CDK's words.
      bundling: {
        format: OutputFormat.ESM,
        target: BUNDLING.target,
        mainFields: [...BUNDLING.mainFields],
        banner: BUNDLING.banner.js,
        externalModules: [...BUNDLING.external],
        minify: BUNDLING.minify,
        keepNames: BUNDLING.keepNames,
        sourceMap: BUNDLING.sourcemap,
        sourcesContent: BUNDLING.sourcesContent,
      },
    });
  }
}
