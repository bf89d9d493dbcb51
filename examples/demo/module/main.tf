# The orders service as a team would write it: a versioned function, its
# canary policy and the live alias. Each release folder calls this module
# with its own code and label.
terraform {
  required_providers {
    rollout = { source = "rollout-tf/rollout" }
  }
}

variable "release" {
  type = string
}

variable "package" {
  type        = string
  description = "Path of the release's deployment package."
}

resource "rollout_function" "orders" {
  function_name = "orders-api"
  role          = "arn:aws:iam::123456789012:role/orders-api"
  runtime       = "provided.al2023"
  handler       = "bootstrap"
  filename      = var.package
  release       = var.release
  compatible_data_schemas = {
    min = 1
    max = 2
  }
}

resource "rollout_canary_policy" "standard" {
  steps = [
    { weight_percent = 10, hold = "6s" },
    { weight_percent = 50, hold = "6s" },
  ]
  interval = "1s"
  health = {
    max_error_rate  = 0.05
    min_invocations = 5
  }
}

resource "rollout_alias" "live" {
  function_name       = rollout_function.orders.function_name
  name                = "live"
  function_version    = rollout_function.orders.version
  canary_policy       = rollout_canary_policy.standard.spec
  data_schema_version = 2
  # The range the planned version records: the plan checks a release
  # against the data schema before anything is published.
  version_data_schemas = rollout_function.orders.version_data_schemas
}

output "serving" {
  value = "orders-api:live -> version ${rollout_alias.live.function_version} (${var.release})"
}
