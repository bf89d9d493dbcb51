package awsclient

import (
	"fmt"
	"net/url"
	"strings"
)

// Service names one AWS API the provider talks to.
type Service string

const (
	Lambda     Service = "lambda"
	CloudWatch Service = "cloudwatch"
	S3         Service = "s3"
	STS        Service = "sts"
	SNS        Service = "sns"
)

// Services lists every service in a fixed order (the order of the provider's
// endpoints block).
var Services = []Service{Lambda, CloudWatch, S3, STS, SNS}

// envSuffix is the service part of AWS_ENDPOINT_URL_<SUFFIX>, as the SDK
// derives it from the service id.
func (s Service) envSuffix() string { return strings.ToUpper(string(s)) }

// Endpoint is the base URL chosen for one service and where it came from.
type Endpoint struct {
	URL    string
	Source string
}

// ResolveEndpoints applies the precedence the AWS SDKs document for
// service endpoints, with the provider's own block on top:
//
//  1. endpoints.<service> in the provider configuration;
//  2. AWS_ENDPOINT_URL_<SERVICE>;
//  3. AWS_ENDPOINT_URL.
//
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true disables 2 and 3 (never 1).
// A service with none of these is absent from the result: the SDK then uses
// the shared config file's endpoint settings or the public AWS endpoint.
func ResolveEndpoints(configured map[Service]string, getenv func(string) string) map[Service]Endpoint {
	out := make(map[Service]Endpoint, len(Services))
	ignoreEnv := strings.EqualFold(strings.TrimSpace(getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")), "true")
	for _, s := range Services {
		if v := configured[s]; v != "" {
			out[s] = Endpoint{URL: v, Source: "provider endpoints." + string(s)}
			continue
		}
		if ignoreEnv {
			continue
		}
		name := "AWS_ENDPOINT_URL_" + s.envSuffix()
		if v := getenv(name); v != "" {
			out[s] = Endpoint{URL: v, Source: name}
			continue
		}
		if v := getenv("AWS_ENDPOINT_URL"); v != "" {
			out[s] = Endpoint{URL: v, Source: "AWS_ENDPOINT_URL"}
		}
	}
	return out
}

// CheckEndpointURL reports why raw is not usable as a service base URL, or nil.
func CheckEndpointURL(raw string) error {
	if !strings.Contains(raw, "://") {
		return fmt.Errorf("%q has no http:// or https:// scheme and host", raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %w", raw, err)
	}
	if u.Scheme == "" || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		// url.Parse reads "127.0.0.1:4599" as scheme "127.0.0.1".
		return fmt.Errorf("%q has no http:// or https:// scheme and host", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q must not carry a query or fragment", raw)
	}
	return nil
}
