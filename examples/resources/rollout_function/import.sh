# By name: adopts the newest published version.
terraform import rollout_function.orders orders-api

# Naming the version this configuration runs as.
terraform import rollout_function.orders orders-api:5
