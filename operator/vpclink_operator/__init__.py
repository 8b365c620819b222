"""vpclink-operator: AWS API Gateway VPC links and private integrations as Kubernetes resources."""

API_GROUP = "apigateway.vpclink.dev"
API_VERSION = "v1alpha1"
FINALIZER = f"{API_GROUP}/finalizer"

__version__ = "0.1.0"
