package awsclient

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResolveEndpoints(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		configured map[Service]string
		env        map[string]string
		want       map[Service]Endpoint
	}{
		"nothing set uses the SDK default": {
			want: map[Service]Endpoint{},
		},
		"global env applies to every service": {
			env: map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4599"},
			want: map[Service]Endpoint{
				Lambda:     {URL: "http://127.0.0.1:4599", Source: "AWS_ENDPOINT_URL"},
				CloudWatch: {URL: "http://127.0.0.1:4599", Source: "AWS_ENDPOINT_URL"},
				S3:         {URL: "http://127.0.0.1:4599", Source: "AWS_ENDPOINT_URL"},
				STS:        {URL: "http://127.0.0.1:4599", Source: "AWS_ENDPOINT_URL"},
				SNS:        {URL: "http://127.0.0.1:4599", Source: "AWS_ENDPOINT_URL"},
			},
		},
		"service env beats global env": {
			env: map[string]string{"AWS_ENDPOINT_URL": "http://global:1", "AWS_ENDPOINT_URL_LAMBDA": "http://lambda:2"},
			want: map[Service]Endpoint{
				Lambda:     {URL: "http://lambda:2", Source: "AWS_ENDPOINT_URL_LAMBDA"},
				CloudWatch: {URL: "http://global:1", Source: "AWS_ENDPOINT_URL"},
				S3:         {URL: "http://global:1", Source: "AWS_ENDPOINT_URL"},
				STS:        {URL: "http://global:1", Source: "AWS_ENDPOINT_URL"},
				SNS:        {URL: "http://global:1", Source: "AWS_ENDPOINT_URL"},
			},
		},
		"provider block beats both env variables": {
			configured: map[Service]string{Lambda: "http://config:3"},
			env:        map[string]string{"AWS_ENDPOINT_URL": "http://global:1", "AWS_ENDPOINT_URL_LAMBDA": "http://lambda:2"},
			want: map[Service]Endpoint{
				Lambda:     {URL: "http://config:3", Source: "provider endpoints.lambda"},
				CloudWatch: {URL: "http://global:1", Source: "AWS_ENDPOINT_URL"},
				S3:         {URL: "http://global:1", Source: "AWS_ENDPOINT_URL"},
				STS:        {URL: "http://global:1", Source: "AWS_ENDPOINT_URL"},
				SNS:        {URL: "http://global:1", Source: "AWS_ENDPOINT_URL"},
			},
		},
		"each service env var is read under its own name": {
			env: map[string]string{
				"AWS_ENDPOINT_URL_CLOUDWATCH": "http://cw:1", "AWS_ENDPOINT_URL_S3": "http://s3:2", "AWS_ENDPOINT_URL_STS": "http://sts:3",
				"AWS_ENDPOINT_URL_SNS": "http://sns:4",
			},
			want: map[Service]Endpoint{
				CloudWatch: {URL: "http://cw:1", Source: "AWS_ENDPOINT_URL_CLOUDWATCH"},
				S3:         {URL: "http://s3:2", Source: "AWS_ENDPOINT_URL_S3"},
				STS:        {URL: "http://sts:3", Source: "AWS_ENDPOINT_URL_STS"},
				SNS:        {URL: "http://sns:4", Source: "AWS_ENDPOINT_URL_SNS"},
			},
		},
		"ignore flag drops env endpoints but keeps the provider block": {
			configured: map[Service]string{S3: "http://config:3"},
			env: map[string]string{
				"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true", "AWS_ENDPOINT_URL": "http://global:1", "AWS_ENDPOINT_URL_LAMBDA": "http://lambda:2",
			},
			want: map[Service]Endpoint{S3: {URL: "http://config:3", Source: "provider endpoints.s3"}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := ResolveEndpoints(tc.configured, func(k string) string { return tc.env[k] })
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ResolveEndpoints() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckEndpointURL(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in      string
		wantErr string
	}{
		"http loopback":   {in: "http://127.0.0.1:4599"},
		"https with path": {in: "https://lambda.example.com/prefix"},
		"no scheme":       {in: "127.0.0.1:4599", wantErr: `"127.0.0.1:4599" has no http:// or https:// scheme and host`},
		"host only":       {in: "localhost", wantErr: `"localhost" has no http:// or https:// scheme and host`},
		"other scheme":    {in: "ftp://host", wantErr: `"ftp://host" has no http:// or https:// scheme and host`},
		"query":           {in: "http://host?x=1", wantErr: `"http://host?x=1" must not carry a query or fragment`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := CheckEndpointURL(tc.in)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.wantErr {
				t.Errorf("CheckEndpointURL(%q) = %q, want %q", tc.in, got, tc.wantErr)
			}
		})
	}
}

// isolateAWSEnv clears every AWS variable and points the shared files at
// empty temporary ones, so the machine's own configuration cannot leak in.
func isolateAWSEnv(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, kv := range os.Environ() {
		for i := 0; i < len(kv); i++ {
			if kv[i] == '=' {
				if k := kv[:i]; len(k) > 4 && k[:4] == "AWS_" {
					t.Setenv(k, "")
					_ = os.Unsetenv(k)
				}
				break
			}
		}
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", empty)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return dir
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestConfigResolution checks the precedence of region and credentials
// between the provider block, the environment and shared files. It changes
// the process environment, so its cases run one after another.
func TestConfigResolution(t *testing.T) {
	const sharedConfig = `
[default]
region = eu-west-1

[profile staging]
region = ap-southeast-2
`
	const sharedCredentials = `
[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = secret-default

[staging]
aws_access_key_id = AKIDSTAGING
aws_secret_access_key = secret-staging
`
	type want struct {
		Region    string
		AccessKey string
	}
	tests := map[string]struct {
		env   map[string]string
		opts  func(cfgFile, credFile string) Options
		files bool
		want  want
	}{
		"provider region beats AWS_REGION": {
			env:  map[string]string{"AWS_REGION": "us-west-2", "AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "s"},
			opts: func(string, string) Options { return Options{Region: "eu-central-1"} },
			want: want{Region: "eu-central-1", AccessKey: "AKIDENV"},
		},
		"AWS_REGION used when the block has none": {
			env:  map[string]string{"AWS_REGION": "us-west-2", "AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "s"},
			opts: func(string, string) Options { return Options{} },
			want: want{Region: "us-west-2", AccessKey: "AKIDENV"},
		},
		"static keys beat environment keys": {
			env:  map[string]string{"AWS_REGION": "us-west-2", "AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "s"},
			opts: func(string, string) Options { return Options{AccessKey: "AKIDSTATIC", SecretKey: "x"} },
			want: want{Region: "us-west-2", AccessKey: "AKIDSTATIC"},
		},
		"default profile from shared files given in the block": {
			files: true,
			opts: func(c, k string) Options {
				return Options{SharedConfigFiles: []string{c}, SharedCredentialsFiles: []string{k}}
			},
			want: want{Region: "eu-west-1", AccessKey: "AKIDDEFAULT"},
		},
		"profile in the block selects region and keys": {
			files: true,
			env:   map[string]string{"AWS_PROFILE": "default"},
			opts: func(c, k string) Options {
				return Options{Profile: "staging", SharedConfigFiles: []string{c}, SharedCredentialsFiles: []string{k}}
			},
			want: want{Region: "ap-southeast-2", AccessKey: "AKIDSTAGING"},
		},
		"AWS_PROFILE selects the profile when the block has none": {
			files: true,
			env:   map[string]string{"AWS_PROFILE": "staging"},
			opts: func(c, k string) Options {
				return Options{SharedConfigFiles: []string{c}, SharedCredentialsFiles: []string{k}}
			},
			want: want{Region: "ap-southeast-2", AccessKey: "AKIDSTAGING"},
		},
		"AWS_CONFIG_FILE is honoured": {
			files: true,
			env:   map[string]string{"AWS_PROFILE": "staging", "AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "s"},
			opts:  func(string, string) Options { return Options{} },
			want:  want{Region: "ap-southeast-2", AccessKey: "AKIDENV"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := isolateAWSEnv(t)
			cfgFile := writeFile(t, dir, "config", sharedConfig)
			credFile := writeFile(t, dir, "credentials", sharedCredentials)
			if tc.files {
				t.Setenv("AWS_CONFIG_FILE", cfgFile)
				t.Setenv("AWS_SHARED_CREDENTIALS_FILE", credFile)
			}
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			c := New(tc.opts(cfgFile, credFile))
			cfg, err := c.Config(context.Background())
			if err != nil {
				t.Fatalf("Config() error: %v", err)
			}
			creds, err := cfg.Credentials.Retrieve(context.Background())
			if err != nil {
				t.Fatalf("Credentials.Retrieve() error: %v", err)
			}
			got := want{Region: cfg.Region, AccessKey: creds.AccessKeyID}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("resolution mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConfigWithoutRegionFails(t *testing.T) {
	isolateAWSEnv(t)
	_, err := New(Options{AccessKey: "a", SecretKey: "b"}).Config(context.Background())
	if err == nil || err.Error() != "no AWS region: set region in the provider block, or AWS_REGION, or a region in the shared config profile" {
		t.Fatalf("Config() error = %v, want the missing-region error", err)
	}
}

func TestMaxAttempts(t *testing.T) {
	t.Parallel()
	zero, five := 0, 5
	tests := map[string]struct {
		retries *int
		want    int
	}{
		"default":      {want: DefaultMaxRetries + 1},
		"zero retries": {retries: &zero, want: 1},
		"five retries": {retries: &five, want: 6},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := New(Options{Region: "us-east-1", MaxRetries: tc.retries, Getenv: func(string) string { return "" }})
			if got := c.MaxAttempts(); got != tc.want {
				t.Errorf("MaxAttempts() = %d, want %d", got, tc.want)
			}
		})
	}
}
