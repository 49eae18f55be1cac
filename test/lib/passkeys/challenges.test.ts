import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDynamoDbChallengeStore } from '#lib/passkeys/challenges.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { manualClock } from '#test/support/handler.ts';

describe('the passkey challenges store, on DynamoDB Local', () => {
  let tables: TestTables;
  const stored = async (id: string) =>
    (await tables.client.send(new GetCommand({ TableName: tables.passkeyChallengesTableName, Key: { id } }))).Item;
  const setup = () => {
    const time = manualClock(new Date('2026-12-02T05:00:00.000Z'));
    return {
      time,
      challenges: createDynamoDbChallengeStore(tables.client, tables.passkeyChallengesTableName, 300, time.clock),
    };
  };

  beforeAll(async () => {
    tables = await createTestTables();
  });

  afterAll(() => tables.drop());

  it('issues 256 random bits, stored with their purpose, their user (for a registration) and their expiry', async () => {
    const { challenges } = setup();
    const expiresAt = Date.parse('2026-12-02T05:00:00.000Z') / 1000 + 300;
    const registration = await challenges.issue('registration', 'ann');
    const authentication = await challenges.issue('authentication');
    expect(registration).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authentication).not.toBe(registration);
    expect(await stored(registration)).toStrictEqual({
      id: registration,
      purpose: 'registration',
      userId: 'ann',
      expiresAt,
    });
    expect(await stored(authentication)).toStrictEqual({ id: authentication, purpose: 'authentication', expiresAt });
  });

  it('spends a challenge once, for its purpose and its user, until it expires; a refused one is left as it was', async () => {
    const { challenges, time } = setup();
    const registration = await challenges.issue('registration', 'ann');
    expect(await challenges.consume(registration, 'authentication')).toBe(false);
    expect(await challenges.consume(registration, 'registration')).toBe(false);
    expect(await challenges.consume(registration, 'registration', 'bob')).toBe(false);
    expect(await stored(registration)).toBeDefined();
    expect(await challenges.consume(registration, 'registration', 'ann')).toBe(true);
    expect(await stored(registration)).toBeUndefined();
    expect(await challenges.consume(registration, 'registration', 'ann')).toBe(false);

    const authentication = await challenges.issue('authentication');
    expect(await challenges.consume(authentication, 'registration', 'ann')).toBe(false);
    expect(await challenges.consume(authentication, 'authentication', 'ann')).toBe(false);
    time.advance(299);
    expect(await challenges.consume(authentication, 'authentication')).toBe(true);

    const late = await challenges.issue('authentication');
    time.advance(300);
    expect(await challenges.consume(late, 'authentication')).toBe(false);
    expect(await stored(late)).toBeDefined();
  });

  it('spends no call on what is not a challenge of ours, and fails with its own error when the table cannot be used', async () => {
    const { challenges } = setup();
    const planted = 'A'.repeat(42);
    await tables.client.send(
      new PutCommand({
        TableName: tables.passkeyChallengesTableName,
        Item: { id: planted, purpose: 'authentication', expiresAt: 4_000_000_000 },
      }),
    );
    const send = vi.spyOn(tables.client, 'send');
    try {
      for (const challenge of [planted, `${'A'.repeat(43)}=`, `=${'A'.repeat(43)}`, `${'A'.repeat(42)}+`]) {
        expect(await challenges.consume(challenge, 'authentication'), challenge).toBe(false);
      }
      expect(send).not.toHaveBeenCalled();
    } finally {
      send.mockRestore();
    }
    const broken = createDynamoDbChallengeStore(tables.client, 'no-such-table', 300);
    await expect(broken.issue('authentication')).rejects.toThrow('Challenge write failed');
    await expect(broken.consume('A'.repeat(43), 'authentication')).rejects.toThrow('Challenge consumption failed');
  });
});
