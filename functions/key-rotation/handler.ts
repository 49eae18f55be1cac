import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerRotationEvent } from 'aws-lambda';
import { BOUNDED_CLIENT_CONFIG } from '#lib/aws/sdk-config.ts';
import { readKeyRotationConfig } from '#lib/function-config.ts';
import { SERVICE_NAME } from '#lib/service.ts';
import {
  isPendingRotation,
  maintainKeySet,
  rotationStep,
  secretsManagerPublicKeys,
  secretsManagerVersions,
} from '#lib/tokens/key-rotation.ts';
import { JWKS_CACHE_MARGIN_SECONDS } from '#lib/tokens/key-timing.ts';

const logger = new Logger({ serviceName: SERVICE_NAME });
const client = new SecretsManagerClient(BOUNDED_CLIENT_CONFIG);
const { retiredKeyRetainSeconds, publicKeysSecretId } = readKeyRotationConfig();
const publicKeys = secretsManagerPublicKeys(client, publicKeysSecretId);

/**
 * The scheduled upkeep's event (an EventBridge rule's fixed input, see infra/constructs/signing-keys.ts):
 * prune the key set named by SecretId.
 */
export interface KeyMaintenanceEvent {
  action: 'prune';
  SecretId: string;
}

const isMaintenance = (event: SecretsManagerRotationEvent | KeyMaintenanceEvent): event is KeyMaintenanceEvent =>
  'action' in event && event.action === 'prune';

/**
 * The Secrets Manager rotation function for the signing key set (see lib/tokens/key-rotation.ts),
 * and the set's hourly upkeep, which drops retired keys once their retention ends without
 * waiting for the next rotation.
 */
export const handler = async (event: SecretsManagerRotationEvent | KeyMaintenanceEvent): Promise<void> => {
  const nowSeconds = Math.floor(Date.now() / 1000);
  if (isMaintenance(event)) {
    const result = await maintainKeySet(secretsManagerVersions(client, event.SecretId), publicKeys, {
      nowSeconds,
      retainSeconds: retiredKeyRetainSeconds,
    });
    logger.info('Key set upkeep done', { ...result });
    return;
  }
  const { SecretId, ClientRequestToken, Step } = event;
  logger.info('Rotation step', { step: Step });
  if (!(await isPendingRotation(client, SecretId, ClientRequestToken))) return;
  const result = await rotationStep(secretsManagerVersions(client, SecretId), publicKeys, Step, ClientRequestToken, {
    nowSeconds,
    retainSeconds: retiredKeyRetainSeconds,
    publishedForSeconds: JWKS_CACHE_MARGIN_SECONDS,
  });
  if (result.outcome === 'pending-created' && !result.promoted) {
    logger.warn('Rotation came too early: the active key keeps signing', { step: Step, reason: result.reason });
  } else {
    logger.info('Rotation step done', { step: Step, ...result });
  }
};
