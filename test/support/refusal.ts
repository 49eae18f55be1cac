import { expect } from 'vitest';
import { BadRequestError } from '#lib/errors.ts';

/** The message of the 400 that `parse` throws; fails the test when it throws anything else, or nothing. */
export const refusalOf = (parse: () => unknown): string => {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestError);
    return (error as Error).message;
  }
  throw new Error('expected a BadRequestError');
};
