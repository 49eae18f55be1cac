import { describe, expect, it } from 'vitest';
import { parseLoginRequest } from '#lib/login/request.ts';
import { MAX_DEVICE_TOKEN_LENGTH } from '#lib/sessions/device-token.ts';
import { refusalOf } from '#test/support/refusal.ts';

const messageFor = (body: unknown): string => refusalOf(() => parseLoginRequest(body));

describe('parseLoginRequest', () => {
  it('treats an identifier with @ as an email, trimmed and lowercased', () => {
    expect(parseLoginRequest({ emailOrUsername: '  MovieFan@Example.COM ', password: 'secret123' })).toEqual({
      identifier: { kind: 'email', email: 'moviefan@example.com' },
      password: 'secret123',
    });
  });

  it('treats anything else as a username, exactly as given', () => {
    expect(parseLoginRequest({ emailOrUsername: 'MovieFan', password: 'secret123' }).identifier).toEqual({
      kind: 'username',
      username: 'MovieFan',
    });
  });

  it('keeps the password exactly as sent, spaces included', () => {
    expect(parseLoginRequest({ emailOrUsername: 'a', password: ' pass word ' }).password).toBe(' pass word ');
  });

  it('ignores keys the contract does not define', () => {
    expect(() => parseLoginRequest({ emailOrUsername: 'a', password: 'b', extra: { $ne: 1 } })).not.toThrow();
  });

  it.each([
    ['null', null],
    ['an array', [{ emailOrUsername: 'a', password: 'b' }]],
    ['a string', 'emailOrUsername=a'],
    ['a number', 42],
  ])('rejects a body that is %s', (_, body) => {
    expect(messageFor(body)).toBe('Request body must be a JSON object');
  });

  it.each([
    [{ password: 'p' }, 'emailOrUsername is required'],
    [{ emailOrUsername: 'a' }, 'password is required'],
    [{}, 'emailOrUsername is required'],
    [{ emailOrUsername: 7, password: 'p' }, 'emailOrUsername must be a string'],
    [{ emailOrUsername: null, password: 'p' }, 'emailOrUsername must be a string'],
    [{ emailOrUsername: { $ne: '' }, password: 'p' }, 'emailOrUsername must be a string'],
    [{ emailOrUsername: 'a', password: true }, 'password must be a string'],
    [{ emailOrUsername: 'a', password: ['p'] }, 'password must be a string'],
    [{ emailOrUsername: '', password: 'p' }, 'emailOrUsername must not be empty'],
    [{ emailOrUsername: 'a', password: '' }, 'password must not be empty'],
    [{ emailOrUsername: '   ', password: 'p' }, 'emailOrUsername must not be blank'],
    [{ emailOrUsername: 'a', password: ' \t ' }, 'password must not be blank'],
    [{ emailOrUsername: 'a\u0000b', password: 'p' }, 'emailOrUsername must not contain control characters'],
    [
      { emailOrUsername: `${'a'.repeat(243)}@example.com`, password: 'p' },
      'emailOrUsername must be at most 254 characters',
    ],
    [{ emailOrUsername: 'a', password: 'p'.repeat(1025) }, 'password must be at most 1024 characters'],
  ])('rejects %j with "%s"', (body, message) => {
    expect(messageFor(body)).toBe(message);
  });

  it('accepts the longest allowed fields', () => {
    expect(() =>
      parseLoginRequest({ emailOrUsername: `${'a'.repeat(242)}@example.com`, password: 'p'.repeat(1024) }),
    ).not.toThrow();
  });

  it('passes a device token and a client on, and leaves them out when absent', () => {
    const token = 'd'.repeat(MAX_DEVICE_TOKEN_LENGTH);
    expect(
      parseLoginRequest({ emailOrUsername: 'a', password: 'b', deviceToken: token, clientId: 'tv.app-1_x' }),
    ).toEqual({
      identifier: { kind: 'username', username: 'a' },
      password: 'b',
      deviceToken: token,
      clientId: 'tv.app-1_x',
    });
    expect(Object.keys(parseLoginRequest({ emailOrUsername: 'a', password: 'b' }))).toEqual(['identifier', 'password']);
  });

  it.each([
    [{ deviceToken: 7 }, 'deviceToken must be a string'],
    [{ deviceToken: '' }, 'deviceToken must not be empty'],
    [
      { deviceToken: 'd'.repeat(MAX_DEVICE_TOKEN_LENGTH + 1) },
      `deviceToken must be at most ${MAX_DEVICE_TOKEN_LENGTH} characters`,
    ],
    [{ clientId: 7 }, 'clientId must be a string'],
    [{ clientId: '' }, 'clientId is not a registered client'],
    [{ clientId: 'c'.repeat(65) }, 'clientId is not a registered client'],
    [{ clientId: ' app' }, 'clientId is not a registered client'],
    [{ clientId: 'app ' }, 'clientId is not a registered client'],
    [{ clientId: 'app\n' }, 'clientId is not a registered client'],
    [{ clientId: 'évil' }, 'clientId is not a registered client'],
  ])('rejects the optional field of %j with "%s"', (extra, message) => {
    expect(messageFor({ emailOrUsername: 'a', password: 'b', ...extra })).toBe(message);
  });

  it('accepts a client id of 64 characters', () => {
    expect(parseLoginRequest({ emailOrUsername: 'a', password: 'b', clientId: 'c'.repeat(64) }).clientId).toHaveLength(
      64,
    );
  });
});
