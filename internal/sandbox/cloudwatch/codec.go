// Package cloudwatch is the sandbox's CloudWatch: the metric store and
// alarms (store.go, persist.go), the operations on them (operations.go),
// and the three wire protocols (codec.go) that decode into and encode
// out of one generic value layer. service.go joins them into a Service.
package cloudwatch

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/wire"
)

// CloudWatch, in the three wire protocols clients send: Smithy RPCv2 CBOR
// (aws-sdk-go-v2 today), AWS JSON 1.0 (current botocore) and awsQuery
// (older CLIs, the Debian AWS CLI v2). One operation layer works on generic
// values (map[string]any, []any, string, float64, bool, time.Time); each
// protocol decodes into it and encodes out of it.

const target = "GraniteServiceVersion20100801"

// Protocol is one of the wire protocols CloudWatch clients speak.
type Protocol int

// The protocols: Smithy RPCv2 CBOR, AWS JSON 1.0 and awsQuery.
const (
	CBOR Protocol = iota
	JSON
	Query
)

// Route reports whether r is a CloudWatch request and which protocol and
// operation it uses (awsQuery names the operation in the body: ""); the
// signing service is the one in r's SigV4 scope.
func Route(r *http.Request, signingService string) (Protocol, string, bool) {
	if strings.HasPrefix(r.URL.Path, "/service/"+target+"/operation/") {
		return CBOR, strings.TrimPrefix(r.URL.Path, "/service/"+target+"/operation/"), true
	}
	if t := r.Header.Get("X-Amz-Target"); strings.HasPrefix(t, target+".") {
		return JSON, strings.TrimPrefix(t, target+"."), true
	}
	if r.Method == http.MethodPost && r.URL.Path == "/" && (signingService == "monitoring" ||
		strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")) {
		return Query, "", true
	}
	return 0, "", false
}

var cborDec, _ = cbor.DecOptions{DefaultMapType: reflect.TypeOf(map[string]any(nil)), TimeTag: cbor.DecTagOptional}.DecMode()
var cborEnc, _ = cbor.EncOptions{Time: cbor.TimeUnixDynamic, TimeTag: cbor.EncTagRequired}.EncMode()

// decode reads the request body into the generic value layer; for awsQuery
// it also returns the operation, which the form names.
func decode(r *http.Request, proto Protocol, op string) (map[string]any, string, *Error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 2<<20))
	if err != nil {
		return nil, op, &Error{Status: 400, Shape: "InvalidParameterValueException", Code: "InvalidParameterValue", Message: err.Error()}
	}
	// A gzip body (PutMetricData's request compression) was inflated, with
	// the size cap applied to the inflated bytes, before it reached here.
	var in map[string]any
	switch proto {
	case CBOR:
		if len(body) > 0 {
			var v any
			if err := cborDec.Unmarshal(body, &v); err != nil {
				return nil, op, invalid("Could not decode the CBOR body: malformed or unexpected CBOR")
			}
			in, _ = normalize(v).(map[string]any)
		}
	case JSON:
		if len(body) > 0 {
			var v any
			if err := json.Unmarshal(body, &v); err != nil {
				return nil, op, invalid("Could not decode the JSON body: %s", wire.JSONProblem(err))
			}
			in, _ = v.(map[string]any)
		}
	case Query:
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, op, invalid("Could not decode the form body: malformed URL encoding")
		}
		op = form.Get("Action")
		in = queryTree(form)
	}
	if in == nil {
		in = map[string]any{}
	}
	return in, op, nil
}

// normalize turns decoded CBOR into the generic shapes: string keys,
// float64 numbers, time.Time for tag 1.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			x[k] = normalize(val)
		}
		return x
	case map[any]any:
		out := map[string]any{}
		for k, val := range x {
			out[fmt.Sprint(k)] = normalize(val)
		}
		return out
	case []any:
		for i := range x {
			x[i] = normalize(x[i])
		}
		return x
	case uint64:
		return float64(x)
	case int64:
		return float64(x)
	case float32:
		return float64(x)
	case cbor.Tag:
		if x.Number == 1 {
			if f, ok := num(normalize(x.Content)); ok {
				t, _ := timeOf(f)
				return t
			}
		}
		return normalize(x.Content)
	case time.Time:
		return x.UTC()
	}
	return v
}

// queryTree turns awsQuery form fields (A.member.1.B.member.2.C=v) into
// the generic shape; lists are "member.N".
func queryTree(form url.Values) map[string]any {
	root := map[string]any{}
	for key, values := range form {
		if key == "Action" || key == "Version" || len(values) == 0 {
			continue
		}
		segs := strings.Split(key, ".")
		node := root
		for i := 0; i < len(segs); i++ {
			seg := segs[i]
			if seg == "member" && i+1 < len(segs) {
				seg = "#" + segs[i+1]
				i++
			}
			if i == len(segs)-1 {
				node[seg] = values[0]
				break
			}
			child, _ := node[seg].(map[string]any)
			if child == nil {
				child = map[string]any{}
				node[seg] = child
			}
			node = child
		}
	}
	out, _ := listify(root).(map[string]any)
	return out
}

func listify(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	allIdx := len(m) > 0
	for k := range m {
		if !strings.HasPrefix(k, "#") {
			allIdx = false
		}
	}
	if allIdx {
		type kv struct {
			i int
			v any
		}
		var items []kv
		for k, val := range m {
			n, _ := strconv.Atoi(k[1:])
			items = append(items, kv{n, listify(val)})
		}
		sort.Slice(items, func(a, b int) bool { return items[a].i < items[b].i })
		out := make([]any, 0, len(items))
		for _, it := range items {
			out = append(out, it.v)
		}
		return out
	}
	for k, val := range m {
		m[k] = listify(val)
	}
	return m
}

// ---- encoders ----

func writeResult(w http.ResponseWriter, proto Protocol, op string, out map[string]any) {
	switch proto {
	case CBOR:
		w.Header().Set("Content-Type", "application/cbor")
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		if out == nil {
			out = map[string]any{}
		}
		b, err := cborEnc.Marshal(out)
		if err != nil {
			WriteError(w, proto, &Error{Status: 500, Shape: "InternalServiceFault", Code: "InternalServiceError", Message: err.Error()})
			return
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(b)
	case JSON:
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		if out == nil {
			out = map[string]any{}
		}
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(epochTimes(out))
	case Query:
		w.Header().Set("Content-Type", "text/xml")
		var b strings.Builder
		fmt.Fprintf(&b, `<%sResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">`, op)
		if out != nil {
			fmt.Fprintf(&b, "<%sResult>", op)
			writeXML(&b, out)
			fmt.Fprintf(&b, "</%sResult>", op)
		}
		fmt.Fprintf(&b, "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>", w.Header().Get("x-amzn-RequestId"), op)
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, b.String())
	}
}

// WriteError answers e in proto.
func WriteError(w http.ResponseWriter, proto Protocol, e *Error) {
	kind := "Sender"
	if e.Status >= 500 {
		kind = "Receiver"
	}
	e.Message = wire.Clip(e.Message, wire.MaxErrorMessage)
	switch proto {
	case CBOR:
		w.Header().Set("Content-Type", "application/cbor")
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		w.Header().Set("X-Amzn-Query-Error", e.Code+";"+kind)
		b, _ := cborEnc.Marshal(map[string]any{"__type": "com.amazonaws.cloudwatch#" + e.Shape, "message": e.Message})
		w.WriteHeader(e.Status)
		_, _ = w.Write(b)
	case JSON:
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-Query-Error", e.Code+";"+kind)
		w.WriteHeader(e.Status)
		_ = json.NewEncoder(w).Encode(map[string]any{"__type": "com.amazonaws.cloudwatch#" + e.Shape, "message": e.Message})
	default:
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(e.Status)
		var msg strings.Builder
		_ = xml.EscapeText(&msg, []byte(e.Message))
		fmt.Fprintf(w, `<ErrorResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
			kind, e.Code, msg.String(), w.Header().Get("x-amzn-RequestId"))
	}
}

func epochTimes(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[k] = epochTimes(val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = epochTimes(x[i])
		}
		return out
	case time.Time:
		return float64(x.UnixNano()) / 1e9
	}
	return v
}

func writeXML(b *strings.Builder, v any) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(b, "<%s>", k)
			writeXML(b, x[k])
			fmt.Fprintf(b, "</%s>", k)
		}
	case []any:
		for _, item := range x {
			b.WriteString("<member>")
			writeXML(b, item)
			b.WriteString("</member>")
		}
	case time.Time:
		b.WriteString(x.UTC().Format("2006-01-02T15:04:05.000Z"))
	case float64:
		b.WriteString(strconv.FormatFloat(x, 'f', -1, 64))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case string:
		_ = xml.EscapeText(b, []byte(x))
	}
}
