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
		elems := make([]string, 0, len(x.Elements()))
		for _, e := range x.Elements() {
			elems = append(elems, Show(e))
		}
		return "[" + strings.Join(elems, " ") + "]"
	}
	return v.String()
}

func describe[V interface{ Description(context.Context) string }](ctx context.Context, inner []V) string {
	parts := make([]string, 0, len(inner))
	for _, v := range inner {
		parts = append(parts, v.Description(ctx))
	}
	return strings.Join(parts, "; ")
}

// Int64 runs the validators and, when any refuses the value, reports one
// error with msg.
func Int64(msg Msg, inner ...validator.Int64) validator.Int64 {
	return int64Wrap{msg: msg, inner: inner}
}

type int64Wrap struct {
	msg   Msg
	inner []validator.Int64
}

func (w int64Wrap) Description(ctx context.Context) string {
	return describe(ctx, w.inner)
}

func (w int64Wrap) MarkdownDescription(ctx context.Context) string { return w.Description(ctx) }

func (w int64Wrap) ValidateInt64(ctx context.Context, req validator.Int64Request, resp *validator.Int64Response) {
	var inner diag.Diagnostics
	for _, v := range w.inner {
		r := &validator.Int64Response{}
		v.ValidateInt64(ctx, req, r)
		inner.Append(r.Diagnostics...)
	}
	w.msg.report(req.Path, req.ConfigValue, inner, &resp.Diagnostics)
}

// Strings runs the validators and, when any refuses the value, reports one
// error with msg.
func Strings(msg Msg, inner ...validator.String) validator.String {
	return stringWrap{msg: msg, inner: inner}
}

type stringWrap struct {
	msg   Msg
	inner []validator.String
}

func (w stringWrap) Description(ctx context.Context) string {
	return describe(ctx, w.inner)
}

func (w stringWrap) MarkdownDescription(ctx context.Context) string { return w.Description(ctx) }

func (w stringWrap) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	var inner diag.Diagnostics
	for _, v := range w.inner {
		r := &validator.StringResponse{}
		v.ValidateString(ctx, req, r)
		inner.Append(r.Diagnostics...)
	}
	w.msg.report(req.Path, req.ConfigValue, inner, &resp.Diagnostics)
}

// List runs the validators and, when any refuses the value, reports one
// error with msg.
func List(msg Msg, inner ...validator.List) validator.List {
	return listWrap{msg: msg, inner: inner}
}

type listWrap struct {
	msg   Msg
	inner []validator.List
}

func (w listWrap) Description(ctx context.Context) string {
	return describe(ctx, w.inner)
}

func (w listWrap) MarkdownDescription(ctx context.Context) string { return w.Description(ctx) }

func (w listWrap) ValidateList(ctx context.Context, req validator.ListRequest, resp *validator.ListResponse) {
	var inner diag.Diagnostics
	for _, v := range w.inner {
		r := &validator.ListResponse{}
		v.ValidateList(ctx, req, r)
		inner.Append(r.Diagnostics...)
	}
	w.msg.report(req.Path, req.ConfigValue, inner, &resp.Diagnostics)
}
