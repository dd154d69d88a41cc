package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// Pulumi keeps each stack's state (what it deployed) and encrypts its secrets. Without a Pulumi account, a
// deploy keeps both in the user's own AWS account, as SST does: one S3 bucket and one KMS key per account
// and region, shared by every app and stack deployed there, created on the first deploy and kept on
// destroy (state outlives stacks).

// statePrefix starts the bucket's name and the key's alias: opendash-state-<account>-<region>.
const statePrefix = "opendash-state"

// StateStore is where Pulumi keeps a deploy's state and how it encrypts its secrets.
type StateStore struct {
	Backend         string // Pulumi backend URL (s3://bucket?region=...)
	SecretsProvider string // Pulumi secrets provider URL (awskms://alias/...?region=...)
	Bucket          string // "" when Backend was given
	KeyAlias        string // "" when SecretsProvider was given
}

// stateNames are the bucket's name and the key's alias in an account and region. S3 bucket names are
// global: the account id makes them unique, the region tells the buckets of one account apart.
func stateNames(account, region string) (bucket, alias string) {
	name := fmt.Sprintf("%s-%s-%s", statePrefix, account, region)
	return name, "alias/" + name
}

// stateURLs are the Pulumi URLs of the bucket and the key. A custom endpoint (AWS_ENDPOINT_URL_S3,
// AWS_ENDPOINT_URL_KMS or AWS_ENDPOINT_URL, as for every AWS SDK: LocalStack, MinIO, moto) goes into them,
// since the state is always read through them.
func stateURLs(bucket, alias, region string) (backend, secrets string) {
	q := url.Values{"region": {region}}
	if e := endpointFor("S3"); e != "" {
		q.Set("endpoint", e)
		q.Set("s3ForcePathStyle", "true") // a custom endpoint has no bucket subdomains
	}
	backend = "s3://" + bucket + "?" + q.Encode()
	k := url.Values{"region": {region}}
	if e := endpointFor("KMS"); e != "" {
		k.Set("endpoint", e)
	}
	return backend, "awskms://" + alias + "?" + k.Encode()
}

func endpointFor(service string) string {
	if e := os.Getenv("AWS_ENDPOINT_URL_" + service); e != "" {
		return e
	}
	return os.Getenv("AWS_ENDPOINT_URL")
}

// stateAPI is the part of S3, KMS and STS the bootstrap uses (tests could stand in for it).
type stateAPI struct {
	s3  *s3.Client
	kms *kms.Client
	sts *sts.Client
}

func newStateAPI(cfg aws.Config) *stateAPI {
	return &stateAPI{s3: s3.NewFromConfig(cfg), kms: kms.NewFromConfig(cfg), sts: sts.NewFromConfig(cfg)}
}

// missingState is what findState did not find.
type missingState struct {
	bucket, alias string
}

// findState looks for the account's state bucket and key in the region.
func (a *stateAPI) findState(ctx context.Context, region string) (bucket, alias string, missing missingState, err error) {
	id, err := a.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", "", missing, fmt.Errorf("cannot tell which AWS account to deploy to (sts:GetCallerIdentity: %v)\n"+
			"  hint: give AWS credentials: `aws configure`, --profile / AWS_PROFILE, or AWS_ACCESS_KEY_ID and "+
			"AWS_SECRET_ACCESS_KEY", err)
	}
	bucket, alias = stateNames(aws.ToString(id.Account), region)
	_, err = a.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &bucket})
	switch code := apiCode(err); {
	case err == nil:
	case code == "NotFound" || code == "NoSuchBucket":
		missing.bucket = bucket
	case code == "Forbidden" || code == "AccessDenied" || code == "301":
		return "", "", missing, fmt.Errorf("the state bucket %s exists but these credentials cannot use it (%v); "+
			"S3 bucket names are global, so it may belong to another account\n  hint: pass --backend s3://<a bucket "+
			"of yours> (and --secrets-provider), or fix the credentials' S3 permissions", bucket, err)
	default:
		return "", "", missing, fmt.Errorf("looking for the state bucket %s: %w", bucket, err)
	}
	_, err = a.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &alias})
	var notFound *kmstypes.NotFoundException
	switch {
	case err == nil:
	case errors.As(err, &notFound):
		missing.alias = alias
	default:
		return "", "", missing, fmt.Errorf("looking for the state key %s: %w", alias, err)
	}
	return bucket, alias, missing, nil
}

// apiCode is an AWS error's code ("" for nil or a non-API error).
func apiCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

// createBucket makes the state bucket: private (public access blocked, owner-enforced, TLS only),
// versioned (an overwritten or deleted checkpoint can be recovered) and encrypted at rest.
func (a *stateAPI) createBucket(ctx context.Context, bucket, region string) error {
	in := &s3.CreateBucketInput{Bucket: &bucket, ObjectOwnership: s3types.ObjectOwnershipBucketOwnerEnforced}
	if region != "us-east-1" { // us-east-1 refuses its own name as a location constraint
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(region)}
	}
	if _, err := a.s3.CreateBucket(ctx, in); err != nil && apiCode(err) != "BucketAlreadyOwnedByYou" {
		return fmt.Errorf("creating the state bucket %s: %w", bucket, err)
	}
	steps := []struct {
		what string
		run  func() error
	}{
		{"blocking public access", func() error {
			_, err := a.s3.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: &bucket,
				PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true),
					BlockPublicPolicy: aws.Bool(true), IgnorePublicAcls: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true)}})
			return err
		}},
		{"turning on versioning", func() error {
			_, err := a.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &bucket,
				VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}})
			return err
		}},
		{"turning on encryption", func() error {
			_, err := a.s3.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: &bucket,
				ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{{
					ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAes256}}}}})
			return err
		}},
	}
	// A local stand-in for S3 reached over plain http (moto, LocalStack) would be locked out by it.
	if !strings.HasPrefix(endpointFor("S3"), "http://") {
		steps = append(steps, struct {
			what string
			run  func() error
		}{"refusing requests without TLS", func() error {
			_, err := a.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &bucket, Policy: aws.String(tlsOnlyPolicy(bucket))})
			return err
		}})
	}
	for _, s := range steps {
		if err := s.run(); err != nil {
			return fmt.Errorf("state bucket %s: %s: %w", bucket, s.what, err)
		}
	}
	return nil
}

func tlsOnlyPolicy(bucket string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"TLSOnly","Effect":"Deny","Principal":"*",`+
		`"Action":"s3:*","Resource":["arn:aws:s3:::%[1]s","arn:aws:s3:::%[1]s/*"],`+
		`"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`, bucket)
}

// createKey makes the symmetric KMS key that encrypts the stacks' secrets, with yearly rotation, and its alias.
func (a *stateAPI) createKey(ctx context.Context, alias string) error {
	key, err := a.kms.CreateKey(ctx, &kms.CreateKeyInput{
		Description: aws.String("OpenDash: encrypts the secrets in Pulumi's state (" + alias + ")"),
		Tags:        []kmstypes.Tag{{TagKey: aws.String("opendash"), TagValue: aws.String("state")}},
	})
	if err != nil {
		return fmt.Errorf("creating the state key %s: %w", alias, err)
	}
	id := key.KeyMetadata.KeyId
	if _, err := a.kms.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: id}); err != nil {
		return fmt.Errorf("state key %s: turning on rotation: %w", aws.ToString(id), err)
	}
	if _, err := a.kms.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: &alias, TargetKeyId: id}); err != nil {
		return fmt.Errorf("state key %s: naming it %s: %w", aws.ToString(id), alias, err)
	}
	return nil
}

// stateCost is said before the state bucket and key are created.
const stateCost = "the key costs about $1 a month, the bucket a few cents"

// ensureState finds the state bucket and key of the account and region, or creates what is missing once
// confirm agrees (after saying what and why on w). A backend given is used as it is, with the secrets
// provider given or else the backend's own (Pulumi Cloud's, or a passphrase for a folder): no AWS call.
func ensureState(ctx context.Context, cfg aws.Config, backend, secrets string, w io.Writer,
	confirm func(question string) (bool, error)) (*StateStore, error) {
	if backend != "" {
		return &StateStore{Backend: backend, SecretsProvider: secrets}, nil
	}
	a := newStateAPI(cfg)
	bucket, alias, missing, err := a.findState(ctx, cfg.Region)
	if err != nil {
		return nil, err
	}
	if secrets != "" {
		missing.alias = ""
	}
	if missing.bucket != "" || missing.alias != "" {
		var what []string
		if missing.bucket != "" {
			what = append(what, "S3 bucket "+missing.bucket+" (private, versioned, encrypted) for Pulumi's state")
		}
		if missing.alias != "" {
			what = append(what, "KMS key "+missing.alias+" for its secrets")
		}
		fmt.Fprintf(w, "First deploy in account and region %s: OpenDash keeps Pulumi's state in your account.\n"+
			"It will create the %s, in %s. They are shared by every app deployed here and kept by destroy; %s.\n",
			bucket[len(statePrefix)+1:], joinAnd(what), cfg.Region, stateCost)
		ok, err := confirm("Create them?")
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errors.New("the state bucket and key were not created\n  hint: run again and answer yes, " +
				"or keep the state elsewhere with --backend and --secrets-provider")
		}
		if missing.bucket != "" {
			if err := a.createBucket(ctx, bucket, cfg.Region); err != nil {
				return nil, err
			}
			fmt.Fprintf(w, "  created s3://%s\n", bucket)
		}
		if missing.alias != "" {
			if err := a.createKey(ctx, alias); err != nil {
				return nil, err
			}
			fmt.Fprintf(w, "  created KMS key %s\n", alias)
		}
	}
	s := &StateStore{Backend: backend, SecretsProvider: secrets}
	b, k := stateURLs(bucket, alias, cfg.Region)
	if s.Backend == "" {
		s.Backend, s.Bucket = b, bucket
	}
	if s.SecretsProvider == "" {
		s.SecretsProvider, s.KeyAlias = k, alias
	}
	return s, nil
}

func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	out := items[0]
	for _, it := range items[1 : len(items)-1] {
		out += ", " + it
	}
	return out + " and the " + items[len(items)-1]
}
