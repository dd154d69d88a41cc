// Package deployerpolicy is the least-privilege IAM policy of the identity that deploys a DashSite (runs
// `pulumi up`, `refresh` and `destroy`, or `open-dash deploy`): derived from the Pulumi resource types and
// functions the component uses (Resources, Invokes) and the calls the deploy makes for its state store
// (StateCalls), with every resource that AWS lets a policy name scoped to the site's name prefix. Document renders it for one site; docs/deployer-policy.json is the one for a site
// named "site".
package deployerpolicy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
)

// scope is a named set of resource ARN patterns (see the scopes in access.go).
type scope struct {
	sid  string
	arns []string
}

func newScope(sid string, arns ...string) scope { return scope{sid, arns} }

// Grant is a set of actions on a scope, under an optional condition.
type Grant struct {
	On        scope
	Actions   []string
	Condition map[string]map[string][]string
}

// Access is what one resource type (or function) needs: its own actions by lifecycle step, on its scope,
// and grants on other resources (the roles it passes, the images it reads).
type Access struct {
	On                                scope
	Create, Read, Update, Delete, Tag []string
	Also                              []Grant
	// Without says which of the lists above are empty on purpose, and why ("tag: ... has no tags").
	Without string
}

// with is a plus b's actions (a component made of both).
func (a Access) with(b Access) Access {
	a.Create = append(append([]string(nil), a.Create...), b.Create...)
	a.Read = append(append([]string(nil), a.Read...), b.Read...)
	a.Update = append(append([]string(nil), a.Update...), b.Update...)
	a.Delete = append(append([]string(nil), a.Delete...), b.Delete...)
	a.Also = append(append([]Grant(nil), a.Also...), b.Also...)
	return a
}

// Grants are all of an Access's grants: its own actions on its scope, then the others.
func (a Access) Grants() []Grant {
	var own []string
	for _, list := range [][]string{a.Create, a.Read, a.Update, a.Delete, a.Tag} {
		own = append(own, list...)
	}
	if len(own) == 0 {
		return a.Also
	}
	return append([]Grant{{On: a.On, Actions: own}}, a.Also...)
}

// Incomplete says which lifecycle lists are empty without a reason in Without ("" when none).
func (a Access) Incomplete() string {
	var missing []string
	for _, l := range []struct {
		name    string
		actions []string
	}{{"create", a.Create}, {"read", a.Read}, {"update", a.Update}, {"delete", a.Delete}, {"tag", a.Tag}} {
		if len(l.actions) == 0 && !strings.Contains(a.Without, l.name) {
			missing = append(missing, l.name)
		}
	}
	return strings.Join(missing, ", ")
}

// Site names the deployment the policy is for.
type Site struct {
	Name    string // the DashSite's name: every child's physical name starts with Name + "-"
	Account string // the AWS account id; "" for any ("*")
}

// MaxNameLength and namePattern are what the component accepts as a DashSite name (component.CheckName):
// a name every derived AWS name can start with.
const MaxNameLength = 39

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// Statement is one statement of an IAM policy document.
type Statement struct {
	Sid       string                         `json:"Sid"`
	Effect    string                         `json:"Effect"`
	Action    []string                       `json:"Action"`
	Resource  []string                       `json:"Resource"`
	Condition map[string]map[string][]string `json:"Condition,omitempty"`
}

// Policy is an IAM policy document.
type Policy struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// For is the policy of one site: every grant of every resource type and function in Resources and
// Invokes, merged by scope and condition into one statement each, in Sid order, actions sorted.
func For(site Site) (*Policy, error) {
	if !namePattern.MatchString(site.Name) || len(site.Name) > MaxNameLength {
		return nil, fmt.Errorf("DashSite name %q: a DashSite's name is at most %d characters of a-z, 0-9 and \"-\", "+
			"starting with a letter or digit", site.Name, MaxNameLength)
	}
	if site.Account != "" && !regexp.MustCompile(`^\d{12}$`).MatchString(site.Account) {
		return nil, fmt.Errorf("AWS account %q is not a 12-digit account id", site.Account)
	}
	account := site.Account
	if account == "" {
		account = "*"
	}
	fill := strings.NewReplacer("{name}", site.Name, "{account}", account)

	type key struct{ sid, condition string }
	merged := map[key]*Statement{}
	add := func(g Grant) {
		cond, _ := json.Marshal(g.Condition)
		k := key{g.On.sid, string(cond)}
		st := merged[k]
		if st == nil {
			st = &Statement{Sid: g.On.sid, Effect: "Allow", Condition: g.Condition}
			for _, arn := range g.On.arns {
				st.Resource = append(st.Resource, fill.Replace(arn))
			}
			merged[k] = st
		}
		st.Action = append(st.Action, g.Actions...)
	}
	for _, table := range []map[string]Access{Resources, Invokes} {
		for _, a := range table {
			for _, g := range a.Grants() {
				add(g)
			}
		}
	}
	for _, grants := range StateCalls {
		for _, g := range grants {
			add(g)
		}
	}
	for _, g := range stateUse {
		add(g)
	}
	p := &Policy{Version: "2012-10-17"}
	for _, st := range merged {
		st.Action = unique(st.Action)
		p.Statement = append(p.Statement, *st)
	}
	sort.Slice(p.Statement, func(i, j int) bool {
		a, b := p.Statement[i], p.Statement[j]
		if a.Sid != b.Sid {
			return a.Sid < b.Sid
		}
		return len(a.Condition) < len(b.Condition)
	})
	// Sids are unique in a policy: a scope with grants both with and without a condition names the second.
	for i := 1; i < len(p.Statement); i++ {
		if p.Statement[i].Sid == p.Statement[i-1].Sid {
			p.Statement[i].Sid += "Conditional"
		}
	}
	return p, nil
}

// JSON is the policy as indented JSON ending in a newline: the form of docs/deployer-policy.json.
func (p *Policy) JSON() []byte {
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		panic(err) // only strings, slices and maps
	}
	return out.Bytes()
}

// ManagedPolicyLimit is the most characters a customer managed policy may have, white space not counted
// (IAM User Guide, "IAM and AWS STS quotas").
const ManagedPolicyLimit = 6144

// Size is the policy's length as IAM counts it: its JSON without white space.
func (p *Policy) Size() int {
	b, err := json.Marshal(p)
	if err != nil {
		panic(err)
	}
	return len(b) // json.Marshal writes no white space, and policy strings hold none
}

// Split divides the policy into policies of at most limit characters each (first fit, a new part when a
// statement fits none), statements whole and in order: a user attaches them all.
func (p *Policy) Split(limit int) []*Policy {
	var parts []*Policy
	for _, st := range p.Statement {
		placed := false
		for _, part := range parts {
			part.Statement = append(part.Statement, st)
			if part.Size() <= limit {
				placed = true
				break
			}
			part.Statement = part.Statement[:len(part.Statement)-1]
		}
		if !placed {
			parts = append(parts, &Policy{Version: p.Version, Statement: []Statement{st}})
		}
	}
	return parts
}

// Allows reports whether some statement allows the action on the resource ARN, matching IAM's wildcards
// (* and ?) in actions and ARNs; conditions are not evaluated.
func (p *Policy) Allows(action, arn string) bool {
	for _, st := range p.Statement {
		if st.Effect == "Allow" && anyMatch(st.Action, action, true) && anyMatch(st.Resource, arn, false) {
			return true
		}
	}
	return false
}

func anyMatch(patterns []string, s string, foldCase bool) bool {
	for _, p := range patterns {
		if foldCase { // action names are case-insensitive
			p, s = strings.ToLower(p), strings.ToLower(s)
		}
		// path.Match's * stops at "/", IAM's does not: escape nothing but make / ordinary.
		p, s2 := strings.ReplaceAll(p, "/", "\x00"), strings.ReplaceAll(s, "/", "\x00")
		if ok, _ := path.Match(p, s2); ok {
			return true
		}
	}
	return false
}

func unique(list []string) []string {
	sort.Strings(list)
	out := list[:0]
	for i, s := range list {
		if i == 0 || s != list[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// Check reports the resource types and functions a deployment used that the policy does not cover, or
// covers without a reason for an empty lifecycle list: the component test calls it with every type and
// function token its mocked graph holds.
func Check(types, invokes []string) []error {
	var errs []error
	for _, set := range []struct {
		what   string
		tokens []string
		table  map[string]Access
	}{{"resource type", types, Resources}, {"function", invokes, Invokes}} {
		for _, tok := range set.tokens {
			a, ok := set.table[tok]
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("%s %s is not in deployerpolicy's table: add the IAM actions that create, "+
					"read, update, delete and tag it (deployerpolicy/access.go), then `make policy`", set.what, tok))
			case a.Incomplete() != "":
				errs = append(errs, fmt.Errorf("%s %s has no %s actions and no reason in Without (deployerpolicy/access.go)",
					set.what, tok, a.Incomplete()))
			}
		}
	}
	return errs
}
