package acctest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/statehistory"
)

// StateResource is one managed resource instance of a Terraform state: its
// type, address and the attributes CheckDestroy needs.
type StateResource struct {
	Type       string
	Address    string
	Attributes map[string]string
}

// CheckDestroy is the CheckDestroy of every resource.TestCase: it proves,
// through the AWS SDK against the server at url (the sandbox, or moto when
// ROLLOUT_ACC_BACKEND=moto), that destroy left nothing behind of any
// rollout_* resource the state held before destroy. url is empty for a
// test without a backend (its steps only plan): then the state must hold
// no rollout_* resource at all. madeByTest names the functions the test
// created itself, outside Terraform (a hook function, say): they are not
// left behind by destroy.
func CheckDestroy(url string, madeByTest ...string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		return CheckDestroyed(context.Background(), url, resourcesOf(s), madeByTest...)
	}
}

// CheckDestroyedState is CheckDestroy for tests that drive terraform as a
// subprocess: raw is the state as `terraform state pull` printed it before
// destroy.
func CheckDestroyedState(url string, raw []byte, madeByTest ...string) error {
	res, err := resourcesOfJSON(raw)
	if err != nil {
		return err
	}
	return CheckDestroyed(context.Background(), url, res, madeByTest...)
}

// CheckDestroyed checks each rollout_* resource by type:
//   - rollout_function: the function no longer exists;
//   - rollout_alias: the alias no longer exists;
//   - rollout_canary_policy is local-only: the account holds no function
//     but those madeByTest, so nothing in AWS can have been made on its
//     behalf.
//
// A rollout_* type without a check is an error, so a new resource type
// cannot pass unchecked.
func CheckDestroyed(ctx context.Context, url string, res []StateResource, madeByTest ...string) error {
	if url == "" {
		var errs []error
		for _, r := range res {
			if strings.HasPrefix(r.Type, ProviderName+"_") {
				errs = append(errs, fmt.Errorf("%s: in the state of a test without a backend, whose steps must only plan", r.Address))
			}
		}
		return errors.Join(errs...)
	}
	c := PatientLambda(url)
	var errs []error
	for _, r := range res {
		if !strings.HasPrefix(r.Type, ProviderName+"_") {
			continue
		}
		if err := checkDestroyed(ctx, c, r, madeByTest); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.Address, err))
		}
	}
	return errors.Join(errs...)
}

// PatientLambda is a Lambda client for a test's own checks against url. A
// check must see the truth, not give up: a test may leave the sandbox
// throttling and failing calls at a fixed rate (the reliability tests do),
// so this client retries far harder than the SDK's default three attempts
// and has no client-side retry quota.
func PatientLambda(url string) *lambda.Client {
	return lambda.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDCHECKDESTROY", "s", "")},
		func(o *lambda.Options) {
			o.BaseEndpoint = aws.String(url)
			o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
				so.MaxAttempts = 30
				so.MaxBackoff = time.Second
				so.RateLimiter = ratelimit.None
			})
		})
}

func checkDestroyed(ctx context.Context, c *lambda.Client, r StateResource, madeByTest []string) error {
	fn := r.Attributes["function_name"]
	switch r.Type {
	case "rollout_function":
		_, err := lambdaops.FindFunction(ctx, c, fn)
		return goneOr(err, fmt.Sprintf("function %q still exists after destroy", fn))
	case "rollout_alias":
		name := r.Attributes["name"]
		_, err := lambdaops.FindAlias(ctx, c, fn, name)
		return goneOr(err, fmt.Sprintf("alias %q of function %q still exists after destroy", name, fn))
	case "rollout_alias_group":
		for key, v := range r.Attributes {
			member, ok := strings.CutSuffix(key, ".function_name")
			if !ok || !strings.HasPrefix(member, "members.") {
				continue
			}
			name := r.Attributes[member+".alias"]
			_, err := lambdaops.FindAlias(ctx, c, v, name)
			if err := goneOr(err, fmt.Sprintf("alias %q of function %q (%s) still exists after destroy", name, v, member)); err != nil {
				return err
			}
		}
		return nil
	case "rollout_canary_policy":
		var left []string
		p := lambda.NewListFunctionsPaginator(c, &lambda.ListFunctionsInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("listing functions: %w", err)
			}
			for _, f := range page.Functions {
				if name := aws.ToString(f.FunctionName); !slices.Contains(madeByTest, name) {
					left = append(left, name)
				}
			}
		}
		if len(left) > 0 {
			sort.Strings(left)
			return fmt.Errorf("a local-only policy was destroyed but the account still holds functions %v that the test did not make", left)
		}
		return nil
	default:
		return fmt.Errorf("no destroy check for resource type %s: add one to acctest.CheckDestroyed", r.Type)
	}
}

// goneOr is nil when err says the object is not found, the message when
// it was found, and err otherwise (destroy cannot be proven).
func goneOr(err error, found string) error {
	switch {
	case lambdaops.IsNotFound(err):
		return nil
	case err == nil:
		return errors.New(found)
	default:
		return fmt.Errorf("cannot tell whether destroy removed it: %w", err)
	}
}

func resourcesOf(s *terraform.State) []StateResource {
	var out []StateResource
	if s == nil {
		return nil
	}
	for _, m := range s.Modules {
		for addr, rs := range m.Resources {
			if rs == nil || rs.Primary == nil || strings.HasPrefix(addr, "data.") {
				continue
			}
			out = append(out, StateResource{Type: rs.Type, Address: addr, Attributes: rs.Primary.Attributes})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Address < out[j].Address })
	return out
}

// resourcesOfJSON reads the managed resources of a version 4 state file
// with the state inspector's parser.
func resourcesOfJSON(raw []byte) ([]StateResource, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil // no state yet
	}
	st, err := statehistory.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("reading the state before destroy: %w", err)
	}
	var out []StateResource
	for _, r := range st.Resources {
		if r.Mode != "managed" {
			continue
		}
		for _, in := range r.Instances {
			attrs := map[string]string{}
			for k, v := range in.Attributes {
				if s, ok := v.(string); ok {
					attrs[k] = s
				}
			}
			if members, ok := in.Attributes["members"].(map[string]any); ok {
				// A rollout_alias_group's members, flattened as terraform.State does.
				for key, m := range members {
					obj, _ := m.(map[string]any)
					for _, a := range []string{"function_name", "alias"} {
						if s, ok := obj[a].(string); ok {
							attrs["members."+key+"."+a] = s
						}
					}
				}
			}
			out = append(out, StateResource{Type: r.Type, Address: r.Address(in), Attributes: attrs})
		}
	}
	return out, nil
}
