import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { toStoreError } from '#lib/aws/sdk-errors.ts';
import { type Clock, systemClock } from '#lib/clock.ts';
import { PASSKEY_CHALLENGES_TABLE } from './table.ts';

/** What a challenge was issued for: adding a passkey to a user, or signing in with one. */
export type ChallengePurpose = 'registration' | 'authentication';

/** 256 random bits, base64url: 43 characters. */
const CHALLENGE_BYTES = 32;

/** The shape of every challenge we issue; anything else names none, and costs no write. */
export const CHALLENGE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface ChallengeStore {
  /** A new random challenge, stored for `purpose` (and `userId`, for a registration) until it expires. */
  issue(purpose: ChallengePurpose, userId?: string): Promise<string>;
  /**
   * Spends the challenge with ONE conditional delete: true only if it existed, was issued for this
   * purpose (and this user, or no user for a sign-in) and has not expired. Whatever the answer,
   * a challenge this call deleted can never be spent again; a refused one is left as it was.
   */
  consume(challenge: string, purpose: ChallengePurpose, userId?: string): Promise<boolean>;
}

/** The DynamoDB adapter for the challenges table; `ttlSeconds` is how long a challenge may be used. */
export const createDynamoDbChallengeStore = (
  client: DynamoDBDocumentClient,
  tableName: string,
  ttlSeconds: number,
  clock: Clock = systemClock,
): ChallengeStore => {
  const { partitionKey, timeToLiveAttribute } = PASSKEY_CHALLENGES_TABLE;
  const nowSeconds = () => Math.floor(clock().getTime() / 1000);
  return {
    async issue(purpose, userId) {
      const challenge = randomBytes(CHALLENGE_BYTES).toString('base64url');
      await client
        .send(
          new PutCommand({
            TableName: tableName,
            Item: {
              [partitionKey]: challenge,
              purpose,
              // Stryker disable next-line ConditionalExpression: equivalent, the document client drops undefined values (removeUndefinedValues)
              ...(userId !== undefined && { userId }),
              [timeToLiveAttribute]: nowSeconds() + ttlSeconds,
            },
            ConditionExpression: 'attribute_not_exists(#id)',
            ExpressionAttributeNames: { '#id': partitionKey },
          }),
        )
        .catch(toStoreError('Challenge write failed'));
      return challenge;
    },

    async consume(challenge, purpose, userId) {
      if (!CHALLENGE_PATTERN.test(challenge)) return false;
      try {
        await client.send(
          new DeleteCommand({
            TableName: tableName,
            Key: { [partitionKey]: challenge },
            ConditionExpression: `attribute_exists(#id) AND purpose = :purpose AND #expires > :now AND ${
              userId === undefined ? 'attribute_not_exists(userId)' : 'userId = :user'
            }`,
            ExpressionAttributeNames: { '#id': partitionKey, '#expires': timeToLiveAttribute },
            ExpressionAttributeValues: {
              ':purpose': purpose,
              ':now': nowSeconds(),
              // Stryker disable next-line ConditionalExpression: equivalent, the document client drops undefined values (removeUndefinedValues)
              ...(userId !== undefined && { ':user': userId }),
            },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        return toStoreError('Challenge consumption failed')(error);
      }
    },
  };
};
