import { DefaultStackSynthesizer, Duration, Fn, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccountRootPrincipal,
  AnyPrincipal,
  ArnPrincipal,
  Effect,
  type Grant,
  type IGrantable,
  type IRole,
  PolicyDocument,
  PolicyStatement,
  Role,
} from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import {
  type CfnSecret,
  type RotationSchedule,
  type RotationScheduleOptions,
  Secret,
  type SecretProps,
} from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/**
 * What the account's IAM policies may do with the key: administer it (so the key is never
 * orphaned, and CloudFormation may update its policy), never use it. CDK's admin list with
 * `kms:CreateAlias` for its `kms:Create*`: a grant (`kms:CreateGrant`) would let an IAM policy
 * hand out Decrypt without a key policy change.
 */
const KEY_ADMIN_ACTIONS = [
  'kms:CreateAlias',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
];
/** What Secrets Manager asks of KMS, as the caller, to read a secret value. */
const SEALED_READ_KMS_ACTIONS = ['kms:Decrypt'];
/** ... and to store a new one (CreateSecret and UpdateSecret ask for all three; PutSecretValue for the data key). */
const SEALED_WRITE_KMS_ACTIONS = ['kms:Encrypt', 'kms:GenerateDataKey'];
/** The only action that returns a secret's value (BatchGetSecretValue asks for it on each secret). */
const SEALED_READ_ACTIONS = ['secretsmanager:GetSecretValue'];
/** The actions that store a new value or move one between versions. */
const SEALED_WRITE_ACTIONS = [
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecret',
  'secretsmanager:UpdateSecretVersionStage',
];

const roleOf = (grantee: IGrantable, scope: Construct): IRole => {
  const principal = grantee.grantPrincipal;
  if (!(principal instanceof Role)) {
    throw new Error(`${scope.node.path}: a sealed secret is granted to roles of this stack only`);
  }
  return principal;
};

/**
 * The customer-managed KMS key of the secrets that hold key material (the signing key set, the
 * identifier and refresh keys; see `SealedSecret`), rotated yearly by KMS and kept when the stack
 * goes. Its key policy is written here and nowhere else: the account administers the key but
 * cannot use it; CloudFormation's execution role may encrypt and decrypt through Secrets Manager
 * (CreateSecret and UpdateSecret, which a deploy calls, ask for Decrypt, Encrypt and a data key); the roles a sealed secret is granted to may decrypt
 * through Secrets Manager, and those granted writes may encrypt. So a broad
 * `secretsmanager:GetSecretValue` or `kms:Decrypt` grant elsewhere in the account reads none of
 * them; the secrets' resource policies refuse it as well.
 *
 * Also the operator role (`npm run keys`, and the key runbooks): the one principal besides the
 * functions and CloudFormation that the secrets let in.
 */
export class SecretsKey extends Construct {
  readonly key: Key;
  /** Assumed by an operator of the account (whoever IAM lets `sts:AssumeRole` it) for `npm run keys`. */
  readonly operator: Role;
  /** CloudFormation's execution role: it creates and updates the sealed secrets. */
  readonly deployerArn: string;
  private readonly readers = new Set<IRole>();
  private readonly writers = new Set<IRole>();
  private readStatement: PolicyStatement | undefined;
  private writeStatement: PolicyStatement | undefined;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);
    if (!(stack.synthesizer instanceof DefaultStackSynthesizer)) {
      throw new Error(
        `${this.node.path}: the key policy names CloudFormation's execution role; deploy with the DefaultStackSynthesizer (cdk bootstrap)`,
      );
    }
    this.deployerArn = Fn.sub(stack.synthesizer.cloudFormationExecutionRoleArn);
    this.key = new Key(this, 'Key', {
      description: 'Movie Knight Auth: encrypts the secrets that hold key material (signing, refresh, identifier keys)',
      enableKeyRotation: true,
      // A key scheduled for deletion takes every secret it encrypted with it; the stack never does that.
      removalPolicy: RemovalPolicy.RETAIN,
      policy: new PolicyDocument({
        statements: [
          new PolicyStatement({
            sid: 'AccountAdministers',
            principals: [new AccountRootPrincipal()],
            actions: KEY_ADMIN_ACTIONS,
            resources: ['*'],
          }),
          new PolicyStatement({
            sid: 'CloudFormationDeploys',
            principals: [new ArnPrincipal(this.deployerArn)],
            actions: [...SEALED_READ_KMS_ACTIONS, ...SEALED_WRITE_KMS_ACTIONS],
            resources: ['*'],
            conditions: this.viaSecretsManager(),
          }),
        ],
      }),
    });
    this.operator = new Role(this, 'OperatorRole', {
      description: 'Movie Knight Auth: npm run keys and the key runbooks (docs/operations.md)',
      assumedBy: new AccountRootPrincipal(),
      maxSessionDuration: Duration.hours(1),
    });
  }

  /** Lets `grantee` decrypt sealed secrets through Secrets Manager (and encrypt them, with `write`). */
  admit(grantee: IGrantable, { write }: { write: boolean }): IRole {
    const role = roleOf(grantee, this);
    if (!this.readers.has(role)) {
      this.readers.add(role);
      this.readStatement ??= this.addStatement('SealedSecretReaders', SEALED_READ_KMS_ACTIONS);
      this.readStatement.addPrincipals(role);
    }
    if (write && !this.writers.has(role)) {
      this.writers.add(role);
      this.writeStatement ??= this.addStatement('SealedSecretWriters', SEALED_WRITE_KMS_ACTIONS);
      this.writeStatement.addPrincipals(role);
    }
    return role;
  }

  private viaSecretsManager() {
    return { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } };
  }

  private addStatement(sid: string, actions: string[]): PolicyStatement {
    const statement = new PolicyStatement({ sid, actions, resources: ['*'], conditions: this.viaSecretsManager() });
    this.key.addToResourcePolicy(statement);
    return statement;
  }
}

export interface SealedSecretProps extends Omit<SecretProps, 'encryptionKey'> {
  secretsKey: SecretsKey;
}

/**
 * A secret encrypted with the stack's `SecretsKey`, whose resource policy denies reading its value
 * to every principal but the roles it is granted to (`grantRead`, `grantWrite`, its rotation
 * function) and CloudFormation, and writing it to all but those granted writes. Grants work as
 * on any `Secret`; each also lets the role through the key.
 *
 * The key is set on the CloudFormation resource (`KmsKeyId`), not as the L2's `encryptionKey`:
 * with that, `Secret` gives the whole account `kms:Decrypt` and `kms:CreateGrant` through Secrets
 * Manager in the key policy, and each grant (and a rotation schedule) adds a statement of its own.
 */
export class SealedSecret extends Secret {
  private readonly secretsKey: SecretsKey;
  private readonly readers = new Set<IRole>();
  private readonly writers = new Set<IRole>();

  constructor(scope: Construct, id: string, { secretsKey, ...props }: SealedSecretProps) {
    super(scope, id, props);
    this.secretsKey = secretsKey;
    (this.node.defaultChild as CfnSecret).kmsKeyId = secretsKey.key.keyArn;
    const except = (roles: () => IRole[]) => ({
      ArnNotEquals: {
        'aws:PrincipalArn': Lazy.list({ produce: () => [secretsKey.deployerArn, ...roles().map((r) => r.roleArn)] }),
      },
    });
    this.addToResourcePolicy(
      new PolicyStatement({
        sid: 'OnlyItsReadersRead',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: SEALED_READ_ACTIONS,
        resources: ['*'],
        conditions: except(() => [...new Set([...this.readers, ...this.writers])]),
      }),
    );
    this.addToResourcePolicy(
      new PolicyStatement({
        sid: 'OnlyItsWritersWrite',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: SEALED_WRITE_ACTIONS,
        resources: ['*'],
        conditions: except(() => [...this.writers]),
      }),
    );
  }

  override grantRead(grantee: IGrantable, versionStages?: string[]): Grant {
    this.readers.add(this.secretsKey.admit(grantee, { write: false }));
    return super.grantRead(grantee, versionStages);
  }

  override grantWrite(grantee: IGrantable): Grant {
    this.writers.add(this.secretsKey.admit(grantee, { write: true }));
    return super.grantWrite(grantee);
  }

  /** CDK grants the rotation function the rotation steps (read and write) in its role policy. */
  override addRotationSchedule(id: string, options: RotationScheduleOptions): RotationSchedule {
    if (options.rotationLambda) this.writers.add(this.secretsKey.admit(options.rotationLambda, { write: true }));
    return super.addRotationSchedule(id, options);
  }
}
