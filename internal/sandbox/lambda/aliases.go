package lambda

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

type aliasOut struct {
	AliasArn        string          `json:"AliasArn"`
	Name            string          `json:"Name"`
	FunctionVersion string          `json:"FunctionVersion"`
	Description     string          `json:"Description"`
	RoutingConfig   *routingConfigT `json:"RoutingConfig,omitempty"`
	RevisionID      string          `json:"RevisionId"`
}

type routingConfigT struct {
	AdditionalVersionWeights map[string]float64 `json:"AdditionalVersionWeights"`
}

func (api *API) aliasOut(f *functionRecord, a *aliasRecord) aliasOut {
	out := aliasOut{AliasArn: api.functionARN(f) + ":" + a.Name, Name: a.Name, FunctionVersion: a.FunctionVersion,
		Description: a.Description, RevisionID: a.RevisionID}
	if len(a.Weights) > 0 {
		out.RoutingConfig = &routingConfigT{AdditionalVersionWeights: a.Weights}
	}
	return out
}

// checkRouting applies AWS's rules for a primary version and its routing.
func (api *API) checkRouting(f *functionRecord, primary string, weights map[string]float64) *Error {
	var problems []string
	for k, w := range weights {
		if !numericRE.MatchString(k) {
			problems = append(problems, fmt.Sprintf("Value '{%s=%s}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+]", k, formatWeight(w)))
		}
		if w < 0 || w > 1 {
			problems = append(problems, fmt.Sprintf("Value '{%s=%s}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]", k, formatWeight(w)))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return errValidation(problems...)
	}
	if len(weights) > 1 {
		return errInvalidParameter("Number of items in AdditionalVersionWeights cannot be greater than 1")
	}
	if primary != "$LATEST" && f.findVersion(primary) == nil {
		return errNotFound(api.functionARN(f) + ":" + primary)
	}
	for k := range weights {
		if primary == "$LATEST" {
			return errInvalidParameter("$LATEST is not supported for an alias pointing to more than 1 version")
		}
		if k == primary {
			return errInvalidParameter("Invalid function version %s. Function version %s is already included in routing configuration.", k, k)
		}
		extra := f.findVersion(k)
		if extra == nil {
			return errNotFound(api.functionARN(f) + ":" + k)
		}
		if p := f.findVersion(primary); p != nil && p.Role != extra.Role {
			return errInvalidParameter("Both versions of a weighted alias must have the same execution role: version %s uses %s, version %s uses %s.", primary, p.Role, k, extra.Role)
		}
	}
	return nil
}

func formatWeight(w float64) string {
	s := strconv.FormatFloat(w, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func validateAliasName(name string) *Error {
	if len(name) < 1 || len(name) > 128 || !aliasNameRE.MatchString(name) || numericRE.MatchString(name) {
		return errValidation(fmt.Sprintf("Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", name, aliasNamePattern))
	}
	return nil
}

func validateVersionRef(v string) *Error {
	if v != "$LATEST" && !numericRE.MatchString(v) {
		return errValidation(fmt.Sprintf("Value '%s' at 'functionVersion' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", v, versionPattern))
	}
	return nil
}

// createAliasIn is the body of createAlias.
type createAliasIn struct {
	Name            string          `json:"Name"`
	FunctionVersion string          `json:"FunctionVersion"`
	Description     string          `json:"Description"`
	RoutingConfig   *routingConfigT `json:"RoutingConfig"`
}

// check validates the body before any lock is taken.
func (in *createAliasIn) check() *Error {
	if err := validateAliasName(in.Name); err != nil {
		return err
	}
	return validateVersionRef(in.FunctionVersion)
}

func (api *API) createAlias(c *call, f *functionRecord, in *createAliasIn) *Error {
	c.note.Qualifier = in.Name
	var weights map[string]float64
	if in.RoutingConfig != nil && len(in.RoutingConfig.AdditionalVersionWeights) > 0 {
		weights = in.RoutingConfig.AdditionalVersionWeights
	}
	if err := api.checkRouting(f, in.FunctionVersion, weights); err != nil {
		return err
	}
	if _, exists := f.Aliases[in.Name]; exists {
		return errConflict("Alias already exists: %s:%s", api.functionARN(f), in.Name)
	}
	a := &aliasRecord{Name: in.Name, FunctionVersion: in.FunctionVersion, Description: in.Description, Weights: weights, RevisionID: newRevisionID()}
	f.Aliases[in.Name] = a
	if err := api.store.save(f); err != nil {
		delete(f.Aliases, in.Name)
		return errService(err)
	}
	writeJSON(c.w, http.StatusCreated, api.aliasOut(f, a))
	return nil
}

func (api *API) getAlias(c *call, f *functionRecord, _ string) *Error {
	c.note.Qualifier = c.route.Alias
	a := f.Aliases[c.route.Alias]
	if a == nil {
		return &Error{Status: 404, Code: "ResourceNotFoundException", Message: fmt.Sprintf("Cannot find alias arn: %s:%s", api.functionARN(f), c.route.Alias)}
	}
	writeJSON(c.w, http.StatusOK, api.aliasOut(f, a))
	return nil
}

// updateAliasIn is the body of updateAlias.
type updateAliasIn struct {
	FunctionVersion *string         `json:"FunctionVersion"`
	Description     *string         `json:"Description"`
	RoutingConfig   *routingConfigT `json:"RoutingConfig"`
	RevisionID      string          `json:"RevisionId"`
}

// check validates the body before any lock is taken.
func (in *updateAliasIn) check() *Error {
	if in.FunctionVersion != nil {
		return validateVersionRef(*in.FunctionVersion)
	}
	return nil
}

func (api *API) updateAlias(c *call, f *functionRecord, in *updateAliasIn) *Error {
	c.note.Qualifier = c.route.Alias
	a := f.Aliases[c.route.Alias]
	if a == nil {
		return &Error{Status: 404, Code: "ResourceNotFoundException", Message: fmt.Sprintf("Alias not found: %s:%s", api.functionARN(f), c.route.Alias)}
	}
	if in.RevisionID != "" && in.RevisionID != a.RevisionID {
		return errPrecondition()
	}
	next := *a
	if in.FunctionVersion != nil {
		next.FunctionVersion = *in.FunctionVersion
	}
	if in.Description != nil {
		next.Description = *in.Description
	}
	if in.RoutingConfig != nil {
		next.Weights = nil
		if len(in.RoutingConfig.AdditionalVersionWeights) > 0 {
			next.Weights = in.RoutingConfig.AdditionalVersionWeights
		}
	}
	if err := api.checkRouting(f, next.FunctionVersion, next.Weights); err != nil {
		return err
	}
	next.RevisionID = newRevisionID()
	if next.FunctionVersion != a.FunctionVersion || !sameWeights(next.Weights, a.Weights) {
		api.reallocate(f, a.Name)
	}
	f.Aliases[a.Name] = &next
	if err := api.store.save(f); err != nil {
		f.Aliases[a.Name] = a
		return errService(err)
	}
	writeJSON(c.w, http.StatusOK, api.aliasOut(f, &next))
	return nil
}

func (api *API) deleteAlias(c *call, f *functionRecord, _ string) *Error {
	c.note.Qualifier = c.route.Alias
	if _, ok := f.Aliases[c.route.Alias]; ok {
		delete(f.Aliases, c.route.Alias)
		delete(f.Provisioned, c.route.Alias)
		if err := api.store.save(f); err != nil {
			return errService(err)
		}
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (api *API) listAliases(c *call, f *functionRecord, _ string) *Error {
	filter := c.r.URL.Query().Get("FunctionVersion")
	names := make([]string, 0, len(f.Aliases))
	for n, a := range f.Aliases {
		if filter == "" || a.FunctionVersion == filter {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	page, next, perr := paginate(len(names), c.r.URL.Query(), func(i int) string { return names[i] })
	if perr != nil {
		return perr
	}
	out := []aliasOut{}
	for _, n := range names[page[0]:page[1]] {
		out = append(out, api.aliasOut(f, f.Aliases[n]))
	}
	body := map[string]any{"Aliases": out}
	if next != "" {
		body["NextMarker"] = next
	}
	writeJSON(c.w, http.StatusOK, body)
	return nil
}
