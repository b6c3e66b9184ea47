package jitsi

import (
	"encoding/json"
	"fmt"
)

// Where a start domain came from, as /jitsi shows it.
const (
	SourceUserConfig       = "your config file"
	SourceWellKnownElement = "homeserver well-known (io.element.jitsi)"
	SourceWellKnownRiot    = "homeserver well-known (im.vector.riot.jitsi)"
	SourceDefault          = "built-in default"
)

// Well-known keys that carry a preferredDomain, newest first.
const (
	WellKnownElement = "io.element.jitsi"
	WellKnownRiot    = "im.vector.riot.jitsi"
)

// DomainChoice is the domain a new conference would use and where it came from.
type DomainChoice struct {
	Domain string
	Source string
}

// ChooseDomain picks the domain for starting a conference: the user's own
// config file, then the homeserver's client well-known (io.element.jitsi,
// then im.vector.riot.jitsi, field preferredDomain), then the shipped
// default. Each value is normalized (scheme and trailing '/' stripped) and
// validated; an invalid one is skipped and noted in the returned notes.
func ChooseDomain(user string, wellKnown map[string]json.RawMessage, def string) (DomainChoice, []string) {
	var notes []string
	try := func(v, source string) (DomainChoice, bool) {
		if v == "" {
			return DomainChoice{}, false
		}
		d, err := NormalizeDomain(v)
		if err != nil {
			notes = append(notes, fmt.Sprintf("ignored the Jitsi domain from %s: %v", source, err))
			return DomainChoice{}, false
		}
		return DomainChoice{Domain: d, Source: source}, true
	}
	if c, ok := try(user, SourceUserConfig); ok {
		return c, notes
	}
	for _, k := range []struct{ key, source string }{
		{WellKnownElement, SourceWellKnownElement},
		{WellKnownRiot, SourceWellKnownRiot},
	} {
		var obj struct {
			PreferredDomain json.RawMessage `json:"preferredDomain"`
		}
		if raw, ok := wellKnown[k.key]; !ok || json.Unmarshal(raw, &obj) != nil {
			continue
		}
		if c, ok := try(jsonString(obj.PreferredDomain), k.source); ok {
			return c, notes
		}
	}
	if c, ok := try(def, SourceDefault); ok {
		return c, notes
	}
	return DomainChoice{}, append(notes, "no valid Jitsi domain is configured")
}
