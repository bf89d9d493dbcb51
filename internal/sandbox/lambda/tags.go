package lambda

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// taggablePattern is the model's pattern for a taggable resource ARN as
// AWS's validator quotes it (localstack's AWS recording
// TestLambdaTag::test_tag_exceptions invalid_arn_exception, 2025-11-25).
const taggablePattern = `arn:(aws[a-zA-Z-]*):lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:(function:[a-zA-Z0-9-_]+(:(\$LATEST|[a-zA-Z0-9-_]+))?|layer:([a-zA-Z0-9-_]+)|code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|capacity-provider:[a-zA-Z0-9-_]+)`

var taggableRE = regexp.MustCompile("^" + taggablePattern + "$")

// maxTags is Lambda's limit of tags per function (developer guide, tagging.html).
const maxTags = 50

// validateTags applies the tag restrictions of the Lambda developer guide
// (tagging.html: at most 50 tags, keys of 1 to 128 characters without the
// reserved aws: prefix, values up to 256) to tags added to existing ones.
// The limit's text is AWS's (localstack's AWS recording test_tag_limits,
// 2025-11-25); the texts for keys and values are the sandbox's own.
func validateTags(existing, add map[string]string) *Error {
	keys := make([]string, 0, len(add))
	for k := range add {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch {
		case strings.HasPrefix(k, "aws:"):
			return errInvalidParameter("The tag key %s begins with aws:, a prefix reserved for AWS use.", k)
		case k == "" || utf8.RuneCountInString(k) > 128:
			return errInvalidParameter("The tag key %s is longer than 128 characters.", k)
		case utf8.RuneCountInString(add[k]) > 256:
			return errInvalidParameter("The tag value for key %s is longer than 256 characters.", k)
		}
	}
	n := len(existing)
	for k := range add {
		if _, ok := existing[k]; !ok {
			n++
		}
	}
	if n > maxTags {
		return errInvalidParameter("Number of tags exceeds resource tag limit.")
	}
	return nil
}

// tags serves ListTags, TagResource and UntagResource. A tag write gives
// $LATEST a new RevisionId, as AWS does, so a write guarded by a RevisionId
// read before it fails with 412.
func (api *API) tags(c *call) *Error {
	arn := c.route.Resource
	if !taggableRE.MatchString(arn) {
		return errValidation(fmt.Sprintf("Value '%s' at 'resource' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", arn, taggablePattern))
	}
	ref, isFunction := splitFunctionRef(arn)
	if !isFunction { // a layer, code-signing config, event-source mapping ...
		return errNotFound(arn)
	}
	if ref.Qualifier != "" {
		// localstack's AWS recordings TestLambdaTags::test_tag_versions and
		// test_tag_exceptions tag_lambda_qualifier_doesnotexist, 2025-11-25:
		// refused before the function is looked up.
		return errInvalidParameter("Tags on function aliases and versions are not supported. Please specify a function ARN.")
	}
	var in struct {
		Tags map[string]string `json:"Tags"`
	}
	keys, keysGiven := c.r.URL.Query()["tagKeys"]
	switch c.route.Operation {
	case "TagResource":
		if err := decodeBody(c.r, &in); err != nil {
			return err
		}
		if len(in.Tags) == 0 {
			// localstack's AWS recording test_tag_exceptions tag_empty_tags.
			return errInvalidParameter("An error occurred and the request cannot be processed.")
		}
	case "UntagResource":
		if !keysGiven {
			// localstack's AWS recording test_tag_exceptions untag_empty_keys.
			return errValidation("Value null at 'tagKeys' failed to satisfy constraint: Member must not be null")
		}
	}
	api.store.mu.Lock()
	defer api.store.mu.Unlock()
	f, _, err := api.lookup(c, arn, "")
	if err != nil {
		return err
	}
	switch c.route.Operation {
	case "ListTags":
		writeJSON(c.w, http.StatusOK, map[string]any{"Tags": f.Tags})
		return nil
	case "TagResource":
		if err := validateTags(f.Tags, in.Tags); err != nil {
			return err
		}
		for k, v := range in.Tags {
			f.Tags[k] = v
		}
	case "UntagResource":
		for _, k := range keys {
			delete(f.Tags, k)
		}
	}
	f.Latest.RevisionID = newRevisionID()
	return api.saved(c, f, http.StatusNoContent, nil)
}

// ---- aliases ----
