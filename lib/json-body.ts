import { BadRequestError } from './errors.ts';

/**
 * The parsed JSON body of a request, if it is an object (not an array, a string, a number or
 * null) holding every key in `required`; otherwise a 400, naming the first key missing. Every body
 * the API reads is an object, so each request schema starts here.
 */
export const jsonObjectBody = (body: unknown, required: readonly string[] = []): Record<string, unknown> => {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestError('Request body must be a JSON object');
  }
  const fields = body as Record<string, unknown>;
  const missing = required.find((key) => fields[key] === undefined);
  if (missing !== undefined) throw new BadRequestError(`${missing} is required`);
  return fields;
};
