package statehistory_test

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// s3At is a path-style S3 client with static test credentials against url.
func s3At(url string) *s3.Client {
	return s3.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "s", "")},
		func(o *s3.Options) { o.BaseEndpoint, o.UsePathStyle = aws.String(url), true })
}
