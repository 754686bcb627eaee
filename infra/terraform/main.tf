# The fixed part of Soko's deployment. Everything derived from infra/topology.py (topics,
# subscriptions, functions, schedules, per-family service accounts, invokers) and from the
# rails' specs (their secrets, the `rails` and `settings` inputs) is in generated.tf,
# written by `python -m infra.terraform_gen`.

terraform {
  required_version = ">= 1.5"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  # The state holds the generated webhook and scheduler secrets: keep it in a bucket only
  # deployers can read (docs/deploy.md). `terraform init -backend-config=bucket=NAME`.
  backend "gcs" {
    prefix = "soko"
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}

data "google_project" "this" {
  project_id = var.project_id
}

locals {
  labels = { app = "soko" }
  # Pub/Sub's service agent moves undeliverable messages to dead-letter topics.
  pubsub_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
  # Who may call IAM-protected HTTP functions (health): people, and the deployer's smoke test.
  operators = concat(var.operators, ["serviceAccount:${google_service_account.deployer.email}"])
  services = [
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudscheduler.googleapis.com",
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
  ]
}

resource "google_project_service" "enabled" {
  for_each           = toset(local.services)
  service            = each.value
  disable_on_destroy = false
}

# --- Secrets: values never live in code. The bot token is added by hand (docs/deploy.md);
# the webhook and scheduler secrets are random and shared with Telegram and the scheduler.
# Each rail's secrets are generated from its spec (generated.tf), their versions added by hand.

resource "google_secret_manager_secret" "bot_token" {
  secret_id = "soko-bot-token"
  labels    = local.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}

resource "google_secret_manager_secret" "webhook_secret" {
  secret_id = "soko-webhook-secret"
  labels    = local.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}

resource "google_secret_manager_secret" "scheduler_secret" {
  secret_id = "soko-scheduler-secret"
  labels    = local.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}

# Telegram allows 1-256 characters of A-Z, a-z, 0-9, _ and - in secret_token.
resource "random_password" "webhook_secret" {
  length  = 48
  special = false
}

resource "random_password" "scheduler_secret" {
  length  = 48
  special = false
}

resource "google_secret_manager_secret_version" "webhook_secret" {
  secret      = google_secret_manager_secret.webhook_secret.id
  secret_data = random_password.webhook_secret.result
}

resource "google_secret_manager_secret_version" "scheduler_secret" {
  secret      = google_secret_manager_secret.scheduler_secret.id
  secret_data = random_password.scheduler_secret.result
}

# --- Shared service accounts. The functions' own (one per family) are in generated.tf.

resource "google_service_account" "builder" {
  account_id   = "soko-builder"
  display_name = "Soko: builds function images"
}

resource "google_service_account" "pusher" {
  account_id   = "soko-pusher"
  display_name = "Soko: Pub/Sub push identity (OIDC) for subscriber functions"
}

resource "google_service_account" "scheduler" {
  account_id   = "soko-scheduler"
  display_name = "Soko: Cloud Scheduler identity (OIDC) for scheduled_job"
}

resource "google_service_account" "deployer" {
  account_id   = "soko-deployer"
  display_name = "Soko: runs cloudbuild.yaml (tests, deploy, setWebhook)"
}

resource "google_project_iam_member" "builder" {
  for_each = toset([
    "roles/artifactregistry.writer",
    "roles/logging.logWriter",
    "roles/storage.objectViewer",
  ])
  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.builder.email}"
}

# Projects created before April 2021 need this for Pub/Sub to mint push tokens.
resource "google_service_account_iam_member" "pusher_tokens" {
  service_account_id = google_service_account.pusher.id
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_agent
}

# The deployer: deploy functions (acting as their accounts), read the two secrets that
# setWebhook needs, write build logs.
resource "google_project_iam_member" "deployer" {
  for_each = toset([
    "roles/cloudfunctions.developer",
    "roles/logging.logWriter",
  ])
  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.deployer.email}"
}

# It also acts as each family's account; those bindings are generated with the accounts.
resource "google_service_account_iam_member" "deployer_acts_as_builder" {
  service_account_id = google_service_account.builder.name
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.deployer.email}"
}

resource "google_secret_manager_secret_iam_member" "deployer_reads" {
  for_each = {
    bot_token      = google_secret_manager_secret.bot_token.id
    webhook_secret = google_secret_manager_secret.webhook_secret.id
  }
  secret_id = each.value
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.deployer.email}"
}

# --- The uploaded source bundle, for the first deploy; Cloud Build rolls out later ones.

resource "google_storage_bucket" "source" {
  name                        = "${var.project_id}-soko-source"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  labels                      = local.labels

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      age = 90
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.enabled]
}

resource "google_storage_bucket_object" "source" {
  name   = "bundle-${filemd5(var.source_archive)}.zip"
  bucket = google_storage_bucket.source.name
  source = var.source_archive
}
