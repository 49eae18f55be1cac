import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, Grant, type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { SESSIONS_TABLE } from '#lib/sessions/table.ts';

/**
 * Sessions, built from the same definition as the local and test tables. Losing the table signs
 * everyone out and nothing more (users log in again), so it is removed with the stack and has no
 * backups; items carry a TTL so ended and expired sessions are tidied away.
 */
export class SessionsTable extends Construct {
  readonly table: TableV2;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const { partitionKey, indexes, userIndexAttributes, timeToLiveAttribute } = SESSIONS_TABLE;
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: partitionKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      timeToLiveAttribute,
      removalPolicy: RemovalPolicy.DESTROY,
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

  private get userIndexArn(): string {
    return `${this.table.tableArn}/index/${SESSIONS_TABLE.indexes.user.indexName}`;
  }

  /**
   * No function may write the control item (the global session epoch): only an operator ends every
   * session. An explicit deny beside each grant that writes sessions, so that no allow, now or
   * later, lets a compromised function bring ended sessions back.
   */
  private denyControlWrites(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.DENY,
        actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'],
        resources: [this.table.tableArn],
        conditions: { 'ForAnyValue:StringEquals': { 'dynamodb:LeadingKeys': [SESSIONS_TABLE.controlKey] } },
      }),
    );
  }

  /**
   * Lets `grantee` start sessions (login): write new items, list and end a user's sessions for the
   * cap, and read the global session epoch the new session records: that one item, its epoch only.
   */
  grantStart(grantee: IGrantable): void {
    Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resourceArns: [this.table.tableArn],
    });
    Grant.addToPrincipal({ grantee, actions: ['dynamodb:Query'], resourceArns: [this.userIndexArn] });
    Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem'],
      resourceArns: [this.table.tableArn],
      conditions: {
        'ForAllValues:StringEquals': {
          'dynamodb:LeadingKeys': [SESSIONS_TABLE.controlKey],
          'dynamodb:Attributes': [SESSIONS_TABLE.partitionKey, SESSIONS_TABLE.controlAttribute],
        },
        StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
      },
    });
    this.denyControlWrites(grantee);
  }

  /**
   * Lets `grantee` read sessions (and the global epoch) by id and rotate or end them (refresh): no
   * listing, no new sessions.
   */
  grantRefresh(grantee: IGrantable): Grant {
    this.denyControlWrites(grantee);
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      resourceArns: [this.table.tableArn],
    });
  }

  /**
   * Lets `grantee` read and end sessions, and list a user's (logout, the session list: a batch read
   * of the listed sessions' epochs, which the index does not carry).
   */
  grantManage(grantee: IGrantable): void {
    this.denyControlWrites(grantee);
    Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem'],
      resourceArns: [this.table.tableArn],
    });
    Grant.addToPrincipal({ grantee, actions: ['dynamodb:Query'], resourceArns: [this.userIndexArn] });
  }

  /**
   * Lets `grantee` change a password: read the caller's session by id, check it inside the
   * transaction, and write the new session. No listing, no ending, no rotation.
   */
  grantPasswordChange(grantee: IGrantable): Grant {
    this.denyControlWrites(grantee);
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:PutItem'],
      resourceArns: [this.table.tableArn],
    });
  }

  /** Lets `grantee` read sessions (and the global epoch) by id, and nothing else (`/api/auth/me`). */
  grantReadById(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: ['dynamodb:GetItem'], resourceArns: [this.table.tableArn] });
  }
}
