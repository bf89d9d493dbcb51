// Command terraform-provider-rollout serves the rollout provider to Terraform.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/rollout-tf/terraform-provider-rollout/internal/provider"
)

// version is set at build time with -ldflags "-X main.version=1.2.3".
var version = "dev"

// Address is the provider's registry address; the test factories and the
// dev_overrides file use the same one.
const Address = "registry.terraform.io/rollout-tf/rollout"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run serves the provider until Terraform (or, in debug mode, an
// interrupt) stops it.
func run() error {
	var debug bool
	var cpuProfile, memProfile string
	flag.BoolVar(&debug, "debug", false, "start the provider in debug mode, for debuggers such as delve; prints TF_REATTACH_PROVIDERS")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "with -debug: write a pprof CPU profile of the whole debug session to this file when the provider stops (BenchmarkStateScale's ROLLOUT_BENCH_SCALE_PROFILE)")
	flag.StringVar(&memProfile, "memprofile", "", "with -debug: write a pprof heap profile (after a GC) to this file when the provider stops, and the goroutines then to FILE.goroutines")
	flag.Parse()
	if !debug {
		quietLogsUnlessAsked(os.Getenv, os.Setenv)
	}
	if cpuProfile != "" {
		stop, err := startCPUProfile(debug, cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	if memProfile != "" {
		if !debug {
			return fmt.Errorf("-memprofile=%s needs -debug, for example -debug -memprofile=provider.heap", memProfile)
		}
		defer writeHeapProfile(memProfile)
	}
	// As providerserver.Serve, through the server that lets go of each
	// request once answered (internal/provider/server.go).
	var opts []tf6server.ServeOpt
	if debug {
		opts = append(opts, tf6server.WithManagedDebug())
	}
	return tf6server.Serve(Address, provider.NewServer(version), opts...)
}

// startCPUProfile starts a CPU profile written to path, for a provider in
// debug mode only: Terraform never passes flags, so a provider it starts
// never profiles. The returned stop writes the profile out.
func startCPUProfile(debug bool, path string) (func(), error) {
	if !debug {
		return nil, fmt.Errorf("-cpuprofile=%s needs -debug: only a provider started by hand (as BenchmarkStateScale does) is profiled, for example -debug -cpuprofile=provider.pprof", path)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
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

// writeHeapProfile writes the live heap (after a GC) to path, and the
// goroutines then to path.goroutines; a failure is
// printed, as the provider is stopping anyway.
func writeHeapProfile(path string) {
	f, err := os.Create(path)
	if err == nil {
		runtime.GC()
		err = pprof.WriteHeapProfile(f)
		if g, gerr := os.Create(path + ".goroutines"); gerr == nil {
			_ = pprof.Lookup("goroutine").WriteTo(g, 1)
			_ = g.Close()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "-memprofile:", err)
	}
}
