import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '#lib/aws/dynamodb.ts';
import { ServiceUnavailableError } from '#lib/errors.ts';
import { createDynamoDbSessionControl, endEverySession } from '#lib/sessions/control.ts';
import type { SessionItem } from '#lib/sessions/session.ts';
import { createDynamoDbSessionStore } from '#lib/sessions/store.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { expectStoreFailure, MISSING_TABLE } from '#test/support/instrumented-client.ts';

/**
 * The bounded loops of the sessions store, against DynamoDB Local: a session start that meets
 * other transactions, a batch read DynamoDB answers only in part, and a user index of many pages.
 * What the real server will not do on demand (a conflict, unprocessed keys) is made by a
 * middleware on the real client, around real requests.
 */
describe('the DynamoDB sessions store, at its bounds', () => {
  let tables: TestTables;
  let user: Record<string, unknown>;

  /** The store on its own client, whose commands of `name` are seen (and may be changed) by `around`. */
  const storeWith = (
    name: string,
    around: (call: number, next: () => Promise<{ output: unknown }>) => Promise<{ output: unknown }>,
  ) => {
    const client = createDocumentClient({ endpoint: tables.endpoint });
    let calls = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== name) return next(args);
        calls += 1;
        return around(calls, () => next(args)) as ReturnType<typeof next>;
      },
      { step: 'initialize', name: 'around' },
    );
    return {
      store: createDynamoDbSessionStore(client, tables.sessionsTableName, tables.usersTableName),
      calls: () => calls,
    };
  };

  const session = (id: string, userId: string, createdAt: number): SessionItem & { expiresAt: number } => ({
    id,
    userId,
    createdAt,
    lastUsedAt: createdAt,
    absoluteExpiresAt: createdAt + 86_400_000,
    startedBy: 'password',
    salt: 's'.repeat(43),
    generation: 0,
    rotatedAt: createdAt,
    epoch: 0,
    globalEpoch: 0,
    expiresAt: Math.ceil(createdAt / 1000) + 86_400,
  });
  const guard = () => ({ userId: String(user.id), passwordHash: String(user.passwordHash), sessionEpoch: 0 });
  const conflict = () =>
    new TransactionCanceledException({
      message: 'Transaction cancelled',
      $metadata: {},
      CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict' }],
    });

  beforeAll(async () => {
    tables = await createTestTables();
    user = await tables.createUser('many', { id: 'many' });
  });

  afterAll(() => tables.drop());

  it('tries a start that meets another transaction again, and starts it once that one is done', async () => {
    const { store, calls } = storeWith('TransactWriteItemsCommand', async (call, next) => {
      if (call <= 3) throw conflict();
      return next();
    });
    expect(await store.create(session('after-conflicts', 'many', Date.now()), guard())).toEqual({ started: true });
    expect(calls()).toBe(4);
    expect((await store.get('after-conflicts'))?.userId).toBe('many');
  });

  it('gives up after 8 tries that all meet another transaction, with a 503', async () => {
    const { store, calls } = storeWith('TransactWriteItemsCommand', async () => {
      throw conflict();
    });
    const error = await store.create(session('never', 'many', Date.now()), guard()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    // The last conflict is the cause, for the log.
    expect((error as Error).cause).toMatchObject({ name: 'TransactionCanceledException' });
    expect(calls()).toBe(8);
    expect(await store.get('never')).toBeUndefined();
  });

  it('does not retry a start the user item refused (its hash moved on)', async () => {
    const { store, calls } = storeWith('TransactWriteItemsCommand', (_, next) => next());
    const moved = { ...guard(), passwordHash: 'another hash' };
    expect(await store.create(session('refused', 'many', Date.now()), moved)).toEqual({
      started: false,
      reason: 'user_changed',
    });
    expect(calls()).toBe(1);
  });

  /** `count` sessions of `userId`, `s-0000` the oldest, written 25 at a time. */
  const seed = async (userId: string, count: number, prefix = 's') => {
    const base = 1_700_000_000_000;
    const items = Array.from({ length: count }, (_, i) =>
      session(`${prefix}-${String(i).padStart(4, '0')}`, userId, base + i),
    );
    for (let i = 0; i < items.length; i += 25) {
      await tables.client.send(
        new BatchWriteCommand({
          RequestItems: {
            [tables.sessionsTableName]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })),
          },
        }),
      );
    }
  };

  it('reads at most 10 pages of the user index, whatever the user has: bounded work', async () => {
    await seed('many-pages', 1005, 'm');
    const { store, calls } = storeWith('QueryCommand', (_, next) => next());
    expect(await store.listByUser('many-pages', 20, () => false)).toEqual([]);
    expect(calls()).toBe(10);
    const all = await store.listByUser('many-pages', 2000, () => true);
    expect(all).toHaveLength(1000);
    expect(all.at(-1)?.id).toBe('m-0005');
  });

  describe('with 250 sessions of one user (no user item needed: the index is the sessions table)', () => {
    beforeAll(() => seed('pages', 250));

    it('lists newest first, reading pages of 100 only until the limit is met', async () => {
      const { store, calls } = storeWith('QueryCommand', (_, next) => next());
      const listed = await store.listByUser('pages', 150, () => true);
      expect(listed.map(({ id }) => id).slice(0, 2)).toEqual(['s-0249', 's-0248']);
      expect(listed).toHaveLength(150);
      expect(calls()).toBe(2);
      // What `keep` refuses does not count towards the limit.
      const odd = await store.listByUser('pages', 3, (listedSession) => listedSession.createdAt % 2 === 1);
      expect(odd.map(({ id }) => id)).toEqual(['s-0249', 's-0247', 's-0245']);
      // All of them, in three pages.
      expect(await store.listByUser('pages', 300, () => true)).toHaveLength(250);
    });

    it('reads the states of at most 100 sessions at once, each once', async () => {
      const { store } = storeWith('BatchGetItemCommand', (_, next) => next());
      const ids = Array.from({ length: 150 }, (_, i) => `s-${String(i % 120).padStart(4, '0')}`);
      const states = await store.listedState(ids);
      expect([...states.keys()].sort()).toEqual(
        Array.from({ length: 100 }, (_, i) => `s-${String(i).padStart(4, '0')}`),
      );
      expect(states.get('s-0000')).toEqual({ epoch: 0, globalEpoch: 0, startedBy: 'password' });
    });

    /** Moves every second key DynamoDB answered into UnprocessedKeys, for the first `rounds` calls. */
    const partly = (rounds: number) =>
      storeWith('BatchGetItemCommand', async (call, next) => {
        const result = (await next()) as {
          output: { Responses: Record<string, { id: string }[]>; UnprocessedKeys?: Record<string, unknown> };
        };
        if (call > rounds) return result;
        const table = tables.sessionsTableName;
        const answered = result.output.Responses[table] ?? [];
        result.output.Responses[table] = answered.filter((_, i) => i % 2 === 0);
        const left = answered.filter((_, i) => i % 2 === 1).map(({ id }) => ({ id }));
        result.output.UnprocessedKeys = left.length ? { [table]: { Keys: left } } : {};
        return result;
      });

    it('asks again for the keys DynamoDB left unprocessed, up to three rounds in all', async () => {
      const ids = Array.from({ length: 8 }, (_, i) => `s-${String(i).padStart(4, '0')}`);
      const twice = partly(2);
      expect((await twice.store.listedState(ids)).size).toBe(8);
      expect(twice.calls()).toBe(3);
      const always = partly(3);
      await expect(always.store.listedState(ids)).rejects.toBeInstanceOf(ServiceUnavailableError);
      expect(always.calls()).toBe(3);
    });
  });

  describe('the conditions of its writes', () => {
    const plain = () => createDynamoDbSessionStore(tables.client, tables.sessionsTableName, tables.usersTableName);
    const now = Date.parse('2026-11-26T12:00:00Z');
    const item = async (id: string) =>
      (await tables.client.send(new GetCommand({ TableName: tables.sessionsTableName, Key: { id } }))).Item;
    const put = (value: Record<string, unknown>) =>
      tables.client.send(new PutCommand({ TableName: tables.sessionsTableName, Item: value }));
    const endGuard = (globalEpoch: number) => ({
      userId: 'many',
      user: { sessionEpoch: 0 },
      globalEpoch,
      idleSeconds: 15 * 86_400,
    });

    it('refuses a start whose guard expects an epoch the user item does not have (no epoch is 0)', async () => {
      await tables.createUser('no-epoch', { id: 'no-epoch' });
      await tables.client.send(
        new UpdateCommand({
          TableName: tables.usersTableName,
          Key: { id: 'no-epoch' },
          UpdateExpression: 'REMOVE sessionEpoch',
        }),
      );
      const { Item } = await tables.client.send(
        new GetCommand({ TableName: tables.usersTableName, Key: { id: 'no-epoch' } }),
      );
      const hash = String(Item?.passwordHash);
      const later = { userId: 'no-epoch', passwordHash: hash, sessionEpoch: 1 };
      expect(await plain().create({ ...session('epoch-1', 'no-epoch', now), epoch: 1 }, later)).toMatchObject({
        started: false,
      });
      expect(await plain().create(session('epoch-0', 'no-epoch', now), { ...later, sessionEpoch: 0 })).toEqual({
        started: true,
      });
    });

    it('ends a session from before global epochs at global epoch 0, and not after an end of every session', async () => {
      const { globalEpoch: _, ...legacy } = session('legacy-global', 'many', now);
      await put(legacy);
      expect(await plain().end('legacy-global', now, endGuard(1))).toBe(false);
      expect(await plain().end('legacy-global', now, endGuard(0))).toBe(true);
      // Ended, DynamoDB may tidy it away from now on.
      expect(await item('legacy-global')).toMatchObject({ expiresAt: Math.ceil(now / 1000) });
    });

    it('ends a session idle for an hour, well within the idle limit', async () => {
      await put(session('idle-hour', 'many', now - 3_600_000));
      expect(await plain().end('idle-hour', now, endGuard(0))).toBe(true);
    });

    it('keeps a rotated session as long as its new expiry', async () => {
      await put(session('rotated', 'many', now));
      const stored = await plain().get('rotated');
      if (!stored) throw new Error('no session');
      const expiresAt = now + 86_400_000;
      expect(await plain().rotate(stored, now, expiresAt)).toMatchObject({ rotated: true });
      expect(await item('rotated')).toMatchObject({ generation: 1, expiresAt: Math.ceil(expiresAt / 1000) });
    });
  });

  describe('when the store fails (a real one: the tables do not exist)', () => {
    const missing = () => createDynamoDbSessionStore(tables.client, MISSING_TABLE, MISSING_TABLE);
    const now = Date.parse('2026-11-26T12:00:00Z');

    it.each([
      ['starting a session', 'Session write failed', () => missing().create(session('f-1', 'many', now), guard())],
      ['reading a session', 'Session read failed', () => missing().get('f-1')],
      ['reading listed sessions', 'Session read failed', () => missing().listedState(['f-1'])],
      ['rotating a session', 'Session rotation failed', () => missing().rotate(session('f-1', 'many', now), now, now)],
      ['ending a session', 'Session end failed', () => missing().end('f-1', now)],
      ['listing sessions', 'Session listing failed', () => missing().listByUser('many', 10, () => true)],
      [
        'reading the global epoch',
        'Session control read failed',
        () => createDynamoDbSessionControl(tables.client, MISSING_TABLE).globalEpoch(),
      ],
      ['ending every session', 'Ending every session failed', () => endEverySession(tables.client, MISSING_TABLE)],
    ])('fails %s with a 500 saying so', (_, message, call) => expectStoreFailure(call, message));
  });
});
