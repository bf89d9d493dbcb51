# <group name>:<key>=<function_name>/<alias>,... naming every member
terraform import rollout_alias_group.checkout 'checkout:api=orders-api/live,worker=orders-worker/live'
