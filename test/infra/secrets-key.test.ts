import type { Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SealedSecret } from '#infra/constructs/secrets-key.ts';
import { sharedSynthesis } from '#test/support/shared-synthesis.ts';
import { findFunction, synthesize, WITHOUT_BUNDLING } from '#test/support/synth.ts';

/** A resource, or a part of one, as the template has it. */
type Json = ReturnType<Template['findResources']>[string];

/** CloudFormation's execution role, as CDK's default synthesizer names it (cdk bootstrap makes it). */
const DEPLOYER = {
  'Fn::Sub':
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub, not a template literal.
    'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-cfn-exec-role-${AWS::AccountId}-${AWS::Region}',
};
const ACCOUNT = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] };
const VIA_SECRETS_MANAGER = {
  StringEquals: {
    'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
  },
};
const arn = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
/** A principal list, in an order of its own, to compare as a set. */
const sorted = (principals: unknown) =>
  [principals]
    .flat()
    .map((p) => JSON.stringify(p))
    .sort();

/**
 * The secrets that hold key material are encrypted with a customer-managed key that only their
 * roles may use, and their resource policies refuse everyone else: a broad GetSecretValue or
 * kms:Decrypt grant elsewhere in the account reads none of them (infra/constructs/secrets-key.ts).
 */
describe('the key of the secrets that hold key material', () => {
  let template: Template;
  let keyId: string;
  let key: Json;
  /** The logical id of the role of the function with this construct id, or of the key operator. */
  let role: (id: string) => string;

  beforeAll(async () => {
    ({ template } = await sharedSynthesis());
    const keys = Object.entries(template.findResources('AWS::KMS::Key'));
    expect(keys).toHaveLength(1);
    [[keyId, key]] = keys as [[string, Json]];
    const roles = template.findResources('AWS::IAM::Role');
    role = (id) => {
      if (id === 'KeyOperator') {
        const [operator] = Object.keys(roles).filter((logicalId) =>
          String(roles[logicalId]?.Metadata?.['aws:cdk:path']).endsWith('/SecretsKey/OperatorRole/Resource'),
        );
        return operator ?? 'no operator role';
      }
      return findFunction(template, id).resource.Properties.Role['Fn::GetAtt'][0];
    };
  });

  const secretId = (prefix: string) => {
    const ids = Object.keys(template.findResources('AWS::SecretsManager::Secret')).filter((id) =>
      id.startsWith(prefix),
    );
    expect(ids).toHaveLength(1);
    return ids[0] ?? '';
  };

  it('is rotated yearly by KMS and kept when the stack goes', () => {
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
    expect(key.UpdateReplacePolicy).toBe('Retain');
  });

  it('lets the account administer the key but never use it, and only CloudFormation and the roles of the sealed secrets use it, through Secrets Manager', () => {
    const statements = (key.Properties.KeyPolicy.Statement as Json[]).map((statement) => ({
      ...statement,
      Principal: { AWS: sorted(statement.Principal.AWS) },
    }));
    expect(statements).toEqual([
      {
        Sid: 'AccountAdministers',
        Effect: 'Allow',
        Principal: { AWS: sorted(ACCOUNT) },
        Action: [
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
        ],
        Resource: '*',
      },
      {
        // CreateSecret and UpdateSecret (a deploy) ask for all three.
        Sid: 'CloudFormationDeploys',
        Effect: 'Allow',
        Principal: { AWS: sorted(DEPLOYER) },
        Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
        Resource: '*',
        Condition: VIA_SECRETS_MANAGER,
      },
      {
        Sid: 'SealedSecretReaders',
        Effect: 'Allow',
        Principal: {
          AWS: sorted(
            [
              'LoginFunction',
              'RefreshFunction',
              'PasswordFunction',
              'PasskeySignInFunction',
              'KeySetupFunction',
              'KeyRotationFunction',
              'KeyOperator',
            ].map((id) => arn(role(id))),
          ),
        },
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: VIA_SECRETS_MANAGER,
      },
      {
        Sid: 'SealedSecretWriters',
        Effect: 'Allow',
        Principal: {
          AWS: sorted(['KeySetupFunction', 'KeyRotationFunction', 'KeyOperator'].map((id) => arn(role(id)))),
        },
        Action: ['kms:Encrypt', 'kms:GenerateDataKey'],
        Resource: '*',
        Condition: VIA_SECRETS_MANAGER,
      },
    ]);
    // Not the public-facing verifiers, nor the sessions function.
    for (const id of ['MeFunction', 'SessionsFunction', 'WellKnownFunction', 'PasskeysFunction']) {
      expect(JSON.stringify(key.Properties.KeyPolicy)).not.toContain(role(id));
    }
  });

  it('encrypts the signing key set and the identifier and refresh keys with it; the public JWKS stays on the default key', () => {
    const secrets = template.findResources('AWS::SecretsManager::Secret');
    const kmsKeyOf = (prefix: string) => secrets[secretId(prefix)]?.Properties.KmsKeyId;
    for (const prefix of ['SigningKeysSecret', 'IdentifierKey', 'RefreshKey']) {
      expect(kmsKeyOf(prefix)).toEqual(arn(keyId));
    }
    // Public keys: anyone may read them, so aws/secretsmanager and no resource policy.
    expect(kmsKeyOf('SigningKeysPublicKeys')).toBeUndefined();
    expect(
      template.findResources('AWS::SecretsManager::ResourcePolicy', {
        Properties: { SecretId: { Ref: secretId('SigningKeysPublicKeys') } },
      }),
    ).toEqual({});
    expect(Object.keys(secrets)).toHaveLength(4);
  });

  it("denies each sealed secret's value to every principal but its readers and CloudFormation, and its writes to all but its writers", () => {
    const policyOf = (prefix: string) => {
      const policies = Object.values(
        template.findResources('AWS::SecretsManager::ResourcePolicy', {
          Properties: { SecretId: { Ref: secretId(prefix) } },
        }),
      );
      expect(policies).toHaveLength(1);
      return (policies[0]?.Properties.ResourcePolicy.Statement as Json[] | undefined)?.map((statement) =>
        statement.Condition
          ? { ...statement, Condition: { ArnNotEquals: sorted(statement.Condition.ArnNotEquals['aws:PrincipalArn']) } }
          : statement,
      );
    };
    const denials = (readers: string[], writers: string[]) => [
      {
        Sid: 'OnlyItsReadersRead',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'secretsmanager:GetSecretValue',
        Resource: '*',
        Condition: { ArnNotEquals: sorted([DEPLOYER, ...readers.map((id) => arn(role(id)))]) },
      },
      {
        Sid: 'OnlyItsWritersWrite',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: [
          'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecret',
          'secretsmanager:UpdateSecretVersionStage',
        ],
        Resource: '*',
        Condition: { ArnNotEquals: sorted([DEPLOYER, ...writers.map((id) => arn(role(id)))]) },
      },
    ];
    const managers = ['KeySetupFunction', 'KeyRotationFunction', 'KeyOperator'];
    expect(policyOf('SigningKeysSecret')).toEqual([
      ...denials(
        ['LoginFunction', 'RefreshFunction', 'PasswordFunction', 'PasskeySignInFunction', ...managers],
        managers,
      ),
      // CDK's own, from the rotation schedule: the account may not delete a rotated secret.
      { Effect: 'Deny', Principal: { AWS: ACCOUNT }, Action: 'secretsmanager:DeleteSecret', Resource: '*' },
    ]);
    expect(policyOf('IdentifierKey')).toEqual(denials(['LoginFunction', 'PasswordFunction', 'KeyOperator'], []));
    expect(policyOf('RefreshKey')).toEqual(
      denials(
        ['LoginFunction', 'RefreshFunction', 'PasswordFunction', 'PasskeySignInFunction', 'KeyOperator'],
        ['KeyOperator'],
      ),
    );
  });

  it('lets an operator of the account assume the key operator role for an hour, to run npm run keys and the key runbooks', () => {
    const operator = template.findResources('AWS::IAM::Role')[role('KeyOperator')];
    expect(operator?.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { AWS: ACCOUNT } },
    ]);
    expect(operator?.Properties.MaxSessionDuration).toBe(3600);
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => policy.Properties.Roles.some((r: { Ref: string }) => r.Ref === role('KeyOperator')))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Json[]);
    const grants = statements
      .map((statement) => `${[statement.Action].flat().sort().join(' ')} on ${statement.Resource.Ref}`)
      .sort();
    const read = 'secretsmanager:DescribeSecret secretsmanager:GetSecretValue';
    const write = 'secretsmanager:PutSecretValue secretsmanager:UpdateSecret secretsmanager:UpdateSecretVersionStage';
    expect(grants).toEqual(
      [
        `${read} on ${secretId('SigningKeysSecret')}`,
        `${write} on ${secretId('SigningKeysSecret')}`,
        `secretsmanager:CancelRotateSecret secretsmanager:RotateSecret on ${secretId('SigningKeysSecret')}`,
        `${read} on ${secretId('SigningKeysPublicKeys')}`,
        `${write} on ${secretId('SigningKeysPublicKeys')}`,
        `${read} on ${secretId('IdentifierKey')}`,
        `${read} on ${secretId('RefreshKey')}`,
        `${write} on ${secretId('RefreshKey')}`,
      ].sort(),
    );
    template.hasOutput('KeyOperatorRoleArn', { Value: arn(role('KeyOperator')) });
  });

  it('lets a role granted a sealed secret later through the key and that secret, and no other', () => {
    const { template: altered } = synthesize({ ...WITHOUT_BUNDLING }, (stack) => {
      const reader = new Role(stack, 'LateReader', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
      (stack.node.findChild('RefreshKey') as SealedSecret).grantRead(reader);
    });
    const [reader] = Object.keys(altered.findResources('AWS::IAM::Role')).filter((id) => id.startsWith('LateReader'));
    const [[, alteredKey]] = Object.entries(altered.findResources('AWS::KMS::Key')) as [[string, Json]];
    const readers = (alteredKey.Properties.KeyPolicy.Statement as Json[]).find((s) => s.Sid === 'SealedSecretReaders');
    expect(sorted(readers?.Principal.AWS)).toContain(JSON.stringify(arn(reader ?? '')));
    const readDenials = Object.values(altered.findResources('AWS::SecretsManager::ResourcePolicy')).map((policy) => ({
      secret: policy.Properties.SecretId.Ref as string,
      except: JSON.stringify(
        (policy.Properties.ResourcePolicy.Statement as Json[]).find((s) => s.Sid === 'OnlyItsReadersRead')?.Condition,
      ),
    }));
    expect(readDenials.filter(({ except }) => except.includes(`"${reader}"`)).map(({ secret }) => secret)).toEqual([
      expect.stringMatching(/^RefreshKey/),
    ]);
  });
});
