# A CodeDeploy-style preset with health gates on the new version alone.
resource "rollout_canary_policy" "standard" {
  preset = "Canary10Percent5Minutes"
  health = {
    max_error_rate      = 0.02
    max_p99_duration_ms = 800
    min_invocations     = 50
    alarms              = ["orders-api-5xx"]
    preexisting_alarms  = "ignore"
  }
  # Every rollout event (started, step_advanced, held, rolled_back with the
  # gate and its values, promoted, aborted, overridden, deadline_reached)
  # goes to a Slack-compatible webhook and an SNS topic; a failed delivery
  # is a warning, never a delay.
  notifications = {
    webhook_url   = var.slack_webhook_url
    sns_topic_arn = "arn:aws:sns:us-east-1:123456789012:deploys"
  }
}

variable "slack_webhook_url" {
  type      = string
  sensitive = true
}

# A custom schedule; the plan of an alias using it shows every step.
resource "rollout_canary_policy" "careful" {
  steps = [
    { weight_percent = 5, hold = "10m" },
    { weight_percent = 25, hold = "10m" },
    { weight_percent = 50, hold = "10m" },
  ]
  interval = "30s"
  health = {
    max_error_rate       = 0.01
    min_invocations      = 100
    on_insufficient_data = "hold"
  }
  hooks = {
    pre_traffic = "orders-api-smoke-test"
    timeout     = "2m"
  }
  # With on_insufficient_data = "hold", a rollout that never gets enough
  # traffic rolls back at the deadline (counted from the first shift).
  # Defaults to twice the total hold.
  deadline        = "1h"
  rollback_window = 3
}
