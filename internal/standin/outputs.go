package standin

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// nameKey is the input a type autonames when it is not given ("" for types that have no name).
func nameKey(typ string) string {
	switch typ {
	case "aws:s3/bucketV2:BucketV2", "aws:s3/bucket:Bucket":
		return "bucket"
	case "aws:lambda/function:Function", "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy",
		"aws:cloudwatch/eventRule:EventRule", "aws:ecr/repository:Repository", "aws:cloudfront/function:Function",
		"aws:cloudfront/keyValueStore:KeyValueStore", "aws:cloudfront/originAccessControl:OriginAccessControl",
		"aws:secretsmanager/secret:Secret", "aws:wafv2/webAcl:WebAcl", "aws:cloudwatch/logGroup:LogGroup":
		return "name"
	}
	return ""
}

// replaceKeys are inputs whose change replaces the resource rather than updating it (names, and what a
// resource is attached to), as in the AWS provider's schema.
func replaceKeys(typ string) map[string]bool {
	keys := map[string]bool{"name": true, "bucket": true}
	switch typ {
	case "aws:lambda/functionUrl:FunctionUrl", "aws:lambda/alias:Alias":
		keys["functionName"], keys["qualifier"] = true, true
	case "aws:lambda/permission:Permission":
		for _, k := range []string{"action", "function", "principal", "sourceArn", "qualifier", "functionUrlAuthType"} {
			keys[k] = true
		}
	case "aws:iam/rolePolicy:RolePolicy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
		keys["role"], keys["policyArn"] = true, true
	case "aws:cloudwatch/eventTarget:EventTarget":
		keys["rule"] = true
	}
	return keys
}

// service is the ARN service of a type token: aws:lambda/function:Function -> lambda.
func service(typ string) string {
	s := strings.TrimPrefix(typ, "aws:")
	s, _, _ = strings.Cut(s, "/")
	return strings.ToLower(s)
}

// outputs are the inputs plus the computed outputs of the type; olds are the previous outputs on update.
func (p *server) outputs(typ, id string, in, olds resource.PropertyMap) resource.PropertyMap {
	out := in.Copy()
	str := func(k string) string {
		if v, ok := in[resource.PropertyKey(k)]; ok && v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	set := func(k, v string) { out[resource.PropertyKey(k)] = resource.NewStringProperty(v) }
	keep := func(k, v string) { // a computed value stays what it was, as in AWS
		if o, ok := olds[resource.PropertyKey(k)]; ok && o.IsString() {
			v = o.StringValue()
		}
		set(k, v)
	}
	name := str("name")
	if name == "" {
		name = id
	}
	set("id", id)
	keep("arn", fmt.Sprintf("arn:aws:%s:%s:%s:%s", service(typ), p.region, Account, name))
	switch typ {
	case "aws:s3/bucketV2:BucketV2", "aws:s3/bucket:Bucket":
		b := str("bucket")
		set("arn", "arn:aws:s3:::"+b)
		set("bucketDomainName", b+".s3.amazonaws.com")
		domain := b + ".s3." + p.region + ".amazonaws.com"
		if d := os.Getenv(EnvBucketDomain); d != "" {
			domain = d
		}
		set("bucketRegionalDomainName", domain)
		set("region", p.region)
		set("hostedZoneId", "Z3AQBSTGFYJSTF")
	case "aws:lambda/function:Function":
		arn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", p.region, Account, name)
		set("arn", arn)
		version := "$LATEST"
		if v, ok := in["publish"]; ok && v.IsBool() && v.BoolValue() {
			n := 1
			if o, ok := olds["version"]; ok && o.IsString() {
				if prev, err := strconv.Atoi(o.StringValue()); err == nil {
					n = prev + 1
				}
			}
			version = strconv.Itoa(n)
		}
		set("version", version)
		set("qualifiedArn", arn+":"+version)
		set("invokeArn", fmt.Sprintf("arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations", p.region, arn))
		set("qualifiedInvokeArn", fmt.Sprintf("arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s:%s/invocations", p.region, arn, version))
	case "aws:lambda/functionUrl:FunctionUrl":
		u := fmt.Sprintf("https://%s.lambda-url.%s.on.aws/", shortHash(id, "url")+shortHash(id, "url2"), p.region)
		if e := os.Getenv(EnvFunctionURL); e != "" {
			u = e
		}
		keep("functionUrl", u)
		keep("urlId", shortHash(id))
	case "aws:lambda/alias:Alias":
		set("arn", fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s:%s", p.region, Account, str("functionName"), name))
	case "aws:cloudfront/distribution:Distribution":
		set("arn", fmt.Sprintf("arn:aws:cloudfront::%s:distribution/%s", Account, id))
		domain := "d" + shortHash(id, "domain") + ".cloudfront.net"
		if d := os.Getenv(EnvDistributionDomain); d != "" {
			domain = d
		}
		keep("domainName", domain)
		set("hostedZoneId", "Z2FDTNDATAQYW2")
		set("status", "Deployed")
		set("etag", "E"+shortHash(id, "etag"))
	case "aws:cloudfront/function:Function":
		set("arn", fmt.Sprintf("arn:aws:cloudfront::%s:function/%s", Account, name))
		set("etag", "E"+shortHash(str("code")))
		set("liveStageEtag", "E"+shortHash(str("code")))
	case "aws:cloudfront/keyValueStore:KeyValueStore":
		set("arn", fmt.Sprintf("arn:aws:cloudfront::%s:key-value-store/%s", Account, id))
		set("etag", "E"+shortHash(id))
	case "aws:iam/role:Role":
		set("arn", fmt.Sprintf("arn:aws:iam::%s:role/%s", Account, name))
		keep("uniqueId", "AROA"+strings.ToUpper(shortHash(id)))
	case "aws:iam/rolePolicy:RolePolicy":
		set("id", str("role")+":"+name)
	case "aws:ecr/repository:Repository":
		set("arn", fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", p.region, Account, name))
		set("registryId", Account)
		set("repositoryUrl", p.repositoryURL(name))
	case "aws:cloudwatch/logGroup:LogGroup":
		set("arn", fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", p.region, Account, name))
	case "aws:lambda/invocation:Invocation":
		set("result", `{"statusCode": 200}`)
	}
	return out
}
