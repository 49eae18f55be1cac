import { CustomResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { KEY_VARIABLES, secretArnVariable, settingsEnvironment } from '#lib/settings.ts';
import { SealedSecret, type SecretsKey } from './secrets-key.ts';
import { ServiceFunction } from './service-function.ts';

export interface SigningKeysProps {
  /** Days between rotations: the next key starts signing and a new next key is published. */
  rotationDays: number;
  /** How long a retired key stays published: the longest token lifetime plus JWKS cache time. */
  retainRetiredSeconds: number;
  logRetention: RetentionDays;
  logLevel: string;
  /** Encrypts the private key set and seals it to the roles granted it. */
  secretsKey: SecretsKey;
}

/**
 * The RS256 key set (a JWK set in Secrets Manager, lib/tokens/key-set.ts): a custom resource makes the
 * first keys at deploy time and a rotation function rotates them on a schedule. Both also write
 * the public JWKS into a second secret, so functions that only verify never hold a private key.
 */
export class SigningKeys extends Construct {
  /** The private key set: read only by the functions that sign (sealed: see secrets-key.ts). */
  readonly secret: SealedSecret;
  /** The public JWKS (lib/tokens/public-jwks.ts): read by the functions that verify or publish. */
  readonly publicKeys: Secret;
  /** The setup resource: anything that reads the keys should depend on it. */
  readonly setup: CustomResource;

  constructor(scope: Construct, id: string, props: SigningKeysProps) {
    super(scope, id);
    // CloudFormation fills it with a random string; the setup resource replaces that with keys.
    this.secret = new SealedSecret(this, 'Secret', {
      description: 'Movie Knight Auth: RS256 JWK set that signs access tokens',
      secretsKey: props.secretsKey,
    });
    // Public keys only: the account's default key, no resource policy. Filled by the setup resource from the key set, and rewritten by every rotation.
    this.publicKeys = new Secret(this, 'PublicKeys', {
      description: 'Movie Knight Auth: public JWKS that verifies access tokens (no private keys)',
    });
    Validations.of(this.publicKeys).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        "A copy of the key set's public keys: the key set's rotation rewrites it; it has nothing to rotate itself.",
    });
    const functionDefaults = { memorySize: 512, logRetention: props.logRetention, logLevel: props.logLevel };

    const setupFunction = new ServiceFunction(this, 'KeySetupFunction', {
      ...functionDefaults,
      entry: 'functions/key-setup/handler.ts',
      // So an update's JWKS leaves out retired keys past their retention, as the upkeep does.
      environment: { RETIRED_KEY_RETAIN_SECONDS: String(props.retainRetiredSeconds) },
    });
    this.secret.grantRead(setupFunction);
    this.secret.grantWrite(setupFunction);
    this.publicKeys.grantWrite(setupFunction);
    const provider = new Provider(this, 'KeySetupProvider', { onEventHandler: setupFunction });
    this.setup = new CustomResource(this, 'KeySetup', {
      serviceToken: provider.serviceToken,
      // A new property is an Update: a stack deployed before the public secret existed gets it filled.
      properties: { SecretId: this.secret.secretArn, PublicKeysSecretId: this.publicKeys.secretArn },
    });
    const acknowledge = (id: string, reason: string) => Validations.of(provider).acknowledge({ id, reason });
    acknowledge(
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      "CDK's Provider framework function uses the AWS-managed basic execution role.",
    );
    const setupLogicalId = Stack.of(this).getLogicalId(setupFunction.node.defaultChild as CfnFunction);
    acknowledge(
      `AwsSolutions-IAM5[Resource::<${setupLogicalId}.Arn>:*]`,
      "CDK's Provider framework may invoke any version of our setup function (its ARN with :*).",
    );
    acknowledge('AwsSolutions-L1', "CDK's Provider framework picks its own runtime; our functions run on Node.js 24.");

    const rotationFunction = new ServiceFunction(this, 'KeyRotationFunction', {
      ...functionDefaults,
      entry: 'functions/key-rotation/handler.ts',
      environment: {
        ...settingsEnvironment({ retiredKeyRetainSeconds: props.retainRetiredSeconds }),
        [secretArnVariable(KEY_VARIABLES.publicKeys)]: this.publicKeys.secretArn,
      },
    });
    this.publicKeys.grantWrite(rotationFunction);
    this.secret.addRotationSchedule('Rotation', {
      rotationLambda: rotationFunction,
      automaticallyAfter: Duration.days(props.rotationDays),
      // The setup resource makes the first keys; the first rotation waits for the schedule.
      rotateImmediatelyOnUpdate: false,
    });
    // The upkeep: retired keys leave the set and the JWKS within the hour their retention ends,
    // without waiting for the next rotation (lib/tokens/key-rotation.ts, maintainKeySet).
    new Rule(this, 'Upkeep', {
      description: 'Movie Knight Auth: drop retired signing keys past their retention from the JWKS',
      schedule: Schedule.rate(Duration.hours(1)),
      targets: [
        new LambdaFunction(rotationFunction, {
          event: RuleTargetInput.fromObject({ action: 'prune', SecretId: this.secret.secretArn }),
          retryAttempts: 2,
        }),
      ],
    });
    // addRotationSchedule grants the rotation steps on this secret, and GetRandomPassword, which
    // has no resource-level permissions; the function never calls it.
    Validations.of(rotationFunction.role ?? rotationFunction).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'secretsmanager:GetRandomPassword, granted by CDK to rotation functions, has no resource-level permissions.',
    });
  }

  /** Read access to the private key set: only for functions that sign tokens. */
  grantSigning(grantee: IGrantable): void {
    this.secret.grantRead(grantee);
  }

  /**
   * What `npm run keys` does (status, revoke, prune) and the key runbooks: read and write both
   * secrets, and start or cancel a rotation of the key set.
   */
  grantOperating(grantee: IGrantable): void {
    this.secret.grantRead(grantee);
    this.secret.grantWrite(grantee);
    this.publicKeys.grantRead(grantee);
    this.publicKeys.grantWrite(grantee);
    Grant.addToPrincipal({
      grantee,
      actions: ['secretsmanager:RotateSecret', 'secretsmanager:CancelRotateSecret'],
      resourceArns: [this.secret.secretArn],
    });
  }

  /** Read access to the public JWKS: for functions that verify tokens or publish the keys. */
  grantVerifying(grantee: IGrantable): void {
    this.publicKeys.grantRead(grantee);
  }
}
