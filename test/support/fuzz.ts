import type { APIGatewayProxyResult } from 'aws-lambda';
import fc from 'fast-check';
import { expect } from 'vitest';
import { SERVICE_UNAVAILABLE_MESSAGE } from '#lib/errors.ts';

/** Strings that make parsers and schemas think: JSON syntax, prototype keys, controls, long runs. */
export const trickyString = fc.oneof(
  fc.string({ maxLength: 64 }),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.constantFrom('__proto__', 'constructor', 'prototype', '{', '[', '"', '\\u0000', '\u2028', 'moviefan', ''),
  fc.string({ maxLength: 300 }),
);

/** Any JSON value, leaning to the tricky strings and to objects with tricky keys. */
export const jsonValue = fc.oneof(
  trickyString,
  fc.jsonValue({ maxDepth: 4 }),
  fc.dictionary(trickyString, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
);

/**
 * A request body up to a few KB (the 413 limit has tests of its own): none, text, binary, any
 * JSON, and objects with the route's own `fields` holding any JSON or tricky strings.
 */
export const requestBody = (fields: readonly [string, ...string[]]) =>
  fc.oneof(
    fc.constant(null),
    fc.string({ maxLength: 1000 }),
    fc.string({ unit: 'binary', maxLength: 1000 }),
    jsonValue.map((value) => JSON.stringify(value)),
    fc
      .record(Object.fromEntries([...fields, 'extra'].map((field) => [field, jsonValue])), {
        requiredKeys: [...fields],
      })
      .map((value) => JSON.stringify(value)),
    fc.record(Object.fromEntries(fields.map((field) => [field, trickyString]))).map((value) => JSON.stringify(value)),
  );

const contentType = fc.oneof(
  fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'text/plain', ''),
  fc.string({ maxLength: 40 }),
);

/** Request headers: a Content-Type in any case and of any value, and up to five other headers of any name. */
export const requestHeaders = fc
  .tuple(
    fc.constantFrom('Content-Type', 'content-type', 'CONTENT-TYPE'),
    contentType,
    fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ maxLength: 60 }), { maxKeys: 5 }),
  )
  .map(([name, value, others]) => ({ ...others, [name]: value }));

/**
 * An answer the service itself made to a client's mistake: a 4xx in the contract's error
 * envelope, as JSON, whose message is one short line of ours (no stack frame, no JavaScript or
 * SDK error text). Anything unexpected inside a handler becomes a 500, which fails this. With
 * `allowUnavailable`, a 503 with its one fixed message passes too: a route that reads DynamoDB
 * Local may find it slow on a busy machine, which is no answer to the input.
 */
export const expectClientErrorEnvelope = (
  response: APIGatewayProxyResult,
  { allowUnavailable = false }: { allowUnavailable?: boolean } = {},
): void => {
  expect(response.statusCode).toBeGreaterThanOrEqual(400);
  if (allowUnavailable && response.statusCode === 503) {
    expect(JSON.parse(response.body)).toStrictEqual({
      ok: false,
      error: SERVICE_UNAVAILABLE_MESSAGE,
      code: 'service_unavailable',
    });
    return;
  }
  expect(response.statusCode).toBeLessThan(500);
  expect(response.headers?.['Content-Type']).toBe('application/json');
  const body = JSON.parse(response.body);
  expect(body).toStrictEqual({ ok: false, error: expect.any(String), code: expect.any(String) });
  expect(body.error).toMatch(/^[^\n]{1,200}$/);
  expect(body.error).not.toMatch(/\bat \S+:\d+|Error\b|Exception|undefined|\[object/);
};
