import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { LOGIN_ATTEMPTS_TABLE } from '#lib/login/attempts-table.ts';

/**
 * Failed-login counters, keyed by a keyed hash of the identifier. Short-lived by design: items
 * carry a TTL and nothing is lost if the table is recreated, so it is removed with the stack and
 * has no backups.
 */
export class LoginAttemptsTable extends Construct {
  readonly table: TableV2;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: LOGIN_ATTEMPTS_TABLE.partitionKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      timeToLiveAttribute: LOGIN_ATTEMPTS_TABLE.timeToLiveAttribute,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  /**
   * Lets `grantee` claim, count and settle attempts, item by item: every change is one
   * conditional UpdateItem (no DeleteItem, Query or Scan). The one read is of an account cap's
   * count: GetItem of the `failures` of `account#` items only.
   */
  grantCounting(grantee: IGrantable): Grant {
    Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem'],
      resourceArns: [this.table.tableArn],
      conditions: {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${LOGIN_ATTEMPTS_TABLE.keyPrefixes.account}*`] },
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': [LOGIN_ATTEMPTS_TABLE.partitionKey, 'failures'] },
        StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
      },
    });
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:UpdateItem'],
      resourceArns: [this.table.tableArn],
    });
  }
}
