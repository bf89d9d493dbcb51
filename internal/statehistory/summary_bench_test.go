package statehistory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// parseSummaryStd is the summary parser with encoding/json alone: the
// decoder it used before goccy/go-json.
func parseSummaryStd(b []byte) (*State, error) {
	return parseSummaryWith(b, func(b []byte, l *summaryState) error { return json.Unmarshal(b, l) })
}

// skipValue consumes one JSON value without building it.
type skipValue struct{}

func (*skipValue) UnmarshalJSON([]byte) error { return nil }

// parseSummaryTokens is the summary parser as a json.Decoder token stream:
// the structure walked token by token, only the attributes of resources
// in view decoded (into the same narrow struct), everything else skipped.
// It is measured against parseSummary in BenchmarkSummaryParse; the
// narrow-struct decode is the one rolloutctl uses (see the figures there).
func parseSummaryTokens(b []byte) (*State, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	expect := func(want json.Delim) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); !ok || d != want {
			return fmt.Errorf("want %v, got %v", want, tok)
		}
		return nil
	}
	key := func() (string, error) {
		tok, err := dec.Token()
		if err != nil {
			return "", err
		}
		k, ok := tok.(string)
		if !ok {
			return "", fmt.Errorf("want a key, got %v", tok)
		}
		return k, nil
	}
	s := &State{}
	if err := expect('{'); err != nil {
		return nil, err
	}
	for dec.More() {
		k, err := key()
		if err != nil {
			return nil, err
		}
		switch k {
		case "version":
			err = dec.Decode(&s.Version)
		case "serial":
			err = dec.Decode(&s.Serial)
		case "lineage":
			err = dec.Decode(&s.Lineage)
		case "resources":
			err = tokenResources(dec, s, expect, key)
		default:
			err = dec.Decode(&skipValue{})
		}
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

func tokenResources(dec *json.Decoder, s *State, expect func(json.Delim) error, key func() (string, error)) error {
	if err := expect('['); err != nil {
		return err
	}
	for dec.More() {
		if err := expect('{'); err != nil {
			return err
		}
		var r Resource
		for dec.More() {
			k, err := key()
			if err != nil {
				return err
			}
			switch k {
			case "module":
				err = dec.Decode(&r.Module)
			case "mode":
				err = dec.Decode(&r.Mode)
			case "type":
				err = dec.Decode(&r.Type)
			case "name":
				err = dec.Decode(&r.Name)
			case "instances":
				err = tokenInstances(dec, &r, expect, key)
			default:
				err = dec.Decode(&skipValue{})
			}
			if err != nil {
				return err
			}
		}
		if err := expect('}'); err != nil {
			return err
		}
		if !inView(r.Type) {
			for i := range r.Instances {
				r.Instances[i].Attributes = nil
			}
		}
		s.Resources = append(s.Resources, r)
	}
	return expect(']')
}

func tokenInstances(dec *json.Decoder, r *Resource, expect func(json.Delim) error, key func() (string, error)) error {
	if err := expect('['); err != nil {
		return err
	}
	for dec.More() {
		if err := expect('{'); err != nil {
			return err
		}
		var i Instance
		for dec.More() {
			k, err := key()
			if err != nil {
				return err
			}
			switch k {
			case "index_key":
				err = dec.Decode(&i.IndexKey)
			case "status":
				err = dec.Decode(&i.Status)
			case "deposed":
				err = dec.Decode(&i.Deposed)
			case "attributes":
				// "type" may follow "instances" (JSON objects are unordered):
				// decoded here, dropped below when out of view.
				var a summaryAttrs
				err = dec.Decode(&a)
				i.Attributes = a.attributes()
			default:
				err = dec.Decode(&skipValue{})
			}
			if err != nil {
				return err
			}
		}
		if err := expect('}'); err != nil {
			return err
		}
		r.Instances = append(r.Instances, i)
	}
	return expect(']')
}

// BenchmarkSummaryParse decodes one state four ways: the full decode
// (Parse: every attribute of every resource into maps), the narrow-struct
// summary parser rolloutctl uses (parseSummary, goccy/go-json with
// encoding/json on any error), the same narrow structs through
// encoding/json alone, and a json.Decoder token stream that keeps the same
// fields (parseSummaryTokens). The state is one
// terraform wrote (testdata/terraform-1.11.4/02.tfstate) with its
// resources repeated for 100 function/alias pairs (every resource in view).
func BenchmarkSummaryParse(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("testdata", "terraform-1.11.4", "02.tfstate"))
	if err != nil {
		b.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		b.Fatal(err)
	}
	one, ok := doc["resources"].([]any)
	if !ok {
		b.Fatalf("resources is %T, want a list", doc["resources"])
	}
	var res []any
	for i := 0; i < 100; i++ {
		for _, r := range one {
			c := map[string]any{}
			m, ok := r.(map[string]any)
			if !ok {
				b.Fatalf("a resource is %T, want an object", r)
			}
			for k, v := range m {
				c[k] = v
			}
			c["name"] = fmt.Sprintf("%s_%d", c["name"], i)
			res = append(res, c)
		}
	}
	doc["resources"] = res
	state, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		b.Fatal(err)
	}
	want := summarise(mustParse(b, Parse, state))
	for _, p := range []struct {
		name  string
		parse func([]byte) (*State, error)
	}{{"full", Parse}, {"narrow-struct", parseSummary}, {"narrow-struct-encoding-json", parseSummaryStd}, {"token-stream", parseSummaryTokens}} {
		b.Run(p.name, func(b *testing.B) {
			if diff := cmp.Diff(want, summarise(mustParse(b, p.parse, state))); diff != "" {
				b.Fatalf("%s gives another summary (-full +%[1]s):\n%s", p.name, diff)
			}
			b.SetBytes(int64(len(state)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				mustParse(b, p.parse, state)
			}
		})
	}
}

func mustParse(b *testing.B, parse func([]byte) (*State, error), state []byte) *State {
	s, err := parse(state)
	if err != nil {
		b.Fatal(err)
	}
	return s
}
