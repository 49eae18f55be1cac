import { BadRequestError } from './errors.ts';

/**
 * The parsed JSON body of a request, if it is an object (not an array, a string, a number or
 * null); otherwise a 400. Every body the API reads is an object, so each request schema starts here.
 */
export const jsonObjectBody = (body: unknown): Record<string, unknown> => {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestError('Request body must be a JSON object');
  }
  return body as Record<string, unknown>;
};
