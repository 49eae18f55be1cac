import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { BOUNDED_CLIENT_CONFIG } from '#lib/aws/sdk-config.ts';
import { SERVICE_NAME } from '#lib/service.ts';
import { ensureKeySet, secretsManagerVersions } from '#lib/tokens/key-rotation.ts';

const logger = new Logger({ serviceName: SERVICE_NAME });
const client = new SecretsManagerClient(BOUNDED_CLIENT_CONFIG);

/**
 * The custom resource (CDK Provider framework) that puts the first key set into the secret at
 * deploy time. Keeps a set that is already there; deleting the resource leaves the secret to
 * CloudFormation.
 */
export const handler = async (event: CloudFormationCustomResourceEvent): Promise<{ PhysicalResourceId: string }> => {
  const secretId = String(event.ResourceProperties.SecretId);
  if (event.RequestType !== 'Delete') {
    logger.info('Key set setup', { outcome: await ensureKeySet(secretsManagerVersions(client, secretId)) });
  }
  return { PhysicalResourceId: secretId };
};
