package validate

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Msg is the message a wrapped validator shows instead of the one of the
// validator it wraps (from terraform-plugin-framework-validators): those
// say what is wrong, ours also repeat the value and show a valid example.
type Msg struct {
	// Summary is the short Title-Case headline ("Invalid Memory Size").
	Summary string
	// Problem says what is wrong: "it must be from 1 to 900 (seconds)".
	Problem string
	// Example is a valid configuration line: "timeout = 30".
	Example string
	// Attr names the attribute as the user reads it; empty means the
	// attribute's path ("memory_size", "layers[0]").
	Attr string
	// Value shows the rejected value; nil shows it as configured
	// (a number, a quoted string, a list of quoted strings).
	Value func(attr.Value) string
}

func (m Msg) report(p path.Path, v attr.Value, inner diag.Diagnostics, diags *diag.Diagnostics) {
	for _, d := range inner {
		if d.Severity() != diag.SeverityError {
			diags.Append(d)
		}
	}
	if !inner.HasError() {
		return
	}
	name := m.Attr
	if name == "" {
		name = p.String()
	}
	show := m.Value
	if show == nil {
		show = Show
	}
	diags.AddAttributeError(p, m.Summary, Detail(name, show(v), m.Problem, m.Example))
}

// Show renders a configured value the way the messages quote it: numbers
// as they are, strings quoted, lists as their quoted elements.
func Show(v attr.Value) string {
	if v.IsUnknown() {
		return "(unknown)"
	}
	switch x := v.(type) {
	case types.String:
		return fmt.Sprintf("%q", x.ValueString())
	case types.Int64:
		return fmt.Sprint(x.ValueInt64())
	case types.Float64:
		return fmt.Sprint(x.ValueFloat64())
	case types.List:
		return showElements(x.Elements())
	case types.Set:
		return showElements(x.Elements())
	}
	return v.String()
}

func showElements(l []attr.Value) string {
	elems := make([]string, 0, len(l))
	for _, e := range l {
		elems = append(elems, Show(e))
	}
	return "[" + strings.Join(elems, " ") + "]"
}

// wrapped holds the inner validators and our message; the typed wrappers
// below add the one method each validator kind needs.
type wrapped[V interface{ Description(context.Context) string }] struct {
	msg   Msg
	inner []V
}

func (w wrapped[V]) Description(ctx context.Context) string {
	parts := make([]string, 0, len(w.inner))
	for _, v := range w.inner {
		parts = append(parts, v.Description(ctx))
	}
	return strings.Join(parts, "; ")
}

func (w wrapped[V]) MarkdownDescription(ctx context.Context) string { return w.Description(ctx) }

// validate runs every inner validator through run and reports their
// verdict on (p, value) with our message.
func (w wrapped[V]) validate(p path.Path, value attr.Value, run func(V) diag.Diagnostics, diags *diag.Diagnostics) {
	var inner diag.Diagnostics
	for _, v := range w.inner {
		inner.Append(run(v)...)
	}
	w.msg.report(p, value, inner, diags)
}

// Int64 runs the validators and, when any refuses the value, reports one
// error with msg.
func Int64(msg Msg, inner ...validator.Int64) validator.Int64 {
	return int64Wrap{wrapped[validator.Int64]{msg, inner}}
}

type int64Wrap struct{ wrapped[validator.Int64] }

func (w int64Wrap) ValidateInt64(ctx context.Context, req validator.Int64Request, resp *validator.Int64Response) {
	w.validate(req.Path, req.ConfigValue, func(v validator.Int64) diag.Diagnostics {
		r := &validator.Int64Response{}
		v.ValidateInt64(ctx, req, r)
		return r.Diagnostics
	}, &resp.Diagnostics)
}

// Strings runs the validators and, when any refuses the value, reports one
// error with msg.
func Strings(msg Msg, inner ...validator.String) validator.String {
	return stringWrap{wrapped[validator.String]{msg, inner}}
}

type stringWrap struct{ wrapped[validator.String] }

func (w stringWrap) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	w.validate(req.Path, req.ConfigValue, func(v validator.String) diag.Diagnostics {
		r := &validator.StringResponse{}
		v.ValidateString(ctx, req, r)
		return r.Diagnostics
	}, &resp.Diagnostics)
}

// List runs the validators and, when any refuses the value, reports one
// error with msg.
func List(msg Msg, inner ...validator.List) validator.List {
	return listWrap{wrapped[validator.List]{msg, inner}}
}

type listWrap struct{ wrapped[validator.List] }

func (w listWrap) ValidateList(ctx context.Context, req validator.ListRequest, resp *validator.ListResponse) {
	w.validate(req.Path, req.ConfigValue, func(v validator.List) diag.Diagnostics {
		r := &validator.ListResponse{}
		v.ValidateList(ctx, req, r)
		return r.Diagnostics
	}, &resp.Diagnostics)
}

// Set runs the validators and, when any refuses the value, reports one
// error with msg.
func Set(msg Msg, inner ...validator.Set) validator.Set {
	return setWrap{wrapped[validator.Set]{msg, inner}}
}

type setWrap struct{ wrapped[validator.Set] }

func (w setWrap) ValidateSet(ctx context.Context, req validator.SetRequest, resp *validator.SetResponse) {
	w.validate(req.Path, req.ConfigValue, func(v validator.Set) diag.Diagnostics {
		r := &validator.SetResponse{}
		v.ValidateSet(ctx, req, r)
		return r.Diagnostics
	}, &resp.Diagnostics)
}

// Float64 runs the validators and, when any refuses the value, reports one
// error with msg.
func Float64(msg Msg, inner ...validator.Float64) validator.Float64 {
	return float64Wrap{wrapped[validator.Float64]{msg, inner}}
}

type float64Wrap struct{ wrapped[validator.Float64] }

func (w float64Wrap) ValidateFloat64(ctx context.Context, req validator.Float64Request, resp *validator.Float64Response) {
	w.validate(req.Path, req.ConfigValue, func(v validator.Float64) diag.Diagnostics {
		r := &validator.Float64Response{}
		v.ValidateFloat64(ctx, req, r)
		return r.Diagnostics
	}, &resp.Diagnostics)
}
