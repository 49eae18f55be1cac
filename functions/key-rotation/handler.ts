import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerRotationEvent } from 'aws-lambda';
import { BOUNDED_CLIENT_CONFIG } from '#lib/aws/sdk-config.ts';
import { readKeyRotationConfig } from '#lib/config.ts';
import { SERVICE_NAME } from '#lib/service.ts';
import { assertRotatable, type RotationStep, rotationStep, secretsManagerVersions } from '#lib/tokens/key-rotation.ts';

const logger = new Logger({ serviceName: SERVICE_NAME });
const client = new SecretsManagerClient(BOUNDED_CLIENT_CONFIG);
const { retiredKeyRetainSeconds } = readKeyRotationConfig();

/** The Secrets Manager rotation function for the signing key set (see lib/tokens/key-rotation.ts). */
export const handler = async ({ SecretId, ClientRequestToken, Step }: SecretsManagerRotationEvent): Promise<void> => {
  logger.info('Rotation step', { step: Step });
  if (!(await assertRotatable(client, SecretId, ClientRequestToken))) return;
  await rotationStep(secretsManagerVersions(client, SecretId), Step as RotationStep, ClientRequestToken, {
    nowSeconds: Math.floor(Date.now() / 1000),
    retainSeconds: retiredKeyRetainSeconds,
  });
};
