import type middy from '@middy/core';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { BadRequestError, PayloadTooLargeError } from '#lib/errors.ts';
import { HTTP_MESSAGES } from './messages.ts';

/**
 * The largest body any route accepts, in bytes: rounded up from a login whose identifier and
 * password are at their limits with every character escaped (test/lib/http/body-limit.test.ts
 * checks that every route's largest valid body still fits). API Gateway would pass up to 10 MB.
 */
export const MAX_BODY_BYTES = 8 * 1024;

/** Deepest nesting of arrays and objects a body may have; every valid body is an object of strings. */
export const MAX_JSON_DEPTH = 8;

/** True for a form-encoded body (lower-cased header names, after http-header-normalizer). */
const isForm = (contentType: string | undefined): boolean =>
  contentType?.split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';

/** The body's size in bytes, without decoding it: base64 carries 3 bytes in every 4 characters. */
const bodyBytes = (body: string, isBase64Encoded: boolean): number =>
  isBase64Encoded ? Math.floor((body.length * 3) / 4) : body.length;

/**
 * The deepest nesting of `[` and `{` outside string literals; stops counting past `limit`. A
 * linear scan of a body already known to be small, so JSON.parse and the body parser's
 * prototype guard (which recurses into every value) only see bounded input.
 */
export const jsonDepth = (text: string, limit: number): number => {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '{' || char === '[') {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (char === '}' || char === ']') depth--;
  }
  return deepest;
};

/**
 * Middy middleware that refuses, before anything parses the body, a body larger than any valid
 * request (413) or nested deeper than any valid request (400). Part of the shared chain, so every
 * function that reads a body gets it. It counts the raw body's bytes (decoded, for a base64 body);
 * UTF-8 bytes are never fewer than UTF-16 units, so `length` refuses a huge body in constant time
 * and the exact count runs only on one that might fit.
 */
export const httpBodyLimit = ({
  maxBytes = MAX_BODY_BYTES,
  maxDepth = MAX_JSON_DEPTH,
}: {
  maxBytes?: number;
  maxDepth?: number;
} = {}): middy.MiddlewareObj<APIGatewayProxyEvent> => ({
  before: ({ event }) => {
    const { body, isBase64Encoded } = event;
    if (typeof body !== 'string' || body === '') return;
    if (bodyBytes(body, isBase64Encoded) > maxBytes) throw new PayloadTooLargeError(HTTP_MESSAGES.bodyTooLarge);
    const text = isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
    if (Buffer.byteLength(text, 'utf8') > maxBytes) throw new PayloadTooLargeError(HTTP_MESSAGES.bodyTooLarge);
    // A form (the OAuth endpoints) has no nesting: its brackets are just characters.
    if (isForm(event.headers?.['content-type'])) return;
    if (jsonDepth(text, maxDepth) > maxDepth) throw new BadRequestError(HTTP_MESSAGES.bodyTooDeep);
  },
});
