// Package edgesigner holds the Lambda@Edge function that signs CloudFront's requests to the server's Lambda
// function URL (AuthType AWS_IAM) with SigV4. The component zips Source under FileName and deploys it in
// us-east-1 with Handler and Runtime, as a published version on an origin-request trigger with IncludeBody.
//
// The function signs for the origin's host. The component pairs it with the managed origin request policy
// AllViewerExceptHostHeader, so the event already carries the function URL's Host, and the viewer's host
// reaches the app as X-Forwarded-Host, set at viewer request by the forwarded-host CloudFront Function
// (component/functions/forwarded_host.js). Only when a behavior forwards the viewer's Host (the AllViewer
// policy, say) does the event still hold it; then the function copies it to X-Forwarded-Host itself.
package edgesigner

import _ "embed"

// Source is the Python handler (standard library only; Lambda@Edge allows no layers or variables).
//
//go:embed signer.py
var Source string

const (
	// FileName is the name Source must have inside the deployment zip; Handler refers to it.
	FileName = "signer.py"
	// Handler is the Lambda handler setting: module signer, function handler.
	Handler = "signer.handler"
	// Runtime is the newest Python that Lambda@Edge lists as supported.
	Runtime = "python3.13"
	// EventType is the CloudFront trigger the function is written for.
	EventType = "origin-request"
	// IncludeBody must be set on the association: the body is hashed into the signature.
	IncludeBody = true
)

// BodyTooLarge is the text of the signer's 413 for a body over the 1 MB Lambda@Edge reads (signer.py's
// BODY_TOO_LARGE): the preview answers with the same words.
const BodyTooLarge = "Request body too large: the Lambda@Edge signer (originAuth \"edge\") reads at most 1 MB; " +
	"deploy with originAuth \"oac\" for bodies up to 6 MB.\n"
