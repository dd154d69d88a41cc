package static

import (
	"fmt"
	"regexp"
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

// Plan orders the CloudFront behaviors for files and routes: server routes an S3 pattern would shadow, then
// exact static keys, then folder-wide static patterns, then the default "*" to the server. When that is over
// CloudFront's quota, Dash Pages deep links (pages) are left to the server, which renders the same page; the
// returned keys are the files no behavior reaches any more, so the caller can drop them.
func Plan(files []manifest.File, pages map[string]bool, routes []manifest.ServerRoute, prefix string) (behaviors []manifest.Behavior, unreachable []string, warnings []string) {
	keyPrefix := strings.TrimPrefix(prefix, "/")
	exact, folders := map[string]bool{}, map[string]bool{}
	for _, f := range files {
		if seg := firstSegment(f.Key, keyPrefix); seg != "" && !pages[f.Key] {
			folders["/"+seg+"/*"] = true
		} else {
			exact["/"+f.Key] = true
		}
	}
	// "/" is the default root object index.html. Whether CloudFront picks the behavior before or after that
	// rewrite is not documented, so both paths lead to S3; otherwise "/" could fall to the default (server).
	if exact["/index.html"] && keyPrefix == "" {
		exact["/"] = true
	}

	var server []string
	for _, r := range routes {
		pattern := Pattern(r.Path)
		example := strings.ReplaceAll(pattern, "*", "x")
		shadowed := r.Kind == manifest.RouteCallback // explicit, so the callback route is visible in the console
		for p := range folders {
			shadowed = shadowed || manifest.Match(p, example)
		}
		if shadowed {
			server = append(server, pattern)
		}
	}

	budget := MaxBehaviors - 1 - len(unique(server)) - len(folders)
	exactList := sortedKeys(exact)
	if len(exactList) > budget {
		var kept []string
		dropped := 0
		for _, p := range exactList {
			if pages[strings.TrimPrefix(p, "/")] && len(exactList)-dropped > budget {
				unreachable = append(unreachable, strings.TrimPrefix(p, "/"))
				dropped++
				continue
			}
			kept = append(kept, p)
		}
		exactList = kept
		warnings = append(warnings, fmt.Sprintf("%d Dash Pages deep links exceed CloudFront's %d behaviors; the server renders them instead", dropped, MaxBehaviors))
	}

	for _, p := range unique(server) {
		behaviors = append(behaviors, manifest.Behavior{PathPattern: p, Origin: manifest.OriginServer, AllowedMethods: manifest.MethodsAll})
	}
	for _, p := range exactList {
		behaviors = append(behaviors, manifest.Behavior{PathPattern: p, Origin: manifest.OriginS3, AllowedMethods: manifest.MethodsRead})
	}
	for _, p := range sortedKeys(folders) {
		behaviors = append(behaviors, manifest.Behavior{PathPattern: p, Origin: manifest.OriginS3, AllowedMethods: manifest.MethodsRead})
	}
	behaviors = append(behaviors, manifest.Behavior{PathPattern: manifest.DefaultPattern, Origin: manifest.OriginServer, AllowedMethods: manifest.MethodsAll})
	if len(behaviors) > MaxBehaviors {
		warnings = append(warnings, fmt.Sprintf("%d cache behaviors exceed CloudFront's default quota of %d; request a quota increase before deploying", len(behaviors), MaxBehaviors))
	}
	return behaviors, unreachable, warnings
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func unique(s []string) []string {
	set := map[string]bool{}
	for _, v := range s {
		set[v] = true
	}
	return sortedKeys(set)
}
