# All traffic on the function's current version; refuse to route to any
# version that cannot run against data schema 8. version_data_schemas lets
# the plan check a version the same apply publishes (its number is not
# known yet) before anything is published.
resource "rollout_alias" "live" {
  function_name        = rollout_function.orders.function_name
  name                 = "live"
  function_version     = rollout_function.orders.version
  data_schema_version  = 8
  version_data_schemas = rollout_function.orders.version_data_schemas
}

# A static split: 10% of the traffic to version 8, the rest to version 7.
resource "rollout_alias" "beta" {
  function_name    = rollout_function.orders.function_name
  name             = "beta"
  function_version = "7"
  routing = {
    version = "8"
    weight  = 0.1
  }
}

# A canary: each change of the function's version is a rollout that moves
# 10% of the traffic, watches the new version alone, and rolls back on a
# breach. The plan shows the whole schedule in canary_policy.
resource "rollout_canary_policy" "standard" {
  preset = "Canary10Percent5Minutes"
  health = {
    max_error_rate      = 0.02
    max_p99_duration_ms = 800
    min_invocations     = 50
  }
}

resource "rollout_alias" "prod" {
  function_name    = rollout_function.orders.function_name
  name             = "prod"
  function_version = rollout_function.orders.version
  canary_policy    = rollout_canary_policy.standard.spec

  # Warm environments for the alias; each shift of the canary waits until
  # they are READY, so the new version takes its share warm.
  provisioned_concurrent_executions = 10

  # The longest an apply may run the rollout: when it runs out, all traffic
  # goes back to the previous version and the state says "aborted".
  timeouts {
    update = "30m"
  }
}

# A release the canary rolled back is never relaunched by re-applying it:
# its plan stops with "Release Rolled Back". To retry it on purpose, set the
# value that error prints; the plan shows the retry and the canary runs once
# more with its gates.
resource "rollout_alias" "prod_retry" {
  function_name     = rollout_function.orders.function_name
  name              = "prod"
  function_version  = rollout_function.orders.version
  canary_policy     = rollout_canary_policy.standard.spec
  retry_rolled_back = "9f2c4e1a7b3d5c60@20261126T131502Z"
}

# A worker fed by an SQS queue: the event source mappings on the alias are
# paused before traffic moves (start, promotion, rollback) and resumed after,
# so no batch is split across a move and none reaches a rolled-back version
# after the decision. Its messages carry event schema 2: the plan refuses to
# route them (or to roll back) to a version whose compatible_data_schemas
# exclude 2. The canary is not promoted while the queue is backed up.
resource "rollout_alias" "worker" {
  function_name    = rollout_function.worker.function_name
  name             = "live"
  function_version = rollout_function.worker.version
  canary_policy    = rollout_canary_policy.standard.spec

  version_data_schemas = rollout_function.worker.version_data_schemas

  event_source_interlock = {
    pause_on      = ["start", "promotion", "rollback"]
    drain_timeout = "2m"
    mappings = [{
      uuid                 = aws_lambda_event_source_mapping.orders.uuid
      event_schema_version = 2
    }]
    max_queue_depth        = 1000
    max_oldest_message_age = "5m"
  }
}
