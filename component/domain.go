package component

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/acm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudfront"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// newCertificate requests an ACM certificate for the custom domain in us-east-1 (the only region CloudFront
// takes certificates from), validates it with a DNS record in the hosted zone, and returns its ARN once
// validated, so the distribution never points at a pending certificate.
func newCertificate(ctx *pulumi.Context, name string, provider *aws.Provider, accountChecked pulumi.StringOutput, s *settings,
	opts []pulumi.ResourceOption) (pulumi.StringOutput, error) {
	t := &s.transform
	edgeOpts := plus(opts, pulumi.Provider(provider))
	cert, err := acm.NewCertificate(ctx, name+"-certificate", with(t.Certificate, &acm.CertificateArgs{
		DomainName:       pulumi.String(s.DomainName),
		ValidationMethod: after(accountChecked, "DNS"), // created once the us-east-1 account is checked
	}), edgeOpts...)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	// One domain name, so exactly one validation option.
	option := cert.DomainValidationOptions.Index(pulumi.Int(0))
	record, err := route53.NewRecord(ctx, name+"-certificate-validation", with(t.CertificateValidationRecord, &route53.RecordArgs{
		ZoneId:         s.HostedZoneId,
		Name:           option.ResourceRecordName().Elem(),
		Type:           option.ResourceRecordType().Elem(),
		Records:        pulumi.StringArray{option.ResourceRecordValue().Elem()},
		Ttl:            pulumi.Int(300),
		AllowOverwrite: pulumi.Bool(true), // a re-created certificate for the same name has the same record
	}), opts...)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	validation, err := acm.NewCertificateValidation(ctx, name+"-certificate-validated", with(t.CertificateValidation, &acm.CertificateValidationArgs{
		CertificateArn:        cert.Arn,
		ValidationRecordFqdns: pulumi.StringArray{record.Fqdn},
	}), edgeOpts...)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	return validation.CertificateArn, nil
}

// newAliasRecords points the custom domain (IPv4 and IPv6) at the distribution.
func newAliasRecords(ctx *pulumi.Context, name string, dist *cloudfront.Distribution, s *settings, opts []pulumi.ResourceOption) error {
	for _, typ := range []string{"A", "AAAA"} {
		_, err := route53.NewRecord(ctx, name+"-alias-"+typ, with(s.transform.AliasRecord, &route53.RecordArgs{
			ZoneId: s.HostedZoneId,
			Name:   pulumi.String(s.DomainName),
			Type:   pulumi.String(typ),
			Aliases: route53.RecordAliasArray{&route53.RecordAliasArgs{
				Name:                 dist.DomainName,
				ZoneId:               dist.HostedZoneId,
				EvaluateTargetHealth: pulumi.Bool(false),
			}},
		}), opts...)
		if err != nil {
			return err
		}
	}
	return nil
}
