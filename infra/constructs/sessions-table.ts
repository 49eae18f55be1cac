import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
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

  /** Lets `grantee` start sessions (login): write new items, and list and end a user's sessions for the cap. */
  grantStart(grantee: IGrantable): void {
    Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resourceArns: [this.table.tableArn],
    });
    Grant.addToPrincipal({ grantee, actions: ['dynamodb:Query'], resourceArns: [this.userIndexArn] });
  }

  /** Lets `grantee` read sessions by id and rotate or end them (refresh): no listing, no new sessions. */
  grantRefresh(grantee: IGrantable): Grant {
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
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:PutItem'],
      resourceArns: [this.table.tableArn],
    });
  }

  /** Lets `grantee` read sessions by id, and nothing else (`/api/auth/me`). */
  grantReadById(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: ['dynamodb:GetItem'], resourceArns: [this.table.tableArn] });
  }
}
