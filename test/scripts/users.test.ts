import { spawn } from 'node:child_process';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbSessionControl } from '#lib/sessions/control.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';

/** Runs `npm run users -- ...args` as an operator would, with `stdin` piped in. */
const users = (tables: TestTables, args: string[], stdin = '', env: Record<string, string> = {}) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/users.ts', ...args], {
      env: {
        ...process.env,
        USERS_TABLE_NAME: tables.usersTableName,
        DYNAMODB_ENDPOINT: tables.endpoint,
        BCRYPT_COST: '10',
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });

describe('npm run users', () => {
  let tables: TestTables;

  beforeAll(async () => {
    tables = await createTestTables();
  });

  afterAll(() => tables.drop());

  const create = ['create', '--email', 'Ops@Example.com', '--username', 'ops', '--name', 'Ops Person'];

  it('creates a user with the password from stdin and prints the safe user', async () => {
    const { code, stdout } = await users(tables, [...create, '--date-of-birth', '1990-01-02'], 'a long passphrase\n');
    expect(code).toBe(0);
    const user = JSON.parse(stdout);
    expect(user).toMatchObject({ email: 'Ops@Example.com', username: 'ops', dateOfBirth: '1990-01-02T00:00:00.000Z' });
    expect(stdout).not.toContain('passwordHash');
    const { Item } = await tables.client.send(
      new GetCommand({ TableName: tables.usersTableName, Key: { id: user.id } }),
    );
    // The trailing newline of `echo` is not part of the password.
    expect(await bcrypt.compare('a long passphrase', Item?.passwordHash)).toBe(true);
  });

  it('says clearly that the email is taken, and exits 1', async () => {
    const { code, stderr } = await users(tables, [...create.slice(0, 4), 'ops2', '--name', 'X'], 'another passphrase');
    expect(code).toBe(1);
    expect(stderr.trim()).toBe('Error: that email is already registered');
  });

  it('refuses a bcrypt cost out of range before doing anything, and exits 2', async () => {
    const { code, stderr } = await users(tables, [...create], 'a long passphrase', { BCRYPT_COST: '4' });
    expect(code).toBe(2);
    expect(stderr).toContain('Environment variable BCRYPT_COST must be an integer from 10 to 15');
  });

  it('never takes the password as an option', async () => {
    const { code, stderr } = await users(tables, [...create, '--password', 'in-argv-oops']);
    expect(code).toBe(2);
    expect(stderr).toContain("Unknown option '--password'");
  });

  it('refuses a short password', async () => {
    const { code, stderr } = await users(
      tables,
      ['create', '--email', 'b@example.com', '--username', 'bee', '--name', 'B'],
      'short',
    );
    expect(code).toBe(1);
    expect(stderr.trim()).toBe('Error: password must be at least 15 characters');
  });

  it('refuses a common password and one built from the account, however long', async () => {
    const bee = ['create', '--email', 'bee@example.com', '--username', 'bumblebee', '--name', 'Bee Keeper'];
    expect((await users(tables, bee, '1qaz2wsx3edc4rfv')).stderr.trim()).toBe(
      'Error: password is a commonly used password',
    );
    expect((await users(tables, bee, 'bumblebee2024!!!')).stderr.trim()).toMatch(
      /^Error: password is built from your email/,
    );
  });

  it('takes the minimum length from PASSWORD_MIN_LENGTH', async () => {
    const bee = ['create', '--email', 'bee@example.com', '--username', 'bumblebee', '--name', 'Bee Keeper'];
    const { stderr } = await users(tables, bee, 'a long passphrase', { PASSWORD_MIN_LENGTH: '20' });
    expect(stderr.trim()).toBe('Error: password must be at least 20 characters');
  });

  it('sets a password and shows the user', async () => {
    expect((await users(tables, ['set-password', '--user', 'ops'], 'a newer passphrase')).code).toBe(0);
    const { code, stdout } = await users(tables, ['show', '--user', 'ops@example.com']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ username: 'ops' });
    expect(stdout).not.toContain('passwordHash');
  });

  it('ends every session of every user with end-all-sessions --yes, naming the new global epoch', async () => {
    // The sessions table only: the users table is not needed, nor read.
    const env = { USERS_TABLE_NAME: '', SESSIONS_TABLE_NAME: tables.sessionsTableName };
    const refused = await users(tables, ['end-all-sessions'], '', env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('end-all-sessions needs --yes');
    expect(await createDynamoDbSessionControl(tables.client, tables.sessionsTableName).globalEpoch()).toBe(0);

    const { code, stdout } = await users(tables, ['end-all-sessions', '--yes'], '', env);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Ended every session of every user: the global session epoch is now 1 \(was 0\)\./);
    expect(stdout).toContain('npm run keys -- revoke');
    expect(await createDynamoDbSessionControl(tables.client, tables.sessionsTableName).globalEpoch()).toBe(1);
    const again = await users(tables, ['end-all-sessions', '--yes'], '', env);
    expect(again.stdout).toContain('is now 2 (was 1)');
    const missing = await users(tables, ['end-all-sessions', '--yes'], '', { SESSIONS_TABLE_NAME: '' });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('SESSIONS_TABLE_NAME is required');
  });
});
