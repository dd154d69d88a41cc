package imagepush

import (
	"encoding/json"
	"strings"
)

// Tags. Every push tags its image twice: with a tag of its own (TagPrefix and the start of its digest,
// so a tag never moves to another image), and with LiveTag, which moves to the newest push. Lambda runs
// an image by digest, but ECR's lifecycle rules select images by tag only, so the tags are what keeps a
// running image: see LifecyclePolicy.
const (
	TagPrefix = "opendash-"
	LiveTag   = "live"
	// tagDigestChars is how much of the digest a tag keeps: 64 bits, no collision among one repository's images.
	tagDigestChars = 16
)

// Tag is the tag of the image with the given digest ("sha256:<hex>").
func Tag(digest string) string {
	hex := digest[strings.IndexByte(digest, ':')+1:]
	if len(hex) > tagDigestChars {
		hex = hex[:tagDigestChars]
	}
	return TagPrefix + hex
}

// LifecyclePolicy is the ECR lifecycle policy of a repository the plugin pushes to: it keeps the image
// tagged LiveTag whatever its age, and the newest keep images tagged TagPrefix..., and expires older ones.
//
// ECR evaluates rules by priority, and "an image that matches the tagging requirements of a higher
// priority rule cannot be expired by a rule with a lower priority" (Amazon ECR user guide, lifecycle
// policies): so the live image, which also carries its own TagPrefix tag, is never expired by rule 2, even
// when a rollback made it older than keep newer pushes (ECR counts by push time, and re-pushing an existing
// image does not renew it). Only one image carries LiveTag, so "more than 1" expires nothing. There is no
// rule for untagged images: the plugin never leaves one, and an image someone else pushed is theirs.
func LifecyclePolicy(keep int) string {
	type selection struct {
		TagStatus     string   `json:"tagStatus"`
		TagPrefixList []string `json:"tagPrefixList"`
		CountType     string   `json:"countType"`
		CountNumber   int      `json:"countNumber"`
	}
	type rule struct {
		RulePriority int               `json:"rulePriority"`
		Description  string            `json:"description"`
		Selection    selection         `json:"selection"`
		Action       map[string]string `json:"action"`
	}
	expire := map[string]string{"type": "expire"}
	doc := map[string][]rule{"rules": {
		{1, "Keep the image the functions run (tagged " + LiveTag + ")",
			selection{"tagged", []string{LiveTag}, "imageCountMoreThan", 1}, expire},
		{2, "Keep the newest images OpenDash pushed, for rollbacks",
			selection{"tagged", []string{TagPrefix}, "imageCountMoreThan", keep}, expire},
	}}
	out, err := json.Marshal(doc)
	if err != nil {
		panic(err) // fixed types: cannot fail
	}
	return string(out)
}
