import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface DynamoDbOptions {
  /** DynamoDB Local's URL; unset in AWS. */
  endpoint: string | undefined;
}

/**
 * The document client every adapter shares, built once per container.
 * Timeouts and attempts are bounded so a slow or unreachable DynamoDB turns into a
 * 503 within a few seconds instead of holding the request until the Lambda timeout.
 */
export const createDocumentClient = ({ endpoint }: DynamoDbOptions): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(
    new DynamoDBClient({
      maxAttempts: 3,
      requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
      ...(endpoint && {
        endpoint,
        // DynamoDB Local accepts any credentials; real ones are neither needed nor sent.
        region: process.env.AWS_REGION ?? 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
    }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
