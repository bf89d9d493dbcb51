// Command terraform-provider-rollout serves the rollout provider to Terraform.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/rollout-tf/terraform-provider-rollout/internal/provider"
)

// version is set at build time with -ldflags "-X main.version=1.2.3".
var version = "dev"

// Address is the provider's registry address; the test factories and the
// dev_overrides file use the same one.
const Address = "registry.terraform.io/rollout-tf/rollout"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "start the provider in debug mode, for debuggers such as delve; prints TF_REATTACH_PROVIDERS")
	flag.Parse()
	if !debug {
		quietLogsUnlessAsked(os.Getenv, os.Setenv)
	}

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address:         Address,
		Debug:           debug,
		ProtocolVersion: 6,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// logEnv are the variables through which a user asks for logs that reach
// this provider: Terraform runs it with Terraform's own environment.
var logEnv = []string{"TF_LOG", "TF_LOG_PROVIDER", "TF_LOG_PROVIDER_ROLLOUT", "TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK"}

// quietLogsUnlessAsked turns the provider's and the SDK's loggers off when
// no TF_LOG* variable asks for logs. The SDK's loggers default to TRACE
// and format every line for Terraform, which discards them all when
// TF_LOG is unset: measured at about a quarter of the provider's CPU in a
// plan (issue 22; BenchmarkStateScale's logs-x-quiet figure). Any TF_LOG*
// variable keeps the SDK's defaults, so debugging works as documented.
func quietLogsUnlessAsked(getenv func(string) string, setenv func(string, string) error) {
	for _, name := range logEnv {
		if getenv(name) != "" {
			return
		}
	}
	for _, name := range []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER_ROLLOUT"} {
		_ = setenv(name, "off")
	}
}
