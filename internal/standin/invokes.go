package standin

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// EnvRegistry is host:port of a registry on loopback that ECR repositories and authorization tokens name
// (registry.go).
const EnvRegistry = "STANDIN_REGISTRY"

// Invoke answers the data sources the component reads. Any other fails, naming itself, so a new call in
// the component shows up here rather than passing unnoticed.
func (p *server) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	args, err := unmarshal(req.Args)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	switch req.Tok {
	case "aws:index/getCallerIdentity:getCallerIdentity":
		out = map[string]any{"accountId": Account, "arn": "arn:aws:iam::" + Account + ":user/standin",
			"userId": "AIDASTANDIN", "id": Account}
	case "aws:index/getRegion:getRegion":
		out = map[string]any{"name": p.region, "region": p.region, "id": p.region,
			"description": "stand-in", "endpoint": "ec2." + p.region + ".amazonaws.com"}
	case "aws:index/getPartition:getPartition":
		out = map[string]any{"partition": "aws", "id": "aws", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws"}
	case "aws:iam/getPolicyDocument:getPolicyDocument":
		doc, err := policyDocument(args)
		if err != nil {
			return nil, err
		}
		out = map[string]any{"json": doc, "minifiedJson": doc, "id": shortHash(doc)}
	case "aws:ecr/getAuthorizationToken:getAuthorizationToken", "aws:ecr/getCredentials:getCredentials":
		endpoint := "https://" + strings.TrimSuffix(p.repositoryURL(""), "/")
		if registry() != "" {
			endpoint = "http://" + registry()
		}
		out = map[string]any{"userName": RegistryUser, "password": RegistryPassword, "id": p.region,
			"authorizationToken": base64.StdEncoding.EncodeToString([]byte(RegistryUser + ":" + RegistryPassword)),
			"proxyEndpoint":      endpoint, "expiresAt": "2099-01-01T00:00:00Z"}
	default:
		return nil, fmt.Errorf("the stand-in %s provider does not answer %s; add it to internal/standin/invokes.go "+
			"with the outputs AWS documents", p.pkg, req.Tok)
	}
	props, err := plugin.MarshalProperties(resource.NewPropertyMapFromMap(out), marshal)
	return &pulumirpc.InvokeResponse{Return: props}, err
}

// policyDocument renders getPolicyDocument's statements as IAM JSON (effect, actions, resources, principals).
func policyDocument(args resource.PropertyMap) (string, error) {
	type statement struct {
		Sid       string         `json:"Sid,omitempty"`
		Effect    string         `json:"Effect"`
		Action    []string       `json:"Action,omitempty"`
		Resource  []string       `json:"Resource,omitempty"`
		Principal map[string]any `json:"Principal,omitempty"`
	}
	var doc struct {
		Version   string      `json:"Version"`
		Statement []statement `json:"Statement"`
	}
	doc.Version = "2012-10-17"
	strings := func(v resource.PropertyValue) []string {
		var out []string
		if v.IsArray() {
			for _, e := range v.ArrayValue() {
				if e.IsString() {
					out = append(out, e.StringValue())
				}
			}
		}
		return out
	}
	if s, ok := args["statements"]; ok && s.IsArray() {
		for _, e := range s.ArrayValue() {
			if !e.IsObject() {
				continue
			}
			o := e.ObjectValue()
			st := statement{Effect: "Allow", Action: strings(o["actions"]), Resource: strings(o["resources"])}
			if v := o["effect"]; v.IsString() {
				st.Effect = v.StringValue()
			}
			if v := o["sid"]; v.IsString() {
				st.Sid = v.StringValue()
			}
			if v := o["principals"]; v.IsArray() {
				st.Principal = map[string]any{}
				for _, pr := range v.ArrayValue() {
					if pr.IsObject() && pr.ObjectValue()["type"].IsString() {
						st.Principal[pr.ObjectValue()["type"].StringValue()] = strings(pr.ObjectValue()["identifiers"])
					}
				}
			}
			doc.Statement = append(doc.Statement, st)
		}
	}
	b, err := json.Marshal(doc)
	return string(b), err
}
