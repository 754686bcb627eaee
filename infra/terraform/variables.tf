# The deployment's choices derived from the code, `rails` (the payment rails it collects on,
# with their settings) and `settings` (plain settings of every function), are declared in
# generated.tf: their validations list what the rails' specs allow (docs/deploy.md).

variable "project_id" {
  description = "The Google Cloud project Soko is deployed into (one bot per project)"
  type        = string
}

variable "region" {
  description = "Region of the functions, topics' regional endpoint and scheduler jobs"
  type        = string
  default     = "europe-west1"
}

variable "firestore_location" {
  description = "Firestore location: a region (europe-west1) or a multi-region (eur3, nam5)"
  type        = string
  default     = "eur3"
}

variable "source_archive" {
  description = "Zip of the staged bundle (python -m infra.bundle), uploaded for the first deploy"
  type        = string
  default     = "../../build/bundle.zip"
}

variable "operators" {
  description = "Members allowed to call the health function, e.g. [\"user:ops@example.com\"]"
  type        = list(string)
  default     = []
}
