import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { PASSKEYS_TABLE } from '#lib/passkeys/table.ts';

/** What a sign-in may write on a passkey: its counter, its backup state and when it was used. */
const SIGN_IN_ATTRIBUTES = [PASSKEYS_TABLE.partitionKey, 'counter', 'backedUp', 'lastUsedAt'];

/**
 * Passkeys (public keys only), built from the same definition as the local and test tables.
 * Losing them locks users out of a way in, so, like the users table, it is kept when the stack
 * goes (RETAIN), cannot be deleted by accident and can be restored to any second of 35 days.
 */
export class PasskeysTable extends Construct {
  readonly table: TableV2;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const { partitionKey, indexes, userIndexAttributes } = PASSKEYS_TABLE;
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: partitionKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      globalSecondaryIndexes: [
        {
          indexName: indexes.user.indexName,
          partitionKey: { name: indexes.user.partitionKey, type: AttributeType.STRING },
          sortKey: { name: indexes.user.sortKey, type: AttributeType.NUMBER },
          projectionType: ProjectionType.INCLUDE,
          nonKeyAttributes: [...userIndexAttributes],
        },
      ],
    });
  }

  /**
   * Lets `grantee` sign in with passkeys: read one by its credential id, and update only its
   * counter, backup state and last use. No listing, no new passkeys, no deletes.
   */
  grantSignIn(grantee: IGrantable): void {
    Grant.addToPrincipal({ grantee, actions: ['dynamodb:GetItem'], resourceArns: [this.table.tableArn] });
    Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:UpdateItem'],
      resourceArns: [this.table.tableArn],
      conditions: {
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': SIGN_IN_ATTRIBUTES },
        StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
      },
    });
  }

  /**
   * Lets `grantee` manage a user's passkeys: add (never over an existing one), delete, and list them
   * from the user index, which carries no public key or counter; and move a user's passkey count
   * (only the count items' `count`, only inside a transaction with the Put or Delete it counts).
   * No reads of whole items.
   */
  grantManage(grantee: IGrantable): void {
    Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
      resourceArns: [this.table.tableArn],
      conditions: { StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' } },
    });
    Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:UpdateItem'],
      resourceArns: [this.table.tableArn],
      conditions: {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${PASSKEYS_TABLE.count.keyPrefix}*`] },
        'ForAllValues:StringEquals': {
          'dynamodb:Attributes': [PASSKEYS_TABLE.partitionKey, PASSKEYS_TABLE.count.attribute],
        },
        StringEquals: { 'dynamodb:EnclosingOperation': 'TransactWriteItems' },
        StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
      },
    });
    Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:Query'],
      resourceArns: [`${this.table.tableArn}/index/${PASSKEYS_TABLE.indexes.user.indexName}`],
    });
  }
}
