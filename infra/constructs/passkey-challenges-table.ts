import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { PASSKEY_CHALLENGES_TABLE } from '#lib/passkeys/table.ts';

/**
 * Passkey challenges: each lives a few minutes and is spent by one conditional delete. Losing the
 * table only fails the ceremonies under way, so it is removed with the stack; a TTL tidies away
 * challenges never used.
 */
export class PasskeyChallengesTable extends Construct {
  readonly table: TableV2;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: PASSKEY_CHALLENGES_TABLE.partitionKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      timeToLiveAttribute: PASSKEY_CHALLENGES_TABLE.timeToLiveAttribute,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  /** Lets `grantee` issue challenges and spend them: PutItem and DeleteItem, never a read, nothing returned. */
  grantIssueAndConsume(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
      resourceArns: [this.table.tableArn],
      conditions: { StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' } },
    });
  }
}
