# The function URLs (webhook_url, callback_base_url, function_urls) are in generated.tf.

output "deployer_service_account" {
  description = "Run cloudbuild.yaml as this account (gcloud builds submit --service-account)"
  value       = google_service_account.deployer.id
}

output "source_bucket" {
  description = "Where Terraform uploads the first bundle"
  value       = google_storage_bucket.source.name
}

output "firestore_database" {
  value = google_firestore_database.default.name
}
