/** The service's name in logs, metrics and tags. */
export const SERVICE_NAME = 'movie-knight-auth';

/** The CloudWatch namespace its metrics are published under. */
export const METRICS_NAMESPACE = 'MovieKnightAuth';
