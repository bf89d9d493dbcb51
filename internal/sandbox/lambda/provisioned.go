package lambda

// Provisioned concurrency (Put/Get/DeleteProvisionedConcurrencyConfig) on
// an alias or a version: IN_PROGRESS while the environments are being
// prepared, READY after the provisioned settle time. Moving an alias's
// traffic (UpdateAlias) makes its configuration IN_PROGRESS again, as AWS
// reallocates the alias's provisioned concurrency across its versions by
// weight.

import (
	"fmt"
	"net/http"
	"time"
)

// provisionedRecord is the provisioned concurrency of one qualifier.
type provisionedRecord struct {
	Requested    int       `json:"requested"`
	Status       string    `json:"status"`
	LastModified time.Time `json:"last_modified"`
	SettleAt     time.Time `json:"settle_at,omitzero"`
}

type putProvisionedIn struct {
	ProvisionedConcurrentExecutions *int `json:"ProvisionedConcurrentExecutions"`
}

func (in *putProvisionedIn) check() *Error {
	switch {
	case in.ProvisionedConcurrentExecutions == nil:
		return errValidation("Value null at 'provisionedConcurrentExecutions' failed to satisfy constraint: Member must not be null")
	case *in.ProvisionedConcurrentExecutions < 1:
		return errValidation(fmt.Sprintf("Value '%d' at 'provisionedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 1", *in.ProvisionedConcurrentExecutions))
	}
	return nil
}

// provisionedQualifier checks the ?Qualifier= of a provisioned concurrency
// request: a published version or an alias of f.
func (api *API) provisionedQualifier(c *call, f *functionRecord) (string, *Error) {
	q := c.r.URL.Query().Get("Qualifier")
	c.note.Qualifier = q
	switch {
	case q == "":
		return "", errValidation("Value null at 'qualifier' failed to satisfy constraint: Member must not be null")
	case q == "$LATEST":
		return "", errInvalidParameter("Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
	case isVersionNumber(q):
		if f.findVersion(q) == nil {
			return "", errNotFound(api.functionARN(f) + ":" + q)
		}
	default:
		if f.Aliases[q] == nil {
			return "", errNotFound(api.functionARN(f) + ":" + q)
		}
	}
	return q, nil
}

// settleProvisioned makes the configurations whose time has come READY.
func (f *functionRecord) settleProvisioned(now time.Time) bool {
	changed := false
	for _, p := range f.Provisioned {
		if p.Status == "IN_PROGRESS" && !now.Before(p.SettleAt) {
			p.Status, p.SettleAt = "READY", time.Time{}
			changed = true
		}
	}
	return changed
}

// reallocate marks the provisioned concurrency of qualifier IN_PROGRESS
// again (its traffic moved); the caller saves f.
func (api *API) reallocate(f *functionRecord, qualifier string) {
	if p := f.Provisioned[qualifier]; p != nil {
		now := api.now()
		p.Status, p.LastModified, p.SettleAt = "IN_PROGRESS", now, now.Add(api.provisionedDelay)
	}
}

func (api *API) provisionedOut(p *provisionedRecord) map[string]any {
	available := 0
	if p.Status == "READY" {
		available = p.Requested
	}
	return map[string]any{"RequestedProvisionedConcurrentExecutions": p.Requested, "AvailableProvisionedConcurrentExecutions": available,
		"AllocatedProvisionedConcurrentExecutions": available, "Status": p.Status, "LastModified": p.LastModified.UTC().Format(time.RFC3339)}
}

func (api *API) putProvisioned(c *call, f *functionRecord, in *putProvisionedIn) *Error {
	q, err := api.provisionedQualifier(c, f)
	if err != nil {
		return err
	}
	now := api.now()
	if f.Provisioned == nil {
		f.Provisioned = map[string]*provisionedRecord{}
	}
	p := &provisionedRecord{Requested: *in.ProvisionedConcurrentExecutions, Status: "IN_PROGRESS", LastModified: now, SettleAt: now.Add(api.provisionedDelay)}
	f.Provisioned[q] = p
	if err := api.store.save(f); err != nil {
		return errService(err)
	}
	c.note.Detail = p.Status
	writeJSON(c.w, http.StatusAccepted, api.provisionedOut(p))
	return nil
}

func (api *API) getProvisioned(c *call, f *functionRecord, _ string) *Error {
	q, err := api.provisionedQualifier(c, f)
	if err != nil {
		return err
	}
	if f.settleProvisioned(api.now()) {
		if err := api.store.save(f); err != nil {
			return errService(err)
		}
	}
	p := f.Provisioned[q]
	if p == nil {
		return &Error{Status: 404, Code: "ProvisionedConcurrencyConfigNotFoundException", Message: "No Provisioned Concurrency Config found for this function"}
	}
	c.note.Detail = p.Status
	writeJSON(c.w, http.StatusOK, api.provisionedOut(p))
	return nil
}

func (api *API) deleteProvisioned(c *call, f *functionRecord, _ string) *Error {
	q, err := api.provisionedQualifier(c, f)
	if err != nil {
		return err
	}
	delete(f.Provisioned, q)
	if err := api.store.save(f); err != nil {
		return errService(err)
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

func sameWeights(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
