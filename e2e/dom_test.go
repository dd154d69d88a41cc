package e2e

import (
	"encoding/json"
	"fmt"

	"github.com/chromedp/chromedp"
)

// cond is a DOM condition a page reaches: what it means, and a JavaScript expression that is truthy then.
type cond struct {
	what, js string
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// visibleMatches is a JavaScript expression: the elements matching the CSS selector that are rendered (have a box).
func visibleMatches(css string) string {
	return fmt.Sprintf(`[...document.querySelectorAll(%s)].filter(e => e.getClientRects().length > 0)`, jsString(css))
}

// shown: an element matching css is rendered.
func shown(css string) cond {
	return cond{what: css + " is shown", js: visibleMatches(css) + `.length > 0`}
}

// textIs: a rendered element matching css has exactly this text (ignoring surrounding white space).
func textIs(css, text string) cond {
	return cond{
		what: fmt.Sprintf("%s reads %q", css, text),
		js:   fmt.Sprintf(`%s.some(e => e.textContent.trim() === %s)`, visibleMatches(css), jsString(text)),
	}
}

// textHas: a rendered element matching css has this text in it.
func textHas(css, text string) cond {
	return cond{
		what: fmt.Sprintf("%s contains %q", css, text),
		js:   fmt.Sprintf(`%s.some(e => e.textContent.includes(%s))`, visibleMatches(css), jsString(text)),
	}
}

// titleIs: the document's title is text (Dash Pages sets it per page).
func titleIs(text string) cond {
	return cond{what: fmt.Sprintf("the title is %q", text), js: fmt.Sprintf(`document.title === %s`, jsString(text))}
}

// action is one user interaction and the conditions that show the app reacted.
type action struct {
	name string
	do   func(tb *tab) error
	then []cond
}

// click clicks the element matching css, as a user would (mouse events at its centre).
func click(css string) func(tb *tab) error {
	return func(tb *tab) error {
		return chromedp.Do(tb.ctx, chromedp.Click(chromedp.CSS(css)))
	}
}

// pickDropdownOption selects the option labelled label in the dcc.Dropdown with the given id through its UI:
// click the control, wait for the option list, click the option. Dash 4 renders its own dropdown (a button and
// a popover of .dash-dropdown-option); Dash 2 renders react-select (.Select-control and .VirtualizedSelectOption).
func pickDropdownOption(id, label string) func(tb *tab) error {
	return func(tb *tab) error {
		control := "#" + id
		reactSelect, err := evalIn[bool](tb, fmt.Sprintf(`!!document.querySelector(%s)`, jsString(control+" .Select-control")))
		if err != nil {
			return err
		}
		if reactSelect {
			control += " .Select-control"
		}
		option := fmt.Sprintf(`//*[(contains(concat(" ", @class, " "), " dash-dropdown-option ") or contains(concat(" ", @class, " "), " VirtualizedSelectOption ")) and normalize-space(.) = %q]`, label)
		return chromedp.Do(tb.ctx,
			chromedp.Click(chromedp.CSS(control)),
			chromedp.WaitVisible(chromedp.Search(option)),
			chromedp.Click(chromedp.Search(option)),
		)
	}
}
