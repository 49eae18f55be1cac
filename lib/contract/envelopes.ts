import * as v from 'valibot';
import { ERROR_CODES } from '#lib/http/error-codes.ts';

/** Every `code` an error answer may carry (lib/http/error-codes.ts): published as an enum. */
export const ErrorCodeSchema = v.pipe(
  v.picklist(ERROR_CODES),
  v.description('Stable and machine-readable: branch on this, never on `error`. New codes may be added.'),
);

/** `{ ok: true, data }`: the success envelope of the published contract. */
export const successEnvelope = <TData extends v.GenericSchema>(data: TData) =>
  v.strictObject({ ok: v.literal(true), data });

/** `{ ok: false, error, code }`: every error, whoever answers it (function, gateway, local API). */
export const ErrorEnvelopeSchema = v.strictObject({
  ok: v.literal(false),
  error: v.pipe(v.string(), v.description('What went wrong, for a person to read; never internals.')),
  code: ErrorCodeSchema,
});
