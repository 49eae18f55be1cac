/**
 * How long a key must have been published before it may sign: API Gateway's JWT authorizers
 * cache a JWKS for up to 2 hours, and one more hour of margin. It is also how long a retired key
 * stays published after the last token it signed expires. A shared definition: the stack sizes
 * the retention with it and the rotation enforces it.
 */
export const JWKS_CACHE_MARGIN_SECONDS = 3 * 3600;
