package acctest

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// OutOfBandAccessKey signs the requests of a test's own clients: an
// operator or another writer acting beside Terraform, told apart in the
// sandbox's journal from the provider under test (ProviderAccessKey).
const OutOfBandAccessKey = "AKIDOUTOFBAND"

// ProviderAccessKey is the access key ProviderConfig gives the provider
// under test.
const ProviderAccessKey = "AKIDROLLOUTTEST"

// outOfBand is the configuration of a test's own clients.
func outOfBand() aws.Config {
	return aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(OutOfBandAccessKey, "s", "")}
}

// LambdaClient is a Lambda client of the test's own against url.
func LambdaClient(url string) *lambda.Client {
	return lambda.NewFromConfig(outOfBand(), func(o *lambda.Options) { o.BaseEndpoint = aws.String(url) })
}

// S3Client is a path-style S3 client of the test's own against url.
func S3Client(url string) *s3.Client {
	return s3.NewFromConfig(outOfBand(), func(o *s3.Options) { o.BaseEndpoint, o.UsePathStyle = aws.String(url), true })
}

// CloudWatchClient is a CloudWatch client of the test's own against url.
func CloudWatchClient(url string) *cloudwatch.Client {
	return cloudwatch.NewFromConfig(outOfBand(), func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(url) })
}

// SQSClient is an SQS client of the test's own against url.
func SQSClient(url string) *sqs.Client {
	return sqs.NewFromConfig(outOfBand(), func(o *sqs.Options) { o.BaseEndpoint = aws.String(url) })
}
