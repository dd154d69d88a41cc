package deployerpolicy

// The state store of `open-dash deploy` (package deploy, state.go): Pulumi's state in an S3 bucket and its
// secrets under a KMS key, both in the user's account, named opendash-state-<account>-<region>, found or
// created by the deploy itself, then read and written by Pulumi's S3 backend and awskms secrets provider.
// The key is tagged opendash=state when created, which scopes everything done to it afterwards.

var (
	stateBucket  = newScope("StateBucket", "arn:aws:s3:::opendash-state-{account}-*")
	stateObjects = newScope("StateObjects", "arn:aws:s3:::opendash-state-{account}-*/*")
	stateAliases = newScope("StateKeyAlias", "arn:aws:kms:*:{account}:alias/opendash-state-*")
	stateKeys    = newScope("StateKey", "arn:aws:kms:*:{account}:key/*")
	newStateKey  = newScope("NewStateKey", "*")
	stateTag     = map[string]map[string][]string{"StringEquals": {"aws:ResourceTag/opendash": {"state"}}}
)

// StateCalls are the AWS API calls the deploy makes itself, by "service.Operation" as the AWS SDK for Go
// names them, with what each needs. A test reads deploy/*.go and fails on a call missing here.
var StateCalls = map[string][]Grant{
	"sts.GetCallerIdentity": {{On: anyResource, Actions: []string{"sts:GetCallerIdentity"}}},
	"s3.HeadBucket":         {{On: stateBucket, Actions: []string{"s3:ListBucket"}}},
	// Created with ObjectOwnership, which S3 authorizes as s3:PutBucketOwnershipControls.
	"s3.CreateBucket":         {{On: stateBucket, Actions: []string{"s3:CreateBucket", "s3:PutBucketOwnershipControls"}}},
	"s3.PutPublicAccessBlock": {{On: stateBucket, Actions: []string{"s3:PutBucketPublicAccessBlock"}}},
	"s3.PutBucketVersioning":  {{On: stateBucket, Actions: []string{"s3:PutBucketVersioning"}}},
	"s3.PutBucketEncryption":  {{On: stateBucket, Actions: []string{"s3:PutEncryptionConfiguration"}}},
	"s3.PutBucketPolicy":      {{On: stateBucket, Actions: []string{"s3:PutBucketPolicy"}}},
	"kms.DescribeKey":         {{On: stateKeys, Actions: []string{"kms:DescribeKey"}, Condition: stateTag}},
	// Created with the tag opendash=state (kms:TagResource), which every later statement requires.
	"kms.CreateKey": {{On: newStateKey, Actions: []string{"kms:CreateKey", "kms:TagResource"},
		Condition: map[string]map[string][]string{"StringEquals": {"aws:RequestTag/opendash": {"state"}}}}},
	"kms.EnableKeyRotation": {{On: stateKeys, Actions: []string{"kms:EnableKeyRotation"}, Condition: stateTag}},
	// An alias is authorized on the alias and on the key it names.
	"kms.CreateAlias": {{On: stateAliases, Actions: []string{"kms:CreateAlias"}},
		{On: stateKeys, Actions: []string{"kms:CreateAlias"}, Condition: stateTag}},
}

// stateUse is what Pulumi itself does with the store on every deploy: its S3 backend reads, writes and
// deletes checkpoints, locks and history; its awskms secrets provider encrypts and decrypts the stack's key.
var stateUse = []Grant{
	{On: stateBucket, Actions: []string{"s3:ListBucket", "s3:GetBucketLocation"}},
	{On: stateObjects, Actions: []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}},
	{On: stateKeys, Actions: []string{"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"}, Condition: stateTag},
}
