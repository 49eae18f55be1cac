import { describe, expect, it } from 'vitest';
import { jsonDepth, MAX_BODY_BYTES } from '#lib/http/body-limit.ts';
import { MAX_IDENTIFIER_LENGTH, MAX_PASSWORD_LENGTH } from '#lib/login/request.ts';
import { MAX_REFRESH_TOKEN_LENGTH } from '#lib/sessions/refresh-token.ts';

/** A string of `length` UTF-16 units that JSON escapes at 6 bytes each (`\u0001`), the most any unit takes. */
const worstCase = (length: number) => '\u0001'.repeat(length);

describe('MAX_BODY_BYTES', () => {
  it.each([
    [
      'a login at both length limits',
      { emailOrUsername: worstCase(MAX_IDENTIFIER_LENGTH), password: worstCase(MAX_PASSWORD_LENGTH) },
    ],
    ['a refresh or logout at the token length limit', { refreshToken: worstCase(MAX_REFRESH_TOKEN_LENGTH) }],
  ])('holds %s with every character escaped', (_, body) => {
    const text = JSON.stringify(body);
    expect(text).toContain('\\u0001');
    expect(Buffer.byteLength(text, 'utf8')).toBeLessThanOrEqual(MAX_BODY_BYTES);
  });
});

describe('jsonDepth', () => {
  it.each([
    ['a scalar', '"x"', 0],
    ['an object of strings', '{"a":"b","c":"d"}', 1],
    ['nested arrays and objects', '{"a":[{"b":[1]}]}', 4],
    ['brackets inside strings', '{"a":"[[[{{{"}', 1],
    ['an escaped quote inside a string', '{"a":"\\"[[[["}', 1],
    ['siblings, not nesting', '[[],[],[]]', 2],
  ])('measures %s', (_, text, depth) => {
    expect(jsonDepth(text, 100)).toBe(depth);
  });

  it('stops counting just past the limit', () => {
    expect(jsonDepth('['.repeat(10_000), 8)).toBe(9);
  });
});
