# <function_name>/<alias>
terraform import rollout_alias.live orders-api/live

# or the alias ARN
terraform import rollout_alias.live arn:aws:lambda:us-east-1:123456789012:function:orders-api:live
