// Package sqs is the sandbox's SQS: the queues and messages (store.go,
// persist.go), the operations on them (operations.go, service.go), and the
// two wire protocols (codec.go) that decode into and encode out of one
// generic value layer in AWS JSON 1.0's shapes.
package sqs

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/wire"
)

// SQS, in the two wire protocols clients send: AWS JSON 1.0
// (aws-sdk-go-v2, current botocore; X-Amz-Target: AmazonSQS.<Op>) and the
// query protocol (form posts with Version=2012-11-05, XML answers; the
// Debian AWS CLI v2 2.9.19).

const target = "AmazonSQS"

// QueryVersion is the Version a query-protocol SQS request carries.
const QueryVersion = "2012-11-05"

const xmlns = "http://queue.amazonaws.com/doc/2012-11-05/"

// Protocol is one of the wire protocols SQS clients speak.
type Protocol int

// The protocols: AWS JSON 1.0 and query.
const (
	JSON Protocol = iota
	Query
)

// Route reports whether r is an SQS AWS JSON 1.0 request and its
// operation. Query requests are recognised by their form's Version.
func Route(r *http.Request) (string, bool) {
	if t := r.Header.Get("X-Amz-Target"); strings.HasPrefix(t, target+".") {
		return strings.TrimPrefix(t, target+"."), true
	}
	return "", false
}

// decode reads the request body into the generic value layer; for the
// query protocol it also returns the operation, which the form names.
func decode(r *http.Request, proto Protocol, op string) (map[string]any, string, *Error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 2<<20))
	if err != nil {
		return nil, op, invalid("Could not read the request body: %s", err)
	}
	in := map[string]any{}
	switch proto {
	case JSON:
		if len(body) > 0 {
			var v any
			if err := json.Unmarshal(body, &v); err != nil {
				return nil, op, invalid("Could not decode the JSON body: %s", wire.JSONProblem(err))
			}
			if m, ok := v.(map[string]any); ok {
				in = m
			}
		}
	case Query:
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, op, invalid("Could not decode the form body: malformed URL encoding")
		}
		op = form.Get("Action")
		in = fromForm(form)
	}
	return in, op, nil
}

// fromForm turns a query-protocol form into the JSON shapes: the flattened
// Attribute.N.Name/Value map, AttributeName.N lists and
// SendMessageBatchRequestEntry.N.* entries.
func fromForm(form url.Values) map[string]any {
	in := map[string]any{}
	attrs := map[string]any{}
	entries := map[int]map[string]any{}
	for k, vs := range form {
		v := vs[0]
		parts := strings.Split(k, ".")
		switch {
		case k == "Action" || k == "Version":
		case len(parts) == 3 && parts[0] == "Attribute" && parts[2] == "Name":
			attrs[v] = form.Get("Attribute." + parts[1] + ".Value")
		case len(parts) == 2 && (parts[0] == "AttributeName" || parts[0] == "MessageSystemAttributeName"):
			key := parts[0] + "s"
			l, _ := in[key].([]any)
			in[key] = append(l, v)
		case len(parts) == 3 && parts[0] == "SendMessageBatchRequestEntry":
			n, err := strconv.Atoi(parts[1])
			if err != nil {
				continue
			}
			if entries[n] == nil {
				entries[n] = map[string]any{}
			}
			entries[n][parts[2]] = v
		case len(parts) == 1:
			in[k] = v
		}
	}
	if len(attrs) > 0 {
		in["Attributes"] = attrs
	}
	if len(entries) > 0 {
		keys := make([]int, 0, len(entries))
		for n := range entries {
			keys = append(keys, n)
		}
		sort.Ints(keys)
		list := make([]any, 0, len(keys))
		for _, n := range keys {
			list = append(list, entries[n])
		}
		in["Entries"] = list
	}
	return in
}

// writeResult answers a successful operation.
func writeResult(w http.ResponseWriter, proto Protocol, op string, out map[string]any) {
	if proto == JSON {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		b, _ := json.Marshal(out)
		_, _ = w.Write(b)
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0"?><%sResponse xmlns="%s">`, op, xmlns)
	if len(out) > 0 {
		fmt.Fprintf(&b, "<%sResult>", op)
		writeXMLFields(&b, out)
		fmt.Fprintf(&b, "</%sResult>", op)
	}
	fmt.Fprintf(&b, "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>", w.Header().Get("x-amzn-RequestId"), op)
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write([]byte(b.String()))
}

// xmlMember names the flattened XML member of each JSON list or map.
var xmlMember = map[string]string{
	"Attributes": "Attribute",
	"QueueUrls":  "QueueUrl",
	"Messages":   "Message",
	"Successful": "SendMessageBatchResultEntry",
	"Failed":     "BatchResultErrorEntry",
}

func writeXMLFields(b *strings.Builder, m map[string]any) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch v := m[k].(type) {
		case map[string]any:
			names := make([]string, 0, len(v))
			for n := range v {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				fmt.Fprintf(b, "<%[1]s><Name>%s</Name><Value>%s</Value></%[1]s>", xmlMember[k], wire.XMLEscape(n), wire.XMLEscape(fmt.Sprint(v[n])))
			}
		case []any:
			for _, e := range v {
				if em, ok := e.(map[string]any); ok {
					fmt.Fprintf(b, "<%s>", xmlMember[k])
					writeXMLFields(b, em)
					fmt.Fprintf(b, "</%s>", xmlMember[k])
				} else {
					fmt.Fprintf(b, "<%[1]s>%s</%[1]s>", xmlMember[k], wire.XMLEscape(fmt.Sprint(e)))
				}
			}
		default:
			fmt.Fprintf(b, "<%[1]s>%s</%[1]s>", k, wire.XMLEscape(fmt.Sprint(v)))
		}
	}
}

// WriteError answers an error in the request's protocol.
func WriteError(w http.ResponseWriter, proto Protocol, e *Error) {
	msg := wire.Clip(e.Message, wire.MaxErrorMessage)
	typ := "Sender"
	if e.Status >= 500 {
		typ = "Receiver"
	}
	if proto == JSON {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-Query-Error", e.Code+";"+typ)
		w.WriteHeader(e.Status)
		b, _ := json.Marshal(map[string]string{"__type": "com.amazonaws.sqs#" + e.Shape, "message": msg})
		_, _ = w.Write(b)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.Status)
	_, _ = fmt.Fprintf(w, `<?xml version="1.0"?><ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message><Detail/></Error><RequestId>%s</RequestId></ErrorResponse>`,
		xmlns, typ, e.Code, wire.XMLEscape(msg), w.Header().Get("x-amzn-RequestId"))
}
