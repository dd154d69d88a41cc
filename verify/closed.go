package verify

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/opendash/opendash/manifest"
)

// closedTasks are the checks that what should be closed is: the function URL to unsigned callers, the bucket
// to the public, plain http (redirected to https). Each needs its URL; a failure to reach one of them is that
// check's failure, not the end of the run.
func (r *runner) closedTasks(index manifest.File, hasIndex bool) []task {
	var tasks []task
	if fn := strings.TrimSuffix(r.o.FunctionURL, "/"); fn != "" {
		paths := map[string]string{http.MethodGet: r.prefix(), http.MethodPost: r.prefix() + "_dash-update-component"}
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			tasks = append(tasks, task{KindClosed, func(ctx context.Context) (Check, error) {
				return r.checkFunctionClosed(ctx, method, fn+escape(paths[method])), nil
			}})
		}
	}
	if bucket := strings.TrimSuffix(r.o.BucketURL, "/"); bucket != "" && len(r.m.Files) > 0 {
		f := r.m.Files[0]
		if hasIndex {
			f = index
		}
		tasks = append(tasks, task{KindClosed, func(ctx context.Context) (Check, error) {
			return r.checkBucketClosed(ctx, bucket+escape("/"+f.Key)), nil
		}})
	}
	if r.o.httpURL != "" {
		tasks = append(tasks, task{KindClosed, func(ctx context.Context) (Check, error) {
			return r.checkRedirect(ctx, r.o.httpURL), nil
		}})
	}
	return tasks
}

// checkFunctionClosed expects the function URL (AWS_IAM auth) to refuse an unsigned request with 403.
func (r *runner) checkFunctionClosed(ctx context.Context, method, url string) Check {
	c := Check{Kind: KindClosed, Method: method, URL: url, Detail: "unsigned request to the function URL"}
	var body []byte
	var header http.Header
	if method == http.MethodPost {
		body, header = []byte("{}"), http.Header{"Content-Type": {"application/json"}}
	}
	a, err := r.f.fetch(ctx, method, url, body, header)
	if err != nil {
		return fail(c, fmt.Sprintf("cannot reach the function URL: %v", err), "check --function-url (`pulumi stack output serverFunctionUrl`)")
	}
	c.Status = a.status
	if a.status != http.StatusForbidden {
		return fail(c, fmt.Sprintf("the function URL answers unsigned requests (%d instead of 403): anyone can call the app without CloudFront", a.status),
			"set the function URL's auth type to AWS_IAM and remove public statements (lambda:FunctionUrlAuthType NONE) from the function's resource policy")
	}
	c.OK = true
	return c
}

// checkBucketClosed expects the bucket's own URL to refuse a key it holds: only CloudFront may read it.
func (r *runner) checkBucketClosed(ctx context.Context, url string) Check {
	c := Check{Kind: KindClosed, Method: http.MethodGet, URL: url, Detail: "anonymous read of a bundle key from the bucket"}
	a, err := r.f.fetch(ctx, http.MethodGet, url, nil, nil)
	if err != nil {
		return fail(c, fmt.Sprintf("cannot reach the bucket URL: %v", err), "check --bucket-url (https://<bucketName>.s3.<region>.amazonaws.com)")
	}
	c.Status = a.status
	switch a.status {
	case http.StatusForbidden:
		c.OK = true
	case http.StatusOK:
		return fail(c, "the bucket serves the site's files to anyone, bypassing CloudFront",
			"block all public access on the bucket and remove public statements from its policy and ACLs; only the distribution's origin access control may read it")
	default:
		return fail(c, fmt.Sprintf("the bucket answered %d, neither the file nor 403: %s", a.status, snippet(a.body)),
			"check that --bucket-url is this site's bucket (`pulumi stack output bucketName`) and that the upload is complete")
	}
	return c
}

// checkRedirect expects plain http to be redirected to https, as the viewer protocol policy says.
func (r *runner) checkRedirect(ctx context.Context, url string) Check {
	c := Check{Kind: KindClosed, Method: http.MethodGet, URL: url, Detail: "plain http"}
	a, err := r.f.fetch(ctx, http.MethodGet, url, nil, nil)
	if err != nil {
		return fail(c, fmt.Sprintf("cannot reach %s: %v", url, err), "CloudFront answers port 80 on every distribution; check the DNS and any firewall in front of it")
	}
	c.Status = a.status
	location := a.header.Get("Location")
	switch {
	case a.status < 300 || a.status >= 400:
		return fail(c, fmt.Sprintf("http answers %d without redirecting to https", a.status),
			"set every behavior's viewer protocol policy to redirect-to-https (DashSite does)")
	case !strings.HasPrefix(location, "https://"):
		return fail(c, fmt.Sprintf("http redirects to %q, not to https", location),
			"set every behavior's viewer protocol policy to redirect-to-https")
	}
	c.OK = true
	return c
}
