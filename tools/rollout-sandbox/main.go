// Command rollout-sandbox runs the local AWS-compatible server the rollout
// provider is developed, tested and demonstrated against.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rollout-tf/terraform-provider-rollout/internal/awsclient"
	"github.com/rollout-tf/terraform-provider-rollout/internal/loadgen"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
)

var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// serveOptions are the flags of `rollout-sandbox serve`.
type serveOptions struct {
	Addr          string
	DataDir       string
	AllowRemote   bool
	AllowUnsigned bool
	MaxConns      int
	RecoverLog    bool
	BodyTimeout   time.Duration
	AccountID     string
	Region        string
	SettleDelay   time.Duration
	// MaxConcurrency and MaxEnvironments size the execution environment
	// pool (sandbox.Options).
	MaxConcurrency  int
	MaxEnvironments int
	Faults          []sandbox.Fault
	FaultSeed       int64
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stdout, "usage: rollout-sandbox serve [flags]   (rollout-sandbox serve -h for the flags)")
		fmt.Fprintln(stdout, "       rollout-sandbox load --target NAME[:ALIAS] --rps N [--duration D] [--payload JSON] [--endpoint URL]")
		fmt.Fprintln(stdout, "       rollout-sandbox version")
		return 0
	}
	switch args[0] {
	case "version":
		fmt.Fprintln(stdout, "rollout-sandbox", version)
		return 0
	case "serve":
		opts, err := parseServe(args[1:], stderr)
		if err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			fmt.Fprintln(stderr, "rollout-sandbox:", err)
			return 2
		}
		if err := serve(ctx, opts, stdout); err != nil {
			fmt.Fprintln(stderr, "rollout-sandbox:", err)
			return 1
		}
		return 0
	case "load":
		opts, err := parseLoad(args[1:], stderr)
		if err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			fmt.Fprintln(stderr, "rollout-sandbox:", err)
			return 2
		}
		if err := load(ctx, opts, stdout); err != nil {
			fmt.Fprintln(stderr, "rollout-sandbox:", err)
			return 1
		}
		return 0
	default:
		fmt.Fprintf(stderr, "rollout-sandbox: unknown command %q (serve, load, version)\n", args[0])
		return 2
	}
}

type faultFlag struct{ faults *[]sandbox.Fault }

func (f faultFlag) String() string { return "" }

func (f faultFlag) Set(v string) error {
	fault, err := sandbox.ParseFault(v)
	if err != nil {
		return err
	}
	*f.faults = append(*f.faults, fault)
	return nil
}

func parseServe(args []string, stderr io.Writer) (serveOptions, error) {
	var o serveOptions
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:4599", "listen address (loopback only unless --allow-remote)")
	fs.StringVar(&o.DataDir, "data-dir", "", "folder that keeps functions, code and S3 objects across restarts (required)")
	fs.BoolVar(&o.AllowRemote, "allow-remote", false, "allow a non-loopback listen address and Host headers other than loopback names (the sandbox accepts any credentials)")
	fs.BoolVar(&o.AllowUnsigned, "allow-unsigned", false, "answer requests without a SigV4 signature, for clients that cannot sign (browser requests from other sites stay refused)")
	fs.IntVar(&o.MaxConns, "max-connections", 512, "most connections open at once; beyond it idle keep-alive connections are closed to make room")
	fs.DurationVar(&o.BodyTimeout, "body-timeout", 30*time.Second, "how long a request body or an answer may make no progress before its connection is cut")
	fs.BoolVar(&o.RecoverLog, "recover-corrupt-log", false, "start over a write-ahead log damaged in the middle: keep the records before the damage, move the rest to <log>.corrupt-<offset>")
	fs.StringVar(&o.AccountID, "account-id", sandbox.DefaultAccountID, "account id in ARNs and STS answers")
	fs.StringVar(&o.Region, "region", "us-east-1", "region for requests without a SigV4 scope")
	fs.IntVar(&o.MaxConcurrency, "max-concurrency", 64, "invocations running at once (the account's concurrency); beyond it Invoke answers 429 as Lambda does")
	fs.IntVar(&o.MaxEnvironments, "max-environments", 128, "execution environments kept, busy or warm; beyond it the least recently used idle one is stopped")
	fs.DurationVar(&o.SettleDelay, "settle-delay", 300*time.Millisecond, "how long functions stay Pending / InProgress after a change")
	fs.Var(faultFlag{&o.Faults}, "fault", `inject faults, repeatable: <service>[.<Operation>]:<kind>=<value>, e.g. "lambda:throttle=0.2", "s3:latency=50ms"`)
	fs.Int64Var(&o.FaultSeed, "fault-seed", 1, "seed of the fault injection, for repeatable runs")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if o.DataDir == "" {
		return o, errors.New("--data-dir is required, for example --data-dir .sandbox")
	}
	if o.MaxConns < 1 {
		return o, fmt.Errorf("--max-connections %d must be at least 1, for example --max-connections 512", o.MaxConns)
	}
	if o.MaxConcurrency < 1 {
		return o, fmt.Errorf("--max-concurrency %d must be at least 1, for example --max-concurrency 64", o.MaxConcurrency)
	}
	if o.MaxEnvironments < o.MaxConcurrency {
		return o, fmt.Errorf("--max-environments %d must be at least --max-concurrency (%d), for example --max-environments 128", o.MaxEnvironments, o.MaxConcurrency)
	}
	if o.AccountID == "" || len(o.AccountID) != 12 {
		return o, fmt.Errorf("--account-id %q must be 12 digits, for example 123456789012", o.AccountID)
	}
	return o, sandbox.CheckListenAddr(o.Addr, o.AllowRemote)
}

func serve(ctx context.Context, o serveOptions, stdout io.Writer) error {
	srv, err := sandbox.New(sandbox.Options{
		DataDir: o.DataDir, AccountID: o.AccountID, Region: o.Region,
		SettleDelay: o.SettleDelay, Faults: o.Faults, FaultSeed: o.FaultSeed,
		AllowRemote: o.AllowRemote, AllowUnsigned: o.AllowUnsigned,
		MaxConnections: o.MaxConns, BodyReadTimeout: o.BodyTimeout, RecoverCorruptLog: o.RecoverLog,
		MaxConcurrency: o.MaxConcurrency, MaxEnvironments: o.MaxEnvironments,
	})
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", o.Addr)
	if err != nil {
		_ = srv.Close()
		return err
	}
	fmt.Fprintf(stdout, "rollout-sandbox %s listening on http://%s (data in %s)\n", version, l.Addr(), o.DataDir)
	for _, f := range o.Faults {
		fmt.Fprintf(stdout, "  injecting fault %s\n", f)
	}
	err = srv.Serve(ctx, l)
	fmt.Fprintln(stdout, "rollout-sandbox stopped")
	return err
}

// loadOptions are the flags of `rollout-sandbox load`.
type loadOptions struct {
	Endpoint  string
	Function  string
	Qualifier string
	RPS       float64
	Duration  time.Duration
	Payload   string
	Region    string
}

func parseLoad(args []string, stderr io.Writer) (loadOptions, error) {
	var o loadOptions
	var target string
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Endpoint, "endpoint", "http://127.0.0.1:4599", "Lambda endpoint (the sandbox)")
	fs.StringVar(&target, "target", "", "function to invoke, NAME or NAME:ALIAS (required)")
	fs.Float64Var(&o.RPS, "rps", 10, "requests per second")
	fs.DurationVar(&o.Duration, "duration", 0, "how long to run (0: until Ctrl-C)")
	fs.StringVar(&o.Payload, "payload", "{}", "JSON payload of each invoke")
	fs.StringVar(&o.Region, "region", "us-east-1", "region for the SigV4 scope")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if target == "" {
		return o, errors.New("--target is required, for example --target orders-api:live")
	}
	o.Function, o.Qualifier, _ = strings.Cut(target, ":")
	if o.RPS <= 0 {
		return o, fmt.Errorf("--rps %v must be positive, for example --rps 20", o.RPS)
	}
	if err := awsclient.CheckEndpointURL(o.Endpoint); err != nil {
		return o, fmt.Errorf("--endpoint: %v (for example --endpoint http://127.0.0.1:4599)", err)
	}
	return o, nil
}

func load(ctx context.Context, o loadOptions, stdout io.Writer) error {
	client := awsclient.New(awsclient.Options{Region: o.Region, AccessKey: "sandbox", SecretKey: "sandbox", MaxRetries: new(int),
		Endpoints: map[awsclient.Service]string{awsclient.Lambda: o.Endpoint}})
	c, err := client.Lambda(ctx)
	if err != nil {
		return err
	}
	stats, err := loadgen.Run(ctx, loadgen.Options{Client: c, Function: o.Function, Qualifier: o.Qualifier, RPS: o.RPS,
		Duration: o.Duration, Payload: []byte(o.Payload), Every: func(s loadgen.Stats) { fmt.Fprintln(stdout, s) }})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "total:", stats)
	return nil
}
