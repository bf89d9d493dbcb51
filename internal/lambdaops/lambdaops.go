// Package lambdaops holds the find -> status -> wait helpers over the
// Lambda API that the resources share, with one typed not-found error.
package lambdaops

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// ErrNotFound is returned, wrapped, when a function, version or alias does not exist.
var ErrNotFound = errors.New("not found")

// IsNotFound reports whether err means the resource does not exist, for
// errors from the helpers here and raw ResourceNotFoundExceptions alike.
func IsNotFound(err error) bool {
	var nf *types.ResourceNotFoundException
	return errors.Is(err, ErrNotFound) || errors.As(err, &nf)
}

func notFound(err error) error {
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return &notFoundError{err: err}
	}
	return err
}

type notFoundError struct{ err error }

func (e *notFoundError) Error() string { return e.err.Error() }
func (e *notFoundError) Unwrap() []error {
	return []error{ErrNotFound, e.err}
}

// FindFunction reads the unqualified function ($LATEST and tags).
func FindFunction(ctx context.Context, c *lambda.Client, name string) (*lambda.GetFunctionOutput, error) {
	out, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
	if err != nil {
		return nil, notFound(err)
	}
	if out.Configuration == nil {
		return nil, errors.New("GetFunction answered without Configuration")
	}
	return out, nil
}

// FindVersion reads one published version (or $LATEST, or an alias's primary).
func FindVersion(ctx context.Context, c *lambda.Client, name, qualifier string) (*lambda.GetFunctionConfigurationOutput, error) {
	out, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name), Qualifier: aws.String(qualifier)})
	if err != nil {
		return nil, notFound(err)
	}
	return out, nil
}

// ListVersions returns every published version (not $LATEST), oldest first.
func ListVersions(ctx context.Context, c *lambda.Client, name string) ([]types.FunctionConfiguration, error) {
	var out []types.FunctionConfiguration
	p := lambda.NewListVersionsByFunctionPaginator(c, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(name), MaxItems: aws.Int32(10000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, notFound(err)
		}
		for _, v := range page.Versions {
			if aws.ToString(v.Version) != "$LATEST" {
				out = append(out, v)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return VersionNumber(out[i].Version) < VersionNumber(out[j].Version) })
	return out, nil
}

// ListAliases returns every alias of the function.
func ListAliases(ctx context.Context, c *lambda.Client, name string) ([]types.AliasConfiguration, error) {
	var out []types.AliasConfiguration
	p := lambda.NewListAliasesPaginator(c, &lambda.ListAliasesInput{FunctionName: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, notFound(err)
		}
		out = append(out, page.Aliases...)
	}
	return out, nil
}

// VersionNumber parses a published version number; $LATEST and garbage are 0.
func VersionNumber(v *string) int64 {
	n, err := strconv.ParseInt(aws.ToString(v), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// WaitActive waits for a new function to leave Pending.
func WaitActive(ctx context.Context, c *lambda.Client, name string, timeout time.Duration) error {
	return lambda.NewFunctionActiveV2Waiter(c, func(o *lambda.FunctionActiveV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = 200*time.Millisecond, 5*time.Second
	}).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, timeout)
}

// WaitUpdated waits for an update of $LATEST to finish.
func WaitUpdated(ctx context.Context, c *lambda.Client, name string, timeout time.Duration) error {
	_, err := WaitUpdatedRead(ctx, c, name, timeout)
	return err
}

// WaitUpdatedRead waits for an update of $LATEST to finish and returns the
// read that saw it finished, so the caller need not read it again.
func WaitUpdatedRead(ctx context.Context, c *lambda.Client, name string, timeout time.Duration) (*lambda.GetFunctionOutput, error) {
	out, err := lambda.NewFunctionUpdatedV2Waiter(c, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = 200*time.Millisecond, 5*time.Second
	}).WaitForOutput(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, timeout)
	if err != nil {
		return nil, err
	}
	if out == nil || out.Configuration == nil {
		return nil, errors.New("GetFunction answered without Configuration")
	}
	return out, nil
}

// FindAlias reads an alias.
func FindAlias(ctx context.Context, c *lambda.Client, function, name string) (*lambda.GetAliasOutput, error) {
	out, err := c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(function), Name: aws.String(name)})
	if err != nil {
		return nil, notFound(err)
	}
	return out, nil
}

// Routing returns the one weighted extra version of an alias, if any.
func Routing(rc *types.AliasRoutingConfiguration) (version string, weight float64, ok bool) {
	if rc == nil {
		return "", 0, false
	}
	for v, w := range rc.AdditionalVersionWeights {
		return v, w, true
	}
	return "", 0, false
}

// WaitAliasSettled polls GetAlias until it reports the given primary and
// routing: right after an update AWS can briefly answer with transitional
// weights, which must not be recorded as the alias's state.
func WaitAliasSettled(ctx context.Context, c *lambda.Client, function, name, primary, extra string, weight float64, timeout time.Duration) (*lambda.GetAliasOutput, error) {
	deadline := time.Now().Add(timeout)
	delay := 100 * time.Millisecond
	for {
		out, err := FindAlias(ctx, c, function, name)
		if err != nil {
			return nil, err
		}
		v, w, ok := Routing(out.RoutingConfig)
		if aws.ToString(out.FunctionVersion) == primary && ok == (extra != "") && (!ok || (v == extra && w == weight)) {
			return out, nil
		}
		if time.Now().After(deadline) {
			return out, errors.New("alias did not settle on the requested routing")
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(delay):
		}
		if delay < 2*time.Second {
			delay *= 2
		}
	}
}
