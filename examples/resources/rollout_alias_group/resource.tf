# An API and its worker released together: when either function's version
# changes, both shift through the same steps; the gates watch each new
# version alone, and a breach in either moves both back at once.
resource "rollout_canary_policy" "standard" {
  steps    = [{ weight_percent = 10, hold = "5m" }, { weight_percent = 50, hold = "5m" }]
  interval = "30s"
  health = {
    max_error_rate      = 0.02
    max_p99_duration_ms = 800
    min_invocations     = 50
  }
  # Optional: each apply makes one transition of the whole group and each
  # plan shows the next one (deployment.next_action).
  # wait = false
  # Optional: told of the group's release (started, each step, rolled back
  # naming the member and gate, promoted), with the group and its members.
  # notifications = { webhook_url = var.deploys_webhook }
}

resource "rollout_alias_group" "checkout" {
  name          = "checkout"
  canary_policy = rollout_canary_policy.standard.spec
  members = {
    api = {
      function_name    = rollout_function.api.function_name
      alias            = "live"
      function_version = rollout_function.api.version
    }
    worker = {
      function_name    = rollout_function.worker.function_name
      alias            = "live"
      function_version = rollout_function.worker.version
      # The data-schema guard, per member.
      data_schema_version  = 8
      version_data_schemas = rollout_function.worker.version_data_schemas
      # Optional: the worker is fed by a queue. Its event source mappings
      # are paused (and drained) before the group's traffic moves at these
      # moments and resumed after; on a rollback, before any member goes
      # back. The plan lists the pauses in event_source_pauses.
      event_source_interlock = {
        pause_on        = ["start", "promotion", "rollback"]
        drain_timeout   = "2m"
        mappings        = [{ uuid = aws_lambda_event_source_mapping.orders.uuid, event_schema_version = 8 }]
        max_queue_depth = 1000
      }
    }
  }

  # The longest an apply may run the release: when it runs out, every
  # member goes back to its previous version.
  timeouts {
    update = "30m"
  }
}
