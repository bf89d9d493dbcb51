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

  # Versioned settings, named as in aws_lambda_function: changing one
  # publishes a version, reverting it adopts the earlier one.
  vpc_config = {
    subnet_ids         = ["subnet-0a1b2c3d", "subnet-4e5f6a7b"]
    security_group_ids = ["sg-0a1b2c3d"]
  }
  tracing_config    = { mode = "Active" }
  ephemeral_storage = { size = 1024 }
  logging_config = {
    log_format            = "JSON"
    application_log_level = "INFO"
  }
  dead_letter_config = {
    target_arn = "arn:aws:sqs:us-east-1:123456789012:orders-api-dlq"
  }

  # Not versioned: changing it publishes nothing.
  reserved_concurrent_executions = 50
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
