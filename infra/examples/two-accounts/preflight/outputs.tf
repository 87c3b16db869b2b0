output "function_name" {
  description = "The function the preflight invokes."
  value       = var.function_name
}

output "qualifier" {
  description = "The alias or version it invokes (null: $LATEST)."
  value       = var.qualifier
}

output "request" {
  description = "The payload it sends."
  value       = local.request
}
