package statehistory

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// The AWS provider's Lambda resources, read alongside rollout_*: a team
// that manages Lambda with aws_lambda_function (publish = true) and
// aws_lambda_alias has the same history to return through. What differs:
// no release is recorded (the code is named by source_code_hash), the
// alias carries no rollout status (a weighted routing_config is a canary
// in flight), and the provider never reuses a version: applying old code
// publishes it again under a new number.
const (
	awsFunction    = "aws_lambda_function"
	awsAlias       = "aws_lambda_alias"
	awsConcurrency = "aws_lambda_provisioned_concurrency_config"
)

// inView reports whether a resource type is one rolloutctl summarises:
// this provider's resources and the AWS provider's Lambda resources.
func inView(typ string) bool {
	switch typ {
	case awsFunction, awsAlias, awsConcurrency:
		return true
	}
	return strings.HasPrefix(typ, "rollout_")
}

// functionName returns the function name of a function_name attribute,
// which the AWS provider accepts as a name or an ARN (qualified or not).
func functionName(v string) string {
	if a, err := arn.Parse(v); err == nil && a.Service == "lambda" {
		name, _, _ := strings.Cut(strings.TrimPrefix(a.Resource, "function:"), ":")
		return name
	}
	return v
}

// awsFunctionView is what an aws_lambda_function instance says: its
// latest published version ("$LATEST" without publish) and code hash.
func awsFunctionView(r Resource, i Instance) FunctionView {
	return FunctionView{Address: r.Address(i), Resource: r.Type, Function: functionName(str(i.Attributes, "function_name")),
		Version: str(i.Attributes, "version"), Code: str(i.Attributes, "source_code_hash")}
}

// awsAliasView is what an aws_lambda_alias instance says: the version it
// serves and the one weighted version routing_config adds (Lambda allows
// one), with the provisioned concurrency configured on the alias.
func awsAliasView(s *State, r Resource, i Instance) AliasView {
	a := AliasView{Address: r.Address(i), Resource: r.Type, Function: functionName(str(i.Attributes, "function_name")),
		Name: str(i.Attributes, "name"), Primary: str(i.Attributes, "function_version")}
	if rc, ok := i.Attributes["routing_config"].([]any); ok && len(rc) > 0 {
		if m, ok := rc[0].(map[string]any); ok {
			if w, ok := m["additional_version_weights"].(map[string]any); ok {
				for v, weight := range w {
					a.RoutingVersion = v
					a.RoutingWeight, _ = weight.(float64)
				}
			}
		}
	}
	a.Code = codeOf(s, a.Function, a.Primary)
	a.ConcurrencyConfig, a.Concurrency = concurrencyOf(s, a.Function, a.Name)
	return a
}

// codeOf returns the source_code_hash of an AWS-provider function's
// version, when this state records it (the function is at that version).
func codeOf(s *State, function, version string) string {
	for _, r := range s.Resources {
		if r.Type != awsFunction || r.Mode != "managed" {
			continue
		}
		for _, i := range r.Instances {
			if i.Deposed == "" && functionName(str(i.Attributes, "function_name")) == function && str(i.Attributes, "version") == version {
				return str(i.Attributes, "source_code_hash")
			}
		}
	}
	return ""
}

// concurrencyOf finds the provisioned concurrency configured on an alias
// (qualifier = the alias name): its address and executions.
func concurrencyOf(s *State, function, alias string) (string, int) {
	for _, r := range s.Resources {
		if r.Type != awsConcurrency || r.Mode != "managed" {
			continue
		}
		for _, i := range r.Instances {
			if i.Deposed == "" && functionName(str(i.Attributes, "function_name")) == function && str(i.Attributes, "qualifier") == alias {
				n, _ := i.Attributes["provisioned_concurrent_executions"].(float64)
				return r.Address(i), int(n)
			}
		}
	}
	return "", 0
}

// fillCode names the code of the versions an AWS-provider alias serves
// that its own revision does not record (the function moved on), from
// the other revisions of the history: a version's code never changes.
func fillCode(revs []Revision) {
	codes := Codes{}
	for _, r := range revs {
		codes.note(r)
	}
	for i := range revs {
		codes.Fill(revs[i].Aliases)
	}
}

// awsSplit is why a revision whose AWS-provider alias splits traffic is
// not a target: without a rollout status, a weighted routing_config is a
// canary that was running.
func awsSplit(a AliasView) string {
	return fmt.Sprintf("alias %s splits traffic (%g%% on version %s, no rollout status): a canary was running, not a state to return to",
		a.Name, a.RoutingWeight*100, a.RoutingVersion)
}

// awsAdvice adds to a pick what returning to it means with the AWS
// provider: the code to check out, and the plan that provider shows.
func awsAdvice(p *Pick, ref Revision) {
	refFns := map[string]FunctionView{}
	for _, f := range ref.Functions {
		refFns[f.Address] = f
	}
	follows := map[string]string{} // function name -> address, for the alias lines
	for _, f := range p.Chosen.Functions {
		if f.Resource != awsFunction {
			continue
		}
		follows[f.Function] = f.Address
		if f.Code != "" {
			p.Checkout = append(p.Checkout, fmt.Sprintf("the configuration that built %s version %s: source_code_hash %q (the code's base64 SHA-256)", f.Address, f.Version, f.Code))
		}
		from := refFns[f.Address]
		if from.Version != f.Version {
			p.ExpectPlan = append(p.ExpectPlan, fmt.Sprintf("~ %s: source_code_hash %q -> %q; with publish = true the AWS provider publishes that code as a new version (after %s), it does not reuse version %s",
				f.Address, from.Code, f.Code, from.Version, f.Version))
		}
	}
	if len(follows) > 0 {
		p.Notes = append(p.Notes, "With the AWS provider a pushed state (--write-state) moves no traffic: the next refresh reads the live function and alias back, "+
			"and the configuration decides. Return by applying the configuration named above (or the alias pinned to the retained version).")
	}
	refAliases := map[string]AliasView{}
	for _, a := range ref.Aliases {
		refAliases[a.Address] = a
	}
	for _, a := range p.Chosen.Aliases {
		if a.Resource != awsAlias {
			continue
		}
		from := refAliases[a.Address]
		if from.Primary != a.Primary {
			line := fmt.Sprintf("~ %s: function_version %q -> %q", a.Address, from.Primary, a.Primary)
			if fn, ok := follows[a.Function]; ok {
				line = fmt.Sprintf("~ %s: function_version %q -> the new version if it follows %s.version; to return traffic at once without publishing, set function_version = %q (a retained version: only the alias moves)",
					a.Address, from.Primary, fn, a.Primary)
			}
			p.ExpectPlan = append(p.ExpectPlan, line)
		}
		if a.ConcurrencyConfig != "" && (from.Primary != a.Primary || from.Concurrency != a.Concurrency) {
			p.ExpectPlan = append(p.ExpectPlan, fmt.Sprintf("%s (qualifier %s) follows the alias: %d -> %d executions, allocated again for the new version (requests spill over to on-demand, cold, until it is ready)",
				a.ConcurrencyConfig, a.Name, from.Concurrency, a.Concurrency))
		}
	}
}
