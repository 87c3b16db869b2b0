variable "function_name" {
  description = "Name of the writer function (lambda account)."
  type        = string
}

variable "qualifier" {
  description = "Alias name or version to invoke; null: $LATEST."
  type        = string
  default     = null
}
