package e2e

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// The origins the preview logs, as the manifest names them.
const (
	originS3     = "s3"
	originServer = "server"
)

// callbackPath is where Dash's renderer POSTs server callbacks: the only request of a page that the server
// function should see, besides the index of a page it renders (path variables, the 404 page).
const callbackPath = "/_dash-update-component"

// traffic counts what the preview answered for one phase of a page (its load, or the user's actions).
type traffic struct {
	gets, posts int
	problems    []string
}

// checkRequests applies the rule of a static-first bundle to the requests the preview answered: a GET of the
// document docURI (none when docURI is "") is answered by docOrigin, every other GET by s3 (the index page,
// scripts, layout, dependencies, chunks, assets, favicon); the only POSTs are Dash callbacks, answered by the
// server; and nothing is answered with an error status (403 is S3's answer for a file missing from the bundle).
func checkRequests(reqs []loggedRequest, docURI, docOrigin string) traffic {
	var tr traffic
	docs := 0
	for _, r := range reqs {
		if r.Status >= 400 {
			tr.problems = append(tr.problems, fmt.Sprintf("%s %s answered %d by %s", r.Method, r.URI, r.Status, r.Origin))
		}
		switch r.Method {
		case "GET", "HEAD":
			tr.gets++
			want := originS3
			if docURI != "" && r.URI == docURI {
				docs++
				want = docOrigin
			}
			if r.Origin != want {
				tr.problems = append(tr.problems, fmt.Sprintf("%s %s answered by %s, want %s", r.Method, r.URI, r.Origin, want))
			}
		case "POST":
			tr.posts++
			if r.Path() != callbackPath || r.Origin != originServer {
				tr.problems = append(tr.problems, fmt.Sprintf("POST %s answered by %s, want only POST %s answered by the server", r.URI, r.Origin, callbackPath))
			}
		default:
			tr.problems = append(tr.problems, fmt.Sprintf("unexpected %s %s (answered %d by %s)", r.Method, r.URI, r.Status, r.Origin))
		}
	}
	if docURI != "" && docs != 1 {
		tr.problems = append(tr.problems, fmt.Sprintf("the document %s was requested %d times, want once", docURI, docs))
	}
	return tr
}

// sameRequests compares what the browser sent to the preview (method and URI) with what the preview logged, as
// multisets, and describes the difference; "" means they match.
func sameRequests(browser, logged []string) string {
	count := map[string]int{}
	for _, r := range browser {
		count[r]++
	}
	for _, r := range logged {
		count[r]--
	}
	var diff []string
	for _, r := range slices.Sorted(maps.Keys(count)) {
		switch n := count[r]; {
		case n > 0:
			diff = append(diff, fmt.Sprintf("the browser sent %s %d more time(s) than the preview logged", r, n))
		case n < 0:
			diff = append(diff, fmt.Sprintf("the preview logged %s %d more time(s) than the browser sent", r, -n))
		}
	}
	return strings.Join(diff, "; ")
}
