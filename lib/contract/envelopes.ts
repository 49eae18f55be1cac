import * as v from 'valibot';

/** `{ ok: true, data }`: the success envelope of the published contract. */
export const successEnvelope = <TData extends v.GenericSchema>(data: TData) =>
  v.strictObject({ ok: v.literal(true), data });

/** `{ ok: false, error }`: every error, whoever answers it (function, gateway, local API). */
export const ErrorEnvelopeSchema = v.strictObject({
  ok: v.literal(false),
  error: v.pipe(v.string(), v.description('What went wrong, for a person to read; never internals.')),
});
