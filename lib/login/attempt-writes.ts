import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { and, type ExpressionPart, or, part, type UpdateClauses, updateInput } from '#lib/aws/expression.ts';
import { toStoreError } from '#lib/aws/sdk-errors.ts';
import { type AttemptRecord, parseAttemptRecord, parseMarshalledAttemptRecord } from './attempt-record.ts';
import { LOGIN_ATTEMPTS_TABLE } from './attempts-table.ts';

const { partitionKey, timeToLiveAttribute } = LOGIN_ATTEMPTS_TABLE;
const ZERO = { ':zero': 0 };
const ONE = { ':one': 1 };

// The conditions the writes are made of, each named once (as Powertools' idempotency
// DynamoDBPersistenceLayer names its own), with the names and values it uses.
const noItem = part('attribute_not_exists(#key)', {}, { '#key': partitionKey });
const nothingInFlight = part('attempts = failures');
// Each part below that reads `:now` names its value, so it stands alone; every write that uses
// one also sets `lastClaimAt = :now` (claimedAt) to the same value, so dropping it changes nothing.
// Stryker disable next-line ObjectLiteral: equivalent, claimedAt(now) gives :now the same value
const remembered = (now: number) => part('forgetAt > :now', { ':now': now });
const forgotten = (now: number) =>
  // Stryker disable next-line ObjectLiteral: equivalent, claimedAt(now) gives :now the same value
  or(part('attribute_not_exists(forgetAt)'), part('forgetAt <= :now', { ':now': now }));
// Stryker disable next-line ObjectLiteral: equivalent, claimedAt(now) gives :now the same value
const notLocked = (now: number) => part('lockedUntil <= :now', { ':now': now });
const belowLimit = (maxFailures: number) => part('attempts < :max', { ':max': maxFailures });
const claimedSince = (staleBefore: number) => part('lastClaimAt > :stale', { ':stale': staleBefore });
const lastClaimedAt = (seen: number) => part('lastClaimAt = :seen', { ':seen': seen });
const failuresStill = (seen: number) => part('failures = :seen', { ':seen': seen });
const holdsClaim = (id: string) => part('contains(claims, :id)', { ':id': id });
const lacksClaim = (id: string) => part('NOT contains(claims, :id)', { ':id': id });
/** A claim in flight that is not stale: its check is running, and its write must find its counts. */
const freshInFlight = (staleBefore: number) => and(part('attempts > failures'), claimedSince(staleBefore));
const noneFreshInFlight = (staleBefore: number) =>
  or(
    nothingInFlight,
    part('attribute_not_exists(lastClaimAt)'),
    part('lastClaimAt <= :stale', { ':stale': staleBefore }),
  );

/**
 * The rule, in one place: a claim is granted when nothing is counted yet, or when the counts are
 * still remembered (or a fresh claim in flight holds them until it settles), the identifier is not locked, `failures + claims in flight < maxFailures` (or,
 * once the limit was reached and its lock has ended, no claim is in flight: one checked attempt
 * per lock), no claim in flight is stale (those are taken back first, see reclaim), and this
 * claim is not in already (a write the SDK retried).
 */
const mayClaim = (now: number, id: string, maxFailures: number, staleBefore: number) =>
  or(
    noItem,
    and(
      or(remembered(now), freshInFlight(staleBefore)),
      notLocked(now),
      or(belowLimit(maxFailures), nothingInFlight),
      or(nothingInFlight, claimedSince(staleBefore)),
      lacksClaim(id),
    ),
  );

// What the writes set.
/** DynamoDB may delete the item once the code has forgotten it anyway (TTL deletion is eventual). */
const rememberUntil = (forgetAt: number) =>
  part(
    'forgetAt = :forget, #ttl = :ttl',
    { ':forget': forgetAt, ':ttl': Math.ceil(forgetAt / 1000) },
    { '#ttl': timeToLiveAttribute },
  );
/**
 * A claim's own window: only for a new item. A claim never moves an existing item's window, so
 * nothing but a failure decides when failures are forgotten, and a success, which only claims
 * and gives back, leaves no trace an untrusted client could see.
 */
const rememberUntilIfNew = (forgetAt: number) =>
  part(
    'forgetAt = if_not_exists(forgetAt, :forget), #ttl = if_not_exists(#ttl, :ttl)',
    { ':forget': forgetAt, ':ttl': Math.ceil(forgetAt / 1000) },
    { '#ttl': timeToLiveAttribute },
  );
const claimedAt = (now: number) => part('lastClaimAt = :now', { ':now': now });
const keptOrZero = (attribute: keyof AttemptRecord) => part(`${attribute} = if_not_exists(${attribute}, :zero)`, ZERO);
/** The claim's id, for `claims = `, `ADD claims` and `DELETE claims`. */
const claimIds = (id: string) => ({ ':ids': new Set([id]) });
const theClaim = (id: string) => part('claims :ids', claimIds(id));

/** Whether a conditional write applied, and the item as it was when its condition was evaluated. */
export interface Write {
  applied: boolean;
  old: AttemptRecord | undefined;
}

/** The conditional writes on one identifier's counters; each is one UpdateItem, never a read. */
export interface AttemptWrites {
  /** The usual claim: adds one to `attempts` if the rule allows it (and creates the item if there is none). */
  claim(
    identifierHash: string,
    id: string,
    at: { now: number; forgetAt: number; maxFailures: number; staleBefore: number },
  ): Promise<Write>;
  /** Past its window (or in a shape this code does not know): start over with this claim alone. */
  restart(
    identifierHash: string,
    id: string,
    at: { now: number; forgetAt: number; staleBefore: number },
  ): Promise<Write>;
  /** The claims in flight are stale (their functions died): drop them and claim, if nobody claimed since. */
  reclaim(
    identifierHash: string,
    id: string,
    at: { now: number; seen: Pick<AttemptRecord, 'lastClaimAt'> },
  ): Promise<Write>;
  /** Gives the claim back, if it is still there. */
  release(identifierHash: string, id: string): Promise<Write>;
  /** Turns the claim into a failure with the lock it earns, if the count is still `seen.failures`. */
  countFailure(
    identifierHash: string,
    id: string,
    counted: { seen: Pick<AttemptRecord, 'failures'>; failures: number; lockedUntil: number; forgetAt: number },
  ): Promise<Write>;
  /** The item is gone (an operator cleared it): the failure starts a new one. */
  countFailureAnew(
    identifierHash: string,
    counted: { now: number; lockedUntil: number; forgetAt: number },
  ): Promise<Write>;
}

export const createAttemptWrites = (client: DynamoDBDocumentClient, tableName: string): AttemptWrites => {
  /** One conditional UpdateItem; a failed condition is an answer (with the item it saw), not an error. */
  const write = async (
    identifierHash: string,
    update: UpdateClauses,
    condition: ExpressionPart,
    failure: string,
  ): Promise<Write> => {
    try {
      const { Attributes } = await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { [partitionKey]: identifierHash },
          ...updateInput(update, condition),
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { applied: true, old: parseAttemptRecord(Attributes) };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        return { applied: false, old: parseMarshalledAttemptRecord(error.Item) };
      }
      throw toStoreError(failure)(error);
    }
  };

  return {
    claim: (identifierHash, id, { now, forgetAt, maxFailures, staleBefore }) =>
      write(
        identifierHash,
        {
          set: [
            part('attempts = if_not_exists(attempts, :zero) + :one', { ...ZERO, ...ONE }),
            keptOrZero('failures'),
            keptOrZero('lockedUntil'),
            claimedAt(now),
            rememberUntilIfNew(forgetAt),
          ],
          add: [theClaim(id)],
        },
        mayClaim(now, id, maxFailures, staleBefore),
        'Attempt claim failed',
      ),

    restart: (identifierHash, id, { now, forgetAt, staleBefore }) =>
      write(
        identifierHash,
        {
          set: [
            part('attempts = :one, failures = :zero, lockedUntil = :zero', { ...ZERO, ...ONE }),
            part('claims = :ids', claimIds(id)),
            claimedAt(now),
            rememberUntil(forgetAt),
          ],
        },
        and(forgotten(now), noneFreshInFlight(staleBefore)),
        'Attempt claim failed',
      ),

    reclaim: (identifierHash, id, { now, seen }) =>
      write(
        identifierHash,
        {
          set: [part('attempts = failures + :one', ONE), part('claims = :ids', claimIds(id)), claimedAt(now)],
        },
        and(lastClaimedAt(seen.lastClaimAt), notLocked(now), remembered(now)),
        'Attempt claim failed',
      ),

    release: (identifierHash, id) =>
      write(
        identifierHash,
        { set: [part('attempts = attempts - :one', ONE)], delete: [theClaim(id)] },
        holdsClaim(id),
        'Attempt release failed',
      ),

    countFailure: (identifierHash, id, { seen, failures, lockedUntil, forgetAt }) =>
      write(
        identifierHash,
        {
          set: [
            part('failures = :failures', { ':failures': failures }),
            rememberUntil(forgetAt),
            // 0 below the limit, where no lock was ever set since the item started over.
            part('lockedUntil = :lockedUntil', { ':lockedUntil': lockedUntil }),
          ],
          delete: [theClaim(id)],
        },
        and(failuresStill(seen.failures), holdsClaim(id)),
        'Attempt update failed',
      ),

    countFailureAnew: (identifierHash, { now, lockedUntil, forgetAt }) =>
      write(
        identifierHash,
        {
          set: [
            part('attempts = :one, failures = :one', ONE),
            part('lockedUntil = :lockedUntil', { ':lockedUntil': lockedUntil }),
            claimedAt(now),
            rememberUntil(forgetAt),
          ],
        },
        noItem,
        'Attempt update failed',
      ),
  };
};
