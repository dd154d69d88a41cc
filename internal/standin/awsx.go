package standin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Construct builds awsx's components: ecr.Repository (an aws ECR repository and its lifecycle policy, as
// children) and ecr.Image (the server image; the real one builds with Docker, this one digests the build
// context, reading every file the Dockerfile could copy).
func (p *server) Construct(ctx context.Context, req *pulumirpc.ConstructRequest) (*pulumirpc.ConstructResponse, error) {
	return provider.Construct(ctx, req, p.host.EngineConn(), func(pctx *pulumi.Context, typ, name string,
		inputs provider.ConstructInputs, options pulumi.ResourceOption) (*provider.ConstructResult, error) {
		args, err := inputs.Map()
		if err != nil {
			return nil, err
		}
		switch typ {
		case "awsx:ecr:Repository":
			return constructRepository(pctx, typ, name, args, options)
		case "awsx:ecr:Image":
			return constructImage(pctx, typ, name, args, options)
		}
		return nil, fmt.Errorf("the stand-in awsx does not construct %s", typ)
	})
}

type component struct{ pulumi.ResourceState }

func constructRepository(ctx *pulumi.Context, typ, name string, args pulumi.Map, opts pulumi.ResourceOption) (*provider.ConstructResult, error) {
	comp := &component{}
	if err := ctx.RegisterComponentResource(typ, name, comp, opts); err != nil {
		return nil, err
	}
	forceDelete, _ := args["forceDelete"].(pulumi.BoolInput)
	repo, err := ecr.NewRepository(ctx, name, &ecr.RepositoryArgs{ForceDelete: forceDelete}, pulumi.Parent(comp))
	if err != nil {
		return nil, err
	}
	_, err = ecr.NewLifecyclePolicy(ctx, name, &ecr.LifecyclePolicyArgs{
		Repository: repo.Name,
		Policy: pulumi.String(`{"rules":[{"rulePriority":1,"description":"remove untagged images",` +
			`"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":1},` +
			`"action":{"type":"expire"}}]}`),
	}, pulumi.Parent(comp))
	if err != nil {
		return nil, err
	}
	state := pulumi.Map{"url": repo.RepositoryUrl}
	if err := ctx.RegisterResourceOutputs(comp, state); err != nil {
		return nil, err
	}
	return &provider.ConstructResult{URN: comp.URN(), State: state}, nil
}

func constructImage(ctx *pulumi.Context, typ, name string, args pulumi.Map, opts pulumi.ResourceOption) (*provider.ConstructResult, error) {
	comp := &component{}
	if err := ctx.RegisterComponentResource(typ, name, comp, opts); err != nil {
		return nil, err
	}
	str := func(k string) pulumi.StringOutput {
		if v, ok := args[k]; ok {
			return pulumi.ToOutput(v).ApplyT(func(x any) string { s, _ := x.(string); return s }).(pulumi.StringOutput)
		}
		return pulumi.String("").ToStringOutput()
	}
	uri := pulumi.All(str("repositoryUrl"), str("context"), str("dockerfile")).ApplyT(func(v []any) (string, error) {
		digest, err := digestContext(v[1].(string), v[2].(string))
		if err != nil {
			return "", err
		}
		return v[0].(string) + "@sha256:" + digest, nil
	}).(pulumi.StringOutput)
	state := pulumi.Map{"imageUri": uri}
	if err := ctx.RegisterResourceOutputs(comp, state); err != nil {
		return nil, err
	}
	return &provider.ConstructResult{URN: comp.URN(), State: state}, nil
}

// digestContext hashes a Docker build context (paths relative to the project folder, where Pulumi runs
// plugins): the Dockerfile must be there, and every file is read.
func digestContext(dir, dockerfile string) (string, error) {
	if dockerfile == "" {
		dockerfile = filepath.Join(dir, "Dockerfile")
	}
	if _, err := os.Stat(dockerfile); err != nil {
		return "", fmt.Errorf("awsx:ecr:Image: the Dockerfile %s: %w", dockerfile, err)
	}
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("awsx:ecr:Image: the build context %s: %w", dir, err)
	}
	sort.Strings(files)
	h := sha256.New()
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			return "", err
		}
		rel, _ := filepath.Rel(dir, path)
		fmt.Fprintf(h, "%s\x00", filepath.ToSlash(rel))
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
