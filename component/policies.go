package component

import (
	"encoding/json"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Managed identifiers used by the distribution and the roles.
const (
	// CachingOptimizedPolicyID is CloudFront's managed cache policy for static files: it honours the
	// manifest's Cache-Control and compresses.
	CachingOptimizedPolicyID = "658327ea-f89d-4fab-a63d-7e88639e58f6"
	// CachingDisabledPolicyID is CloudFront's managed cache policy that never caches (the server).
	CachingDisabledPolicyID = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	// AllViewerExceptHostHeaderPolicyID forwards every viewer header, cookie and query string but Host:
	// a function URL routes by Host, so the viewer's must not reach it.
	AllViewerExceptHostHeaderPolicyID = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
	// SecurityHeadersPolicyID is CloudFront's managed response headers policy SecurityHeadersPolicy: HSTS
	// (one year), X-Content-Type-Options nosniff, X-Frame-Options SAMEORIGIN, Referrer-Policy
	// strict-origin-when-cross-origin and X-XSS-Protection, each kept when the origin sets its own but nosniff
	// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-response-headers-policies.html).
	SecurityHeadersPolicyID = "67f7725c-6f97-4210-82d7-5512b31e9d03"
	// BasicExecutionPolicyArn lets a Lambda function write its CloudWatch logs.
	BasicExecutionPolicyArn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
)

// policyDocument is an IAM policy; field order follows AWS's documentation so the JSON reads naturally.
type policyDocument struct {
	Version   string      `json:"Version"`
	Statement []statement `json:"Statement"`
}

type statement struct {
	Sid       string                       `json:"Sid,omitempty"`
	Effect    string                       `json:"Effect"`
	Principal map[string]any               `json:"Principal,omitempty"`
	Action    any                          `json:"Action"` // a string or a list of strings
	Resource  string                       `json:"Resource,omitempty"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

func render(doc policyDocument) string {
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err) // only strings and maps of strings: cannot fail
	}
	return string(b)
}

func policy(statements ...statement) string {
	return render(policyDocument{Version: "2012-10-17", Statement: statements})
}

// assumeRolePolicy lets the given AWS services assume a role.
func assumeRolePolicy(services ...string) string {
	var principal any = services
	if len(services) == 1 {
		principal = services[0]
	}
	return policy(statement{
		Effect:    "Allow",
		Principal: map[string]any{"Service": principal},
		Action:    "sts:AssumeRole",
	})
}

// bucketPolicy lets only this distribution (through its origin access control) read the bucket's objects.
func bucketPolicy(bucketArn, distributionArn string) string {
	return policy(statement{
		Sid:       "AllowCloudFrontReadOnlyThisDistribution",
		Effect:    "Allow",
		Principal: map[string]any{"Service": "cloudfront.amazonaws.com"},
		Action:    "s3:GetObject",
		Resource:  bucketArn + "/*",
		Condition: map[string]map[string]string{"StringEquals": {"AWS:SourceArn": distributionArn}},
	})
}

// edgeInvokePolicy lets the edge signer call the server's function URL. Since October 2025 a function URL
// caller needs both lambda:InvokeFunctionUrl and lambda:InvokeFunction. AWS documents the
// lambda:InvokedViaFunctionUrl condition key for resource-based policies (lambda.Permission) only; no AWS
// document says identity policies evaluate it, and a condition on a key absent from the request context is
// false, which would refuse every request with 403. The role belongs to the signer alone and its code only
// calls the URL, so InvokeFunction is granted on this one function without that condition. A same-account
// caller may hold both permissions in its identity policy alone:
// https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html
func edgeInvokePolicy(serverFunctionArn string) string {
	return policy(
		statement{
			Sid:      "InvokeServerFunctionUrl",
			Effect:   "Allow",
			Action:   "lambda:InvokeFunctionUrl",
			Resource: serverFunctionArn,
		},
		statement{
			Sid:      "InvokeServerFunction",
			Effect:   "Allow",
			Action:   "lambda:InvokeFunction",
			Resource: serverFunctionArn,
		},
	)
}

// warmerInvokePolicy lets the warmer invoke the server function directly.
func warmerInvokePolicy(serverFunctionArn string) string {
	return policy(statement{
		Sid:      "WarmServerFunction",
		Effect:   "Allow",
		Action:   "lambda:InvokeFunction",
		Resource: serverFunctionArn,
	})
}

// policyOf renders a one-ARN policy once the ARN is known.
func policyOf(arn pulumi.StringInput, render func(string) string) pulumi.StringOutput {
	return arn.ToStringOutput().ApplyT(render).(pulumi.StringOutput)
}
