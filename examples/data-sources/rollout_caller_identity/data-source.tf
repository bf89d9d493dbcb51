data "rollout_caller_identity" "current" {}

output "target" {
  value = "${data.rollout_caller_identity.current.account_id} in ${data.rollout_caller_identity.current.region}"
}
