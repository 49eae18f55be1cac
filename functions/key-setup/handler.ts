import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { BOUNDED_CLIENT_CONFIG } from '#lib/aws/sdk-config.ts';
import { readKeySetupConfig } from '#lib/function-config.ts';
import { SERVICE_NAME } from '#lib/service.ts';
import { ensureKeySet, secretsManagerPublicKeys, secretsManagerVersions } from '#lib/tokens/key-rotation.ts';

const logger = new Logger({ serviceName: SERVICE_NAME });
const client = new SecretsManagerClient(BOUNDED_CLIENT_CONFIG);
const { retiredKeyRetainSeconds } = readKeySetupConfig();

/**
 * The custom resource (CDK Provider framework) that puts the first key set into the secret at
 * deploy time and writes its public JWKS into the public secret. Keeps a set that is already
 * there; deleting the resource leaves the secrets to CloudFormation.
 */
export const handler = async (event: CloudFormationCustomResourceEvent): Promise<{ PhysicalResourceId: string }> => {
  const secretId = String(event.ResourceProperties.SecretId);
  const publicKeysSecretId = String(event.ResourceProperties.PublicKeysSecretId);
  if (event.RequestType !== 'Delete') {
    const outcome = await ensureKeySet(
      secretsManagerVersions(client, secretId),
      secretsManagerPublicKeys(client, publicKeysSecretId),
      { request: event.RequestType, retainSeconds: retiredKeyRetainSeconds },
    );
    logger.info('Key set setup', { outcome });
  }
  return { PhysicalResourceId: secretId };
};
