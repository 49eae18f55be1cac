import { describe, expect, it } from 'vitest';
import { parsePasswordChangeRequest } from '#lib/login/password-change-request.ts';
import { MAX_PASSWORD_LENGTH } from '#lib/login/request.ts';
import { refusalOf } from '#test/support/refusal.ts';

const messageFor = (body: unknown): string => refusalOf(() => parsePasswordChangeRequest(body));

describe('parsePasswordChangeRequest', () => {
  it('keeps both passwords exactly as sent, and nothing else', () => {
    expect(
      parsePasswordChangeRequest({ currentPassword: ' old ', newPassword: 'p'.repeat(MAX_PASSWORD_LENGTH), extra: 1 }),
    ).toEqual({ currentPassword: ' old ', newPassword: 'p'.repeat(MAX_PASSWORD_LENGTH) });
  });

  it.each([
    [null, 'Request body must be a JSON object'],
    [['x'], 'Request body must be a JSON object'],
    [{ newPassword: 'n' }, 'currentPassword is required'],
    [{ currentPassword: 'c' }, 'newPassword is required'],
    [{}, 'currentPassword is required'],
    [{ currentPassword: 7, newPassword: 'n' }, 'currentPassword must be a string'],
    [{ currentPassword: 'c', newPassword: null }, 'newPassword must be a string'],
    [{ currentPassword: '', newPassword: 'n' }, 'currentPassword must not be empty'],
    [{ currentPassword: 'c', newPassword: '' }, 'newPassword must not be empty'],
    [
      { currentPassword: 'c', newPassword: 'p'.repeat(MAX_PASSWORD_LENGTH + 1) },
      `newPassword must be at most ${MAX_PASSWORD_LENGTH} characters`,
    ],
    [
      { currentPassword: 'p'.repeat(MAX_PASSWORD_LENGTH + 1), newPassword: '' },
      `currentPassword must be at most ${MAX_PASSWORD_LENGTH} characters`,
    ],
  ])('refuses %j with "%s"', (body, message) => {
    expect(messageFor(body)).toBe(message);
  });
});
