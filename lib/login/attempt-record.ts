import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';

/**
 * One identifier's counters as stored (epoch milliseconds for times). `attempts` counts the
 * password checks that are either still running (claims) or failed: `attempts - failures` are
 * in flight.
 */
export interface AttemptRecord {
  attempts: number;
  failures: number;
  lockedUntil: number;
  forgetAt: number;
  lastClaimAt: number;
  /**
   * Ids of the claims in flight. Every write checks its own id here, so a write the SDK retries
   * after DynamoDB applied it (a timeout on the way back) is recognized instead of counted twice.
   */
  claims: Set<string>;
}

/** The record in an item; undefined for no item, or one in a shape this code does not know. */
export const parseAttemptRecord = (item: Record<string, unknown> | undefined): AttemptRecord | undefined => {
  if (!item) return undefined;
  const number = (name: keyof AttemptRecord) => (typeof item[name] === 'number' ? item[name] : undefined);
  const record = {
    attempts: number('attempts'),
    failures: number('failures'),
    lockedUntil: number('lockedUntil'),
    forgetAt: number('forgetAt'),
    lastClaimAt: number('lastClaimAt'),
  };
  if (!Object.values(record).every((value) => value !== undefined)) return undefined;
  // DynamoDB keeps no empty set: no attribute means no claim in flight.
  const claims = item.claims instanceof Set ? (item.claims as Set<string>) : new Set<string>();
  return { ...(record as Omit<AttemptRecord, 'claims'>), claims };
};

/** The same, from an item in DynamoDB's wire format (what a failed condition returns, ALL_OLD). */
export const parseMarshalledAttemptRecord = (item: Record<string, AttributeValue> | undefined) =>
  parseAttemptRecord(item && unmarshall(item));
