import { describe, expect, it } from 'vitest';
import { jsonDepth } from '#lib/http/body-limit.ts';

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
