# All traffic on the function's current version; refuse to route to any
# version that cannot run against data schema 8.
resource "rollout_alias" "live" {
  function_name       = rollout_function.orders.function_name
  name                = "live"
  function_version    = rollout_function.orders.version
  data_schema_version = 8
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
