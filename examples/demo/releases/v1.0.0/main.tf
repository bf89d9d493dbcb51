# Release v1.0.0 of the orders service.
terraform {
  required_providers {
    rollout = { source = "rollout-tf/rollout" }
  }
  backend "s3" {
    bucket                      = "demo-tfstate"
    key                         = "orders/terraform.tfstate"
    region                      = "us-east-1"
    endpoint                    = "http://127.0.0.1:4599"
    sts_endpoint                = "http://127.0.0.1:4599"
    force_path_style            = true
    skip_credentials_validation = true
    skip_metadata_api_check     = true
    skip_region_validation      = true
    access_key                  = "sandbox"
    secret_key                  = "sandbox"
  }
}

provider "rollout" {
  region     = "us-east-1"
  access_key = "sandbox"
  secret_key = "sandbox"
  endpoints {
    lambda     = "http://127.0.0.1:4599"
    cloudwatch = "http://127.0.0.1:4599"
    s3         = "http://127.0.0.1:4599"
    sts        = "http://127.0.0.1:4599"
  }
}

module "orders" {
  source  = "../../module"
  release = "v1.0.0"
  package = "../../.run/build/v1.0.0.zip"
}

output "serving" {
  value = module.orders.serving
}
