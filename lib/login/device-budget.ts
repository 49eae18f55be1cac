import { createHash, randomBytes } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type Clock, systemClock } from '#lib/clock.ts';
import { LOGIN_ATTEMPTS_TABLE } from './attempts-table.ts';
import { writeCounter } from './counter-write.ts';

/** How many password checks a trusted device gets, and how long its count is kept. */
export interface DevicePolicy {
  /** Consecutive failures after which the device's token ends (its sign-ins are judged as untrusted). */
  maxFailures: number;
  /** The device tokens' lifetime: the count is kept as long as a token of the device can live. */
  ttlSeconds: number;
}

/** What a granted device claim is settled with; a failure needs nothing (the claim counted it). */
export interface DeviceClaim {
  /** The password was right: forget this device's failures, unless another claim came since. */
  succeed(): Promise<void>;
  /** No password was checked (a dependency failed first): give the claim back. */
  release(): Promise<void>;
}

export type DeviceClaimResult = { granted: true; claim: DeviceClaim } | { granted: false };

export interface DeviceBudgets {
  /**
   * Claims one password check on the device's own budget, with one conditional write, before
   * any bcrypt work. The claim counts as a failure at once, so a check that never settles (the
   * function died, the token turned out to be another account's) stays counted. Without a
   * device, the same write goes to a key no device has and is refused: a login without a usable
   * device token makes the same call as one with it.
   */
  claim(deviceId: string | undefined): Promise<DeviceClaimResult>;
}

/** The attempts-table key of a device: a hash of its id (128 random bits, so no key is needed). */
export const deviceKey = (deviceId: string): string =>
  `${LOGIN_ATTEMPTS_TABLE.keyPrefixes.device}${createHash('sha256').update(deviceId).digest('base64url')}`;

/**
 * Device budgets in the attempts table, one item per device: `failures`, the claims not undone
 * by a success. A claim is granted while `failures < maxFailures`; from then on the device is
 * done for (until its item expires with its last possible token), and its sign-ins fall back to
 * the identifier's budget. So a stolen device token is worth at most `maxFailures` guesses,
 * however many arrive at once.
 */
export const createDynamoDbDeviceBudgets = (
  client: DynamoDBDocumentClient,
  tableName: string,
  policy: DevicePolicy,
  clock: Clock = systemClock,
): DeviceBudgets => {
  const update = (key: string, update: string, condition: string, values: Record<string, unknown>) =>
    writeCounter(client, tableName, { key, update, condition, values }, 'Device budget update failed');

  const refund = async (key: string) => {
    await update(key, 'ADD failures :minus', 'attribute_exists(#key) AND failures > :zero', {
      ':minus': -1,
      ':zero': 0,
    });
  };

  return {
    async claim(deviceId) {
      const key = deviceId === undefined ? deviceKey(randomBytes(16).toString('base64url')) : deviceKey(deviceId);
      const now = clock().getTime();
      const counted = await update(
        key,
        'SET failures = if_not_exists(failures, :zero) + :one, #ttl = :ttl',
        // No device: the condition cannot hold (a random key has no item), and nothing is written.
        deviceId === undefined
          ? 'attribute_exists(#key) AND failures < :max'
          : 'attribute_not_exists(#key) OR failures < :max',
        {
          ':zero': 0,
          ':one': 1,
          ':max': policy.maxFailures,
          ':ttl': Math.ceil(now / 1000) + policy.ttlSeconds,
        },
      );
      if (counted === undefined) return { granted: false };
      return {
        granted: true,
        claim: {
          async succeed() {
            // Nobody claimed since: the device starts over. Otherwise only this claim is undone,
            // and the later ones (a thief's guesses racing the owner's sign-in) stay counted.
            const reset = await update(key, 'SET failures = :zero', 'failures = :counted', {
              ':zero': 0,
              ':counted': counted,
            });
            if (reset === undefined) await refund(key);
          },
          release: () => refund(key),
        },
      };
    },
  };
};
