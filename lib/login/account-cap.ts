import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { toStoreError } from '#lib/aws/sdk-errors.ts';
import { type Clock, systemClock } from '#lib/clock.ts';
import { LOGIN_ATTEMPTS_TABLE } from './attempts-table.ts';
import { writeCounter } from './counter-write.ts';

/** The long-memory cap: how many untrusted failures an account may have in a row, and how long they are kept. */
export interface AccountCapPolicy {
  /** NIST SP 800-63B-4: at most 100 consecutive failed attempts on one account. */
  maxFailures: number;
  /** How long the count is kept after the last failure. */
  memorySeconds: number;
}

export interface AccountStanding {
  failures: number;
  reached: boolean;
}

export interface AccountCap {
  /**
   * The failures counted for the account an identifier names, and whether they reach the cap: a
   * strongly consistent read, made beside the identifier's claim, so a capped account is refused
   * before bcrypt.
   */
  standing(identifierKey: string): Promise<AccountStanding>;
  /**
   * Counts one failure from an untrusted client on the account, on the item of each of its
   * identifiers (the one presented first), and resolves true while the account is still within
   * the cap: only then may the failure be answered as a failure. An unknown identifier is its
   * own account, counted on two items of its own, so it makes the same calls as a known one.
   */
  count(presentedKey: string, otherKey: string | undefined): Promise<boolean>;
  /** The account starts over (a success from a trusted device). */
  reset(identifierKeys: readonly string[]): Promise<void>;
}

/** The attempts-table key of the account an identifier (its keyed hash) names. */
export const accountKey = (identifierKey: string): string =>
  `${LOGIN_ATTEMPTS_TABLE.keyPrefixes.account}${identifierKey}`;

/**
 * The cap in the attempts table. An account's count is kept on one item per identifier (email and
 * username), each counting every failure of the account: the item of the identifier a login
 * presents is known before the user is found, so the cap is checked beside the identifier's claim
 * with no call in series. The count is strict where it matters: every failure is added to each
 * item in one write, and a failure is answered as one only if no item went past the cap, so at
 * most `maxFailures` failures in a row are ever answered 401, however many arrive at once and on
 * whichever identifiers. Items that disagree (an email changed by another service) are brought up
 * to the highest count.
 */
export const createDynamoDbAccountCap = (
  client: DynamoDBDocumentClient,
  tableName: string,
  policy: AccountCapPolicy,
  clock: Clock = systemClock,
): AccountCap => {
  const { partitionKey } = LOGIN_ATTEMPTS_TABLE;

  const update = (key: string, update: string, condition: string | undefined, values: Record<string, unknown>) =>
    writeCounter(client, tableName, { key, update, condition, values }, 'Account cap update failed');

  const add = (key: string) =>
    update(key, 'ADD failures :one SET #ttl = :ttl', undefined, {
      ':one': 1,
      ':ttl': Math.ceil(clock().getTime() / 1000) + policy.memorySeconds,
    });

  return {
    async standing(identifierKey) {
      const { Item } = await client
        .send(
          new GetCommand({
            TableName: tableName,
            Key: { [partitionKey]: accountKey(identifierKey) },
            ProjectionExpression: 'failures',
            ConsistentRead: true,
          }),
        )
        .catch(toStoreError('Account cap read failed'));
      const failures = typeof Item?.failures === 'number' ? Item.failures : 0;
      return { failures, reached: failures >= policy.maxFailures };
    },

    async count(presentedKey, otherKey) {
      // An unknown identifier's second item stands where a known account's other identifier's
      // is (a key no identifier can have): the same two writes either way.
      const keys = [
        accountKey(presentedKey),
        otherKey === undefined ? `${accountKey(presentedKey)}#alone` : accountKey(otherKey),
      ];
      const counts = await Promise.all(keys.map(add));
      const highest = Math.max(...counts.map((count) => count ?? 0));
      await Promise.all(
        counts.map((count, index) =>
          (count ?? 0) < highest
            ? update(keys[index] as string, 'SET failures = :highest', 'failures < :highest', { ':highest': highest })
            : undefined,
        ),
      );
      return highest <= policy.maxFailures;
    },

    async reset(identifierKeys) {
      await Promise.all(
        identifierKeys.map((key) =>
          update(accountKey(key), 'SET failures = :zero', 'attribute_exists(#key)', { ':zero': 0 }),
        ),
      );
    },
  };
};
