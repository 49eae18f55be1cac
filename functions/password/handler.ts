import { readPasswordConfig } from '#lib/function-config.ts';
import { createPasswordHandler } from './create-handler.ts';
import { createPasswordHandlerDependencies } from './dependencies.ts';

/**
 * The Lambda entry point: `POST /api/auth/password` (API Gateway REST API, proxy integration).
 * Built once per container, at init, and reused by every warm invocation.
 */
export const handler = createPasswordHandler(createPasswordHandlerDependencies(readPasswordConfig()));
