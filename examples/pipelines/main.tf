# A release driven by a pipeline: each run applies this configuration with
# the release to ship; rollout-loop.sh repeats the apply until the rollout
# is done, rolled back or aborted. AWS_ENDPOINT_URL points it at
# rollout-sandbox (CI) or is left unset (AWS).

terraform {
  required_providers {
    rollout = { source = "rollout-tf/rollout" }
  }
}

provider "rollout" {
  region = var.region
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "function_name" {
  type    = string
  default = "orders-api"
}

variable "role" {
  type    = string
  default = "arn:aws:iam::123456789012:role/orders-api"
}

variable "release" {
  description = "The release to ship: the git tag of this configuration."
  type        = string
}

variable "package" {
  description = "Path of the function's zip, built by an earlier pipeline step."
  type        = string
}

variable "environment" {
  type    = map(string)
  default = {}
}

variable "hold" {
  description = "How long each canary step holds."
  type        = string
  default     = "5m"
}

variable "interval" {
  description = "How often the gates are read; the loop applies again after it."
  type        = string
  default     = "30s"
}

resource "rollout_function" "orders" {
  function_name = var.function_name
  role          = var.role
  runtime       = "provided.al2023"
  handler       = "bootstrap"
  filename      = var.package
  release       = var.release
  environment   = var.environment
}

resource "rollout_canary_policy" "pipeline" {
  steps    = [{ weight_percent = 10, hold = var.hold }, { weight_percent = 50, hold = var.hold }]
  interval = var.interval
  health   = { max_error_rate = 0.05, min_invocations = 10 }
  # Plan-driven: each apply makes one transition and returns, so no job
  # waits for the whole canary; rollout-loop.sh applies again.
  wait = false
}

resource "rollout_alias" "live" {
  function_name    = rollout_function.orders.function_name
  name             = "live"
  function_version = rollout_function.orders.version
  canary_policy    = rollout_canary_policy.pipeline.spec
}
