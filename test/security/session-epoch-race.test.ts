import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '#lib/users/passwords.ts';
import { createDynamoDbUserStore } from '#lib/users/store.ts';
import { parseUserItem } from '#lib/users/user.ts';
import { createTestTables, TEST_BCRYPT_COST, type TestTables } from '#test/support/dynamodb.ts';
import { invoke, loginEvent } from '#test/support/events.ts';
import { createSessionHandlers } from '#test/support/handler.ts';
import { sessionRequest } from '#test/support/session-requests.ts';

const STOLEN = 'the stolen passphrase, 2026';
const NEW = 'a brand new passphrase of mine';
/** Logins the attacker runs side by side, each in a loop: one of them is mid-login at the change. */
const ATTACKER_LOOPS = 4;

interface Attempt {
  startedAt: number;
  endedAt: number;
  status: number;
  grant?: { token: string; refreshToken: string };
}

/**
 * The account-takeover race of issue 18, with real concurrency against DynamoDB Local: an attacker
 * loops logins with a stolen password while the owner's password is changed. A login that read
 * the old hash just before the change and finished after it must not come out with a live
 * session. Under the old clock rule (`sessionsValidAfter`, sessions created after it live) it did:
 * its session was stamped after the change and passed /me and refresh for 30 days.
 */
describe('a password change racing an attacker’s logins', { timeout: 120_000 }, () => {
  let tables: TestTables;
  let handlers: ReturnType<typeof createSessionHandlers>;

  beforeAll(async () => {
    tables = await createTestTables();
    // Throttling is not what this is about: the attacker's logins succeed until the change.
    handlers = createSessionHandlers({ ...tables.env, THROTTLE_MAX_FAILURES: '100' });
  });
  afterAll(() => tables.drop());

  const login = async (password: string): Promise<Attempt> => {
    const startedAt = performance.now();
    const response = await invoke(
      handlers.login,
      loginEvent(JSON.stringify({ emailOrUsername: 'victim', password }), { 'Content-Type': 'application/json' }),
    );
    const endedAt = performance.now();
    return {
      startedAt,
      endedAt,
      status: response.statusCode,
      ...(response.statusCode === 200 && { grant: JSON.parse(response.body).data }),
    };
  };
  const me = async (token: string) =>
    (await sessionRequest(handlers.me, { method: 'GET', path: '/api/auth/me', token })).statusCode;
  const refresh = async (refreshToken: string) =>
    (await sessionRequest(handlers.refresh, { path: '/api/auth/refresh', body: { refreshToken } })).statusCode;

  it('leaves the attacker no live session, however their logins interleave with the change', async () => {
    await tables.createUser('victim', { id: 'victim', password: STOLEN });
    // What `npm run users -- set-password` does, in its steps, so the test knows when the write
    // happens: read the user, hash the new password, then the one conditional write.
    const users = createDynamoDbUserStore(tables.client, tables.usersTableName);
    const before = parseUserItem(await users.findById('victim'));
    const newHash = await hashPassword(NEW, TEST_BCRYPT_COST);

    const attempts: Attempt[] = [];
    let stopAt = Number.POSITIVE_INFINITY;
    const attacker = async () => {
      while (performance.now() < stopAt) attempts.push(await login(STOLEN));
    };
    const loops = Array.from({ length: ATTACKER_LOOPS }, attacker);

    // Let the attacker get going, then change the password as the runbook says.
    while (attempts.filter((attempt) => attempt.status === 200).length < ATTACKER_LOOPS) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const changeStartedAt = performance.now();
    expect(await users.replacePasswordHash('victim', before?.passwordHash ?? '', newHash, true)).toBe(true);
    const changeEndedAt = performance.now();
    // Every login started before the change has ended once each loop starts one more after it.
    stopAt = changeEndedAt;
    await Promise.all(loops);

    // The race was really run: some login read the old state before the change and ended after it.
    const straddling = attempts.filter((a) => a.startedAt < changeStartedAt && a.endedAt > changeEndedAt);
    expect(straddling.length).toBeGreaterThan(0);

    const grants = attempts.flatMap((attempt) => (attempt.grant ? [attempt.grant] : []));
    expect(grants.length).toBeGreaterThan(0);
    const alive = [];
    for (const grant of grants) {
      const [meStatus, refreshStatus] = [await me(grant.token), await refresh(grant.refreshToken)];
      if (meStatus !== 401 || refreshStatus !== 401) alive.push({ meStatus, refreshStatus });
    }
    expect(alive).toEqual([]);

    // The owner is in with the new password, and only with it.
    expect((await login(NEW)).status).toBe(200);
    expect((await login(STOLEN)).status).toBe(401);
  });
});
