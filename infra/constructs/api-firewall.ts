import { CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { HTTP_PATHS } from '#lib/http/routes.ts';

export interface LoginFirewallProps {
  /** The API Gateway stage to protect. */
  stageArn: string;
  /** Most login requests one IP may send in any 5-minute window before WAF blocks it. */
  rateLimitPer5Minutes: number;
}

/**
 * An AWS WAF web ACL on the API stage with a per-IP rate-based rule for the login path. It costs
 * money (a web ACL, a rule, and per request), so the stack creates it only when asked.
 */
export class LoginFirewall extends Construct {
  readonly webAcl: CfnWebACL;

  constructor(scope: Construct, id: string, props: LoginFirewallProps) {
    super(scope, id);
    const visibility = (metricName: string) => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName,
    });
    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('MovieKnightAuthWebAcl'),
      customResponseBodies: {
        RateLimited: {
          contentType: 'APPLICATION_JSON',
          content: '{"ok":false,"error":"Too many requests, slow down"}',
        },
      },
      rules: [
        {
          name: 'LoginRatePerIp',
          priority: 0,
          action: { block: { customResponse: { responseCode: 429, customResponseBodyKey: 'RateLimited' } } },
          visibilityConfig: visibility('LoginRatePerIp'),
          statement: {
            rateBasedStatement: {
              aggregateKeyType: 'IP',
              limit: props.rateLimitPer5Minutes,
              evaluationWindowSec: 300,
              scopeDownStatement: {
                byteMatchStatement: {
                  fieldToMatch: { uriPath: {} },
                  positionalConstraint: 'ENDS_WITH',
                  searchString: HTTP_PATHS.login,
                  textTransformations: [{ priority: 0, type: 'NONE' }],
                },
              },
            },
          },
        },
      ],
    });
    new CfnWebACLAssociation(this, 'Association', { resourceArn: props.stageArn, webAclArn: this.webAcl.attrArn });
  }
}
