# Against AWS: credentials, region and profiles resolve as in the AWS provider.
provider "rollout" {
  region = "eu-central-1"
}

# Against the local rollout-sandbox (make demo starts one on 127.0.0.1:4599).
provider "rollout" {
  alias      = "sandbox"
  region     = "us-east-1"
  access_key = "sandbox"
  secret_key = "sandbox"

  endpoints {
    lambda     = "http://127.0.0.1:4599"
    cloudwatch = "http://127.0.0.1:4599"
    s3         = "http://127.0.0.1:4599"
    sts        = "http://127.0.0.1:4599"
  }
}
