// Package manifest defines open-dash.output.json, the one contract between the bundler (which writes it),
// the Pulumi component and provider plugin (which deploy from it) and the local preview (which serves from
// it). Nothing downstream re-derives what the bundler decided: routes, content types and cache headers all
// come from here.
package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// FileName is the manifest's name inside the output folder.
const FileName = "open-dash.output.json"

// DeployDir is a folder inside the bundle that deploys may write (the component's static site archive):
// bundlers leave it out of what they compare and replace it with the bundle.
const DeployDir = ".deploy"

// SchemaVersion changes whenever a reader written for an older manifest would misread a newer one.
const SchemaVersion = 1

// Origin ids referenced by Behavior.Origin.
const (
	OriginS3     = "s3"
	OriginServer = "server"
)

// Cache-control values (OpenNext's convention): fingerprinted URLs never change content; every other static
// URL is cached by CloudFront until the next deploy invalidates it, and revalidated by browsers.
const (
	CacheImmutable  = "public,max-age=31536000,immutable"
	CacheRevalidate = "public,max-age=0,s-maxage=31536000,must-revalidate"
)

// File classes: what a deploy must do when a file's content changes.
const (
	ClassImmutable  = "immutable"  // the URL carries a fingerprint; a new content gets a new URL
	ClassRevalidate = "revalidate" // same URL, new content: invalidate on change
)

// Method sets CloudFront accepts for a cache behavior.
var (
	MethodsRead = []string{"GET", "HEAD"}
	MethodsAll  = []string{"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}
)

// DefaultPattern is the path pattern of CloudFront's default cache behavior; it is always the last behavior.
const DefaultPattern = "*"

// Manifest is the whole of open-dash.output.json. Paths inside it are slash-separated and relative to the
// folder that holds the manifest (the `.open-dash` folder).
type Manifest struct {
	SchemaVersion   int     `json:"schemaVersion"`
	BuildID         string  `json:"buildId"` // digest of every output file: equal bundles have equal ids
	OpenDashVersion string  `json:"openDashVersion"`
	App             App     `json:"app"`
	Origins         Origins `json:"origins"`
	// Behaviors in CloudFront order: first match wins; the last one has PathPattern "*".
	Behaviors    []Behavior    `json:"behaviors"`
	Files        []File        `json:"files"`        // sorted by Key
	ServerRoutes []ServerRoute `json:"serverRoutes"` // what only the server can answer, for humans and checks
	Warnings     []string      `json:"warnings,omitempty"`
}

// App describes the Dash app as it was bundled.
type App struct {
	// Source is the app folder the bundle was made from, slash-separated and relative to the bundle folder
	// ("../single-page"): it tells whose bundle a folder holds, and being relative it keeps bundles
	// byte-identical across machines. Empty in bundles written before OpenDash recorded it.
	Source        string `json:"source,omitempty"`
	DashVersion   string `json:"dashVersion"`
	PythonVersion string `json:"pythonVersion"` // full version of the bundling interpreter, e.g. 3.11.7
	// RequestsPathnamePrefix is where the browser sees the app ("/" or "/app/").
	RequestsPathnamePrefix string `json:"requestsPathnamePrefix"`
	// RoutesPathnamePrefix is where the Flask server mounts Dash's routes (differs behind a rewriting proxy).
	RoutesPathnamePrefix string `json:"routesPathnamePrefix"`
	UsePages             bool   `json:"usePages"`
	ServeLocally         bool   `json:"serveLocally"`
	// Entry is how the server function gets the app: exactly what the bundle imported.
	Entry Entry `json:"entry"`
	// BackgroundCallbacks are the app's background callbacks (`background=True`), sorted by output. When
	// there are any, the server function runs them with OpenDash's manager: each job in an asynchronous
	// invocation of the function itself, its state in a job store (S3) the component creates.
	BackgroundCallbacks []BackgroundCallback `json:"backgroundCallbacks,omitempty"`
}

// BackgroundCallback is one background callback as the bundle found it.
type BackgroundCallback struct {
	Output  string `json:"output"`  // Dash's callback id, e.g. "result.children" or "..a.b...c.d.."
	Manager string `json:"manager"` // the app's manager class (DiskcacheManager, CeleryManager); "" if none
}

// LambdaNote says what happens to a background callback on AWS Lambda, for the bundle's summary.
func (b BackgroundCallback) LambdaNote() string {
	own := "the app's manager"
	if b.Manager != "" {
		own = "the app's " + b.Manager
	}
	return fmt.Sprintf("background callback %s: on AWS Lambda OpenDash's manager replaces %s: each job runs in "+
		"an asynchronous invocation of the jobs function (up to backgroundTimeout, 15 minutes at most), progress "+
		"and results in S3", b.Output, own)
}

// Entry is the app's entry point as resolved while bundling (`--app`, else create_app(), else the
// module-level Dash): the server function imports Module, gets Attribute and calls it when Call is set.
type Entry struct {
	Module    string `json:"module"`    // dotted, relative to the server function's folder, e.g. "index"
	Attribute string `json:"attribute"` // e.g. "app" or "create_app"
	Call      bool   `json:"call"`      // Attribute is a factory called with no arguments
}

// String writes the entry as `--app` takes it: "index:app", "app:create_app()".
func (e Entry) String() string {
	s := e.Module + ":" + e.Attribute
	if e.Call {
		s += "()"
	}
	return s
}

// Origins are the three things CloudFront (or the preview) sends requests to.
type Origins struct {
	S3     S3Origin       `json:"s3"`
	Server FunctionOrigin `json:"server"`
	Warmer *WarmerOrigin  `json:"warmer,omitempty"` // nil when bundled with --include-warmer=false
}

// S3Origin is the static site: every File lives under Dir.
type S3Origin struct {
	Dir string `json:"dir"` // "assets"
}

// FunctionOrigin is the container Lambda that runs the Dash app.
type FunctionOrigin struct {
	Dir           string `json:"dir"`           // "server-functions/default"
	Handler       string `json:"handler"`       // "opendash_handler.handler"
	Dockerfile    string `json:"dockerfile"`    // "server-functions/default/Dockerfile"
	Architecture  string `json:"architecture"`  // "x86_64" or "arm64"
	PythonVersion string `json:"pythonVersion"` // minor version of the base image, e.g. "3.11"
}

// WarmerOrigin is the zip Lambda that keeps server instances warm.
type WarmerOrigin struct {
	Dir      string `json:"dir"`      // "warmer-function"
	Handler  string `json:"handler"`  // "index.handler"
	Runtime  string `json:"runtime"`  // Lambda runtime id, e.g. "python3.12"
	Schedule string `json:"schedule"` // EventBridge schedule expression, "rate(5 minutes)"
}

// Behavior is one CloudFront cache behavior.
type Behavior struct {
	PathPattern    string   `json:"pathPattern"` // CloudFront syntax: '*' any run of characters, '?' one
	Origin         string   `json:"origin"`      // OriginS3 or OriginServer
	AllowedMethods []string `json:"allowedMethods"`
}

// File is one static object: the browser requests "/"+Key, S3 stores the bytes of S3.Dir/Path under Key.
// Key and Path differ only for index pages ("/" and Dash Pages paths are served from <path>/index.html).
type File struct {
	Key          string `json:"key"`
	Path         string `json:"path"`
	ContentType  string `json:"contentType"`
	CacheControl string `json:"cacheControl"`
	Class        string `json:"class"`
	Size         int64  `json:"size"`
	SHA256       string `json:"sha256"`
	// SiteOrigin marks a page that names the site's own origin (Dash Pages' meta tags): its bytes hold
	// OriginPlaceholder, which the deploy and the preview replace by the origin it is served from (see
	// WithOrigin); Size and SHA256 are those of the bundle's bytes.
	SiteOrigin bool `json:"siteOrigin,omitempty"`
}

// ServerRoute is a URL only the server function can answer.
type ServerRoute struct {
	Path    string   `json:"path"`    // as the app declares it, e.g. "/report/<report_id>"
	Kind    string   `json:"kind"`    // one of the Route* kinds
	Methods []string `json:"methods"` // what the app accepts
	// Reason says why a RouteProtected URL is not static ("/ answered 401 to an anonymous request").
	Reason string `json:"reason,omitempty"`
}

// Server route kinds.
const (
	RouteCallback      = "dash-callback"  // _dash-update-component and friends
	RouteDynamicPage   = "page-template"  // Dash Pages page with path variables
	RouteNotFound      = "not-found"      // any unknown path: the app renders its 404
	RouteFlask         = "flask-route"    // a route the app added to its Flask server
	RouteDynamicLayout = "dynamic-layout" // app.layout is a function: evaluated per request
	// RouteProtected is a URL the app refuses to anonymous requests (401, 403, a login redirect): it stays
	// behind the app, so nothing of it is on S3.
	RouteProtected = "protected"
)

// MaxPathPattern is the longest path pattern CloudFront accepts.
const MaxPathPattern = 255

// ValidPathPattern reports whether CloudFront accepts p as a cache behavior's path pattern: at most 255
// characters of A-Z, a-z, 0-9 and _ - . * $ / ~ " ' @ : + & (CloudFront Developer Guide, "Path pattern":
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesCacheBehavior.html#DownloadDistValuesPathPattern).
// A space, "%", "?" or any non-ASCII character cannot appear in one.
func ValidPathPattern(p string) bool {
	if p == "" || len(p) > MaxPathPattern {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_-.*$/~\"'@:+&", c) >= 0) {
			return false
		}
	}
	return true
}

// Match reports whether a request path matches a CloudFront path pattern ('*' matches any run of characters
// including '/', '?' exactly one; case-sensitive; the query string is not part of the path).
func Match(pattern, urlPath string) bool {
	// path.Match treats '/' specially and knows character classes; CloudFront does neither, so match by hand.
	p, s := pattern, urlPath
	star, mark := -1, 0
	i, j := 0, 0
	for j < len(s) {
		switch {
		case i < len(p) && (p[i] == '?' || p[i] == s[j]):
			i++
			j++
		case i < len(p) && p[i] == '*':
			star, mark = i, j
			i++
		case star >= 0:
			i = star + 1
			mark++
			j = mark
		default:
			return false
		}
	}
	for i < len(p) && p[i] == '*' {
		i++
	}
	return i == len(p)
}

// Route returns the first behavior whose pattern matches urlPath, as CloudFront would choose it.
func (m *Manifest) Route(urlPath string) Behavior {
	for _, b := range m.Behaviors {
		if Match(b.PathPattern, urlPath) {
			return b
		}
	}
	return Behavior{PathPattern: DefaultPattern, Origin: OriginServer, AllowedMethods: MethodsAll}
}

// FileForKey returns the static file stored under key, if any.
func (m *Manifest) FileForKey(key string) (File, bool) {
	// Files are sorted by key, so this could be a binary search; manifests hold a few hundred files at most.
	for _, f := range m.Files {
		if f.Key == key {
			return f, true
		}
	}
	return File{}, false
}

// Marshal renders the manifest as indented JSON with a trailing newline: the bytes written to disk.
func (m *Manifest) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Read loads and validates dir/open-dash.output.json.
func Read(dir string) (*Manifest, error) {
	file := filepath.Join(dir, FileName)
	data, err := os.ReadFile(file)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: no manifest here; run `open-dash bundle --source <app folder>` first", file)
		}
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return Parse(file, data)
}

// Parse decodes and validates manifest bytes; name is used in error messages.
func Parse(name string, data []byte) (*Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: not a valid OpenDash manifest: %w; re-run `open-dash bundle`", name, err)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &m, nil
}

// Validate checks the invariants every reader relies on.
func (m *Manifest) Validate() error {
	if m.SchemaVersion != SchemaVersion {
		return fmt.Errorf("manifest schema version %d, this OpenDash reads version %d; re-bundle with this version of open-dash", m.SchemaVersion, SchemaVersion)
	}
	if m.Origins.S3.Dir == "" || m.Origins.Server.Dir == "" || m.Origins.Server.Handler == "" {
		return errors.New("manifest lacks the s3 or server origin; re-run `open-dash bundle`")
	}
	switch m.Origins.Server.Architecture {
	case "x86_64", "arm64":
	default:
		return fmt.Errorf("server architecture %q is neither x86_64 nor arm64", m.Origins.Server.Architecture)
	}
	if e := m.App.Entry; e != (Entry{}) && (!identifierPath(e.Module) || !identifierPath(e.Attribute) ||
		strings.Contains(e.Attribute, ".")) {
		return fmt.Errorf("app entry %q is not MODULE:ATTRIBUTE (dotted module, plain attribute)", e.String())
	}
	if len(m.Behaviors) == 0 || m.Behaviors[len(m.Behaviors)-1].PathPattern != DefaultPattern {
		return fmt.Errorf("the last behavior must have path pattern %q (CloudFront's default behavior)", DefaultPattern)
	}
	seen := map[string]bool{}
	for i, b := range m.Behaviors {
		if b.Origin != OriginS3 && b.Origin != OriginServer {
			return fmt.Errorf("behavior %d (%s): unknown origin %q", i, b.PathPattern, b.Origin)
		}
		if seen[b.PathPattern] {
			return fmt.Errorf("behavior %d: path pattern %q appears twice", i, b.PathPattern)
		}
		seen[b.PathPattern] = true
		if b.PathPattern != DefaultPattern && !strings.HasPrefix(b.PathPattern, "/") {
			return fmt.Errorf("behavior %d: path pattern %q must start with '/'", i, b.PathPattern)
		}
		if !ValidPathPattern(b.PathPattern) {
			return fmt.Errorf("behavior %d: path pattern %q is not one CloudFront accepts (at most %d of A-Z a-z 0-9 _-.*$/~\"'@:+&)", i, b.PathPattern, MaxPathPattern)
		}
		if !sameMethods(b.AllowedMethods, MethodsRead) && !sameMethods(b.AllowedMethods, MethodsAll) {
			return fmt.Errorf("behavior %d (%s): allowed methods %v are not a set CloudFront accepts", i, b.PathPattern, b.AllowedMethods)
		}
	}
	if path.IsAbs(m.App.Source) || filepath.IsAbs(m.App.Source) || strings.Contains(m.App.Source, "\\") {
		return fmt.Errorf("app source %q must be a slash-separated path relative to the bundle folder", m.App.Source)
	}
	for i, f := range m.Files {
		if f.Key == "" || strings.HasPrefix(f.Key, "/") {
			return fmt.Errorf("file %d: key %q must be non-empty and not start with '/'", i, f.Key)
		}
		if f.Path == "" || path.IsAbs(f.Path) || strings.HasPrefix(path.Clean(f.Path), "..") {
			return fmt.Errorf("file %q: path %q must stay inside %s/", f.Key, f.Path, m.Origins.S3.Dir)
		}
		if i > 0 && m.Files[i-1].Key >= f.Key {
			return fmt.Errorf("files must be sorted by key without duplicates (%q after %q)", f.Key, m.Files[i-1].Key)
		}
		if f.Class != ClassImmutable && f.Class != ClassRevalidate {
			return fmt.Errorf("file %q: unknown class %q", f.Key, f.Class)
		}
	}
	return nil
}

// SourceDir is the absolute app folder of the bundle in bundleDir, or "" when the manifest does not say.
func (m *Manifest) SourceDir(bundleDir string) string {
	if m.App.Source == "" {
		return ""
	}
	abs, err := filepath.Abs(filepath.Join(bundleDir, filepath.FromSlash(m.App.Source)))
	if err != nil {
		return ""
	}
	return abs
}

// MadeFrom reports whether the bundle in bundleDir was made from the app folder src (false when the manifest
// does not say). Existing folders compare as files (symlinks, case-insensitive file systems), others by path.
func (m *Manifest) MadeFrom(bundleDir, src string) bool {
	own := m.SourceDir(bundleDir)
	if own == "" {
		return false
	}
	a, errA := os.Stat(own)
	b, errB := os.Stat(src)
	if errA == nil && errB == nil {
		return os.SameFile(a, b)
	}
	abs, err := filepath.Abs(src)
	return err == nil && own == abs
}

// identifierPath reports whether s is a dotted run of Python identifiers (ASCII).
func identifierPath(s string) bool {
	for _, part := range strings.Split(s, ".") {
		if part == "" || (part[0] >= '0' && part[0] <= '9') {
			return false
		}
		for _, r := range part {
			if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
				return false
			}
		}
	}
	return true
}

func sameMethods(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
