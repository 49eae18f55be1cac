import { describe, expect, it } from 'vitest';
import { MAX_REFRESH_TOKEN_LENGTH } from '#lib/sessions/refresh-token.ts';
import { parseRefreshRequest } from '#lib/sessions/request.ts';
import { refusalOf } from '#test/support/refusal.ts';

describe('parseRefreshRequest', () => {
  it('returns the refresh token exactly as sent, and ignores other keys', () => {
    expect(parseRefreshRequest({ refreshToken: ' t ', extra: 1 })).toBe(' t ');
    expect(parseRefreshRequest({ refreshToken: 't'.repeat(MAX_REFRESH_TOKEN_LENGTH) })).toHaveLength(
      MAX_REFRESH_TOKEN_LENGTH,
    );
  });

  it.each([
    [null, 'Request body must be a JSON object'],
    [{}, 'refreshToken is required'],
    [{ refreshToken: 7 }, 'refreshToken must be a string'],
    [{ refreshToken: null }, 'refreshToken must be a string'],
    [{ refreshToken: '' }, 'refreshToken must not be empty'],
    [
      { refreshToken: 't'.repeat(MAX_REFRESH_TOKEN_LENGTH + 1) },
      `refreshToken must be at most ${MAX_REFRESH_TOKEN_LENGTH} characters`,
    ],
  ])('refuses %j with "%s"', (body, message) => {
    expect(refusalOf(() => parseRefreshRequest(body))).toBe(message);
  });
});
