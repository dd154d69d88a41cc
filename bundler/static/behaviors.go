package static

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/opendash/opendash/bundler/extract"
	"github.com/opendash/opendash/manifest"
)

// MaxBehaviors is CloudFront's default quota of cache behaviors per distribution, the default one included.
const MaxBehaviors = 25

var flaskVariable = regexp.MustCompile(`<[^>]*>`)

// Pattern turns a Flask rule ("/report/<int:id>") into a CloudFront path pattern ("/report/*").
func Pattern(rule string) string {
	return flaskVariable.ReplaceAllString(rule, "*")
}

// Routes lists what only the server answers, sorted, as the manifest records it.
func Routes(r *extract.Report) []manifest.ServerRoute {
	routes := make([]manifest.ServerRoute, 0, len(r.ServerRoutes))
	for _, sr := range r.ServerRoutes {
		routes = append(routes, manifest.ServerRoute{Path: sr.Path, Kind: sr.Kind, Methods: sr.Methods, Reason: sr.Reason})
	}
	sort.Slice(routes, func(i, j int) bool {
		if routes[i].Path != routes[j].Path {
			return routes[i].Path < routes[j].Path
		}
		return routes[i].Kind < routes[j].Kind
	})
	return routes
}

// Plan orders the CloudFront behaviors for files and routes: exact static keys a server pattern would
// otherwise catch, then server routes an S3 folder pattern would shadow, then the other exact static keys,
// then folder-wide static patterns, then the default "*" to the server. Every path goes where the app sent it
// while bundling: a file is static only because the app answered its URL with it (the app's own url_map
// chose), and any other path under a static folder that a route of the app answers reaches the server.
//
// A server route with a whole folder's pattern (an app's own /static/<resource> beside Flask's static folder)
// takes that folder: its files get exact behaviors ahead of it. Files CloudFront cannot name in a behavior,
// and when the behaviors are over CloudFront's quota Dash Pages deep links and then such files, are left to
// the server, which answers them the same; the returned keys are those files, so the caller can drop them.
// The result always passes manifest.Validate.
func Plan(files []manifest.File, pages map[string]bool, routes []manifest.ServerRoute, prefix string) (behaviors []manifest.Behavior, unreachable []string, warnings []string) {
	keyPrefix := strings.TrimPrefix(prefix, "/")
	exact := map[string]string{}     // exact pattern -> its key
	folders := map[string][]string{} // folder pattern -> the keys under it
	for _, f := range files {
		if seg := firstSegment(f.Key, keyPrefix); seg != "" && !pages[f.Key] {
			folders["/"+seg+"/*"] = append(folders["/"+seg+"/*"], f.Key)
		} else {
			exact["/"+f.Key] = f.Key
		}
	}
	server := serverPatterns(routes, folders)
	caught := func(p string) bool {
		return slices.ContainsFunc(server, func(sp string) bool { return manifest.Match(sp, p) })
	}
	unnamed, over := map[string]bool{}, map[string]bool{} // keys left to the server, and why
	for p, keys := range folders {
		var kept []string
		for _, k := range keys {
			switch {
			case !manifest.ValidPathPattern(p):
				unnamed[k] = true // CloudFront cannot name the folder
			case caught("/" + k):
				exact["/"+k] = k // a route's pattern covers it: it stays static by an exact behavior before that
			default:
				kept = append(kept, k)
			}
		}
		if len(kept) == 0 || slices.Contains(server, p) {
			delete(folders, p)
			for _, k := range kept {
				exact["/"+k] = k
			}
		}
	}
	for p, k := range exact {
		if strings.ContainsAny(k, "*?") || !manifest.ValidPathPattern(p) {
			delete(exact, p) // a wildcard, or a character CloudFront refuses in a pattern
			unnamed[k] = true
		}
	}
	// "/" is the default root object index.html. Whether CloudFront picks the behavior before or after that
	// rewrite is not documented, so both paths lead to S3; otherwise "/" could fall to the default (server).
	if k, ok := exact["/index.html"]; ok && keyPrefix == "" {
		exact["/"] = k
	}
	budget := MaxBehaviors - 1 - len(server) - len(folders)
	for _, wantPage := range []bool{true, false} { // Dash Pages deep links first: the server renders them
		for _, p := range sortedKeys(exact) {
			if k := exact[p]; len(exact) > budget && pages[k] == wantPage && k != "index.html" && k != keyPrefix {
				delete(exact, p)
				over[k] = true
			}
		}
	}

	// Exact keys a server pattern would catch come before it: the app answered them with these files.
	var early, late []string
	for _, p := range sortedKeys(exact) {
		if caught(p) {
			early = append(early, p)
		} else {
			late = append(late, p)
		}
	}
	seen := map[string]bool{}
	add := func(origin string, methods []string, patterns ...string) {
		for _, p := range patterns {
			if !seen[p] {
				seen[p] = true
				behaviors = append(behaviors, manifest.Behavior{PathPattern: p, Origin: origin, AllowedMethods: methods})
			}
		}
	}
	add(manifest.OriginS3, manifest.MethodsRead, early...)
	add(manifest.OriginServer, manifest.MethodsAll, server...)
	add(manifest.OriginS3, manifest.MethodsRead, late...)
	add(manifest.OriginS3, manifest.MethodsRead, sortedKeys(folders)...)
	behaviors = append(behaviors, manifest.Behavior{PathPattern: manifest.DefaultPattern, Origin: manifest.OriginServer, AllowedMethods: manifest.MethodsAll})

	// A key left out may still be reached through a folder's pattern: then it stays on S3.
	m := manifest.Manifest{Behaviors: behaviors}
	for _, set := range []map[string]bool{unnamed, over} {
		for k := range set {
			if m.Route("/"+k).Origin == manifest.OriginS3 {
				delete(set, k)
			}
		}
	}
	if len(unnamed) > 0 {
		warnings = append(warnings, fmt.Sprintf("%d static files have URLs CloudFront cannot name in a cache behavior "+
			"(%s): the server function answers them", len(unnamed), firstKeys(unnamed)))
	}
	if len(over) > 0 {
		warnings = append(warnings, fmt.Sprintf("%d static URLs (Dash Pages deep links first) exceed CloudFront's %d "+
			"behaviors; the server answers them instead", len(over), MaxBehaviors))
	}
	for k := range over {
		unnamed[k] = true
	}
	unreachable = sortedKeys(unnamed)
	if len(behaviors) > MaxBehaviors {
		warnings = append(warnings, fmt.Sprintf("%d cache behaviors exceed CloudFront's default quota of %d; request a quota increase before deploying", len(behaviors), MaxBehaviors))
	}
	return behaviors, unreachable, warnings
}

// serverPatterns are the CloudFront patterns of the server routes an S3 folder would otherwise shadow (and of
// the callbacks, explicit so that they show in the console), sorted, each one CloudFront accepts: a rule with
// characters a pattern cannot hold gets "*" in their place, which matches more paths of that folder, never
// fewer, and the server answers those too.
func serverPatterns(routes []manifest.ServerRoute, folders map[string][]string) []string {
	set := map[string]bool{}
	for _, r := range routes {
		pattern := Pattern(r.Path)
		example := strings.ReplaceAll(pattern, "*", "x")
		shadowed := r.Kind == manifest.RouteCallback
		for p := range folders {
			shadowed = shadowed || manifest.Match(p, example)
		}
		if shadowed {
			set[acceptable(pattern)] = true
		}
	}
	return sortedKeys(set)
}

// acceptable makes p a pattern CloudFront accepts that matches at least what p matches: each run of refused
// characters becomes "*", and a pattern over the length limit ends in "*" at it.
func acceptable(p string) string {
	var b strings.Builder
	for _, r := range p {
		switch {
		case manifest.ValidPathPattern("/" + string(r)):
			b.WriteRune(r)
		case !strings.HasSuffix(b.String(), "*"):
			b.WriteByte('*')
		}
	}
	out := b.String()
	for strings.Contains(out, "**") {
		out = strings.ReplaceAll(out, "**", "*")
	}
	if len(out) > manifest.MaxPathPattern {
		out = out[:manifest.MaxPathPattern-1] + "*"
	}
	if !strings.HasPrefix(out, "/") {
		out = "/" + out
	}
	return out
}

// firstKeys names up to three keys of set, sorted, for a message.
func firstKeys(set map[string]bool) string {
	keys := sortedKeys(set)
	if len(keys) > 3 {
		return strings.Join(keys[:3], ", ") + fmt.Sprintf(" and %d more", len(keys)-3)
	}
	return strings.Join(keys, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
