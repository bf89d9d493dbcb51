data "rollout_function_versions" "orders" {
  function_name = "orders-api"
}

# Which release each retained version is, read from AWS.
output "releases" {
  value = { for v in data.rollout_function_versions.orders.versions : v.number => v.release }
}
