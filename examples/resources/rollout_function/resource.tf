# Every change of code or configuration publishes an immutable version.
# Reverting to an earlier release (check out the older module version and
# apply) adopts the version that already has that code: the plan shows
# version "3" -> "1" and nothing is published or uploaded.
resource "rollout_function" "orders" {
  function_name = "orders-api"
  role          = "arn:aws:iam::123456789012:role/orders-api"
  runtime       = "provided.al2023"
  handler       = "bootstrap"
  architectures = ["arm64"]
  memory_size   = 256
  timeout       = 10
  filename      = "build/orders-api.zip"

  release = "v1.4.0"
  compatible_data_schemas = {
    min = 7
    max = 8
  }
  retain_versions = 10

  environment = {
    LOG_LEVEL = "info"
  }
  tags = {
    team = "payments"
  }
}

# Code from a pinned S3 object version.
resource "rollout_function" "reports" {
  function_name     = "reports"
  role              = "arn:aws:iam::123456789012:role/reports"
  runtime           = "provided.al2023"
  handler           = "bootstrap"
  s3_bucket         = "artifacts"
  s3_key            = "reports/v2.0.1.zip"
  s3_object_version = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"
  release           = "v2.0.1"
}

output "orders_version" {
  value = rollout_function.orders.version
}
