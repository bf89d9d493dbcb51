data "rollout_alias" "live" {
  function_name = "orders-api"
  name          = "live"
}

output "serving" {
  value = data.rollout_alias.live.routing == null ? "all traffic on ${data.rollout_alias.live.function_version}" : "${data.rollout_alias.live.routing.weight * 100}% on ${data.rollout_alias.live.routing.version}"
}
