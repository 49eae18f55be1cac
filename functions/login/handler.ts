import { readLoginConfig } from '#lib/function-config.ts';
import { createLoginHandler } from './create-handler.ts';
import { createLoginHandlerDependencies } from './dependencies.ts';

// Built once per container, at init, and reused by every warm invocation.
const { warmUp, ...dependencies } = createLoginHandlerDependencies(readLoginConfig());

// Started during init and not awaited: the import stays as short as it was, and the secrets,
// the key import and the first connection are under way (or done) when the first event comes.
void warmUp();

/** The Lambda entry point: `POST /api/auth/login` (API Gateway REST API, proxy integration). */
export const handler = createLoginHandler(dependencies);
